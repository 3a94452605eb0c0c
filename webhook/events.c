/* webhook/events.c: the queue, the poster thread, its token bucket and the
 * rebuild on start. SPDX-License-Identifier: Apache-2.0 */
#include "events.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gate.h"
#include "json.h"
#include "kube_client.h"
#include "log.h"

#define POST_TIMEOUT_MS 5000L
#define MAX_ANSWER_BYTES ((size_t)1 << 20)
#define LIST_PAGE 500
#define MAX_LIST_PAGE_BYTES ((size_t)16 << 20)
#define MAX_LIST_PAGES 20
#define VALUE_MAX 120
#define DISTRUSTED_LOGGED 16 /* Events not believed named in the log on start */
#define MAX_KEY_BYTES ((size_t)1 << 20) /* as webhook/tls.c reads it */

/* One Event waiting: its body (named when posted) and the repeats of it
 * that arrived meanwhile. */
typedef struct item {
    uint64_t key;
    json_t *body;       /* the Event, metadata.name not yet set */
    char ns[254], obj[254];
    long n;
    int64_t last_ns;
} item_t;

struct dg_events {
    dg_kube_client_t *client;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    item_t q[DG_EVENTS_QUEUE]; /* FIFO ring */
    size_t head, n;
    bool stop;
    char instance[129];
    double tokens, qps, burst;
    int64_t refilled_ns;
    dg_kevent_agg_t *agg;      /* the poster thread's own */
    dg_timelines_t *tls;
    const char *webhook;
    dg_log_t *log;             /* the gate's (borrowed) */
    uint8_t key[DG_KEVENT_KEY_LEN]; /* signs what is posted, verifies what is read back */
    atomic_ullong created, patched, dropped, failed, coalesced, rebuilt, distrusted;
};

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- filing ------------------------------------------------------------------------------ */

void dg_events_post(dg_events_t *ev, const dg_kevent_t *e)
{
    char note[DG_KEVENT_NOTE_MAX];
    uint64_t key;
    int64_t now = now_ns();
    json_t *body;
    bool done = false;

    if (ev == NULL)
        return;
    dg_kevent_note(e, note, sizeof note);
    key = dg_kevent_key(e, note);
    /* A repeat of one waiting is counted into it: a storm of identical
     * denials costs a lock and a scan of at most DG_EVENTS_QUEUE keys. */
    pthread_mutex_lock(&ev->mu);
    for (size_t i = 0; i < ev->n && !done; i++) {
        item_t *it = &ev->q[(ev->head + i) % DG_EVENTS_QUEUE];

        if (it->key == key) {
            it->n++;
            it->last_ns = now;
            done = true;
        }
    }
    pthread_mutex_unlock(&ev->mu);
    if (done) {
        atomic_fetch_add(&ev->coalesced, 1);
        return;
    }
    body = dg_kevent_json(e, note, "", ev->instance, now);
    pthread_mutex_lock(&ev->mu);
    if (body == NULL || ev->n == DG_EVENTS_QUEUE || ev->stop) {
        pthread_mutex_unlock(&ev->mu);
        json_decref(body);
        atomic_fetch_add(&ev->dropped, 1);
        return;
    }
    ev->q[(ev->head + ev->n) % DG_EVENTS_QUEUE] = (item_t){.key = key, .body = body, .n = 1,
                                                          .last_ns = now};
    snprintf(ev->q[(ev->head + ev->n) % DG_EVENTS_QUEUE].ns, 254, "%s",
             e->ns && e->ns[0] ? e->ns : "default");
    snprintf(ev->q[(ev->head + ev->n) % DG_EVENTS_QUEUE].obj, 254, "%s", e->name ? e->name : "");
    ev->n++;
    pthread_cond_signal(&ev->cv);
    pthread_mutex_unlock(&ev->mu);
}

