/* webhook/http.c: libmicrohttpd with its GnuTLS back end; a thread pool
 * polls with epoll. /validate is judged on the polling thread, which costs
 * no suspend, queue, wake-up and resume per request; only a decision that
 * needs the re-read before a denial goes to a pool of workers while its
 * connection is suspended, because that re-read waits on the API server
 * and would stall every connection sharing the polling thread. /audit has
 * a worker of its own, so a large batch of audit events never waits in
 * front of a review, nor on a polling thread.
 * SPDX-License-Identifier: Apache-2.0 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "assets.h"
#include "log.h"
#include "metrics.h"
#include "report.h"
#include "tls.h"

/* Per-request state, from the first callback to the completion notice. */
typedef struct conn_req {
    struct conn_req *next;     /* in the workers' queue */
    struct MHD_Connection *conn;
    dg_http_req_t req;         /* for the worker; strings owned by libmicrohttpd */
    dg_http_resp_t resp;       /* the worker's answer */
    enum { FRESH, JUDGING, JUDGED } state;
    bool suspended;            /* counted in h->suspended until taken back */
    dg_buf_t body;
    size_t reserved;           /* bytes counted in gate->inflight_body */
    bool too_big, over_budget;
    int early_status; /* refused before the body was read: the code */
    char early_msg[200];
} conn_req_t;

/* Suspended connections waiting for a worker, and the workers. */
typedef struct queue {
    dg_gate_t *gate;
    pthread_mutex_t mu;
    pthread_cond_t work;
    conn_req_t *head, *tail;
    bool stopping;
    pthread_t *workers;
    unsigned nworkers;
} queue_t;

struct dg_http {
    struct MHD_Daemon *mhd;
    dg_gate_t *gate;
    dg_role_t role;
    queue_t judge; /* /validate */
    queue_t audit; /* /audit */
    atomic_bool closing;  /* quiesced: each answer closes its connection */
    atomic_uint suspended; /* connections a worker has or had, not yet taken back */
};

void dg_http_error(dg_http_resp_t *resp, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    resp->status = status;
    resp->content_type = "application/json";
    if (dg_report_status(status, msg, &resp->body) != 0)
        resp->body.len = 0;
}

/* The console listener serves a page: the page's CSP, no sniffing, no
 * framing, on every answer (an API answer opened directly included). */
static void console_headers(struct MHD_Response *mr, const dg_http_resp_t *r)
{
    char disp[160];

    MHD_add_response_header(mr, "Content-Security-Policy", DG_CONSOLE_CSP);
    MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(mr, "X-Frame-Options", "DENY");
    MHD_add_response_header(mr, "Referrer-Policy", "no-referrer");
    if (r->etag)
        MHD_add_response_header(mr, "ETag", r->etag);
    if (r->filename) {
        snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", r->filename);
        MHD_add_response_header(mr, "Content-Disposition", disp);
    }
}

static enum MHD_Result send_resp(dg_http_t *h, struct MHD_Connection *conn, dg_http_resp_t *r)
{
    struct MHD_Response *mr;
    enum MHD_Result ret;

