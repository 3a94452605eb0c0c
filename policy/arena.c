/* policy/arena.c: the bump allocator. Blocks double in size, so a request
 * of any size costs a logarithmic number of mallocs, and none once a reused
 * arena's kept block is large enough.
 * SPDX-License-Identifier: Apache-2.0 */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 16u

/* A reset keeps a block of at most this many times the first size. */
#define KEEP_MAX_FACTOR 16u

struct dg_arena_block {
    struct dg_arena_block *prev; /* the block filled before this one */
    size_t size, used;           /* bytes in data[], bytes handed out */
    _Alignas(16) unsigned char data[];
};

void dg_arena_init(dg_arena_t *a, size_t first)
{
    a->head = NULL;
    a->first = first ? first : 4096;
}

static struct dg_arena_block *grow(dg_arena_t *a, size_t n)
{
    size_t size = a->head ? a->head->size * 2 : a->first;
    struct dg_arena_block *b;

    if (size < n)
        size = n;
    if (size > SIZE_MAX - sizeof *b)
        return NULL;
    b = malloc(sizeof *b + size);
    if (b == NULL)
        return NULL;
    b->prev = a->head;
    b->size = size;
    b->used = 0;
    a->head = b;
    return b;
}

void *dg_arena_alloc(dg_arena_t *a, size_t n)
{
    struct dg_arena_block *b = a->head;
    void *p;

    if (n > SIZE_MAX - ALIGN)
        return NULL;
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if ((b == NULL || b->size - b->used < n) && (b = grow(a, n)) == NULL)
        return NULL;
    p = b->data + b->used;
    b->used += n;
    return p;
}

char *dg_arena_strndup(dg_arena_t *a, const char *s, size_t n)
{
    char *c = n < SIZE_MAX ? dg_arena_alloc(a, n + 1) : NULL;

    if (c) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

void dg_arena_reset(dg_arena_t *a)
{
    struct dg_arena_block *b;

    if (a->head == NULL)
        return;
    /* The head is the largest block: keep it, free the smaller ones. */
    for (b = a->head->prev; b;) {
        struct dg_arena_block *prev = b->prev;

        free(b);
        b = prev;
    }
    a->head->prev = NULL;
    a->head->used = 0;
    /* One huge request (a 1 MiB ConfigMap) must not pin its block in every
     * thread that ever judged one. */
    if (a->head->size > KEEP_MAX_FACTOR * a->first) {
        free(a->head);
        a->head = NULL;
    }
}

void dg_arena_free(dg_arena_t *a)
{
    dg_arena_reset(a);
    free(a->head);
    a->head = NULL;
}
