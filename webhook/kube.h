/* webhook/kube.h: the Kubernetes source (libcurl): lists and watches
 * baseline ConfigMaps and Helm release records into the store, re-reads a
 * release before a denial (dg_refresh_ops_t), and runs the continuous audit
 * of live governed objects. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_KUBE_H
#define DG_KUBE_H

#include "err.h"
#include "gate.h"

/** Connect with g->cfg->kubeconfig or the in-cluster service account, set
 *  g->refresh, and start the watch and audit threads. The store is marked
 *  synced once the first lists have loaded. Returns 0 or a DG_E* code with
 *  a message naming what is wrong (unreadable kubeconfig, no server...). */
int dg_kube_start(dg_gate_t *g, dg_err_t *err);

/** The one namespace whose baseline ConfigMaps are believed: --baseline-
 *  namespace, else $POD_NAMESPACE, else the service account's (in the
 *  cluster), else DG_BASELINE_NS. Static or process-long storage. */
const char *dg_kube_baseline_namespace(const dg_gate_cfg_t *cfg);

/** Stop the threads and free the client. Safe when never started. */
void dg_kube_stop(void);

#endif
