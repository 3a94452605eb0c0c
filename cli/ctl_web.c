/* cli/ctl_web.c: `driftctl console --web`: the operator console in a
 * browser, served from this machine with the operator's kubeconfig. The
 * page is the same embedded assets driftgate serves (console/); the API
 * answers from ctl_webapi.c. One polling thread answers one request at a
 * time, so the view needs no lock; an apply holds the others back, which on
 * a one-operator loopback console is what one wants.
 *
 * A browser page from anywhere can send requests to 127.0.0.1: the Host
 * header must name this listener (DNS rebinding), a POST must carry a JSON
 * content type (no simple cross-origin form) and an Origin of this
 * listener when it has one, and the reconcile a per-process token the page
 * got in a <meta> tag (readable only from this origin).
 * SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "assets.h"
#include "codec.h"
#include "ctl_web.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define MAX_BODY (64u << 10)
#define CSRF_HEADER "X-Driftctl-Token"
#define CSRF_MARK "@DG_CSRF@"

enum { O_WEB = 256, O_LISTEN, O_RELEASE, O_NS, O_BASELINE, O_LIVE, O_POLICY, O_BASELINE_NS,
       O_AUDIT_LOG };

static const ctl_opt_t opts[] = {
    {"web", 0, NULL, O_WEB, "serve the web console (this command)"},
    {"listen", 0, "ADDR", O_LISTEN, "where to serve it (default 127.0.0.1:8080; keep it on\n"
                                    "loopback)"},
    {"release", 0, "NAME", O_RELEASE, "online: the release, read with kubectl"},
    {"namespace", 'n', "NS", O_NS, "the release namespace"},
    {"baseline", 0, "FILE", O_BASELINE, "offline: the rendered release or its baseline ConfigMap"},
    {"live", 0, "FILE", O_LIVE, "offline: live evidence (kubectl get ... -o yaml)"},
    {"policy", 0, "FILE", O_POLICY, "DriftPolicy (default: the built-in policy)"},
    {"baseline-namespace", 0, "NS", O_BASELINE_NS, "where driftgate believes published "
                                                   "baselines\n(default driftgate-system)"},
    {"audit-log", 0, "FILE", O_AUDIT_LOG, "the API server's audit log for the timeline;\n"
                                          "repeatable (default: stages derived from the\n"
                                          "baseline and live state)"},
    CTL_KUBE_OPTS,
    {NULL, 0, NULL, 0, NULL},
};

const ctl_cmd_t ctl_web_cmd = {
    "console --web",
    "Usage: driftctl console --web [--listen ADDR] --release NAME -n NS [flags]   (online)\n"
    "       driftctl console --web [--listen ADDR] --baseline FILE --live FILE [flags]\n"
    "\n"
    "Serve the operator console in a browser: the release's context and state,\n"
    "the governed drift (desired vs live, who changed it), the drift simulator\n"
    "(driftgate's own verdict), the scenario timeline, the judged reconcile plan\n"
    "and, online, a confirmed apply with your kubeconfig, as `driftctl reconcile\n"
    "--apply` does. The same page driftgate serves read-only.\n",
    opts,
    "Stop it with Ctrl-C. Exit status: 0 when stopped, 1 on an error.\n",
};

typedef struct web {
    ctl_web_src_t src;
    const char *listen;
    char host[300];       /* what Host must say: "127.0.0.1:8080" */
    char alt_host[300];   /* "localhost:8080" on loopback, else "" */
    char token[65];       /* the reconcile's CSRF token */
    char *index;          /* index.html with the token in it */
    size_t index_len;
    char index_etag[80];
    ctl_view_t view;
} web_t;

/* ---- flags ------------------------------------------------------------------------------ */