/* A value as the note shows it: compact JSON, cut short. */
static void show(const json_t *v, char *out, size_t size)
{
    char *d = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

    snprintf(out, size, "%.*s", VALUE_MAX, d ? d : "absent");
    free(d);
}

static const char *meta(const dg_jnode_t *o, const char *k)
{
    const dg_jnode_t *v = dg_jread_get(dg_jread_get(o, "metadata"), k);

    return v && v->type == DG_JSTRING ? v->v.s : NULL;
}

static const char *annotation(const dg_response_t *r, const char *key)
{
    for (size_t i = 0; i < r->nannotations; i++)
        if (strcmp(r->annotations[i].key, key) == 0)
            return r->annotations[i].value;
    return NULL;
}

void dg_events_decision(dg_events_t *ev, const dg_review_t *rv, const dg_decision_t *d)
{
    dg_kevent_t e = {0};
    const dg_variances_t *v;
    const dg_variance_t *x;
    const dg_jnode_t *obj;
    char api[200], want[VALUE_MAX + 1], got[VALUE_MAX + 1];

    if (ev == NULL || rv->dry_run || dg_kevent_for_decision(dg_verdict_name(d->verdict), &e) != 0)
        return;
    v = d->verdict == DG_VERDICT_RECONCILE ? &d->reconciled : &d->introduced;
    if (v->n == 0)
        return;
    x = &v->items[0];
    /* The object judged, also for a scale subresource (whose Scale names
     * the object it scales: its uid and resourceVersion are the object's). */
    obj = rv->old_object ? rv->old_object : rv->object;
    snprintf(api, sizeof api, "%s%s%s", x->obj.group, x->obj.group[0] ? "/" : "", rv->version);
    show(x->desired, want, sizeof want);
    show(d->verdict == DG_VERDICT_RECONCILE ? x->live
         : rv->object ? x->live : NULL, got, sizeof got);
    e.api_version = api;
    e.kind = x->obj.kind;
    e.ns = x->obj.ns;
    e.name = x->obj.name;
    e.uid = meta(obj, "uid");
    e.resource_version = meta(obj, "resourceVersion");
    e.group = rv->group;
    e.resource = rv->resource;
    e.path = x->path[0] ? x->path : "(object)";
    e.desired = want;
    e.value = got;
    e.value_label = d->verdict == DG_VERDICT_RECONCILE ? "was" : "requested";
    e.user = rv->user;
    e.release = d->release;
    e.more = v->n - 1;
    e.variances = annotation(&d->response, "variances");
    e.reconciled = annotation(&d->response, "reconciled");
    e.rule = annotation(&d->response, "rule");
    dg_events_post(ev, &e);
}

/* ---- posting ------------------------------------------------------------------------------- */

/* One token, waiting for it when the bucket is empty (the queue coalesces
 * meanwhile). False when stopping. */
static bool take_token(dg_events_t *ev)
{
    for (;;) {
        int64_t now = now_ns();
        bool stop;

        ev->tokens += (double)(now - ev->refilled_ns) / 1e9 * ev->qps;
        if (ev->tokens > ev->burst)
            ev->tokens = ev->burst;
        ev->refilled_ns = now;
        pthread_mutex_lock(&ev->mu);
        stop = ev->stop;
        pthread_mutex_unlock(&ev->mu);
        if (stop)
            return false;
        if (ev->tokens >= 1) {
            ev->tokens -= 1;
            return true;
        }
        nanosleep(&(struct timespec){0, (long)((1 - ev->tokens) / ev->qps * 1e9) % 1000000000 + 1000000},
                  NULL);
    }
}

