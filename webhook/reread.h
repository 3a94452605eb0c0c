/* webhook/reread.h: the re-read of a Helm release before a denial, made
 * safe to call from many request threads at once: one time budget for the
 * whole re-read (never past the API server's own timeout), and concurrent
 * denials in one release share one re-read that started after they all
 * arrived, so a storm of denials costs one API request per release at a
 * time and Helm's own write, landed just before, is still seen.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_REREAD_H
#define DG_REREAD_H

#include "decide.h"
#include "err.h"
#include "metrics.h"

/* Left for the answer to travel back before the API server gives up. */
#define DG_REREAD_MARGIN_MS 1000

typedef struct dg_reread dg_reread_t;

/** Wrap @inner (the Kubernetes source's re-read; borrowed), giving each
 *  call at most @budget_ms, and count each outcome in @metrics (borrowed:
 *  must outlive @r). NULL when out of memory (@err says so). */
dg_reread_t *dg_reread_new(const dg_refresh_ops_t *inner, unsigned budget_ms,
                           dg_metrics_t *metrics, dg_err_t *err);

/** The ops for dg_decide_env_t.refresh; valid until dg_reread_free(). */
const dg_refresh_ops_t *dg_reread_ops(dg_reread_t *r);

/** The budget for a request that gives the API server's @timeout_ms (0 =
 *  not given): the smaller of the configured budget and the timeout less
 *  DG_REREAD_MARGIN_MS; 0 means no time to re-read. */
long dg_reread_budget_ms(unsigned budget_ms, long timeout_ms);

/** After every caller has returned. Safe on NULL. */
void dg_reread_free(dg_reread_t **r);

#endif