static int parse_args(int argc, char **argv, web_t *w)
{
    ctl_args_t a = {argc, argv, 1, NULL};
    const char **logs;
    int c;

    while ((c = ctl_opts_next(&ctl_web_cmd, &a)) > 0) {
        switch (c) {
        case O_WEB: break;
        case O_LISTEN: w->listen = a.val; break;
        case O_RELEASE: w->src.release = a.val; break;
        case O_NS: w->src.ns = a.val; break;
        case O_BASELINE: w->src.baseline = a.val; break;
        case O_LIVE: w->src.live = a.val; break;
        case O_POLICY: w->src.policy = a.val; break;
        case O_BASELINE_NS: w->src.baseline_ns = a.val; break;
        case O_AUDIT_LOG:
            if ((logs = realloc(w->src.audit_logs, (w->src.naudit_logs + 1) * sizeof *logs)) == NULL)
                return ctl_usage_error("console", "out of memory");
            w->src.audit_logs = logs;
            logs[w->src.naudit_logs++] = a.val;
            break;
        default: (void)ctl_kube_opt(&w->src.kube, c, a.val); break;
        }
    }
    if (c < 0)
        return CTL_ERROR;
    if ((w->src.baseline == NULL) != (w->src.live == NULL))
        return ctl_usage_error("console", "--baseline and --live go together (offline)");
    if (w->src.baseline == NULL && (w->src.release == NULL || w->src.ns == NULL))
        return ctl_usage_error("console", "give --release NAME -n NS (online), or --baseline FILE "
                                          "--live FILE (offline)");
    if (ctl_stdio(w->src.baseline) || ctl_stdio(w->src.live) || ctl_stdio(w->src.policy))
        return ctl_usage_error("console", "the web console reads files again on refresh: '-' "
                                          "(stdin) is not taken");
    return 0;
}

/* ---- the listener ---------------------------------------------------------------------------- */

