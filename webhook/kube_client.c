/* webhook/kube_client.c: kubeconfig / service account, and libcurl GETs.
 * Each dg_kube_conn_t is one easy handle with its own connections, reused
 * across its requests; a pool keeps idle ones warm for the re-reads that
 * request threads make. SPDX-License-Identifier: Apache-2.0 */
#include "kube_client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "json.h"
#include "yaml.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define MAX_IDLE 4             /* warm connections kept for re-reads */
#define CONNECT_TIMEOUT_MS 5000L
/* A watch is dead, not quiet, after this long under 1 byte/s: the API
 * server sends a bookmark about once a minute on a healthy watch. */
#define WATCH_STALL_S 120L
/* TCP keepalive: a peer gone without a RST (a failed-over API server's
 * address) is noticed in about KEEPIDLE + 9 * KEEPINTVL seconds. */
#define KEEPIDLE_S 30L
#define KEEPINTVL_S 10L

struct dg_kube_conn {
    CURL *h;
    char errbuf[CURL_ERROR_SIZE]; /* libcurl's detail of the last failure */
    dg_kube_client_t *client;
    struct dg_kube_conn *next; /* in the idle list */
};

struct dg_kube_client {
    char *server;             /* "https://host:port", no trailing slash */
    dg_buf_t ca, cert, key;   /* PEM blobs; empty = unset */
    char *token, *token_file;
    char *ns;                 /* in-cluster: the pod's namespace; else NULL */
    bool insecure;
    atomic_bool stop;
    dg_metrics_t *metrics;    /* borrowed: the gate's; every request counts there */
    dg_log_t *log;            /* borrowed: the gate's, for the watches */
    /* TLS sessions and DNS answers, shared by every handle under locks:
     * a pooled handle resumes a TLS session instead of a full handshake
     * with client authentication on a request's clock. Connections are
     * not shared: libcurl does not support that between threads. */
    CURLSH *share;
    pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
    pthread_mutex_t pool_mu;
    dg_kube_conn_t *idle;
    int nidle;
};

/* ---- credentials ------------------------------------------------------------------ */

static int slurp(const char *path, dg_buf_t *out, dg_err_t *err)
{
    FILE *f = fopen(path, "rb");
    char chunk[4096];
    size_t n;

    if (f == NULL)
        return dg_err_set(err, DG_EIO, "%s: cannot read", path);
    dg_buf_reset(out);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (dg_buf_append(out, chunk, n) != 0) {
            fclose(f);
            return dg_err_set(err, DG_ENOMEM, "%s: out of memory", path);
        }
    fclose(f);
    return 0;
}

/* A kubeconfig field that is either inline base64 (-data) or a file path. */
static int blob(const json_t *obj, const char *data_key, const char *file_key, dg_buf_t *out,
                dg_err_t *err)
{
    const char *d = json_string_value(json_object_get(obj, data_key));
    const char *f = json_string_value(json_object_get(obj, file_key));
    char *raw;
    size_t len;
    int rc;

    if (d) {
        rc = dg_codec_base64_decode(d, strlen(d), &raw, &len, data_key, err);
        if (rc)
            return rc;
        dg_buf_reset(out);
        rc = dg_buf_append(out, raw, len);
        free(raw);
        return rc;
    }
    return f ? slurp(f, out, err) : 0;
}

static const json_t *named(const json_t *list, const char *name, const char *field)
{
    size_t i;
    json_t *e;

    json_array_foreach(list, i, e) {
        const char *n = json_string_value(json_object_get(e, "name"));

        if (n && name && strcmp(n, name) == 0)
            return json_object_get(e, field);
    }
    return NULL;
}

static char *dup_string(const json_t *s)
{
    return json_is_string(s) ? strdup(json_string_value(s)) : NULL;
}

