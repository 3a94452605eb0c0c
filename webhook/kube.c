/* webhook/kube.c: the Kubernetes source. libcurl against the API server:
 * LIST then WATCH (resuming from resourceVersion, relisting on 410 Gone) of
 * baseline ConfigMaps and of Helm release records; a direct re-read of one
 * release before a denial; and the continuous audit of live objects.
 * While the API is unreachable it backs off and the store keeps serving the
 * last good baselines. SPDX-License-Identifier: Apache-2.0 */
#include "kube.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "codec.h"
#include "diff.h"
#include "helm.h"
#include "json.h"
#include "log.h"
#include "manifest.h"
#include "metrics.h"
#include "publish.h"
#include "report.h"
#include "yaml.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define MAX_OBJECT ((size_t)16 << 20)

/* ---- the client ------------------------------------------------------------------- */

typedef struct client {
    char *server;             /* "https://host:port", no trailing slash */
    dg_buf_t ca, cert, key;   /* PEM blobs; empty = unset */
    char *token, *token_file;
    bool insecure;
} client_t;

static struct {
    client_t c;
    dg_gate_t *g;
    atomic_bool stop;
    pthread_t threads[6];     /* the watchers and the audit */
    int nthreads;
    pthread_mutex_t mu;       /* helm records, shared by the CM and Secret watchers */
    json_t *helm_objs;        /* "kind/ns/name" -> record object (ConfigMap or Secret) */
    dg_refresh_ops_t refresh;
    const char *baseline_ns;  /* the one namespace whose baseline ConfigMaps count */
    json_t *good_cms;         /* "ns/name" -> last baseline ConfigMap that loaded */
    json_t *untrusted;        /* "ns/name" -> resourceVersion already logged as ignored */
    dg_release_t **helm_prev; /* the Helm releases last published, to keep */
    size_t nhelm_prev;
    /* Connections, TLS sessions and DNS shared by every request: the re-read
     * before a denial then reuses a warm connection instead of paying a TLS
     * handshake with client authentication on the request's clock. */
    CURLSH *share;
    pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];
} k = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *u)
{
    (void)h, (void)access, (void)u;
    pthread_mutex_lock(&k.share_mu[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *u)
{
    (void)h, (void)u;
    pthread_mutex_unlock(&k.share_mu[data]);
}

static void share_init(void)
{
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&k.share_mu[i], NULL);
    if ((k.share = curl_share_init()) == NULL)
        return; /* every request then opens its own connection: slower, still correct */
    curl_share_setopt(k.share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(k.share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(k.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(k.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(k.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
}

/* An API server response, without the managedFields and status that
 * driftgate never reads: a cluster's worth of them is most of the memory
 * its lists and watches would otherwise hold. */
static json_t *api_json(const char *data, size_t len)
{
    return dg_json_parse(data, len, DG_JSON_PRUNE_SERVER, "API response", NULL);
}

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
        if ((rc = dg_codec_base64_decode(d, strlen(d), &raw, &len, data_key, err)) != 0)
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

static int from_kubeconfig(client_t *c, const char *path, dg_err_t *err)
{
    dg_buf_t text;
    dg_yaml_docs_t docs = {0};
    const json_t *root, *ctx, *cluster, *user;
    int rc;

    dg_buf_init(&text, 0);
    if ((rc = slurp(path, &text, err)) != 0 ||
        (rc = dg_yaml_parse(text.data ? text.data : "", text.len, path, 0, 0, &docs, err)) != 0)
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
    c->server = strdup(json_string_value(json_object_get(cluster, "server")));
    c->insecure = json_is_true(json_object_get(cluster, "insecure-skip-tls-verify"));
    if (json_is_string(json_object_get(user, "token")))
        c->token = strdup(json_string_value(json_object_get(user, "token")));
    if (json_is_string(json_object_get(user, "tokenFile")))
        c->token_file = strdup(json_string_value(json_object_get(user, "tokenFile")));
    if ((rc = blob(cluster, "certificate-authority-data", "certificate-authority", &c->ca, err)) ||
        (rc = blob(user, "client-certificate-data", "client-certificate", &c->cert, err)) ||
        (rc = blob(user, "client-key-data", "client-key", &c->key, err)))
        goto out;
out:
    dg_yaml_docs_free(&docs);
    dg_buf_free(&text);
    return rc;
}

static int in_cluster(client_t *c, dg_err_t *err)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
    char url[300];

    if (host == NULL || port == NULL)
        return dg_err_set(err, DG_EINVAL,
                          "--in-cluster: KUBERNETES_SERVICE_HOST/PORT are not set (not in a pod?)");
    snprintf(url, sizeof url, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
    c->server = strdup(url);
    c->token_file = strdup(SA_DIR "/token");
    return slurp(SA_DIR "/ca.crt", &c->ca, err);
}

static void client_free(client_t *c)
{
    free(c->server);
    free(c->token);
    free(c->token_file);
    dg_buf_free(&c->ca);
    dg_buf_free(&c->cert);
    dg_buf_free(&c->key);
    memset(c, 0, sizeof *c);
}

/* ---- requests ---------------------------------------------------------------------- */

typedef struct req {
    dg_buf_t body;
    size_t max;
    bool too_big;
    /* streaming: called once per complete line (one watch event) */
    void (*on_line)(void *ctx, const char *line, size_t len);
    void *ctx;
    size_t scanned;
} req_t;

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    req_t *r = arg;
    size_t len = size * n;
    char *nl;

    if (r->body.len + len > r->max) {
        r->too_big = true;
        return 0;
    }
    if (dg_buf_append(&r->body, p, len) != 0)
        return 0;
    while (r->on_line && (nl = memchr(r->body.data + r->scanned, '\n', r->body.len - r->scanned))) {
        size_t line = (size_t)(nl - r->body.data);

        r->on_line(r->ctx, r->body.data, line);
        memmove(r->body.data, nl + 1, r->body.len - line - 1);
        r->body.len -= line + 1;
        r->body.data[r->body.len] = '\0';
        r->scanned = 0;
    }
    if (r->on_line)
        r->scanned = r->body.len;
    return len;
}

static int on_progress(void *p, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)p, (void)a, (void)b, (void)c, (void)d;
    return atomic_load(&k.stop) ? 1 : 0; /* abort a blocking watch on shutdown */
}

/* GET @path; returns the HTTP status (0 on a transport error, with @err set). */
static long get(const char *path, long timeout_ms, req_t *r, dg_err_t *err)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = NULL;
    struct curl_blob ca, cert, key;
    dg_buf_t url, tok;
    long status = 0;
    CURLcode cc;

    if (h == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory"), 0;
    dg_buf_init(&url, 0);
    dg_buf_init(&tok, 0);
    if (dg_buf_printf(&url, "%s%s", k.c.server, path) != 0)
        goto out;
    hdr = curl_slist_append(hdr, "Accept: application/json");
    if (k.c.token_file && slurp(k.c.token_file, &tok, NULL) == 0 && tok.len) {
        while (tok.len && (tok.data[tok.len - 1] == '\n' || tok.data[tok.len - 1] == '\r'))
            tok.data[--tok.len] = '\0';
    } else if (k.c.token && dg_buf_puts(&tok, k.c.token) != 0) {
        dg_err_set(err, DG_ENOMEM, "out of memory");
        goto out;
    }
    if (tok.len) {
        dg_buf_t auth;

        dg_buf_init(&auth, 0);
        if (dg_buf_printf(&auth, "Authorization: Bearer %s", tok.data) == 0)
            hdr = curl_slist_append(hdr, auth.data);
        dg_buf_free(&auth);
    }
    curl_easy_setopt(h, CURLOPT_URL, url.data);
    if (k.share)
        curl_easy_setopt(h, CURLOPT_SHARE, k.share);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
    if (timeout_ms > 0)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (k.c.ca.len) {
        ca = (struct curl_blob){k.c.ca.data, k.c.ca.len, CURL_BLOB_NOCOPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
    }
    if (k.c.cert.len && k.c.key.len) {
        cert = (struct curl_blob){k.c.cert.data, k.c.cert.len, CURL_BLOB_NOCOPY};
        key = (struct curl_blob){k.c.key.data, k.c.key.len, CURL_BLOB_NOCOPY};
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (k.c.insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (cc != CURLE_OK && !(cc == CURLE_OPERATION_TIMEDOUT && r->on_line && status == 200)) {
        dg_err_set(err, DG_EIO, "GET %s: %s", path,
                   r->too_big ? "response too large" : curl_easy_strerror(cc));
        status = 0;
    }
out:
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
    dg_buf_free(&url);
    dg_buf_free(&tok);
    return status;
}

/* ---- objects into releases -------------------------------------------------------------- */

static void log_skip(const json_t *obj, const dg_err_t *err, const char *what)
{
    json_t *meta = json_object_get(obj, "metadata");
    char msg[600];

    dg_log(DG_LOG_ERROR, what,
           json_pack("{s:s?, s:s?, s:s?, s:s}", "kind", json_string_value(json_object_get(obj, "kind")),
                     "namespace", json_string_value(json_object_get(meta, "namespace")), "name",
                     json_string_value(json_object_get(meta, "name")), "error",
                     dg_err_format(err, msg, sizeof msg)));
}

static const char *release_ns_label(const json_t *cm)
{
    return json_string_value(json_object_get(
        json_object_get(json_object_get(cm, "metadata"), "labels"), "driftgate.io/release-namespace"));
}

/* The release a baseline ConfigMap holds, confined to its namespace; NULL
 * (with @err set, when not NULL) when it does not load. */
static dg_release_t *published_release(const json_t *cm, dg_err_t *err)
{
    dg_err_t ignored = {0};

    char *text = json_dumps(cm, JSON_COMPACT), name[300];
    json_t *meta = json_object_get(cm, "metadata");
    dg_manifest_info_t info = {0};
    dg_manifest_opts_t opts = {.name = name, .max_bytes = MAX_OBJECT};
    dg_release_t *rel = NULL;

    snprintf(name, sizeof name, "configmap %s/%s",
             json_string_value(json_object_get(meta, "namespace")),
             json_string_value(json_object_get(meta, "name")));
    if (err == NULL)
        err = &ignored;
    rel = text ? dg_release_new("", "") : NULL;
    if (rel && dg_manifest_load(text, strlen(text), &opts, rel->objs, &info, err) == 0 &&
        info.release && release_ns_label(cm)) {
        free(rel->name);
        free(rel->ns);
        rel->name = strdup(info.release);
        rel->ns = strdup(info.ns ? info.ns : "default");
        rel->origin = DG_RELSRC_PUBLISHED;
        rel->revision = info.revision ? strtol(info.revision, NULL, 10) : 0;
        rel->chart = info.chart ? strdup(info.chart) : NULL;
        rel->digest = info.digest ? strdup(info.digest) : NULL;
        rel->source = strdup(info.source ? info.source : name);
        if (dg_release_confine(rel) < 0)
            dg_release_free(&rel);
    } else {
        if (err->code == 0)
            dg_err_set(err, DG_EINVAL,
                       "%s: no driftgate.io/release and driftgate.io/release-namespace labels "
                       "(republish it with driftctl publish)",
                       name);
        dg_release_free(&rel);
    }
    dg_manifest_info_free(&info);
    free(text);
    return rel;
}

/* ---- trust: only the baseline namespace ---------------------------------------------------- */

/* driftgate's own namespace: where RBAC keeps baseline writers to the
 * platform team (DESIGN.md "Trust"). */
static const char *own_namespace(const dg_gate_cfg_t *cfg, dg_buf_t *buf)
{
    const char *env = getenv("POD_NAMESPACE");

    if (cfg->baseline_ns && cfg->baseline_ns[0])
        return cfg->baseline_ns;
    if (env && env[0])
        return env;
    if (cfg->in_cluster && slurp(SA_DIR "/namespace", buf, NULL) == 0 && buf->len)
        return buf->data;
    return DG_BASELINE_NS;
}

/* A labelled ConfigMap outside the baseline namespace is anyone's to
 * write: ignored, logged once per version, counted. */
static bool trusted_cm(const char *key, const json_t *cm)
{
    json_t *meta = json_object_get(cm, "metadata");
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    const char *rv = json_string_value(json_object_get(meta, "resourceVersion"));
    json_t *seen = json_object_get(k.untrusted, key);

    if (ns && strcmp(ns, k.baseline_ns) == 0)
        return true;
    if (!seen || !rv || strcmp(json_string_value(seen), rv) != 0) {
        dg_log(DG_LOG_WARN, "baseline ConfigMap outside the baseline namespace ignored",
               json_pack("{s:s, s:s, s:s?}", "configmap", key, "baseline_namespace", k.baseline_ns,
                         "release", json_string_value(json_object_get(
                                        json_object_get(meta, "labels"), "driftgate.io/release"))));
        json_object_set_new(k.untrusted, key, json_string(rv ? rv : ""));
    }
    return false;
}

/* The release a trusted ConfigMap holds; when this version does not load,
 * the last version that did, re-read and marked as kept. */
static dg_release_t *published_or_last_good(const char *key, const json_t *cm)
{
    dg_err_t err = {0};
    dg_release_t *rel = published_release(cm, &err);
    json_t *good = json_object_get(k.good_cms, key);
    char msg[600], note[700];

    if (rel) {
        json_object_set(k.good_cms, key, (json_t *)cm);
        return rel;
    }
    log_skip(cm, &err, good ? "baseline ConfigMap skipped; its release keeps its last good baseline"
                            : "baseline ConfigMap skipped; it never loaded, so it governs nothing");
    if (good == NULL || (rel = published_release(good, NULL)) == NULL)
        return NULL;
    snprintf(note, sizeof note, "kept the last good version: the current one does not load (%s)",
             dg_err_format(&err, msg, sizeof msg));
    if (dg_release_note(rel, note) != 0)
        dg_release_free(&rel);
    return rel;
}

/* Forget what was said about ConfigMaps that are gone. */
static void prune(json_t *map, const json_t *present)
{
    const char *key;
    json_t *v;
    void *tmp;

    json_object_foreach_safe(map, tmp, key, v) {
        if (json_object_get(present, key) == NULL)
            json_object_del(map, key);
    }
}

/* ---- a list + watch loop ------------------------------------------------------------------ */

typedef struct watcher {
    const char *name;     /* for logs */
    const char *path;     /* "/api/v1/configmaps?labelSelector=..." */
    json_t *objs;         /* "ns/name" -> object, the current state */
    char rv[64];          /* resourceVersion to resume from */
    bool relist;
    void (*publish)(struct watcher *w);
    const char *kind;     /* "ConfigMap", "Secret", ...: what a list item is */
    const char *api;      /* and its apiVersion */
    bool listed;          /* has published at least once */
} watcher_t;

static watcher_t watchers[4];
static int nwatchers;

static void key_of(const json_t *obj, char *out, size_t size)
{
    json_t *meta = json_object_get(obj, "metadata");

    snprintf(out, size, "%s/%s", json_string_value(json_object_get(meta, "namespace")),
             json_string_value(json_object_get(meta, "name")));
}

static int list(watcher_t *w, dg_err_t *err)
{
    req_t r = {.max = (size_t)512 << 20};
    json_t *doc, *item;
    long status;
    size_t i;
    char key[600];

    dg_buf_init(&r.body, 0);
    status = get(w->path, 60000, &r, err);
    doc = status == 200 ? api_json(r.body.data, r.body.len) : NULL;
    dg_buf_free(&r.body);
    if (doc == NULL)
        return status ? dg_err_set(err, DG_EIO, "LIST %s: HTTP %ld", w->path, status) : DG_EIO;
    json_object_clear(w->objs);
    json_array_foreach(json_object_get(doc, "items"), i, item) {
        /* list items carry no kind or apiVersion: the list says what they are */
        json_object_set_new(item, "kind", json_string(w->kind));
        json_object_set_new(item, "apiVersion", json_string(w->api));
        key_of(item, key, sizeof key);
        json_object_set(w->objs, key, item);
    }
    snprintf(w->rv, sizeof w->rv, "%s",
             json_string_value(json_object_get(json_object_get(doc, "metadata"), "resourceVersion"))
                 ? json_string_value(json_object_get(json_object_get(doc, "metadata"), "resourceVersion"))
                 : "");
    json_decref(doc);
    w->relist = false;
    w->publish(w);
    return 0;
}

static void on_event(void *arg, const char *line, size_t len)
{
    watcher_t *w = arg;
    json_t *ev = api_json(line, len), *obj = json_object_get(ev, "object");
    const char *type = json_string_value(json_object_get(ev, "type"));
    const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    char key[600];

    if (type == NULL) {
        json_decref(ev);
        return;
    }
    if (strcmp(type, "ERROR") == 0) {
        /* 410 Gone: our resourceVersion is too old; anything else: relist too */
        w->relist = true;
        json_decref(ev);
        return;
    }
    if (rv)
        snprintf(w->rv, sizeof w->rv, "%s", rv);
    if (strcmp(type, "BOOKMARK") != 0) {
        key_of(obj, key, sizeof key);
        if (strcmp(type, "DELETED") == 0)
            json_object_del(w->objs, key);
        else
            json_object_set(w->objs, key, obj);
        w->publish(w);
    }
    json_decref(ev);
}

static int watch(watcher_t *w, dg_err_t *err)
{
    req_t r = {.max = MAX_OBJECT * 2, .on_line = on_event, .ctx = w};
    dg_buf_t path;
    long status;

    dg_buf_init(&r.body, 0);
    dg_buf_init(&path, 0);
    if (dg_buf_printf(&path, "%s&watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=%s",
                      w->path, w->rv) != 0)
        return DG_ENOMEM;
    status = get(path.data, 0, &r, err);
    dg_buf_free(&r.body);
    dg_buf_free(&path);
    if (status == 410)
        w->relist = true;
    return status == 200 ? 0 : DG_EIO;
}

static void nap(unsigned s)
{
    for (unsigned i = 0; i < s * 10 && !atomic_load(&k.stop); i++)
        usleep(100 * 1000);
}

static void *run_watcher(void *arg)
{
    watcher_t *w = arg;
    unsigned backoff = 1;
    char msg[600];

    w->relist = true;
    while (!atomic_load(&k.stop)) {
        dg_err_t err = {0};
        int rc = w->relist ? list(w, &err) : watch(w, &err);

        if (rc == 0) {
            backoff = 1;
            continue;
        }
        if (atomic_load(&k.stop))
            break;
        dg_log(DG_LOG_WARN, "Kubernetes API unreachable; serving the last good baselines",
               json_pack("{s:s, s:s, s:i}", "source", w->name, "error",
                         err.code ? dg_err_format(&err, msg, sizeof msg) : "request failed",
                         "retry_in_s", backoff));
        nap(backoff);
        backoff = backoff * 2 > 30 ? 30 : backoff * 2;
        w->relist = true;
    }
    return NULL;
}

/* ---- the two sources ------------------------------------------------------------------------ */

static void publish_published(watcher_t *w)
{
    dg_release_t **rels = calloc(json_object_size(w->objs) + 1, sizeof *rels);
    size_t n = 0;
    const char *key;
    json_t *cm;

    if (rels == NULL)
        return;
    prune(k.untrusted, w->objs);
    prune(k.good_cms, w->objs);
    json_object_foreach(w->objs, key, cm) {
        if (trusted_cm(key, cm) && (rels[n] = published_or_last_good(key, cm)) != NULL)
            n++;
    }
    dg_metrics_set_untrusted((long)json_object_size(k.untrusted));
    (void)dg_store_update(k.g->store, DG_SOURCE_PUBLISHED, rels, n, NULL);
    for (size_t i = 0; i < n; i++)
        dg_release_free(&rels[i]);
    free(rels);
}

/* "ns/name" of the release a record belongs to, from Helm's labels (it
 * may not decode, so not from its content). */
static void record_release(const json_t *obj, char *out, size_t size)
{
    json_t *meta = json_object_get(obj, "metadata");

    snprintf(out, size, "%s/%s", json_string_value(json_object_get(meta, "namespace")),
             json_string_value(json_object_get(json_object_get(meta, "labels"), "name")));
}

/* Group every decoded record by release and build each release's baseline;
 * the releases with a record that did not decode are set in @broken. */
static int helm_releases(json_t *objs, dg_release_t ***out, size_t *nout, json_t *broken)
{
    size_t n = json_object_size(objs), nrel = 0;
    dg_helm_record_t *recs = calloc(n + 1, sizeof *recs);
    const dg_helm_record_t **group = calloc(n + 1, sizeof *group);
    dg_release_t **rels = calloc(n + 1, sizeof *rels);
    bool *done = calloc(n + 1, sizeof *done);
    size_t m = 0;
    const char *key;
    json_t *obj;

    if (!recs || !group || !rels || !done) {
        free(recs), free(group), free(rels), free(done);
        return DG_ENOMEM;
    }
    json_object_foreach(objs, key, obj) {
        dg_helm_limits_t lim = {k.g->cfg->helm_record_max, k.g->cfg->helm_release_max};
        dg_err_t err = {0};

        if (dg_helm_decode(obj, &lim, &recs[m], &err) == 0) {
            m++;
        } else {
            char rel[600];

            log_skip(obj, &err, "Helm release record skipped");
            dg_helm_record_free(&recs[m]);
            record_release(obj, rel, sizeof rel);
            if (broken)
                json_object_set_new(broken, rel, json_true());
        }
    }
    for (size_t i = 0; i < m; i++) {
        size_t ng = 0;
        dg_err_t err = {0};

        if (done[i])
            continue;
        for (size_t j = i; j < m; j++)
            if (!done[j] && strcmp(recs[j].name, recs[i].name) == 0 &&
                strcmp(recs[j].ns ? recs[j].ns : "", recs[i].ns ? recs[i].ns : "") == 0) {
                group[ng++] = &recs[j];
                done[j] = true;
            }
        if (dg_helm_release(group, ng, &rels[nrel], &err) == 0)
            nrel++;
        else if (err.code != DG_ENOTFOUND)
            dg_log(DG_LOG_ERROR, "Helm release not loaded",
                   json_pack("{s:s, s:s}", "release", recs[i].name, "error", err.msg));
    }
    for (size_t i = 0; i < m; i++)
        dg_helm_record_free(&recs[i]);
    free(recs), free(group), free(done);
    *out = rels;
    *nout = nrel;
    return 0;
}

/* Drop the records @w held that it no longer holds. */
static void forget_gone(const watcher_t *w)
{
    size_t plen = strlen(w->kind);
    const char *fk;
    json_t *v;
    void *tmp;

    json_object_foreach_safe(k.helm_objs, tmp, fk, v) {
        if (strncmp(fk, w->kind, plen) == 0 && fk[plen] == '/' &&
            json_object_get(w->objs, fk + plen + 1) == NULL)
            json_object_del(k.helm_objs, fk);
    }
}

static dg_release_t *helm_prev(const char *key)
{
    char have[600];

    for (size_t i = 0; i < k.nhelm_prev; i++) {
        snprintf(have, sizeof have, "%s/%s", k.helm_prev[i]->ns, k.helm_prev[i]->name);
        if (strcmp(have, key) == 0)
            return k.helm_prev[i];
    }
    return NULL;
}

/* A release with a record that does not decode keeps what it was last
 * published as, rather than falling back to an older revision (or to none). */
static void keep_last_good(dg_release_t **rels, size_t *n, const json_t *broken)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)broken, key, v) {
        dg_release_t *prev = helm_prev(key);
        size_t i = 0;
        char have[600];

        for (; i < *n; i++) {
            snprintf(have, sizeof have, "%s/%s", rels[i]->ns, rels[i]->name);
            if (strcmp(have, key) == 0)
                break;
        }
        if (prev == NULL)
            continue;
        if (i < *n)
            dg_release_free(&rels[i]);
        else
            (*n)++; /* helm_releases allocated one slot per record: room enough */
        rels[i] = dg_release_ref(prev);
        dg_log(DG_LOG_WARN, "Helm release keeps its last good baseline",
               json_pack("{s:s, s:I}", "release", key, "revision", (json_int_t)prev->revision));
    }
}

/* Records from both drivers, keyed by kind so names cannot collide; the
 * store hears of Helm releases once every driver being read has listed. */
static void publish_helm(watcher_t *w)
{
    dg_release_t **rels = NULL;
    json_t *broken = json_object();
    bool ready = true;
    size_t n = 0;
    const char *key;
    json_t *obj;

    pthread_mutex_lock(&k.mu);
    json_object_foreach(w->objs, key, obj) {
        char full[700];

        snprintf(full, sizeof full, "%s/%s", w->kind, key);
        json_object_set(k.helm_objs, full, obj);
    }
    forget_gone(w);
    w->listed = true;
    for (int i = 0; i < nwatchers; i++)
        ready &= watchers[i].publish != publish_helm || watchers[i].listed;
    if (ready && helm_releases(k.helm_objs, &rels, &n, broken) == 0) {
        keep_last_good(rels, &n, broken);
        (void)dg_store_update(k.g->store, DG_SOURCE_HELM, rels, n, NULL);
        for (size_t i = 0; i < k.nhelm_prev; i++)
            dg_release_free(&k.helm_prev[i]);
        free(k.helm_prev);
        k.helm_prev = rels;
        k.nhelm_prev = n;
    }
    json_decref(broken);
    pthread_mutex_unlock(&k.mu);
}

/* The live HPAs, reduced to what ownership needs (who they scale): they
 * decide who owns a workload's replicas (DESIGN.md step 9). */
static void publish_hpas(watcher_t *w)
{
    dg_objset_t *set = dg_objset_new();
    const char *key;
    json_t *hpa;

    json_object_foreach(w->objs, key, hpa) {
        json_t *meta = json_object_get(hpa, "metadata");
        json_t *slim = json_pack("{s:s, s:s, s:{s:O, s:O}, s:{s:O?}}", "apiVersion", "autoscaling/v2",
                                 "kind", "HorizontalPodAutoscaler", "metadata", "name",
                                 json_object_get(meta, "name"), "namespace",
                                 json_object_get(meta, "namespace"), "spec", "scaleTargetRef",
                                 json_object_get(json_object_get(hpa, "spec"), "scaleTargetRef"));

        if (set && slim && dg_objset_add(set, slim, "", "hpa watch", 0, NULL) == DG_ENOMEM)
            dg_objset_free(&set);
        else if (!set)
            json_decref(slim);
    }
    if (set)
        (void)dg_store_set_hpas(k.g->store, set, NULL);
}

/* ---- step 7: re-read one release before denying ------------------------------------------------ */

static int refresh(void *ctx, const char *release, const char *ns, long timeout_ms,
                   dg_release_t **fresh, dg_err_t *err)
{
    static const char *const kinds[] = {"configmaps", "secrets"};
    json_t *objs = json_object();
    dg_release_t **rels = NULL;
    size_t n = 0;
    int rc = 0;

    (void)ctx;
    *fresh = NULL;
    for (int i = 0; i < (k.g->cfg->helm_secrets ? 2 : 1) && !rc; i++) {
        req_t r = {.max = (size_t)64 << 20};
        char path[600];
        json_t *doc, *item;
        size_t j;

        snprintf(path, sizeof path, "/api/v1/namespaces/%s/%s?labelSelector=owner%%3Dhelm%%2Cname%%3D%s",
                 ns, kinds[i], release);
        dg_buf_init(&r.body, 0);
        doc = get(path, timeout_ms > 0 ? timeout_ms : 2000, &r, err) == 200
                  ? api_json(r.body.data, r.body.len)
                  : NULL;
        dg_buf_free(&r.body);
        if (doc == NULL) {
            rc = DG_EIO;
            break;
        }
        json_array_foreach(json_object_get(doc, "items"), j, item) {
            char key[700];

            json_object_set_new(item, "kind", json_string(i ? "Secret" : "ConfigMap"));
            json_object_set_new(item, "apiVersion", json_string("v1"));
            snprintf(key, sizeof key, "%d/%zu", i, j);
            json_object_set(objs, key, item);
        }
        json_decref(doc);
    }
    if (!rc && (rc = helm_releases(objs, &rels, &n, NULL)) == 0 && n > 0) {
        *fresh = rels[0];
        for (size_t i = 1; i < n; i++)
            dg_release_free(&rels[i]);
    }
    free(rels);
    json_decref(objs);
    return rc;
}

/* ---- the continuous audit ---------------------------------------------------------------------- */

static json_t *live_object(const dg_obj_t *o, bool *missing)
{
    const dg_kindinfo_t *ki = dg_kind_by_kind(o->id.group, o->id.kind);
    const char *api = json_string_value(json_object_get(o->json, "apiVersion"));
    req_t r = {.max = MAX_OBJECT};
    char path[700];
    json_t *obj = NULL;
    long status;

    *missing = false;
    if (ki == NULL || api == NULL)
        return NULL;
    if (ki->namespaced)
        snprintf(path, sizeof path, "/%s/%s/namespaces/%s/%s/%s", o->id.group[0] ? "apis" : "api",
                 api, o->id.ns, ki->resource, o->id.name);
    else
        snprintf(path, sizeof path, "/%s/%s/%s/%s", o->id.group[0] ? "apis" : "api", api,
                 ki->resource, o->id.name);
    dg_buf_init(&r.body, 0);
    status = get(path, 10000, &r, NULL);
    if (status == 200)
        obj = api_json(r.body.data, r.body.len);
    *missing = status == 404;
    dg_buf_free(&r.body);
    return obj;
}

static void audit_once(void)
{
    dg_snapshot_t *snap = dg_store_acquire(k.g->store);
    dg_variances_t v;

    dg_variances_init(&v);
    for (size_t i = 0; i < dg_baselines_count(snap->bases) && !atomic_load(&k.stop); i++) {
        const dg_release_t *rel = dg_baselines_at(snap->bases, i);

        for (size_t j = 0; j < dg_objset_count(rel->objs); j++) {
            const dg_obj_t *o = dg_objset_at(rel->objs, j);
            bool missing;
            json_t *live;

            if (!dg_policy_governs(k.g->policy, o->id.group, o->id.kind))
                continue;
            live = live_object(o, &missing);
            if ((live || missing) && dg_diff_object(o, live, rel->objs, k.g->policy, &v, NULL))
                dg_log(DG_LOG_ERROR, "audit: out of memory", NULL);
            json_decref(live);
        }
    }
    dg_snapshot_release(&snap);
    dg_store_set_variances(k.g->store, dg_report_variances_json(&v), (long)v.n);
    dg_variances_free(&v);
}

static void *run_audit(void *arg)
{
    (void)arg;
    nap(2); /* let the first lists land */
    while (!atomic_load(&k.stop)) {
        audit_once();
        nap(k.g->cfg->audit_interval_s);
    }
    return NULL;
}

/* ---- start and stop ------------------------------------------------------------------------------ */

int dg_kube_start(dg_gate_t *g, dg_err_t *err)
{
    dg_buf_t nsbuf;
    int rc;

    dg_buf_init(&nsbuf, 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    share_init();
    dg_buf_init(&k.c.ca, 0);
    dg_buf_init(&k.c.cert, 0);
    dg_buf_init(&k.c.key, 0);
    k.g = g;
    rc = g->cfg->kubeconfig ? from_kubeconfig(&k.c, g->cfg->kubeconfig, err) : in_cluster(&k.c, err);
    if (rc)
        return rc;
    while (k.c.server && k.c.server[0] && k.c.server[strlen(k.c.server) - 1] == '/')
        k.c.server[strlen(k.c.server) - 1] = '\0';
    k.helm_objs = json_object();
    k.good_cms = json_object();
    k.untrusted = json_object();
    k.baseline_ns = strdup(own_namespace(g->cfg, &nsbuf));
    dg_buf_free(&nsbuf);
    /* Every labelled ConfigMap is listed, so that one outside the baseline
     * namespace can be said to be ignored rather than silently unseen. */
    watchers[nwatchers++] = (watcher_t){"baseline-configmaps",
                                        "/api/v1/configmaps?labelSelector=driftgate.io%2Fbaseline%3Dtrue",
                                        json_object(), "", true, publish_published, "ConfigMap", "v1",
                                        false};
    watchers[nwatchers++] = (watcher_t){"helm-configmaps", "/api/v1/configmaps?labelSelector=owner%3Dhelm",
                                        json_object(), "", true, publish_helm, "ConfigMap", "v1", false};
    if (g->cfg->helm_secrets)
        watchers[nwatchers++] = (watcher_t){"helm-secrets", "/api/v1/secrets?labelSelector=owner%3Dhelm",
                                            json_object(), "", true, publish_helm, "Secret", "v1", false};
    watchers[nwatchers++] = (watcher_t){"hpas", "/apis/autoscaling/v2/horizontalpodautoscalers?",
                                        json_object(), "", true, publish_hpas,
                                        "HorizontalPodAutoscaler", "autoscaling/v2", false};
    dg_store_enable(g->store, DG_SOURCE_PUBLISHED);
    dg_store_enable(g->store, DG_SOURCE_HELM);
    dg_store_enable(g->store, DG_SOURCE_HPAS);
    for (int i = 0; i < nwatchers; i++)
        if (pthread_create(&k.threads[k.nthreads], NULL, run_watcher, &watchers[i]) == 0)
            k.nthreads++;
    if (pthread_create(&k.threads[k.nthreads], NULL, run_audit, NULL) == 0)
        k.nthreads++;
    k.refresh = (dg_refresh_ops_t){refresh, NULL};
    g->refresh = &k.refresh;
    dg_log(DG_LOG_INFO, "watching the Kubernetes API",
           json_pack("{s:s, s:b, s:s}", "server", k.c.server, "helm_secrets", g->cfg->helm_secrets,
                     "baseline_namespace", k.baseline_ns));
    return 0;
}

void dg_kube_stop(void)
{
    if (k.g == NULL)
        return;
    atomic_store(&k.stop, true);
    for (int i = 0; i < k.nthreads; i++)
        pthread_join(k.threads[i], NULL);
    for (int i = 0; i < nwatchers; i++)
        json_decref(watchers[i].objs);
    json_decref(k.helm_objs);
    json_decref(k.good_cms);
    json_decref(k.untrusted);
    free((char *)k.baseline_ns);
    for (size_t i = 0; i < k.nhelm_prev; i++)
        dg_release_free(&k.helm_prev[i]);
    free(k.helm_prev);
    client_free(&k.c);
    curl_share_cleanup(k.share);
    k.share = NULL;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&k.share_mu[i]);
    curl_global_cleanup();
    k.g = NULL;
}
