/* webhook/metrics.h: driftgate's Prometheus metrics, lock-free counters
 * updated on the request path and rendered in text format on scrape.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_METRICS_H
#define DG_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "decide.h"

/** Count one judged request: its verdict, the code answered (200, 403,
 *  503) and the handler's latency in nanoseconds. */
void dg_metrics_decision(dg_verdict_t v, int code, uint64_t ns);

/** Count one request refused at the HTTP layer (400, 404, 405, 413, 415...). */
void dg_metrics_rejected(int http_code);

/** Count a re-read before a denial: one made (@shared false), or an
 *  answer taken from another request's re-read (@shared true). */
void dg_metrics_reread(bool shared);

void dg_metrics_set_baselines(long n);
void dg_metrics_set_variances(long n);
void dg_metrics_set_synced(int synced);
/* Baseline ConfigMaps outside the baseline namespace, ignored (DESIGN.md "Trust"). */
void dg_metrics_set_untrusted(long n);
/* Objects claimed by two releases. */
void dg_metrics_set_conflicts(long n);

/** Render everything, plus @cert_expiry_s (seconds until the serving
 *  certificate expires), into @out. Returns 0 or DG_ENOMEM. */
int dg_metrics_render(dg_buf_t *out, double cert_expiry_s);

#endif
