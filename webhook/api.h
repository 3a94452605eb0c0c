/* webhook/api.h: driftgate's routes: on the webhook listener POST
 * /validate, POST /audit, /healthz, /readyz; on the metrics listener
 * /metrics; on the console listener /api/v1/{releases,variances,decisions,
 * timeline}, the console's own endpoints and its assets (console.h).
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_API_H
#define DG_API_H

#include "gate.h"
#include "http.h"

/** Answer one request that came in on @req->role's listener (body
 *  complete, content type and size already checked). */
void dg_api_handle(dg_gate_t *gate, const dg_http_req_t *req, dg_http_resp_t *resp);

/** Parse the API server's ?timeout= ("10s", "500ms", "1m") into ms; 0 if absent or bad. */
long dg_api_timeout_ms(const char *s);


#endif