static int from_kubeconfig(dg_kube_client_t *c, const char *path, dg_err_t *err)
{
    dg_buf_t text;
    dg_yaml_docs_t docs = {0};
    const json_t *root, *ctx, *cluster, *user;
    int rc;

    dg_buf_init(&text, 0);
    rc = slurp(path, &text, err);
    if (!rc)
        rc = dg_yaml_parse(text.data ? text.data : "", text.len, path, 0, 0, &docs, err);
    if (rc)
        goto out;
    root = docs.n ? docs.docs[0].root : NULL;
    ctx = named(json_object_get(root, "contexts"),
                json_string_value(json_object_get(root, "current-context")), "context");
    cluster = named(json_object_get(root, "clusters"),
                    json_string_value(json_object_get(ctx, "cluster")), "cluster");
    user = named(json_object_get(root, "users"), json_string_value(json_object_get(ctx, "user")),
                 "user");
    if (!json_is_string(json_object_get(cluster, "server"))) {
        rc = dg_err_set(err, DG_EINVAL, "%s: the current context names no cluster with a server",
                        path);
        goto out;
    }
    c->server = dup_string(json_object_get(cluster, "server"));
    c->insecure = json_is_true(json_object_get(cluster, "insecure-skip-tls-verify"));
    c->token = dup_string(json_object_get(user, "token"));
    c->token_file = dup_string(json_object_get(user, "tokenFile"));
    rc = blob(cluster, "certificate-authority-data", "certificate-authority", &c->ca, err);
    if (!rc)
        rc = blob(user, "client-certificate-data", "client-certificate", &c->cert, err);
    if (!rc)
        rc = blob(user, "client-key-data", "client-key", &c->key, err);
out:
    dg_yaml_docs_free(&docs);
    dg_buf_free(&text);
    return rc;
}

static int in_cluster(dg_kube_client_t *c, dg_err_t *err)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
    char url[300];
    dg_buf_t ns;

    if (host == NULL || port == NULL)
        return dg_err_set(err, DG_EINVAL,
                          "--in-cluster: KUBERNETES_SERVICE_HOST/PORT are not set (not in a pod?)");
    snprintf(url, sizeof url, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
    c->server = strdup(url);
    c->token_file = strdup(SA_DIR "/token");
    dg_buf_init(&ns, 0);
    if (slurp(SA_DIR "/namespace", &ns, NULL) == 0 && ns.len)
        c->ns = dg_buf_take(&ns);
    dg_buf_free(&ns);
    return slurp(SA_DIR "/ca.crt", &c->ca, err);
}

