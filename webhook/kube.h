/* webhook/kube.h: the Kubernetes source (libcurl): lists and watches
 * baseline ConfigMaps and Helm release records into the store, re-reads a
 * release before a denial (dg_refresh_ops_t), and runs the continuous audit
 * of live governed objects. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_KUBE_H
#define DG_KUBE_H

#include "err.h"
#include "gate.h"
#include "kube_audit.h"

/* dg_kube_t (declared in gate.h): one gate's Kubernetes source, opaque. */

/** Connect with g->cfg->kubeconfig or the in-cluster service account, set
 *  g->refresh, and start the watch and audit threads, counting in
 *  g->metrics. The source is g->kube (owned by the gate) even when this
 *  fails part way: dg_kube_stop(&g->kube) undoes what was started. The
 *  store is marked synced once the first lists have loaded. Returns 0 or a
 *  DG_E* code with a message naming what is wrong (unreadable kubeconfig,
 *  no server...). */
int dg_kube_start(dg_gate_t *g, dg_err_t *err);

/** The one namespace whose baseline ConfigMaps are believed: --baseline-
 *  namespace, else $POD_NAMESPACE, else the service account's (in the
 *  cluster, once g->kube is started), else DG_BASELINE_NS. Borrowed: lives
 *  as long as g->cfg, the environment or g->kube. */
const char *dg_kube_baseline_namespace(const dg_gate_t *g);

/** Whether @g has a Kubernetes source to read live objects from. */
bool dg_kube_reads_live(const dg_gate_t *g);

/** @rel's governed objects read live now (dg_kube_read_release()), for
 *  the console. DG_ENOTFOUND when there is no Kubernetes source. */
int dg_kube_read_live(dg_gate_t *g, const dg_release_t *rel, dg_live_read_t *out, dg_err_t *err);

/** Stop the threads, clear the gate's refresh, free everything and set
 *  *@kube to NULL. NULL-safe. */
void dg_kube_stop(dg_kube_t **kube);

#endif
