/* webhook/decisions.h: the recent decision records, newest last, bounded:
 * what /api/v1/decisions and the console show. Owned by the gate.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_DECISIONS_H
#define DG_DECISIONS_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"

#define DG_DECISIONS_KEPT 256

typedef struct dg_decisions dg_decisions_t;

/** NULL when out of memory. */
dg_decisions_t *dg_decisions_new(void);
void dg_decisions_free(dg_decisions_t **d);

/** Keep the record written in @rec (a compact JSON object; its bytes are
 *  taken and @rec left empty), dropping the oldest past the bound: the
 *  bytes of the one dropped are kept for dg_decisions_reuse(). */
void dg_decisions_push(dg_decisions_t *d, dg_buf_t *rec);

/** Start @rec, as dg_buf_init(@rec, 0) does, but on the bytes of the record
 *  the ring last dropped when it has them: a busy gate writes each record
 *  into the allocation of one that went, not into a new 4 KiB. */
void dg_decisions_reuse(dg_decisions_t *d, dg_buf_t *rec);

/** Append {"decisions": [oldest..newest], "total": N, "kept": 256} and a
 *  newline to @out, one record a line. Returns 0, or DG_ENOMEM /
 *  DG_ETOOBIG from @out. */
DG_MUST_CHECK int dg_decisions_write(dg_decisions_t *d, dg_buf_t *out);

/** The same as a tree (for the evidence bundle); new reference, NULL when
 *  out of memory. */
json_t *dg_decisions_json(dg_decisions_t *d);

#endif
