/* policy/want.h: what of a request's object the decision reads, per kind:
 * the tree of members the review reader builds (dg_jwant_t), everything
 * else checked for syntax and skipped. Made from a policy, so that a field
 * a rule governs is never skipped: for every kind, apiVersion, kind,
 * metadata (its identity, labels and annotations) and spec.replicas; for a
 * governed kind also each path of each rule that applies to it, by plain
 * field names as far as the path goes; from its first list step ([*],
 * [k=v]) or quoted name on, and at its end, the value whole (the diff
 * compares whole values there, and shows them).
 * Pure: libc. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_WANT_H
#define DG_WANT_H

#include "err.h"
#include "jread.h"
#include "obj.h"

struct dg_policy;
typedef struct dg_want dg_want_t; /* opaque; immutable once made */

/** The wants of every kind of the kind table under @pol. Returns a new
 *  set (free with dg_want_free()), or NULL (out of memory). */
dg_want_t *dg_want_new(const struct dg_policy *pol);

void dg_want_free(dg_want_t **w);

/** The want of an object of kind @ki (the row of request.resource); NULL
 *  (a resource outside the kind table, never judged): only its identity.
 *  Never NULL. */
const dg_jwant_t *dg_want_for(const dg_want_t *w, const dg_kindinfo_t *ki);

#endif
