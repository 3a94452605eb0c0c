/* webhook/decisions.c: a ring of records, kept as the text they were
 * written as (policy/report.c) under a mutex held only to swap a pointer:
 * a request pays for no tree, and /api/v1/decisions splices the texts.
 * SPDX-License-Identifier: Apache-2.0 */
#include "decisions.h"

#include <pthread.h>
#include <stdlib.h>

#include "jwrite.h"

typedef struct record {
    char *text; /* malloced compact JSON object */
    size_t len;
    size_t size; /* bytes allocated at @text */
} record_t;

struct dg_decisions {
    pthread_mutex_t mu;
    record_t items[DG_DECISIONS_KEPT];
    size_t next;
    unsigned long total;
    record_t spare; /* the last one dropped: the next record's bytes */
};

dg_decisions_t *dg_decisions_new(void)
{
    dg_decisions_t *d = calloc(1, sizeof *d);

    if (d)
        pthread_mutex_init(&d->mu, NULL);
    return d;
}

void dg_decisions_free(dg_decisions_t **dp)
{
    dg_decisions_t *d = dp ? *dp : NULL;

    if (d == NULL)
        return;
    for (size_t i = 0; i < DG_DECISIONS_KEPT; i++)
        free(d->items[i].text);
    free(d->spare.text);
    pthread_mutex_destroy(&d->mu);
    free(d);
    *dp = NULL;
}

void dg_decisions_push(dg_decisions_t *d, dg_buf_t *rec)
{
    record_t r = {rec->data, rec->len, rec->size}, old;
    char *drop = NULL;

    dg_buf_init(rec, 0);
    if (r.text == NULL)
        return;
    pthread_mutex_lock(&d->mu);
    old = d->items[d->next];
    d->items[d->next] = r;
    d->next = (d->next + 1) % DG_DECISIONS_KEPT;
    d->total++;
    if (d->spare.text == NULL)
        d->spare = old;
    else
        drop = old.text;
    pthread_mutex_unlock(&d->mu);
    free(drop);
}

void dg_decisions_reuse(dg_decisions_t *d, dg_buf_t *rec)
{
    record_t r;

    dg_buf_init(rec, 0);
    pthread_mutex_lock(&d->mu);
    r = d->spare;
    d->spare = (record_t){0};
    pthread_mutex_unlock(&d->mu);
    if (r.text) {
        rec->data = r.text;
        rec->size = r.size;
        rec->data[0] = '\0';
    }
}

/* The texts are copied under the lock: a push only waits for a copy of
 * what is kept, never for a record being freed. */
static int put_items(dg_decisions_t *d, dg_buf_t *out, unsigned long *total)
{
    int rc = 0;
    size_t n = 0;

    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < DG_DECISIONS_KEPT && !rc; i++) {
        const record_t *r = &d->items[(d->next + i) % DG_DECISIONS_KEPT];

        if (r->text == NULL)
            continue;
        rc = n++ ? dg_buf_append(out, ",\n", 2) : dg_buf_append(out, "\n", 1);
        if (!rc)
            rc = dg_buf_append(out, r->text, r->len);
    }
    *total = d->total;
    pthread_mutex_unlock(&d->mu);
    return rc;
}

int dg_decisions_write(dg_decisions_t *d, dg_buf_t *out)
{
    unsigned long total;
    int rc = dg_buf_append(out, "{\"decisions\":[", 14);

    if (!rc)
        rc = put_items(d, out, &total);
    if (!rc)
        rc = dg_buf_puts(out, "\n],\"total\":");
    if (!rc)
        rc = dg_jwrite_int(out, (long long)total);
    if (!rc)
        rc = dg_buf_puts(out, ",\"kept\":");
    if (!rc)
        rc = dg_jwrite_int(out, DG_DECISIONS_KEPT);
    return rc ? rc : dg_buf_puts(out, "}\n");
}

json_t *dg_decisions_json(dg_decisions_t *d)
{
    dg_buf_t b;
    json_t *j;

    dg_buf_init(&b, 0);
    j = dg_decisions_write(d, &b) ? NULL : json_loadb(b.data, b.len, JSON_ALLOW_NUL, NULL);
    dg_buf_free(&b);
    return j;
}