/* ---- the client ------------------------------------------------------------------- */

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *u)
{
    dg_kube_client_t *c = u;

    (void)h, (void)access;
    pthread_mutex_lock(&c->share_mu[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *u)
{
    dg_kube_client_t *c = u;

    (void)h;
    pthread_mutex_unlock(&c->share_mu[data]);
}

static void share_init(dg_kube_client_t *c)
{
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&c->share_mu[i], NULL);
    c->share = curl_share_init();
    if (c->share == NULL)
        return; /* every handle then keeps its own sessions: slower, still correct */
    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
}

dg_kube_client_t *dg_kube_client_new(const dg_gate_cfg_t *cfg, dg_metrics_t *metrics,
                                     dg_log_t *log, dg_err_t *err)
{
    dg_kube_client_t *c = calloc(1, sizeof *c);
    int rc;

    if (c == NULL) {
        dg_err_set(err, DG_ENOMEM, "out of memory");
        return NULL;
    }
    c->metrics = metrics;
    c->log = log;
    dg_buf_init(&c->ca, 0);
    dg_buf_init(&c->cert, 0);
    dg_buf_init(&c->key, 0);
    pthread_mutex_init(&c->pool_mu, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    share_init(c);
    rc = cfg->kubeconfig ? from_kubeconfig(c, cfg->kubeconfig, err) : in_cluster(c, err);
    if (!rc && c->server == NULL)
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    if (rc) {
        dg_kube_client_free(&c);
        return NULL;
    }
    while (c->server[0] && c->server[strlen(c->server) - 1] == '/')
        c->server[strlen(c->server) - 1] = '\0';
    return c;
}

dg_metrics_t *dg_kube_client_metrics(const dg_kube_client_t *c)
{
    return c->metrics;
}

dg_log_t *dg_kube_client_log(const dg_kube_client_t *c)
{
    return c->log;
}

void dg_kube_client_stop(dg_kube_client_t *c)
{
    atomic_store(&c->stop, true);
}

bool dg_kube_client_stopping(const dg_kube_client_t *c)
{
    return atomic_load(&c->stop);
}

static void conn_free(dg_kube_conn_t *conn)
{
    if (conn) {
        curl_easy_cleanup(conn->h);
        free(conn);
    }
}

void dg_kube_client_free(dg_kube_client_t **cp)
{
    dg_kube_client_t *c = cp ? *cp : NULL;

    if (c == NULL)
        return;
    while (c->idle) {
        dg_kube_conn_t *next = c->idle->next;

        conn_free(c->idle);
        c->idle = next;
    }
    curl_share_cleanup(c->share); /* after the handles that used it */
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&c->share_mu[i]);
    pthread_mutex_destroy(&c->pool_mu);
    free(c->server);
    free(c->token);
    free(c->token_file);
    free(c->ns);
    dg_buf_free(&c->ca);
    dg_buf_free(&c->cert);
    dg_buf_free(&c->key);
    free(c);
    curl_global_cleanup();
    *cp = NULL;
}

const char *dg_kube_client_server(const dg_kube_client_t *c)
{
    return c->server;
}

const char *dg_kube_client_namespace(const dg_kube_client_t *c)
{
    return c->ns;
}

/* ---- connections ------------------------------------------------------------------ */

static int on_progress(void *p, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    const dg_kube_client_t *cl = p;

    (void)a, (void)b, (void)c, (void)d;
    return atomic_load(&cl->stop) ? 1 : 0; /* aborts a blocking watch on shutdown */
}

/* What never changes between requests is set once per handle. */
static void conn_setup(dg_kube_client_t *c, CURL *h)
{
    struct curl_blob ca = {c->ca.data, c->ca.len, CURL_BLOB_NOCOPY};
    struct curl_blob cert = {c->cert.data, c->cert.len, CURL_BLOB_NOCOPY};
    struct curl_blob key = {c->key.data, c->key.len, CURL_BLOB_NOCOPY};

    if (c->share)
        curl_easy_setopt(h, CURLOPT_SHARE, c->share);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    /* The API server names the field manager of what driftgate writes
     * (its Events) after this: "driftgate", which their trust check reads. */
    curl_easy_setopt(h, CURLOPT_USERAGENT, "driftgate/0.1.0");
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, KEEPIDLE_S);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, KEEPINTVL_S);
    curl_easy_setopt(h, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
    if (c->ca.len)
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
    if (c->cert.len && c->key.len) {
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (c->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

dg_kube_conn_t *dg_kube_client_acquire(dg_kube_client_t *c)
{
    dg_kube_conn_t *conn;

    pthread_mutex_lock(&c->pool_mu);
    conn = c->idle;
    if (conn) {
        c->idle = conn->next;
        c->nidle--;
    }
    pthread_mutex_unlock(&c->pool_mu);
    if (conn)
        return conn;
    conn = calloc(1, sizeof *conn);
    if (conn == NULL || (conn->h = curl_easy_init()) == NULL) {
        free(conn);
        return NULL;
    }
    conn->client = c;
    conn_setup(c, conn->h);
    curl_easy_setopt(conn->h, CURLOPT_ERRORBUFFER, conn->errbuf);
    return conn;
}

void dg_kube_client_release(dg_kube_client_t *c, dg_kube_conn_t **connp)
{
    dg_kube_conn_t *conn = connp ? *connp : NULL;

    if (conn == NULL)
        return;
    *connp = NULL;
    pthread_mutex_lock(&c->pool_mu);
    if (c->nidle < MAX_IDLE) {
        conn->next = c->idle;
        c->idle = conn;
        c->nidle++;
        conn = NULL;
    }
    pthread_mutex_unlock(&c->pool_mu);
    conn_free(conn);
}

/* ---- requests --------------------------------------------------------------------- */

typedef struct xfer {
    CURL *h;
    const dg_kube_req_t *req;
    dg_buf_t *body;
    size_t scanned;  /* bytes of body already searched for a newline */
    bool too_big, stopped;
} xfer_t;

/* Hand every complete line to the caller, then keep only the partial one. */
static int drain_lines(xfer_t *x)
{
    dg_buf_t *b = x->body;
    size_t start = 0;
    char *nl = memchr(b->data + x->scanned, '\n', b->len - x->scanned);

    while (nl != NULL) {
        size_t end = (size_t)(nl - b->data);

        nl = memchr(b->data + end + 1, '\n', b->len - end - 1);
        if (x->req->on_line(x->req->ctx, b->data + start, end - start, nl != NULL) != 0) {
            x->stopped = true;
            return -1;
        }
        start = end + 1;
    }
    memmove(b->data, b->data + start, b->len - start);
    b->len -= start;
    b->data[b->len] = '\0';
    x->scanned = b->len;
    return 0;
}

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    xfer_t *x = arg;
    size_t len = size * n;
    long status = 0;

    if (x->body->len + len > x->req->max_bytes) {
        x->too_big = true;
        return 0;
    }
    if (dg_buf_append(x->body, p, len) != 0)
        return 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
    /* An error answer is one Status object, not a stream of events. */
    if (x->req->on_line && status == 200 && drain_lines(x) != 0)
        return 0;
    return len;
}

static struct curl_slist *headers(const dg_kube_client_t *c, dg_err_t *err)
{
    struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/json");
    dg_buf_t tok, auth;

    dg_buf_init(&tok, 0);
    dg_buf_init(&auth, 0);
    /* Re-read every time: a projected service-account token rotates. */
    if (c->token_file && slurp(c->token_file, &tok, NULL) == 0 && tok.len) {
        while (tok.len && (tok.data[tok.len - 1] == '\n' || tok.data[tok.len - 1] == '\r'))
            tok.data[--tok.len] = '\0';
    } else if (c->token && dg_buf_puts(&tok, c->token) != 0) {
        dg_err_set(err, DG_ENOMEM, "out of memory");
    }
    if (hdr && tok.len && dg_buf_printf(&auth, "Authorization: Bearer %s", tok.data) == 0) {
        struct curl_slist *more = curl_slist_append(hdr, auth.data);

        if (more == NULL) {
            curl_slist_free_all(hdr);
            hdr = NULL;
        }
    }
    dg_buf_free(&tok);
    dg_buf_free(&auth);
    return hdr;
}

/* "HTTP 403: configmaps is forbidden: ..." from the Status an error carries. */
static void status_error(const char *method, const char *path, long status, const dg_buf_t *body,
                         dg_err_t *err)
{
    json_t *st = body->len ? dg_json_parse(body->data, body->len, 0, "Status", NULL) : NULL;
    const char *msg = json_string_value(json_object_get(st, "message"));

    dg_err_set(err, DG_EIO, "%s %s: HTTP %ld%s%.180s", method, path, status, msg ? ": " : "",
               msg ? msg : "");
    json_decref(st);
}

/* One request on @conn: a GET, or a write (@method "POST" or "PATCH")
 * sending @data of @ctype. 2xx is success for a write, 200 for a read. */
static long perform(dg_kube_conn_t *conn, const char *method, const char *path, const char *ctype,
                    const char *data, size_t len, const dg_kube_req_t *req, dg_buf_t *body,
                    dg_err_t *err)
{
    dg_kube_client_t *c = conn->client;
    xfer_t x = {.h = conn->h, .req = req, .body = body};
    struct curl_slist *hdr = NULL;
    bool watch = req->verb == DG_KUBE_WATCH, write = ctype != NULL;
    dg_buf_t url, type;
    long status = 0;
    CURLcode cc;

    dg_buf_init(&url, 0);
    dg_buf_init(&type, 0);
    dg_buf_reset(body);
    dg_metrics_kube_request(c->metrics, req->verb);
    if (dg_buf_printf(&url, "%s%s", c->server, path) != 0 || (hdr = headers(c, err)) == NULL ||
        (write && (dg_buf_printf(&type, "Content-Type: %s", ctype) != 0 ||
                   curl_slist_append(hdr, type.data) == NULL))) {
        curl_slist_free_all(hdr);
        dg_buf_free(&url);
        dg_buf_free(&type);
        return dg_err_set(err, DG_ENOMEM, "%s %s: out of memory", method, path), 0;
    }
    curl_easy_setopt(conn->h, CURLOPT_URL, url.data);
    curl_easy_setopt(conn->h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(conn->h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(conn->h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(conn->h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 0L);
    curl_easy_setopt(conn->h, CURLOPT_LOW_SPEED_LIMIT, watch ? 1L : 0L);
    curl_easy_setopt(conn->h, CURLOPT_LOW_SPEED_TIME, watch ? WATCH_STALL_S : 0L);
    if (write) {
        curl_easy_setopt(conn->h, CURLOPT_POSTFIELDS, data);
        curl_easy_setopt(conn->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(conn->h, CURLOPT_CUSTOMREQUEST, method);
    }
    conn->errbuf[0] = '\0';
    cc = dg_kube_client_stopping(c) ? CURLE_ABORTED_BY_CALLBACK : curl_easy_perform(conn->h);
    curl_easy_getinfo(conn->h, CURLINFO_RESPONSE_CODE, &status);
    if (cc != CURLE_OK)
        dg_err_set(err, DG_EIO, "%s %s: %s", method, path,
                   x.too_big        ? "response too large"
                   : x.stopped      ? "stopped reading"
                   : conn->errbuf[0] ? conn->errbuf
                                    : curl_easy_strerror(cc));
    else if (write ? status / 100 != 2 : status != 200)
        status_error(method, path, status, body, err);
    if (cc != CURLE_OK || (write ? status / 100 != 2 : status != 200))
        dg_metrics_kube_error(c->metrics, req->verb);
    if (write) { /* the handle goes back to reads: GET, no body */
        curl_easy_setopt(conn->h, CURLOPT_CUSTOMREQUEST, NULL);
        curl_easy_setopt(conn->h, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(conn->h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdr);
    dg_buf_free(&url);
    dg_buf_free(&type);
    return status;
}

long dg_kube_client_get(dg_kube_conn_t *conn, const char *path, const dg_kube_req_t *req,
                        dg_buf_t *body, dg_err_t *err)
{
    return perform(conn, "GET", path, NULL, NULL, 0, req, body, err);
}

long dg_kube_client_send(dg_kube_conn_t *conn, const char *method, const char *path,
                         const char *ctype, const char *data, size_t len, const dg_kube_req_t *req,
                         dg_buf_t *body, dg_err_t *err)
{
    return perform(conn, method, path, ctype ? ctype : "application/json", data ? data : "", len,
                   req, body, err);
}

int dg_kube_client_escape(dg_buf_t *b, const char *s)
{
    int rc = 0;

    for (; *s && !rc; s++)
        rc = (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
                     *s == '-' || *s == '_' || *s == '.' || *s == '~'
                 ? dg_buf_append(b, s, 1)
                 : dg_buf_printf(b, "%%%02X", (unsigned char)*s);
    return rc;
}

json_t *dg_kube_client_json(const char *data, size_t len, dg_err_t *err)
{
    return dg_json_parse(data ? data : "", len, DG_JSON_PRUNE_SERVER, "API response", err);
}