static long send_json(dg_kube_conn_t *conn, const char *method, const char *path,
                      const char *ctype, json_t *body, dg_err_t *err)
{
    dg_kube_req_t req = {.verb = strcmp(method, "POST") == 0 ? DG_KUBE_CREATE : DG_KUBE_PATCH,
                         .timeout_ms = POST_TIMEOUT_MS, .max_bytes = MAX_ANSWER_BYTES};
    char *text = json_dumps(body, JSON_COMPACT);
    dg_buf_t answer;
    long status;

    if (text == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory"), 0;
    dg_buf_init(&answer, 0);
    status = dg_kube_client_send(conn, method, path, ctype, text, strlen(text), &req, &answer, err);
    dg_buf_free(&answer);
    free(text);
    return status;
}

static void post_one(dg_events_t *ev, dg_kube_conn_t *conn, item_t *it)
{
    char name[254], path[800];
    long count, status;
    dg_err_t err = {0};
    dg_kevent_op_t op;

    for (int attempt = 0; attempt < 2; attempt++) {
        op = dg_kevent_agg_observe(ev->agg, it->key, it->obj, it->n, it->last_ns, name, &count);
        memset(&err, 0, sizeof err);
        if (op == DG_KEVENT_PATCH) {
            json_t *patch = dg_kevent_series_patch(count, it->last_ns);

            snprintf(path, sizeof path, "/apis/events.k8s.io/v1/namespaces/%s/events/%s", it->ns,
                     name);
            status = patch ? send_json(conn, "PATCH", path, "application/merge-patch+json", patch,
                                       &err)
                           : 0;
            json_decref(patch);
        } else {
            json_object_set_new(json_object_get(it->body, "metadata"), "name", json_string(name));
            if (count > 1) {
                json_t *s = dg_kevent_series_patch(count, it->last_ns);

                json_object_set(it->body, "series", json_object_get(s, "series"));
                json_decref(s);
            }
            snprintf(path, sizeof path, "/apis/events.k8s.io/v1/namespaces/%s/events", it->ns);
            /* Signed once its name is set (the name is signed; the series
             * is not, so the PATCHes of repeats need no signature). */
            status = dg_kevent_sign(it->body, ev->key, &err) == 0
                         ? send_json(conn, "POST", path, NULL, it->body, &err)
                         : 0;
        }
        if (status / 100 == 2) {
            atomic_fetch_add(op == DG_KEVENT_PATCH ? &ev->patched : &ev->created, 1);
            return;
        }
        /* Not posted: the next occurrence starts a new Event. An Event
         * deleted or expired since (404 on the PATCH) is created again now. */
        dg_kevent_agg_forget(ev->agg, it->key);
        if (!(op == DG_KEVENT_PATCH && status == 404))
            break;
    }
    atomic_fetch_add(&ev->failed, 1);
    {
        char msg[600];

        dg_log(ev->log, DG_LOG_WARN, "event not posted",
               json_pack("{s:s, s:s}", "event", name, "error", dg_err_format(&err, msg, sizeof msg)));
    }
}

/* ---- the rebuild on start ----------------------------------------------------------------- */

/* Sort audit events by requestReceivedTimestamp (one format: MicroTime). */
static int by_time(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "requestReceivedTimestamp"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "requestReceivedTimestamp"));

    return strcmp(x ? x : "", y ? y : "");
}

/* Count an Event not believed, and name the first few: one may be a
 * forgery of driftgate's record, which its operator wants to know about;
 * a flood of them must not flood the log. */
static void distrusted(dg_events_t *ev, const json_t *item)
{
    const json_t *meta = json_object_get(item, "metadata");
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    const char *name = json_string_value(json_object_get(meta, "name"));

    char what[512];

    if (atomic_fetch_add(&ev->distrusted, 1) >= DISTRUSTED_LOGGED)
        return;
    snprintf(what, sizeof what, "%.253s/%.253s", ns ? ns : "?", name ? name : "?");
    dg_log(ev->log, DG_LOG_WARN,
           "Event not believed: not signed with driftgate's current key, or not driftgate's",
           json_pack("{s:s}", "event", what));
}

