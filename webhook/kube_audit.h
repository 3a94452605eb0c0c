/* webhook/kube_audit.h: the continuous audit. Every --audit-interval it
 * compares each governed baseline object with the live one and publishes
 * the variances in the store. Live objects are read with one paginated LIST
 * per kind and namespace, at the version the API server prefers for the
 * kind's group (discovered once, cached), so a baseline written for an
 * older version (autoscaling/v2beta2) still finds its object. An object
 * that could not be read (403, 5xx, timeout) keeps its last result and is
 * counted in driftgate_audit_unread_objects: never reported as in sync.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_KUBE_AUDIT_H
#define DG_KUBE_AUDIT_H

#include "err.h"
#include "gate.h"
#include "baselines.h"
#include "kube_client.h"
#include "obj.h"
#include "policy.h"

typedef struct dg_kube_audit dg_kube_audit_t; /* opaque */

/** Start auditing @g's store against the cluster behind @c, on a thread
 *  with a connection of its own. NULL with @err set when it cannot start. */
dg_kube_audit_t *dg_kube_audit_start(dg_kube_client_t *c, dg_gate_t *g, dg_err_t *err);

/* The bounds of one on-demand read of a release's live objects: a request
 * that waits on the API server must not hold a console worker long. */
#define DG_LIVE_MAX_OBJECTS 256
#define DG_LIVE_MAX_BYTES ((size_t)16 << 20)
#define DG_LIVE_BUDGET_MS 10000L

/* One release's governed objects as read live. */
typedef struct dg_live_read {
    dg_objset_t *objs; /* those that exist */
    dg_gk_t *kinds;    /* the kinds read (strings borrowed from the release):
                        * an object of these absent from objs is missing */
    size_t nkinds;
} dg_live_read_t;

/** GET each governed object of @rel (@pol says which, as the audit reads
 *  them) at its group's preferred version, through a connection of @c's
 *  pool, into @out (zeroed; free with dg_live_read_free() whatever this
 *  returns). Bounded by DG_LIVE_MAX_OBJECTS, DG_LIVE_MAX_BYTES and one
 *  DG_LIVE_BUDGET_MS for the whole read. Returns 0, or DG_EIO / DG_ETOOBIG
 *  / DG_ENOMEM with @err naming the object and the API server's answer. */
int dg_kube_read_release(dg_kube_client_t *c, const dg_release_t *rel, const dg_policy_t *pol,
                         dg_live_read_t *out, dg_err_t *err);

/** Free what dg_kube_read_release() set. */
void dg_live_read_free(dg_live_read_t *r);

/** Join the thread (after dg_kube_client_stop()) and free. Sets *@a to
 *  NULL. NULL-safe. */
void dg_kube_audit_stop(dg_kube_audit_t **a);

#endif
