/* webhook/decisions.c: a ring of records under a mutex held only to swap a
 * pointer. SPDX-License-Identifier: Apache-2.0 */
#include "decisions.h"

#include <pthread.h>
#include <stdlib.h>

struct dg_decisions {
    pthread_mutex_t mu;
    json_t *items[DG_DECISIONS_KEPT];
    size_t next;
    unsigned long total;
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
        json_decref(d->items[i]);
    pthread_mutex_destroy(&d->mu);
    free(d);
    *dp = NULL;
}

void dg_decisions_push(dg_decisions_t *d, json_t *rec)
{
    json_t *old;

    json_incref(rec);
    pthread_mutex_lock(&d->mu);
    old = d->items[d->next];
    d->items[d->next] = rec;
    d->next = (d->next + 1) % DG_DECISIONS_KEPT;
    d->total++;
    pthread_mutex_unlock(&d->mu);
    json_decref(old); /* outside the lock: freeing a record takes a while */
}

json_t *dg_decisions_json(dg_decisions_t *d)
{
    json_t *items = json_array();
    unsigned long total;

    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < DG_DECISIONS_KEPT; i++) {
        json_t *r = d->items[(d->next + i) % DG_DECISIONS_KEPT];

        if (r)
            json_array_append(items, r);
    }
    total = d->total;
    pthread_mutex_unlock(&d->mu);
    return json_pack("{s:o, s:I, s:i}", "decisions", items, "total", (json_int_t)total, "kept",
                     DG_DECISIONS_KEPT);
}
