/* webhook/kube_client.h: the Kubernetes API client: credentials from a
 * kubeconfig or the pod's service account, and GETs over libcurl, read
 * whole (LIST, GET) or a line at a time (WATCH), and the few writes
 * driftgate makes (its Events: POST, PATCH). libcurl's rule is that an
 * easy handle, and the connections it holds, belong to one thread at a
 * time: a connection (dg_kube_conn_t) is taken from the client's pool,
 * used by one thread, and given back. Only TLS sessions and DNS answers are
 * shared between handles, under locks. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_KUBE_CLIENT_H
#define DG_KUBE_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "gate.h"
#include "log.h"
#include "metrics.h"

typedef struct dg_kube_client dg_kube_client_t; /* opaque; shared by every thread */
typedef struct dg_kube_conn dg_kube_conn_t;     /* opaque; one thread at a time */

/** A client for g->cfg->kubeconfig (its current context) or, without one,
 *  the in-cluster service account, counting its requests in @metrics;
 *  @log is for its watches (both borrowed: must outlive the client).
 *  Returns NULL with @err set (unreadable kubeconfig, no server, not in a
 *  pod...). Free with dg_kube_client_free(). */
dg_kube_client_t *dg_kube_client_new(const dg_gate_cfg_t *cfg, dg_metrics_t *metrics,
                                     dg_log_t *log, dg_err_t *err);

/** The metrics and log @c was made with (borrowed): what its watches
 *  count in and log to. */
dg_metrics_t *dg_kube_client_metrics(const dg_kube_client_t *c);
dg_log_t *dg_kube_client_log(const dg_kube_client_t *c);

/** Make every transfer in progress, and every later one, fail at once:
 *  the first step of shutting down. Thread-safe. */
void dg_kube_client_stop(dg_kube_client_t *c);

/** Has dg_kube_client_stop() been called? */
bool dg_kube_client_stopping(const dg_kube_client_t *c);

/** Free the client and its idle connections; every connection must have
 *  been released. Sets *@c to NULL. NULL-safe. */
void dg_kube_client_free(dg_kube_client_t **c);

/** "https://host:port" (borrowed: lives as long as @c). */
const char *dg_kube_client_server(const dg_kube_client_t *c);

/** The pod's namespace, from the service account (in-cluster only), or
 *  NULL. Borrowed. */
const char *dg_kube_client_namespace(const dg_kube_client_t *c);

/** A connection of its own for the calling thread: an idle one from the
 *  pool, or a new one. NULL when out of memory. Give it back with
 *  dg_kube_client_release(); a watcher keeps one for its whole life. */
dg_kube_conn_t *dg_kube_client_acquire(dg_kube_client_t *c);

/** Give @conn back to the pool (kept warm for the next re-read, or freed
 *  when enough are idle). Sets *@conn to NULL. NULL-safe. */
void dg_kube_client_release(dg_kube_client_t *c, dg_kube_conn_t **conn);

typedef struct dg_kube_req {
    dg_kube_verb_t verb;  /* counted per verb; DG_KUBE_WATCH also arms the
                           * low-speed limit that bookmarks keep satisfied */
    long timeout_ms;      /* the whole transfer; 0 = none */
    size_t max_bytes;     /* cap on the body, or on one line when streaming */
    /* Streaming: called with each complete line of a 200 answer (one watch
     * event, without its newline); @more says another complete line is
     * already waiting (so work can wait for the last of a burst). Nonzero
     * stops the transfer. */
    int (*on_line)(void *ctx, const char *line, size_t len, bool more);
    void *ctx;
} dg_kube_req_t;

/** GET @path ("/api/v1/configmaps?labelSelector=...") on @conn. The body
 *  goes into @body (cleared first; what is left of it when streaming).
 *  Returns the HTTP status, or 0 when no answer came. @err is set unless
 *  the transfer completed with 200: "GET <path>: HTTP 403: <the server's
 *  message>", or "GET <path>: <transport error>" (a status may still be
 *  returned when a stream broke after its headers). */
long dg_kube_client_get(dg_kube_conn_t *conn, const char *path, const dg_kube_req_t *req,
                        dg_buf_t *body, dg_err_t *err);

/** A write: @method ("POST", "PATCH") @path with @len bytes of @data of
 *  content type @ctype (NULL = application/json; a merge patch is
 *  "application/merge-patch+json"). The answer goes into @body. Returns
 *  the HTTP status, or 0 when no answer came; @err is set unless it was
 *  2xx ("POST <path>: HTTP 409: <the server's message>"). */
long dg_kube_client_send(dg_kube_conn_t *conn, const char *method, const char *path,
                         const char *ctype, const char *data, size_t len, const dg_kube_req_t *req,
                         dg_buf_t *body, dg_err_t *err);

/** Append @s to @b percent-encoded for a query string (continue tokens,
 *  names in a labelSelector). Returns 0, DG_ENOMEM or DG_ETOOBIG. */
DG_MUST_CHECK int dg_kube_client_escape(dg_buf_t *b, const char *s);

/** An API server answer parsed, without the managedFields and status
 *  driftgate never reads (most of a cluster's bytes). New reference, or
 *  NULL with @err set. */
json_t *dg_kube_client_json(const char *data, size_t len, dg_err_t *err);

#endif
