/* webhook/http.h: the libmicrohttpd adapter: TLS listener, request
 * bodies (capped), method and content-type checks, graceful stop. Routes
 * are answered by api.c. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_HTTP_H
#define DG_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "gate.h"

typedef struct dg_http_req {
    const char *method;
    const char *path;      /* without the query */
    const char *timeout;   /* ?timeout= as the API server sends it ("10s"), or NULL */
    const char *body;
    size_t len;
} dg_http_req_t;

typedef struct dg_http_resp {
    int status;
    const char *content_type; /* static */
    dg_buf_t body;
} dg_http_resp_t;

typedef struct dg_http dg_http_t;

/** Listen on cfg->listen with TLS and serve until dg_http_stop(). */
int dg_http_start(dg_gate_t *gate, dg_http_t **out, dg_err_t *err);

/** Stop accepting, let in-flight requests finish (at most @grace_s
 *  seconds), then close everything. */
void dg_http_stop(dg_http_t **http, unsigned grace_s);

/** Fill @resp with a Kubernetes-style Status error body. */
void dg_http_error(dg_http_resp_t *resp, int status, const char *fmt, ...) DG_PRINTF(3, 4);

#endif
