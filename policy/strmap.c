/* policy/strmap.c: separate chaining, FNV-1a, power-of-two buckets.
 * SPDX-License-Identifier: Apache-2.0 */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct node {
    struct node *next;
    void *value;
    char key[]; /* NUL-terminated */
} node_t;

struct dg_strmap {
    node_t **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;
    void (*free_value)(void *);
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static node_t **slot(const dg_strmap_t *m, const char *key)
{
    node_t **p = &m->buckets[hash(key) & (m->nbuckets - 1)];

    while (*p && strcmp((*p)->key, key) != 0)
        p = &(*p)->next;
    return p;
}

dg_strmap_t *dg_strmap_new(void (*free_value)(void *))
{
    dg_strmap_t *m = calloc(1, sizeof *m);

    if (m == NULL)
        return NULL;
    m->nbuckets = 16;
    m->buckets = calloc(m->nbuckets, sizeof *m->buckets);
    if (m->buckets == NULL) {
        free(m);
        return NULL;
    }
    m->free_value = free_value;
    return m;
}

static void drop(dg_strmap_t *m, node_t *n)
{
    if (m->free_value && n->value)
        m->free_value(n->value);
    free(n);
}

void dg_strmap_free(dg_strmap_t **mp)
{
    dg_strmap_t *m = mp ? *mp : NULL;

    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nbuckets; i++)
        while (m->buckets[i]) {
            node_t *n = m->buckets[i];

            m->buckets[i] = n->next;
            drop(m, n);
        }
    free(m->buckets);
    free(m);
    *mp = NULL;
}

void *dg_strmap_get(const dg_strmap_t *m, const char *key)
{
    node_t *n = *slot(m, key);

    return n ? n->value : NULL;
}

/* Keep chains short: double the buckets when entries outnumber them.
 * Failing to grow only makes lookups slower. */
static void grow(dg_strmap_t *m)
{
    size_t n = m->nbuckets * 2;
    node_t **b = calloc(n, sizeof *b);

    if (b == NULL)
        return;
    for (size_t i = 0; i < m->nbuckets; i++)
        while (m->buckets[i]) {
            node_t *e = m->buckets[i];
            size_t j = hash(e->key) & (n - 1);

            m->buckets[i] = e->next;
            e->next = b[j];
            b[j] = e;
        }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = n;
}

int dg_strmap_put(dg_strmap_t *m, const char *key, void *value)
{
    node_t **p = slot(m, key), *n = *p;
    size_t len = strlen(key);

    if (n) {
        if (m->free_value && n->value && n->value != value)
            m->free_value(n->value);
        n->value = value;
        return 0;
    }
    n = malloc(sizeof *n + len + 1);
    if (n == NULL) {
        if (m->free_value && value)
            m->free_value(value);
        return DG_ENOMEM;
    }
    memcpy(n->key, key, len + 1);
    n->value = value;
    n->next = NULL;
    *p = n;
    if (++m->count > m->nbuckets)
        grow(m);
    return 0;
}

void *dg_strmap_take(dg_strmap_t *m, const char *key)
{
    node_t **p = slot(m, key), *n = *p;
    void *v;

    if (n == NULL)
        return NULL;
    *p = n->next;
    v = n->value;
    free(n);
    m->count--;
    return v;
}

void dg_strmap_del(dg_strmap_t *m, const char *key)
{
    void *v = dg_strmap_take(m, key);

    if (v && m->free_value)
        m->free_value(v);
}

size_t dg_strmap_count(const dg_strmap_t *m)
{
    return m->count;
}

bool dg_strmap_next(const dg_strmap_t *m, dg_strmap_iter_t *it, const char **key, void **value)
{
    node_t *n = it->next;

    while (n == NULL && it->bucket < m->nbuckets)
        n = m->buckets[it->bucket++];
    if (n == NULL)
        return false;
    it->next = n->next; /* taken now, so that @n may be deleted */
    *key = n->key;
    *value = n->value;
    return true;
}
