/* webhook/http.h: the libmicrohttpd adapter: listeners (TLS for the
 * webhook), request bodies (capped per request and across requests),
 * connections per address, method and content-type checks, judging off
 * the polling threads, graceful stop. Routes are answered by api.c. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_HTTP_H
#define DG_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "gate.h"

/* What a listener serves: each role its own address, so the console and
 * the metrics are not exposed where the API server reaches the webhook. */
typedef enum dg_role {
    DG_ROLE_WEBHOOK, /* HTTPS: /validate, /healthz, /readyz */
    DG_ROLE_METRICS, /* HTTP: /metrics */
    DG_ROLE_CONSOLE, /* HTTP: the console, /api/v1/ */
} dg_role_t;

typedef struct dg_http_req {
    dg_role_t role;        /* the listener it came in on */
    const char *method;
    const char *path;      /* without the query */
    const char *timeout;   /* ?timeout= as the API server sends it ("10s"), or NULL */
    const char *ns, *release, *object; /* ?namespace=, ?release=, ?object=, or NULL */
    const char *body;
    size_t len;
    const char *if_none_match; /* the If-None-Match header, or NULL */
    dg_arena_t *arena;     /* NULL, or the worker's: reused for every request it
                            * judges, reset after each */
    bool polling;          /* judged on a polling thread: a re-read that would
                            * wait is not made; resp->to_worker is set instead */
} dg_http_req_t;

typedef struct dg_http_resp {
    int status;
    const char *content_type; /* static */
    dg_buf_t body;
    const char *etag;         /* static or NULL: a console asset, revalidated by ETag */
    const char *filename;     /* static or NULL: sent as an attachment of that name */
    bool to_worker;           /* nothing answered: judge it again off the polling thread */
} dg_http_resp_t;

typedef struct dg_http dg_http_t;

/** Listen on @addr ("[host]:port") for @role (TLS for the webhook) and
 *  serve until dg_http_stop(). An address in use is an error, never shared. */
int dg_http_start(dg_gate_t *gate, dg_role_t role, const char *addr, dg_http_t **out,
                  dg_err_t *err);

/** Stop accepting new connections; those open are still served. Safe on NULL. */
void dg_http_quiesce(dg_http_t *http);

/** Stop accepting, let in-flight requests finish (at most @grace_s
 *  seconds), then close everything. Safe on NULL. */
void dg_http_stop(dg_http_t **http, unsigned grace_s);

/** Whether @path on @role's listener takes a JSON body by POST (/validate,
 *  /audit; the console's /api/v1/simulate): those get the method,
 *  content-type and size checks. */
bool dg_http_is_upload(dg_role_t role, const char *path);

/** Fill @resp with a Kubernetes-style Status error body. */
void dg_http_error(dg_http_resp_t *resp, int status, const char *fmt, ...) DG_PRINTF(3, 4);

#endif