/* "127.0.0.1:8080" or "[::1]:8080" into @ss; the Host values it answers to. */
static int parse_listen(web_t *w, struct sockaddr_storage *ss, dg_err_t *err)
{
    const char *colon = strrchr(w->listen, ':');
    char host[128];
    char *end;
    long port;
    bool loop;

    memset(ss, 0, sizeof *ss);
    if (colon == NULL || colon == w->listen || (size_t)(colon - w->listen) >= sizeof host)
        return dg_err_set(err, DG_EINVAL, "--listen '%s': expected HOST:PORT", w->listen);
    port = strtol(colon + 1, &end, 10);
    if (*end || port <= 0 || port > 65535)
        return dg_err_set(err, DG_EINVAL, "--listen '%s': bad port", w->listen);
    snprintf(host, sizeof host, "%.*s", (int)(colon - w->listen), w->listen);
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

        host[strlen(host) - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
            return dg_err_set(err, DG_EINVAL, "--listen '%s': not an IP address", w->listen);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        loop = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;

        if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
            return dg_err_set(err, DG_EINVAL, "--listen '%s': not an IP address", w->listen);
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        loop = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    snprintf(w->host, sizeof w->host, "%s", w->listen);
    if (loop)
        snprintf(w->alt_host, sizeof w->alt_host, "localhost:%ld", port);
    else
        fprintf(stderr, "driftctl: warning: --listen %s is not loopback: anyone who reaches it "
                        "sees this release and can simulate\n", w->listen);
    return 0;
}

/* The per-process token, and index.html carrying it. */
static int make_index(web_t *w, dg_err_t *err)
{
    const dg_asset_t *a = dg_asset_find("/console/index.html");
    unsigned char rnd[32];
    FILE *f = fopen("/dev/urandom", "rb");
    const char *mark;
    char digest[72];
    size_t pre;

    if (f == NULL || fread(rnd, 1, sizeof rnd, f) != sizeof rnd) {
        if (f)
            fclose(f);
        return dg_err_set(err, DG_EIO, "cannot read /dev/urandom for the console's token");
    }
    fclose(f);
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(w->token + 2 * i, 3, "%02x", rnd[i]);
    mark = a ? strstr((const char *)a->data, CSRF_MARK) : NULL;
    if (mark == NULL)
        return dg_err_set(err, DG_EINVAL, "console/index.html has no %s mark", CSRF_MARK);
    pre = (size_t)(mark - (const char *)a->data);
    w->index_len = a->len - strlen(CSRF_MARK) + strlen(w->token);
    if ((w->index = malloc(w->index_len + 1)) == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    memcpy(w->index, a->data, pre);
    memcpy(w->index + pre, w->token, strlen(w->token));
    memcpy(w->index + pre + strlen(w->token), mark + strlen(CSRF_MARK),
           a->len - pre - strlen(CSRF_MARK) + 1);
    /* Its ETag, like the other assets': the first 128 bits of its SHA-256. */
    dg_codec_digest(w->index, w->index_len, digest);
    snprintf(w->index_etag, sizeof w->index_etag, "\"%.32s\"", digest + strlen("sha256:"));
    return 0;
}

/* ---- requests ------------------------------------------------------------------------------- */

typedef struct req {
    dg_buf_t body;
    bool too_big;
} req_t;

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* Every answer: no sniffing, no framing, no referrer, the page's CSP. */
static enum MHD_Result reply(struct MHD_Connection *c, int status, const char *type,
                            const void *data, size_t len, const char *etag,
                            const char *filename)
{
    struct MHD_Response *mr =
        MHD_create_response_from_buffer(len, (void *)(data ? data : ""), MHD_RESPMEM_MUST_COPY);
    char disp[160];
    enum MHD_Result ret;

    if (mr == NULL)
        return MHD_NO;
    MHD_add_response_header(mr, "Content-Type", type);
    MHD_add_response_header(mr, "Content-Security-Policy", DG_CONSOLE_CSP);
    MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(mr, "X-Frame-Options", "DENY");
    MHD_add_response_header(mr, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(mr, "Cache-Control", etag ? DG_CONSOLE_CACHE : "no-store");
    if (etag)
        MHD_add_response_header(mr, "ETag", etag);
    if (filename) {
        snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", filename);
        MHD_add_response_header(mr, "Content-Disposition", disp);
    }
    ret = MHD_queue_response(c, (unsigned)status, mr);
    MHD_destroy_response(mr);
    return ret;
}

static enum MHD_Result send_resp(struct MHD_Connection *c, ctl_web_resp_t *r)
{
    return reply(c, r->status, r->type ? r->type : "application/json", r->body.data, r->body.len,
                NULL, r->filename);
}

static enum MHD_Result send_error(struct MHD_Connection *c, int status, const char *msg)
{
    ctl_web_resp_t r = {0};
    enum MHD_Result ret;

    dg_buf_init(&r.body, 0);
    ctl_web_error(&r, status, "%s", msg);
    ret = send_resp(c, &r);
    dg_buf_free(&r.body);
    return ret;
}

static enum MHD_Result get_asset(web_t *w, struct MHD_Connection *c, const char *url)
{
    const dg_asset_t *a = dg_asset_find(url);
    bool index = a && strcmp(a->path, "/console/index.html") == 0;
    const char *etag = index ? w->index_etag : a ? a->etag : NULL;

    if (a == NULL)
        return send_error(c, 404, "no such page");
    if (dg_asset_fresh(header(c, "If-None-Match"), etag))
        return reply(c, 304, a->content_type, NULL, 0, etag, NULL);
    return reply(c, 200, a->content_type, index ? (const void *)w->index : a->data,
                index ? w->index_len : a->len, etag, NULL);
}

/* DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends Host:
 * evil.example. Only this listener's own names are answered. */
static bool host_ok(const web_t *w, struct MHD_Connection *c)
{
    const char *h = header(c, "Host");

    return h && (strcmp(h, w->host) == 0 || (w->alt_host[0] && strcmp(h, w->alt_host) == 0));
}

static bool origin_ok(const web_t *w, struct MHD_Connection *c)
{
    const char *o = header(c, "Origin");

    if (o == NULL) /* not sent by a browser's cross-origin POST: those always carry it */
        return true;
    return strncmp(o, "http://", 7) == 0 &&
           (strcmp(o + 7, w->host) == 0 || (w->alt_host[0] && strcmp(o + 7, w->alt_host) == 0));
}

/* The token compared in constant time: how long a wrong guess took says
 * nothing about how much of it was right. */
static bool token_ok(const web_t *w, const char *tok)
{
    size_t n = strlen(w->token);
    unsigned char diff = 0;

    if (tok == NULL || strlen(tok) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(tok[i] ^ w->token[i]);
    return diff == 0;
}

static bool is_json(const char *ct)
{
    size_t n = strlen("application/json");

    return ct && strncasecmp(ct, "application/json", n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static enum MHD_Result post(web_t *w, struct MHD_Connection *c, const char *url, req_t *rq)
{
    const char *tok = header(c, CSRF_HEADER);
    ctl_web_resp_t r = {0};
    enum MHD_Result ret;
    bool sim = strcmp(url, "/api/v1/simulate") == 0;

    if (!sim && strcmp(url, "/api/v1/reconcile") != 0)
        return send_error(c, 405, "only GET is accepted here");
    if (!origin_ok(w, c))
        return send_error(c, 403, "cross-origin request refused");
    if (!is_json(header(c, "Content-Type")))
        return send_error(c, 415, "Content-Type must be application/json");
    if (rq->too_big)
        return send_error(c, 413, "body too large (64 KiB at most)");
    if (!sim && !token_ok(w, tok))
        return send_error(c, 403, "missing or wrong " CSRF_HEADER " (reload the console)");
    dg_buf_init(&r.body, 0);
    if (sim)
        ctl_webapi_simulate(&w->view, rq->body.data ? rq->body.data : "", rq->body.len, &r);
    else
        ctl_webapi_reconcile(&w->view, rq->body.data ? rq->body.data : "", rq->body.len, &r);
    ret = send_resp(c, &r);
    dg_buf_free(&r.body);
    return ret;
}

static enum MHD_Result get(web_t *w, struct MHD_Connection *c, const char *url)
{
    const char *refresh = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "refresh");
    ctl_web_resp_t r = {0};
    enum MHD_Result ret;

    if (strncmp(url, "/api/", 5) != 0)
        return get_asset(w, c, url);
    if (refresh && strcmp(refresh, "1") == 0) {
        ctl_view_free(&w->view);
        if (ctl_view_load(&w->view, &w->src) != 0)
            return send_error(c, 500, "out of memory");
    }
    dg_buf_init(&r.body, 0);
    ctl_webapi_get(&w->view, url, &r);
    ret = send_resp(c, &r);
    dg_buf_free(&r.body);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    web_t *w = cls;
    req_t *rq = *con_cls;

    (void)version;
    if (rq == NULL) {
        if ((rq = calloc(1, sizeof *rq)) == NULL)
            return MHD_NO;
        dg_buf_init(&rq->body, MAX_BODY);
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rq->too_big && dg_buf_append(&rq->body, upload, *upload_size) != 0)
            rq->too_big = true; /* keep reading; the answer says why */
        *upload_size = 0;
        return MHD_YES;
    }
    if (!host_ok(w, c))
        return send_error(c, 421, "this console answers only to its own address (Host)");
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
        return get(w, c, url);
    if (strcmp(method, "POST") == 0)
        return post(w, c, url, rq);
    return send_error(c, 405, "method not allowed");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    req_t *rq = *con_cls;

    (void)cls, (void)c, (void)toe;
    if (rq) {
        dg_buf_free(&rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

/* ---- running ---------------------------------------------------------------------------------- */

static int serve(web_t *w, dg_err_t *err)
{
    struct sockaddr_storage ss;
    struct MHD_Daemon *d;
    sigset_t set;
    int sig, rc;

    if ((rc = parse_listen(w, &ss, err)) != 0 || (rc = make_index(w, err)) != 0)
        return rc;
    if ((rc = ctl_view_load(&w->view, &w->src)) != 0)
        return dg_err_set(err, rc, "out of memory");
    /* Block the stop signals before the polling thread starts, so it
     * inherits the mask and sigwait() below receives them. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
                             (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
                         0, NULL, NULL, on_request, w, MHD_OPTION_SOCK_ADDR, &ss,
                         MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_NOTIFY_COMPLETED,
                         on_completed, w, MHD_OPTION_END);
    if (d == NULL)
        return dg_err_set(err, DG_EIO, "cannot listen on %s (address in use?)", w->listen);
    fprintf(stderr, "driftctl console: serving http://%s/console/ (%s); Ctrl-C to stop\n",
            w->host, w->view.error[0] ? w->view.error : "state ok");
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}

int ctl_console_web(int argc, char **argv)
{
    web_t w = {.listen = DEFAULT_LISTEN};
    dg_err_t err = {0};
    int rc;

    if (parse_args(argc, argv, &w)) {
        free(w.src.audit_logs);
        return CTL_ERROR;
    }
    rc = ctl_finish(serve(&w, &err), &err, NULL, CTL_OK);
    ctl_view_free(&w.view);
    free(w.index);
    free(w.src.audit_logs);
    return rc;
}
