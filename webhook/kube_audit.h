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
#include "kube_client.h"

typedef struct dg_kube_audit dg_kube_audit_t; /* opaque */

/** Start auditing @g's store against the cluster behind @c, on a thread
 *  with a connection of its own. NULL with @err set when it cannot start. */
dg_kube_audit_t *dg_kube_audit_start(dg_kube_client_t *c, dg_gate_t *g, dg_err_t *err);

/** Join the thread (after dg_kube_client_stop()) and free. Sets *@a to
 *  NULL. NULL-safe. */
void dg_kube_audit_stop(dg_kube_audit_t **a);

#endif
