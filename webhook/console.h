/* webhook/console.h: the operator console on driftgate's console
 * listener, read-only: the embedded assets (console/, the same files
 * driftctl console --web serves) and the console's own endpoints,
 * /api/v1/{context,plan,assets/NAME} and POST /api/v1/simulate, in the shapes
 * driftctl's host answers with (README "Console API").
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_CONSOLE_H
#define DG_CONSOLE_H

#include <stdbool.h>

#include "gate.h"
#include "http.h"

/** Answer GET @req->path when it is a console asset ("/", "/console/",
 *  "/console/app.js", ...): its bytes, type and ETag, or a 304 when the
 *  client's If-None-Match has it. Returns false when it is not one. */
bool dg_console_asset(const dg_http_req_t *req, dg_http_resp_t *resp);

/** GET /api/v1/context[?namespace=&release=]: the release shown (the one
 *  asked for, else the first), its state, source, objects; read-only. */
void dg_console_context(dg_gate_t *g, const dg_http_req_t *req, dg_http_resp_t *resp);

/** GET /api/v1/variances?namespace=&release=: one release's variances,
 *  each row with "target" (hpa/test-nginx); "total" null when drift is not
 *  known (no live state read, not synced). NULL without both parameters:
 *  the store-wide answer stands. Returns a new reference. */
json_t *dg_console_variances(dg_gate_t *g, const dg_http_req_t *req);

/** GET /api/v1/plan: what a reconcile would restore (from the continuous
 *  audit's variances) and the exact driftctl command that plans, judges
 *  and applies it; no apply here. */
void dg_console_plan(dg_gate_t *g, const dg_http_req_t *req, dg_http_resp_t *resp);

/** POST /api/v1/simulate: a proposed change judged by dg_decide() against
 *  the store's baselines (policy/simulate.c, as on driftctl's host). */
void dg_console_simulate(dg_gate_t *g, const dg_http_req_t *req, dg_http_resp_t *resp);

/** GET /api/v1/assets/{baseline,bundle}: the release's baseline objects
 *  (a List) and the evidence bundle; live and sarif are driftctl's. */
void dg_console_download(dg_gate_t *g, const dg_http_req_t *req, dg_http_resp_t *resp);

#endif