/* What is and is not trusted here. The Events read back were written by
 * anyone with `create events` in their namespace (every namespace editor):
 * only those signed with the key driftgate holds (derived from its serving
 * key, so Events signed before a key rotation are not believed) and that
 * pass the cheap filters (driftgate's reportingController, a
 * reportingInstance of its own Deployment: dg_kevent_trusted()) are kept, and even they are only shown in the
 * timeline, as the record of what driftgate said: they never set a
 * baseline, a decision, an episode or a metric. Everything read is
 * bounded: pages, bytes per page, Events in all, each field's length. */
static void rebuild(dg_events_t *ev, dg_kube_conn_t *conn)
{
    dg_kube_req_t req = {.verb = DG_KUBE_LIST, .timeout_ms = 30000L,
                         .max_bytes = MAX_LIST_PAGE_BYTES};
    char prefix[256];
    bool exact, selector = true;
    dg_buf_t path, body;
    char *cont = NULL;
    json_t **kept = NULL;
    size_t nkept = 0, seen = 0;
    dg_err_t err = {0};
    int64_t now = now_ns();

    dg_kevent_instance_prefix(ev->instance, prefix, sizeof prefix, &exact);
    dg_buf_init(&path, 0);
    dg_buf_init(&body, 0);
    kept = calloc(DG_EVENTS_REBUILD_MAX, sizeof *kept);
    for (int page = 0; kept && seen < DG_EVENTS_REBUILD_MAX && page < MAX_LIST_PAGES; page++) {
        json_t *doc = NULL, *item;
        const char *next;
        long status;
        size_t i;

        dg_buf_reset(&path);
        if (dg_buf_printf(&path, "/apis/events.k8s.io/v1/events?limit=%d%s", LIST_PAGE,
                          selector ? "&fieldSelector=reportingController%3Ddriftgate.io%2Fdriftgate" : "") ||
            (cont && (dg_buf_puts(&path, "&continue=") || dg_kube_client_escape(&path, cont))))
            break;
        memset(&err, 0, sizeof err);
        status = dg_kube_client_get(conn, path.data, &req, &body, &err);
        /* Not every API server selects Events by reportingController:
         * then every Event is read (within the same bounds) and filtered here. */
        if (status == 400 && selector && cont == NULL) {
            selector = false;
            continue;
        }
        if (status == 200 && err.code == 0)
            doc = dg_json_parse(body.data ? body.data : "", body.len, 0, "Event list", &err);
        if (doc == NULL)
            break;
        json_array_foreach(json_object_get(doc, "items"), i, item) {
            json_t *au;

            if (seen++ >= DG_EVENTS_REBUILD_MAX)
                break;
            if (!dg_kevent_trusted(item, prefix, exact, ev->key)) {
                distrusted(ev, item);
                continue;
            }
            au = dg_kevent_to_audit(item, ev->webhook, now);
            if (au)
                kept[nkept++] = au;
        }
        next = json_string_value(json_object_get(json_object_get(doc, "metadata"), "continue"));
        free(cont);
        cont = next && next[0] ? strdup(next) : NULL;
        json_decref(doc);
        if (cont == NULL)
            break;
    }
    if (err.code) {
        char msg[600];

        dg_log(ev->log, DG_LOG_WARN, "timeline not rebuilt from driftgate's Events",
               json_pack("{s:s}", "error", dg_err_format(&err, msg, sizeof msg)));
    }
    if (nkept) {
        json_t *list = json_pack("{s:s, s:s, s:[]}", "apiVersion", "audit.k8s.io/v1", "kind",
                                 "EventList", "items");
        size_t skipped = 0;

        qsort(kept, nkept, sizeof *kept, by_time);
        for (size_t i = 0; list && i < nkept; i++)
            json_array_append(json_object_get(list, "items"), kept[i]);
        if (list && dg_timelines_add(ev->tls, list, &skipped, NULL) == 0)
            atomic_fetch_add(&ev->rebuilt, nkept - skipped);
        json_decref(list);
    }
    dg_log(ev->log, DG_LOG_INFO, "timeline rebuilt from driftgate's Events",
           json_pack("{s:I, s:I, s:I}", "read", (json_int_t)seen, "kept",
                     (json_int_t)atomic_load(&ev->rebuilt), "distrusted",
                     (json_int_t)atomic_load(&ev->distrusted)));
    for (size_t i = 0; i < nkept; i++)
        json_decref(kept[i]);
    free(kept);
    free(cont);
    dg_buf_free(&path);
    dg_buf_free(&body);
}

