/* webhook/http.c: libmicrohttpd with its GnuTLS back end; a thread pool
 * polls with epoll. SPDX-License-Identifier: Apache-2.0 */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "log.h"
#include "metrics.h"
#include "tls.h"

struct dg_http {
    struct MHD_Daemon *mhd;
    dg_gate_t *gate;
};

/* Per-request state, from the first callback to the completion notice. */
typedef struct conn_req {
    dg_buf_t body;
    bool too_big;
    int early_status; /* refused before the body was read: the code */
    char early_msg[200];
} conn_req_t;

void dg_http_error(dg_http_resp_t *resp, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    json_t *st;
    char *text;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Messages can quote the request; a JSON string must be valid UTF-8, and
     * a Status with no body would leave the caller guessing. */
    if ((st = json_string(msg)) == NULL)
        for (char *c = msg; *c; c++)
            if ((unsigned char)*c >= 0x80)
                *c = '?';
    json_decref(st);
    resp->status = status;
    resp->content_type = "application/json";
    st = json_pack("{s:s, s:s, s:{}, s:s, s:s, s:i}", "kind", "Status", "apiVersion", "v1",
                   "metadata", "status", "Failure", "message", msg, "code", status);
    text = st ? json_dumps(st, JSON_COMPACT) : NULL;
    dg_buf_reset(&resp->body);
    if (text == NULL || dg_buf_puts(&resp->body, text) != 0 || dg_buf_puts(&resp->body, "\n"))
        resp->body.len = 0;
    free(text);
    json_decref(st);
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, dg_http_resp_t *r)
{
    struct MHD_Response *mr;
    enum MHD_Result ret;

    mr = MHD_create_response_from_buffer(r->body.len, r->body.data ? r->body.data : (void *)"",
                                         MHD_RESPMEM_MUST_COPY);
    if (mr == NULL)
        return MHD_NO;
    MHD_add_response_header(mr, "Content-Type", r->content_type ? r->content_type : "text/plain");
    MHD_add_response_header(mr, "Cache-Control", "no-store");
    if (r->status >= 400 && r->status != 404 && r->status != 403)
        dg_metrics_rejected(r->status);
    ret = MHD_queue_response(conn, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    return ret;
}

static bool is_json_type(const char *ct)
{
    size_t n = strlen("application/json");

    return ct && strncasecmp(ct, "application/json", n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* First call for a request: can it be refused before reading the body? */
static void precheck(dg_http_t *h, struct MHD_Connection *conn, const char *url,
                     const char *method, conn_req_t *cr)
{
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    const union MHD_ConnectionInfo *ci;
    int status = 0;

    if (dg_tls_client_ca_pem() && strcmp(url, "/healthz") != 0 && strcmp(url, "/readyz") != 0) {
        ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        if (ci == NULL || !dg_tls_client_verified(ci->tls_session)) {
            cr->early_status = 401;
            snprintf(cr->early_msg, sizeof cr->early_msg,
                     "a client certificate signed by the configured --client-ca is required");
            return;
        }
    }
    if (strcmp(url, "/validate") != 0)
        return;
    if (strcmp(method, "POST") != 0) {
        status = 405;
        snprintf(cr->early_msg, sizeof cr->early_msg, "%s /validate: only POST is accepted",
                 method);
    } else if (!is_json_type(ct)) {
        status = 415;
        snprintf(cr->early_msg, sizeof cr->early_msg,
                 "Content-Type '%s' is not application/json", ct ? ct : "(none)");
    } else if (cl && strtoull(cl, NULL, 10) > h->gate->cfg->max_body) {
        status = 413;
        snprintf(cr->early_msg, sizeof cr->early_msg,
                 "body of %s bytes is larger than --max-body-bytes %zu", cl,
                 h->gate->cfg->max_body);
    }
    cr->early_status = status;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    dg_http_t *h = cls;
    conn_req_t *cr = *con_cls;
    dg_http_resp_t resp = {.status = 500};
    dg_http_req_t req;
    enum MHD_Result ret;

    (void)version;
    if (cr == NULL) {
        if ((cr = calloc(1, sizeof *cr)) == NULL)
            return MHD_NO;
        dg_buf_init(&cr->body, 0);
        *con_cls = cr;
        h->gate->inflight++;
        precheck(h, conn, url, method, cr);
        return MHD_YES;
    }
    if (*upload_size) {
        /* Keep reading what cannot be stored: the answer goes out after. */
        if (!cr->early_status && !cr->too_big) {
            if (cr->body.len + *upload_size > h->gate->cfg->max_body ||
                dg_buf_append(&cr->body, upload, *upload_size) != 0)
                cr->too_big = true;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    dg_buf_init(&resp.body, 0);
    if (cr->early_status)
        dg_http_error(&resp, cr->early_status, "%s", cr->early_msg);
    else if (cr->too_big)
        dg_http_error(&resp, 413, "body is larger than --max-body-bytes %zu",
                      h->gate->cfg->max_body);
    else {
        req = (dg_http_req_t){method, url,
                              MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "timeout"),
                              cr->body.data ? cr->body.data : "", cr->body.len};
        dg_api_handle(h->gate, &req, &resp);
    }
    ret = send_resp(conn, &resp);
    dg_buf_free(&resp.body);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    dg_http_t *h = cls;
    conn_req_t *cr = *con_cls;

    (void)conn;
    if (cr == NULL)
        return;
    if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED)
        dg_log(DG_LOG_WARN, "request dropped: the client stalled past the request timeout",
               json_pack("{s:I}", "bytes_received", (json_int_t)cr->body.len));
    if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED)
        dg_metrics_rejected(408);
    dg_buf_free(&cr->body);
    free(cr);
    *con_cls = NULL;
    h->gate->inflight--;
}

/* "[::]:8443", "127.0.0.1:8443", ":8443", "0.0.0.0:8443". */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, bool *any,
                        dg_err_t *err)
{
    const char *colon = strrchr(s, ':');
    char host[128];
    long port;
    char *end;

    memset(ss, 0, sizeof *ss);
    if (colon == NULL || (size_t)(colon - s) >= sizeof host)
        return dg_err_set(err, DG_EINVAL, "--listen '%s': expected [HOST]:PORT", s);
    port = strtol(colon + 1, &end, 10);
    if (*end || port <= 0 || port > 65535)
        return dg_err_set(err, DG_EINVAL, "--listen '%s': bad port", s);
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    *any = host[0] == '\0' || strcmp(host, "::") == 0;
    if (*any || inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

        a->sin6_family = AF_INET6;
        if (*any)
            a->sin6_addr = in6addr_any;
        a->sin6_port = htons((uint16_t)port);
        *len = sizeof *a;
        return 0;
    }
    if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;

        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        *len = sizeof *a;
        return 0;
    }
    return dg_err_set(err, DG_EINVAL, "--listen '%s': '%s' is not an IP address", s, host);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) DG_VPRINTF(2);
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;

    (void)cls;
    vsnprintf(msg, sizeof msg, fmt, ap);
    n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    dg_log(DG_LOG_DEBUG, msg, json_pack("{s:s}", "component", "libmicrohttpd"));
}

