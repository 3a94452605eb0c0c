/* webhook/decisions.h: the recent decision records, newest last, bounded:
 * what /api/v1/decisions and the console show. Owned by the gate.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_DECISIONS_H
#define DG_DECISIONS_H

#include <jansson.h>

#define DG_DECISIONS_KEPT 256

typedef struct dg_decisions dg_decisions_t;

/** NULL when out of memory. */
dg_decisions_t *dg_decisions_new(void);
void dg_decisions_free(dg_decisions_t **d);

/** Keep @rec (a reference is taken), dropping the oldest past the bound. */
void dg_decisions_push(dg_decisions_t *d, json_t *rec);

/** {"decisions": [oldest..newest], "total": N, "kept": 256}; new reference. */
json_t *dg_decisions_json(dg_decisions_t *d);

#endif