    mr = MHD_create_response_from_buffer(r->body.len, r->body.data ? r->body.data : (void *)"",
                                         MHD_RESPMEM_MUST_COPY);
    if (mr == NULL)
        return MHD_NO;
    MHD_add_response_header(mr, "Content-Type", r->content_type ? r->content_type : "text/plain");
    MHD_add_response_header(mr, "Cache-Control", r->etag ? DG_CONSOLE_CACHE : "no-store");
    if (h->role == DG_ROLE_CONSOLE)
        console_headers(mr, r);
    /* Draining: a kept-alive client would otherwise go on sending here. */
    if (atomic_load(&h->closing))
        MHD_add_response_header(mr, "Connection", "close");
    if (r->status >= 400 && r->status != 404 && r->status != 403)
        dg_metrics_rejected(h->gate->metrics, r->status);
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

/* Count @n more body bytes against --max-inflight-bytes: every connection's
 * bodies together, so many large bodies at once cannot exhaust memory. */
static bool reserve(dg_http_t *h, conn_req_t *cr, size_t n)
{
    size_t cur = atomic_load(&h->gate->inflight_body);

    do {
        if (cur + n > h->gate->cfg->max_inflight_body)
            return false;
    } while (!atomic_compare_exchange_weak(&h->gate->inflight_body, &cur, cur + n));
    cr->reserved += n;
    return true;
}

bool dg_http_is_upload(dg_role_t role, const char *path)
{
    if (role == DG_ROLE_CONSOLE)
        return strcmp(path, "/api/v1/simulate") == 0;
    return role == DG_ROLE_WEBHOOK && (strcmp(path, "/validate") == 0 || strcmp(path, "/audit") == 0);
}

/* First call for a request: can it be refused before reading the body? */
static void precheck(dg_http_t *h, struct MHD_Connection *conn, const char *url,
                     const char *method, conn_req_t *cr)
{
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    const union MHD_ConnectionInfo *ci;
    int status = 0;

    if (h->role == DG_ROLE_WEBHOOK && dg_tls_client_ca_pem(h->gate->tls) &&
        strcmp(url, "/healthz") != 0 && strcmp(url, "/readyz") != 0) {
        ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        if (ci == NULL || !dg_tls_client_verified(h->gate->tls, ci->tls_session)) {
            cr->early_status = 401;
            snprintf(cr->early_msg, sizeof cr->early_msg,
                     "a client certificate from --client-ca, for client authentication, "
                     "with an allowed name, is required");
            return;
        }
    }
    if (!dg_http_is_upload(h->role, url))
        return;
    if (strcmp(method, "POST") != 0) {
        status = 405;
        snprintf(cr->early_msg, sizeof cr->early_msg, "%s %s: only POST is accepted", method,
                 url);
    } else if (!is_json_type(ct)) {
        status = 415;
        snprintf(cr->early_msg, sizeof cr->early_msg,
                 "Content-Type '%s' is not application/json", ct ? ct : "(none)");
    } else if (cl && strtoull(cl, NULL, 10) > h->gate->cfg->max_body) {
        status = 413;
        snprintf(cr->early_msg, sizeof cr->early_msg,
                 "body of %s bytes is larger than --max-body-bytes %zu", cl,
                 h->gate->cfg->max_body);
    } else if (cl && !reserve(h, cr, (size_t)strtoull(cl, NULL, 10))) {
        status = 503;
        snprintf(cr->early_msg, sizeof cr->early_msg, "%s",
                 "too many request bodies in flight (--max-inflight-bytes); retry");
    }
    cr->early_status = status;
}

/* Hand a complete upload to @q's workers; its connection sleeps meanwhile.
 * False once they are stopping: nobody would resume it, and
 * MHD_stop_daemon aborts on a connection still suspended. */
static bool enqueue(dg_http_t *h, queue_t *q, conn_req_t *cr)
{
    pthread_mutex_lock(&q->mu);
    if (q->stopping) {
        pthread_mutex_unlock(&q->mu);
        return false;
    }
    cr->state = JUDGING;
    cr->suspended = true;
    atomic_fetch_add(&h->suspended, 1);
    MHD_suspend_connection(cr->conn);
    cr->next = NULL;
    if (q->tail)
        q->tail->next = cr;
    else
        q->head = cr;
    q->tail = cr;
    pthread_cond_signal(&q->work);
    pthread_mutex_unlock(&q->mu);
    return true;
}

/* The polling thread has the connection back (or it is gone). */
static void taken_back(dg_http_t *h, conn_req_t *cr)
{
    if (cr->suspended)
        atomic_fetch_sub(&h->suspended, 1);
    cr->suspended = false;
}

/* A complete /validate or /audit: judge /validate here unless it needs the
 * re-read that waits; /audit always goes to its worker. True when the
 * connection was handed to a worker, which resumes it. */
static bool judge_or_hand_off(dg_http_t *h, struct MHD_Connection *conn, conn_req_t *cr)
{
    bool audit = strcmp(cr->req.path, "/audit") == 0;

    if (!audit) {
        cr->req.polling = true;
        dg_api_handle(h->gate, &cr->req, &cr->resp);
        cr->req.polling = false;
        if (!cr->resp.to_worker)
            return false;
        cr->resp.to_worker = false;
    }
    cr->conn = conn;
    if (enqueue(h, audit ? &h->audit : &h->judge, cr))
        return true;
    /* Stopping, no worker left: judge here, waiting if need be. */
    dg_api_handle(h->gate, &cr->req, &cr->resp);
    return false;
}

static void *run_worker(void *arg)
{
    queue_t *q = arg;
    dg_arena_t arena; /* one per worker: a request's decoded body, reused */

    dg_arena_init(&arena, 64 << 10);

    pthread_mutex_lock(&q->mu);
    for (;;) {
        conn_req_t *cr;

        while (q->head == NULL && !q->stopping)
            pthread_cond_wait(&q->work, &q->mu);
        if ((cr = q->head) == NULL)
            break;
        if ((q->head = cr->next) == NULL)
            q->tail = NULL;
        pthread_mutex_unlock(&q->mu);
        cr->req.arena = &arena;
        dg_api_handle(q->gate, &cr->req, &cr->resp);
        cr->req.arena = NULL;
        dg_arena_reset(&arena);
        cr->state = JUDGED;
        MHD_resume_connection(cr->conn);
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    dg_arena_free(&arena);
    return NULL;
}

/* Keep reading what cannot be stored: the answer goes out after. */
static void take_upload(dg_http_t *h, conn_req_t *cr, const char *upload, size_t n)
{
    if (cr->early_status || cr->too_big || cr->over_budget)
        return;
    if (cr->body.len + n > h->gate->cfg->max_body)
        cr->too_big = true;
    else if (cr->body.len + n > cr->reserved && !reserve(h, cr, cr->body.len + n - cr->reserved))
        cr->over_budget = true; /* chunked: no Content-Length to reserve up front */
    else if (dg_buf_append(&cr->body, upload, n) != 0)
        cr->too_big = true;
}

static const char *arg(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    dg_http_t *h = cls;
    conn_req_t *cr = *con_cls;

    (void)version;
    if (cr == NULL) {
        if ((cr = calloc(1, sizeof *cr)) == NULL)
            return MHD_NO;
        dg_buf_init(&cr->body, 0);
        dg_buf_init(&cr->resp.body, 0);
        cr->resp.status = 500;
        *con_cls = cr;
        h->gate->inflight++;
        precheck(h, conn, url, method, cr);
        return MHD_YES;
    }
    if (*upload_size) {
        take_upload(h, cr, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (cr->state == JUDGING)
        return MHD_YES; /* the worker resumes the connection once it has judged */
    taken_back(h, cr);
    if (cr->state == FRESH) {
        cr->req = (dg_http_req_t){h->role, method, url, arg(conn, "timeout"), arg(conn, "namespace"),
                                  arg(conn, "release"), arg(conn, "object"),
                                  cr->body.data ? cr->body.data : "", cr->body.len,
                                  MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                              "If-None-Match"),
                                  NULL, false};
        if (cr->early_status)
            dg_http_error(&cr->resp, cr->early_status, "%s", cr->early_msg);
        else if (cr->too_big)
            dg_http_error(&cr->resp, 413, "body is larger than --max-body-bytes %zu",
                          h->gate->cfg->max_body);
        else if (cr->over_budget)
            dg_http_error(&cr->resp, 503, "%s",
                          "too many request bodies in flight (--max-inflight-bytes); retry");
        else if (h->role == DG_ROLE_WEBHOOK && dg_http_is_upload(h->role, url)) {
            if (judge_or_hand_off(h, conn, cr))
                return MHD_YES;
        } else
            dg_api_handle(h->gate, &cr->req, &cr->resp);
    }
    return send_resp(h, conn, &cr->resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    dg_http_t *h = cls;
    conn_req_t *cr = *con_cls;

    (void)conn;
    if (cr == NULL)
        return;
    taken_back(h, cr);
    if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED)
        dg_log(h->gate->log, DG_LOG_WARN,
               "request dropped: the client stalled past the request timeout",
               json_pack("{s:I}", "bytes_received", (json_int_t)cr->body.len));
    if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED)
        dg_metrics_rejected(h->gate->metrics, 408);
    atomic_fetch_sub(&h->gate->inflight_body, cr->reserved);
    dg_buf_free(&cr->body);
    dg_buf_free(&cr->resp.body);
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
    dg_http_t *h = cls;
    char msg[512];
    size_t n;

    vsnprintf(msg, sizeof msg, fmt, ap);
    n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    dg_log(h->gate->log, DG_LOG_DEBUG, msg, json_pack("{s:s}", "component", "libmicrohttpd"));
}

/* The listening socket is ours, not libmicrohttpd's: an address in use is
 * then an error that says so (never SO_REUSEPORT, which would let a second
 * driftgate split the traffic), and an IPv6 "any" also takes IPv4. */
static int listen_on(const char *addr, int *fd, dg_err_t *err)
{
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    bool any;
    int one = 1, zero = 0, rc, s;

    if ((rc = parse_listen(addr, &ss, &sslen, &any, err)) != 0)
        return rc;
    if ((s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return dg_err_set(err, DG_EIO, "%s: socket: %s", addr, strerror(errno));
    /* SO_REUSEADDR only lets a restart bind past TIME_WAIT; Linux still
     * refuses a second listener. */
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6)
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (bind(s, (struct sockaddr *)&ss, sslen) != 0 || listen(s, 1024) != 0) {
        int e = errno;

        close(s);
        return dg_err_set(err, DG_EIO, "cannot listen on %s: %s", addr,
                          e == EADDRINUSE ? "address in use (is another driftgate running?)"
                                          : strerror(e));
    }
    *fd = s;
    return 0;
}

static void queue_init(queue_t *q, dg_gate_t *gate)
{
    q->gate = gate;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->work, NULL);
}

static int start_workers(queue_t *q, unsigned n, dg_err_t *err)
{
    if ((q->workers = calloc(n, sizeof *q->workers)) == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    for (; q->nworkers < n; q->nworkers++)
        if (pthread_create(&q->workers[q->nworkers], NULL, run_worker, q) != 0)
            return dg_err_set(err, DG_EIO, "cannot start worker threads");
    return 0;
}

static void stop_workers(queue_t *q)
{
    pthread_mutex_lock(&q->mu);
    q->stopping = true;
    pthread_cond_broadcast(&q->work);
    pthread_mutex_unlock(&q->mu);
    for (unsigned i = 0; i < q->nworkers; i++)
        pthread_join(q->workers[i], NULL); /* queued work is judged first */
    free(q->workers);
    q->workers = NULL;
    q->nworkers = 0;
    pthread_cond_destroy(&q->work);
    pthread_mutex_destroy(&q->mu);
}

/* MHD_stop_daemon aborts the process while a connection is suspended:
 * wait until the polling threads have taken back every connection the
 * (joined) workers resumed. */
static void wait_taken_back(dg_http_t *h)
{
    struct timespec tick = {0, 10 * 1000 * 1000};

    while (atomic_load(&h->suspended) > 0)
        nanosleep(&tick, NULL);
}

static void http_free(dg_http_t *h)
{
    stop_workers(&h->judge);
    stop_workers(&h->audit);
    wait_taken_back(h);
    if (h->mhd)
        MHD_stop_daemon(h->mhd);
    free(h);
}

/* ---- TLS: the gate's certificate, found from the handshake --------------------------------- */

/* Each connection's socket context is its dg_http_t. MHD calls this before
 * the connection is polled, so before a byte of its handshake is read. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)conn;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        *socket_context = cls;
}

/* MHD_OPTION_HTTPS_CERT_CALLBACK is GnuTLS's callback, which carries no
 * pointer of ours. MHD sets each session's pointer to its connection
 * (gnutls_session_set_ptr in daemon.c, from 0.9.75 to today), whose socket
 * context on_connection() set: the gate, without a global. Anything else
 * fails the handshake rather than serving a wrong certificate. */
static int cert_callback(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
                         const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                         gnutls_pcert_st **pcert, unsigned int *pcert_length,
                         gnutls_privkey_t *privkey)
{
    struct MHD_Connection *conn = gnutls_session_get_ptr(session);
    const union MHD_ConnectionInfo *ci =
        conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT) : NULL;
    dg_http_t *h = ci ? ci->socket_context : NULL;

    (void)req_ca_dn, (void)nreqs, (void)pk_algos, (void)pk_algos_length;
    if (h == NULL || h->gate->tls == NULL)
        return -1;
    dg_tls_current(h->gate->tls, pcert, pcert_length, privkey);
    return 0;
}

static struct MHD_Daemon *start_mhd(dg_http_t *h, int fd)
{
    const dg_gate_cfg_t *cfg = h->gate->cfg;
    bool tls = h->role == DG_ROLE_WEBHOOK;
    const char *ca = tls ? dg_tls_client_ca_pem(h->gate->tls) : NULL;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME | (tls ? MHD_USE_TLS : 0);
    /* An MHD_OptionItem carries a callback as void *: POSIX (dlsym) makes
     * that conversion good; ISO C does not promise it, and -Wpedantic says so. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)DG_TLS_PRIORITIES},
        {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)cert_callback},
        {ca ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, (void *)ca},
        {MHD_OPTION_END, 0, NULL},
    };
#pragma GCC diagnostic pop
    /* The console and metrics are light: two polling threads are plenty.
     * One thread is no pool at all (0): libmicrohttpd warns of a pool of one. */
    unsigned threads = tls ? cfg->threads : 2;

    /* The logger first: what libmicrohttpd says while reading the options
     * that follow is a log line too, never raw text on stderr. */
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0u,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->request_timeout_s, MHD_OPTION_CONNECTION_LIMIT, 4096u,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_conns_per_ip, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, h, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
        tls ? MHD_OPTION_ARRAY : MHD_OPTION_END, tls_opts, MHD_OPTION_END);
}

int dg_http_start(dg_gate_t *gate, dg_role_t role, const char *addr, dg_http_t **out,
                  dg_err_t *err)
{
    dg_http_t *h;
    int fd = -1, rc;

    if ((rc = listen_on(addr, &fd, err)) != 0)
        return rc;
    if ((h = calloc(1, sizeof *h)) == NULL) {
        close(fd);
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    }
    h->gate = gate;
    h->role = role;
    queue_init(&h->judge, gate);
    queue_init(&h->audit, gate);
    /* One audit worker: the timelines classify one batch at a time anyway. */
    if (role == DG_ROLE_WEBHOOK && ((rc = start_workers(&h->judge, gate->cfg->threads, err)) != 0 ||
                                    (rc = start_workers(&h->audit, 1, err)) != 0)) {
        close(fd);
        http_free(h);
        return rc;
    }
    if ((h->mhd = start_mhd(h, fd)) == NULL) {
        close(fd);
        http_free(h);
        return dg_err_set(err, DG_EIO, "cannot serve on %s (TLS setup failed)", addr);
    }
    *out = h;
    return 0;
}

void dg_http_quiesce(dg_http_t *h)
{
    MHD_socket lsock;

    if (h == NULL || h->mhd == NULL)
        return;
    atomic_store(&h->closing, true);
    lsock = MHD_quiesce_daemon(h->mhd); /* no new connections from here on */
    if (lsock != MHD_INVALID_SOCKET)
        close(lsock);
}

void dg_http_stop(dg_http_t **http, unsigned grace_s)
{
    dg_http_t *h = http ? *http : NULL;
    struct timespec tick = {0, 10 * 1000 * 1000};

    if (h == NULL)
        return;
    dg_http_quiesce(h);
    for (unsigned i = 0; i < grace_s * 100 && h->gate->inflight > 0; i++)
        nanosleep(&tick, NULL);
    http_free(h);
    *http = NULL;
}