int dg_http_start(dg_gate_t *gate, dg_http_t **out, dg_err_t *err)
{
    const dg_gate_cfg_t *cfg = gate->cfg;
    struct sockaddr_storage ss;
    socklen_t sslen;
    bool any;
    unsigned flags = MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    dg_http_t *h;
    int rc;

    if ((rc = parse_listen(cfg->listen, &ss, &sslen, &any, err)) != 0)
        return rc;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_DUAL_STACK;
    if ((h = calloc(1, sizeof *h)) == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    h->gate = gate;
    h->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_HTTPS_PRIORITIES, DG_TLS_PRIORITIES, MHD_OPTION_HTTPS_CERT_CALLBACK,
        dg_tls_cert_callback, MHD_OPTION_THREAD_POOL_SIZE, cfg->threads,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->request_timeout_s, MHD_OPTION_CONNECTION_LIMIT,
        4096u, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
        NULL, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
        dg_tls_client_ca_pem() ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END,
        dg_tls_client_ca_pem(), MHD_OPTION_END);
    if (h->mhd == NULL) {
        free(h);
        return dg_err_set(err, DG_EIO,
                          "cannot serve HTTPS on %s (address in use, or TLS setup failed)",
                          cfg->listen);
    }
    *out = h;
    return 0;
}

void dg_http_stop(dg_http_t **http, unsigned grace_s)
{
    dg_http_t *h = http ? *http : NULL;
    struct timespec tick = {0, 10 * 1000 * 1000};
    MHD_socket lsock;

    if (h == NULL)
        return;
    lsock = MHD_quiesce_daemon(h->mhd); /* no new connections from here on */
    if (lsock != MHD_INVALID_SOCKET)
        close(lsock);
    for (unsigned i = 0; i < grace_s * 100 && h->gate->inflight > 0; i++)
        nanosleep(&tick, NULL);
    MHD_stop_daemon(h->mhd);
    free(h);
    *http = NULL;
}