/* ---- the thread ------------------------------------------------------------------------------ */

static void *run(void *arg)
{
    dg_events_t *ev = arg;
    dg_kube_conn_t *conn = dg_kube_client_acquire(ev->client);

    if (conn && ev->tls)
        rebuild(ev, conn);
    for (;;) {
        item_t it;

        pthread_mutex_lock(&ev->mu);
        while (ev->n == 0 && !ev->stop)
            pthread_cond_wait(&ev->cv, &ev->mu);
        if (ev->stop) {
            pthread_mutex_unlock(&ev->mu);
            break;
        }
        pthread_mutex_unlock(&ev->mu);
        /* The token first, the item after: repeats that arrive while
         * waiting are counted into the item still in the queue. */
        if (!take_token(ev))
            break;
        pthread_mutex_lock(&ev->mu);
        it = ev->q[ev->head];
        ev->head = (ev->head + 1) % DG_EVENTS_QUEUE;
        ev->n--;
        pthread_mutex_unlock(&ev->mu);
        if (conn)
            post_one(ev, conn, &it);
        else
            atomic_fetch_add(&ev->failed, 1);
        json_decref(it.body);
    }
    dg_kube_client_release(ev->client, &conn);
    return NULL;
}

/* The signing key, from the serving key file's bytes: a secret only
 * driftgate's own namespace can read, which a namespace editor who may
 * create Events cannot. Read once, at start: Events signed under an
 * earlier serving key are not believed after a rotation. */
static int load_key(const char *path, uint8_t key[DG_KEVENT_KEY_LEN], dg_err_t *err)
{
    FILE *f = path ? fopen(path, "rb") : NULL;
    char *buf = NULL;
    size_t n = 0;
    int rc = 0;

    if (f == NULL)
        return dg_err_set(err, DG_EIO, "%s: cannot read the serving key to sign Events with",
                          path ? path : "(no --tls-key)");
    buf = malloc(MAX_KEY_BYTES);
    if (buf == NULL)
        rc = dg_err_set(err, DG_ENOMEM, "out of memory reading the serving key");
    else
        n = fread(buf, 1, MAX_KEY_BYTES, f);
    if (!rc && (ferror(f) || n == 0 || n == MAX_KEY_BYTES))
        rc = dg_err_set(err, DG_EIO, "%s: empty, unreadable or over 1 MiB", path);
    if (!rc && dg_kevent_sign_key(buf, n, key) != 0)
        rc = dg_err_set(err, DG_ENOMEM, "out of memory deriving the Events signing key");
    if (buf)
        explicit_bzero(buf, MAX_KEY_BYTES);
    free(buf);
    fclose(f);
    return rc;
}

