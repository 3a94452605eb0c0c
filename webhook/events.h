/* webhook/events.h: the Kubernetes Events driftgate posts on the objects
 * it judges and audits (events.k8s.io/v1; bodies, notes and aggregation in
 * policy/kevent.c). Posting never delays or changes a decision: a request
 * thread only files the Event in a bounded queue, where a repeat of one
 * already waiting is counted into it; one thread of its own posts them,
 * under a token bucket, creating an Event or PATCHing the series of the
 * one already posted for the same object, reason and note. What the queue
 * cannot hold is dropped and counted (driftgate_events_dropped_total).
 * On start the same thread lists driftgate's own Events and gives the
 * ones it signed to the live timeline, so a restart does not blank it.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_EVENTS_H
#define DG_EVENTS_H

#include <stdint.h>

#include "buf.h"
#include "decide.h"
#include "err.h"
#include "gate.h"
#include "kevent.h"
#include "review.h"
#include "timelines.h"

#define DG_EVENTS_QUEUE 256                       /* distinct Events waiting */
#define DG_EVENTS_WINDOW_NS (600LL * 1000000000)  /* repeats within 10 min: one Event */
#define DG_EVENTS_REBUILD_MAX 5000                /* Events read back on start */

typedef struct dg_events dg_events_t; /* opaque; every call is thread-safe */

/** Start posting for @g (borrowed: must outlive the poster) with a
 *  Kubernetes client of its own for g->cfg (kubeconfig or service
 *  account): reportingInstance @instance (the pod's name), the token
 *  bucket g->cfg->events_qps and events_burst. Each Event is signed with
 *  a key derived from the serving key file g->cfg->tls_key, read once
 *  here (dg_kevent_sign_key()). When g->timelines is not NULL the thread
 *  first rebuilds it from driftgate's Events signed with that key
 *  (annotations under g->cfg->webhook_name). NULL with @err set when it
 *  cannot start (DG_EIO: the key file unreadable; DG_ENOMEM). */
dg_events_t *dg_events_start(const dg_gate_t *g, const char *instance, dg_err_t *err);

/** Stop the thread (what is still queued is dropped) and free. Sets *@ev
 *  to NULL. NULL-safe. */
void dg_events_stop(dg_events_t **ev);

/** File @e (borrowed: copied) for posting. Never blocks on I/O. NULL-safe. */
void dg_events_post(dg_events_t *ev, const dg_kevent_t *e);

/** File the Event a decision posts: DriftDenied, DriftBreakGlass or
 *  DriftReconciled on the object @rv names; nothing for other verdicts or
 *  a dry run (the webhook declares sideEffects None). NULL-safe. */
void dg_events_decision(dg_events_t *ev, const dg_review_t *rv, const dg_decision_t *d);

/** Append the Prometheus text of the Event metrics to @out. 0 or DG_ENOMEM. */
int dg_events_metrics(dg_events_t *ev, dg_buf_t *out);

#endif