dg_events_t *dg_events_start(const dg_gate_t *g, const char *instance, dg_err_t *err)
{
    dg_events_t *ev = calloc(1, sizeof *ev);

    if (ev == NULL || (ev->agg = dg_kevent_agg_new(4096, DG_EVENTS_WINDOW_NS)) == NULL) {
        free(ev);
        return dg_err_set(err, DG_ENOMEM, "out of memory starting Events"), NULL;
    }
    pthread_mutex_init(&ev->mu, NULL);
    pthread_cond_init(&ev->cv, NULL);
    snprintf(ev->instance, sizeof ev->instance, "%s", instance && instance[0] ? instance : "driftgate");
    ev->qps = g->cfg->events_qps ? g->cfg->events_qps : 1;
    ev->burst = g->cfg->events_burst ? g->cfg->events_burst : 1;
    ev->tokens = ev->burst;
    ev->refilled_ns = now_ns();
    ev->tls = g->timelines;
    ev->webhook = g->cfg->webhook_name ? g->cfg->webhook_name : "validate.driftgate.io";
    ev->log = g->log;
    if (load_key(g->cfg->tls_key, ev->key, err) != 0) {
        dg_events_stop(&ev);
        return NULL;
    }
    ev->client = dg_kube_client_new(g->cfg, g->metrics, g->log, err);
    if (ev->client == NULL || (ev->started = pthread_create(&ev->thread, NULL, run, ev) == 0) == false) {
        if (ev->client)
            dg_err_set(err, DG_ENOMEM, "cannot start the Events thread");
        dg_events_stop(&ev);
        return NULL;
    }
    return ev;
}

void dg_events_stop(dg_events_t **evp)
{
    dg_events_t *ev = evp ? *evp : NULL;

    if (ev == NULL)
        return;
    pthread_mutex_lock(&ev->mu);
    ev->stop = true;
    pthread_cond_signal(&ev->cv);
    pthread_mutex_unlock(&ev->mu);
    if (ev->client)
        dg_kube_client_stop(ev->client);
    if (ev->started)
        pthread_join(ev->thread, NULL);
    for (size_t i = 0; i < ev->n; i++)
        json_decref(ev->q[(ev->head + i) % DG_EVENTS_QUEUE].body);
    dg_kube_client_free(&ev->client);
    dg_kevent_agg_free(&ev->agg);
    pthread_mutex_destroy(&ev->mu);
    pthread_cond_destroy(&ev->cv);
    explicit_bzero(ev->key, sizeof ev->key);
    free(ev);
    *evp = NULL;
}

int dg_events_metrics(dg_events_t *ev, dg_buf_t *o)
{
    size_t depth;

    if (ev == NULL)
        return 0;
    pthread_mutex_lock(&ev->mu);
    depth = ev->n;
    pthread_mutex_unlock(&ev->mu);
    return dg_buf_printf(
        o,
        "# HELP driftgate_events_posted_total Kubernetes Events posted: created, or a "
        "repeat's series patched.\n"
        "# TYPE driftgate_events_posted_total counter\n"
        "driftgate_events_posted_total{op=\"create\"} %llu\n"
        "driftgate_events_posted_total{op=\"patch\"} %llu\n"
        "# HELP driftgate_events_coalesced_total Repeats counted into an Event still queued.\n"
        "# TYPE driftgate_events_coalesced_total counter\ndriftgate_events_coalesced_total %llu\n"
        "# HELP driftgate_events_dropped_total Events dropped: the queue was full.\n"
        "# TYPE driftgate_events_dropped_total counter\ndriftgate_events_dropped_total %llu\n"
        "# HELP driftgate_events_failed_total Events the API server did not take.\n"
        "# TYPE driftgate_events_failed_total counter\ndriftgate_events_failed_total %llu\n"
        "# HELP driftgate_events_queued Distinct Events waiting to be posted.\n"
        "# TYPE driftgate_events_queued gauge\ndriftgate_events_queued %zu\n"
        "# HELP driftgate_events_rebuilt Timeline events rebuilt from driftgate's Events on start.\n"
        "# TYPE driftgate_events_rebuilt gauge\ndriftgate_events_rebuilt %llu\n"
        "# HELP driftgate_events_distrusted Events read back on start and not believed.\n"
        "# TYPE driftgate_events_distrusted gauge\ndriftgate_events_distrusted %llu\n",
        atomic_load(&ev->created), atomic_load(&ev->patched), atomic_load(&ev->coalesced),
        atomic_load(&ev->dropped), atomic_load(&ev->failed), depth, atomic_load(&ev->rebuilt),
        atomic_load(&ev->distrusted));
}
