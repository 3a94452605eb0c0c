/* webhook/kube_watch.c: LIST (limit/continue) + WATCH (bookmarks,
 * timeoutSeconds, resume from resourceVersion), with a client-side timeout
 * a little longer than the server's, a low-speed limit that bookmarks keep
 * satisfied (kube_client.c), and backoff with jitter between failures.
 * SPDX-License-Identifier: Apache-2.0 */
#include "kube_watch.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

#define PAGE_LIMIT 500
#define LIST_TIMEOUT_MS 60000L
/* One page of 500 objects; an API server keeps each object under 1.5 MiB
 * by default, and a page is parsed and dropped before the next. */
#define MAX_PAGE_BYTES ((size_t)256 << 20)
#define MAX_EVENT_BYTES ((size_t)64 << 20)
/* The server ends a watch after timeoutSeconds, spread like client-go's
 * (5 to 10 minutes) so that watches do not all reconnect at once; the
 * client gives up a little later, in case the server never does. */
#define WATCH_MIN_S 300
#define WATCH_SLACK_S 30
#define BACKOFF_MIN_MS 1000L
#define BACKOFF_MAX_MS 30000L

struct dg_kube_watch {
    dg_kube_watch_spec_t spec;
    dg_kube_client_t *client;
    dg_kube_conn_t *conn;   /* this thread's own: never shared */
    pthread_t thread;
    dg_metrics_t *metrics;  /* the client's (borrowed) */
    dg_log_t *log;          /* the client's (borrowed) */
    int slot;               /* in @metrics */
    json_t *known;          /* "ns/name" -> "uid/resourceVersion" handed to the sink */
    char rv[64];            /* to resume from; "" = list first */
    unsigned seed;
    /* how the last watch ended */
    bool gone, broken, error_event;
    unsigned long events;
    char why[200];
};

void dg_kube_nap(const dg_kube_client_t *c, long ms)
{
    for (long t = 0; t < ms && !dg_kube_client_stopping(c); t += 100)
        usleep(100 * 1000);
}

/* ---- objects in, sink out ------------------------------------------------------------ */

static void key_of(const json_t *obj, char *out, size_t size)
{
    json_t *meta = json_object_get(obj, "metadata");
    const char *ns = json_string_value(json_object_get(meta, "namespace"));

    snprintf(out, size, "%s/%s", ns ? ns : "", json_string_value(json_object_get(meta, "name")));
}

static void version_of(const json_t *obj, char *out, size_t size)
{
    json_t *meta = json_object_get(obj, "metadata");

    snprintf(out, size, "%s/%s", json_string_value(json_object_get(meta, "uid")),
             json_string_value(json_object_get(meta, "resourceVersion")));
}

/* Hand @obj on unless this very version was handed on already (a relist
 * after a reconnect mostly repeats what the sink has). */
static void upsert(struct dg_kube_watch *w, json_t *obj, json_t *seen)
{
    char key[600], ver[200];
    const char *had;

    json_object_set_new(obj, "kind", json_string(w->spec.kind));
    json_object_set_new(obj, "apiVersion", json_string(w->spec.api_version));
    key_of(obj, key, sizeof key);
    version_of(obj, ver, sizeof ver);
    if (seen)
        json_object_set_new(seen, key, json_true());
    had = json_string_value(json_object_get(w->known, key));
    if (had && strcmp(had, ver) == 0)
        return;
    json_object_set_new(w->known, key, json_string(ver));
    w->spec.sink.upsert(w->spec.sink.ctx, key, obj);
}

static void remove_key(struct dg_kube_watch *w, const char *key)
{
    w->spec.sink.remove(w->spec.sink.ctx, key);
    json_object_del(w->known, key);
}

static void set_rv(struct dg_kube_watch *w, const json_t *obj)
{
    const char *rv =
        json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));

    if (rv)
        snprintf(w->rv, sizeof w->rv, "%s", rv);
}

/* ---- LIST, a page at a time ----------------------------------------------------------- */

static int page_path(const struct dg_kube_watch *w, const char *cont, dg_buf_t *path)
{
    int rc;

    dg_buf_reset(path);
    rc = dg_buf_printf(path, "%s?limit=%d", w->spec.path, PAGE_LIMIT);
    if (!rc && w->spec.selector)
        rc = dg_buf_printf(path, "&labelSelector=%s", w->spec.selector);
    if (!rc && cont && cont[0]) {
        rc = dg_buf_puts(path, "&continue=");
        if (!rc)
            rc = dg_kube_client_escape(path, cont);
    }
    return rc;
}

/* One page into the sink; *@cont gets the next page's token (malloced) or NULL. */
static long list_page(struct dg_kube_watch *w, const char *cont, json_t *seen, char **next,
                      dg_err_t *err)
{
    dg_kube_req_t req = {.verb = DG_KUBE_LIST, .timeout_ms = LIST_TIMEOUT_MS,
                         .max_bytes = MAX_PAGE_BYTES};
    dg_buf_t path, body;
    json_t *doc = NULL, *item, *meta;
    long status;
    size_t i;

    *next = NULL;
    dg_buf_init(&path, 0);
    dg_buf_init(&body, 0);
    if (page_path(w, cont, &path) != 0) {
        dg_err_set(err, DG_ENOMEM, "out of memory");
        status = 0;
        goto out;
    }
    status = dg_kube_client_get(w->conn, path.data, &req, &body, err);
    if (status == 200 && err->code == 0)
        doc = dg_kube_client_json(body.data, body.len, err);
    if (doc == NULL) {
        status = status == 200 ? 0 : status;
        goto out;
    }
    json_array_foreach(json_object_get(doc, "items"), i, item) {
        upsert(w, item, seen);
    }
    meta = json_object_get(doc, "metadata");
    set_rv(w, doc);
    if (json_string_length(json_object_get(meta, "continue")))
        *next = strdup(json_string_value(json_object_get(meta, "continue")));
out:
    json_decref(doc);
    dg_buf_free(&body);
    dg_buf_free(&path);
    return status;
}

/* Every page, then what the sink holds that the list did not is removed. */
static int list_all(struct dg_kube_watch *w, dg_err_t *err)
{
    json_t *seen = json_object();
    char *cont = NULL, *next = NULL;
    const char *key;
    json_t *v;
    void *tmp;
    int rc = 0;

    dg_metrics_watch_list(w->metrics, w->slot);
    w->rv[0] = '\0';
    do {
        dg_err_t perr = {0};
        long status = list_page(w, cont, seen, &next, &perr);

        if (status == 410 && cont) {
            /* The continue token expired mid-list: start again from the top. */
            dg_log(w->log, DG_LOG_INFO, "list continue token expired; listing again",
                   json_pack("{s:s}", "watch", w->spec.name));
            json_object_clear(seen);
        } else if (status != 200 || perr.code) {
            *err = perr;
            rc = DG_EIO;
        }
        free(cont);
        cont = next;
    } while (cont && rc == 0 && !dg_kube_client_stopping(w->client));
    free(cont);
    if (rc == 0 && w->rv[0] == '\0')
        rc = dg_err_set(err, DG_EIO, "LIST %s: no resourceVersion in the answer", w->spec.path);
    if (rc == 0) {
        json_object_foreach_safe(w->known, tmp, key, v) {
            if (json_object_get(seen, key) == NULL)
                remove_key(w, key);
        }
        w->spec.sink.flush(w->spec.sink.ctx);
        dg_metrics_watch_event(w->metrics, w->slot);
    }
    json_decref(seen);
    return rc;
}

/* ---- WATCH ------------------------------------------------------------------------------ */

static int on_event(void *ctx, const char *line, size_t len, bool more)
{
    struct dg_kube_watch *w = ctx;
    json_t *ev = dg_kube_client_json(line, len, NULL), *obj = json_object_get(ev, "object");
    const char *type = json_string_value(json_object_get(ev, "type"));
    char key[600];
    int stop = 0;

    if (len == 0) { /* a blank line keeps nothing and breaks nothing */
        json_decref(ev);
        return 0;
    }
    dg_metrics_watch_event(w->metrics, w->slot);
    if (type == NULL || !json_is_object(obj)) {
        snprintf(w->why, sizeof w->why, "an event that does not parse (%zu bytes)", len);
        w->broken = true;
        stop = 1;
    } else if (strcmp(type, "ERROR") == 0) {
        json_int_t code = json_integer_value(json_object_get(obj, "code"));

        snprintf(w->why, sizeof w->why, "ERROR event %lld: %.150s", (long long)code,
                 json_string_value(json_object_get(obj, "message")));
        w->gone = code == 410;
        w->error_event = !w->gone;
        stop = 1;
    } else if (strcmp(type, "BOOKMARK") == 0) {
        set_rv(w, obj);
    } else if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0) {
        upsert(w, obj, NULL);
        set_rv(w, obj);
        w->events++;
    } else if (strcmp(type, "DELETED") == 0) {
        key_of(obj, key, sizeof key);
        remove_key(w, key);
        set_rv(w, obj);
        w->events++;
    }
    /* Publish once a burst has been read, not once per event. */
    if (!stop && !more && strcmp(type, "BOOKMARK") != 0)
        w->spec.sink.flush(w->spec.sink.ctx);
    json_decref(ev);
    return stop;
}

typedef enum { WATCH_RESUME, WATCH_RELIST, WATCH_FAILED } watch_end_t;

static watch_end_t watch_once(struct dg_kube_watch *w, dg_err_t *err)
{
    int timeout_s = WATCH_MIN_S + (int)(rand_r(&w->seed) % WATCH_MIN_S);
    dg_kube_req_t req = {.verb = DG_KUBE_WATCH, .timeout_ms = (timeout_s + WATCH_SLACK_S) * 1000L,
                         .max_bytes = MAX_EVENT_BYTES, .on_line = on_event, .ctx = w};
    dg_buf_t path, body;
    long status;

    w->gone = w->broken = w->error_event = false;
    w->why[0] = '\0';
    dg_buf_init(&path, 0);
    dg_buf_init(&body, 0);
    if (dg_buf_printf(&path, "%s?watch=1&allowWatchBookmarks=true&timeoutSeconds=%d"
                             "&resourceVersion=%s%s%s",
                      w->spec.path, timeout_s, w->rv, w->spec.selector ? "&labelSelector=" : "",
                      w->spec.selector ? w->spec.selector : "") != 0) {
        dg_buf_free(&path);
        return dg_err_set(err, DG_ENOMEM, "out of memory"), WATCH_FAILED;
    }
    status = dg_kube_client_get(w->conn, path.data, &req, &body, err);
    dg_buf_free(&path);
    dg_buf_free(&body);
    if (status == 410 || w->gone || w->broken) {
        if (w->broken)
            dg_err_set(err, DG_EPARSE, "watch %s: %s", w->spec.name, w->why);
        return WATCH_RELIST;
    }
    /* A line past MAX_EVENT_BYTES would come again on every resume. */
    if (strstr(err->msg, "response too large"))
        return WATCH_RELIST;
    if (w->error_event)
        dg_err_set(err, DG_EIO, "watch %s: %s", w->spec.name, w->why);
    return status == 200 && err->code == 0 ? WATCH_RESUME : WATCH_FAILED;
}

/* ---- the loop ----------------------------------------------------------------------------- */

/* "Equal jitter": half the step fixed, half random, so that watchers that
 * failed together do not retry together. */
static long jittered(struct dg_kube_watch *w, long step)
{
    return step / 2 + (long)(rand_r(&w->seed) % (unsigned)(step / 2 + 1));
}

static void log_failure(const struct dg_kube_watch *w, const dg_err_t *err, long wait_ms,
                        bool listing)
{
    char msg[600];

    dg_log(w->log, DG_LOG_WARN, "Kubernetes API unreachable; serving the last good baselines",
           json_pack("{s:s, s:s, s:s, s:f, s:s}", "source", w->spec.name, "error",
                     err->code ? dg_err_format(err, msg, sizeof msg) : "request failed", "then",
                     listing ? "list" : "resume watch", "retry_in_s", (double)wait_ms / 1000.0,
                     "resource_version", w->rv));
}

static void *run(void *arg)
{
    struct dg_kube_watch *w = arg;
    bool listing = true;
    long step = BACKOFF_MIN_MS;
    char msg[600];

    while (!dg_kube_client_stopping(w->client)) {
        dg_err_t err = {0};
        struct timespec t0, t1;
        watch_end_t end;

        if (listing) {
            if (list_all(w, &err) == 0) {
                listing = false;
                step = BACKOFF_MIN_MS;
                continue;
            }
            end = WATCH_FAILED;
        } else {
            w->events = 0;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            end = watch_once(w, &err);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            /* A watch the server closes at once, with nothing in it, is not
             * a healthy one: do not spin on it. */
            if (end == WATCH_RESUME && w->events == 0 && t1.tv_sec - t0.tv_sec < 1)
                end = WATCH_FAILED;
        }
        if (dg_kube_client_stopping(w->client))
            break;
        if (end == WATCH_RESUME) {
            step = BACKOFF_MIN_MS;
        } else if (end == WATCH_RELIST) {
            dg_log(w->log, w->gone ? DG_LOG_INFO : DG_LOG_WARN,
                   w->gone ? "watch expired (410 Gone); relisting" : "watch unreadable; relisting",
                   json_pack("{s:s, s:s, s:s}", "source", w->spec.name, "resource_version", w->rv,
                             "error", err.code ? dg_err_format(&err, msg, sizeof msg) : w->why));
            listing = true;
        } else {
            long wait_ms = jittered(w, step);

            log_failure(w, &err, wait_ms, listing);
            dg_kube_nap(w->client, wait_ms);
            step = step * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : step * 2;
        }
    }
    return NULL;
}

dg_kube_watch_t *dg_kube_watch_start(dg_kube_client_t *c, const dg_kube_watch_spec_t *spec,
                                     dg_err_t *err)
{
    struct dg_kube_watch *w = calloc(1, sizeof *w);

    if (w == NULL || (w->known = json_object()) == NULL ||
        (w->conn = dg_kube_client_acquire(c)) == NULL) {
        if (w)
            json_decref(w->known);
        free(w);
        dg_err_set(err, DG_ENOMEM, "out of memory starting watch %s", spec->name);
        return NULL;
    }
    w->spec = *spec;
    w->client = c;
    w->metrics = dg_kube_client_metrics(c);
    w->log = dg_kube_client_log(c);
    w->slot = dg_metrics_watch_register(w->metrics, spec->name);
    w->seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)w;
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        dg_kube_client_release(c, &w->conn);
        json_decref(w->known);
        free(w);
        dg_err_set(err, DG_ENOMEM, "cannot start the thread of watch %s", spec->name);
        return NULL;
    }
    return w;
}

void dg_kube_watch_stop(dg_kube_watch_t **wp)
{
    struct dg_kube_watch *w = wp ? *wp : NULL;

    if (w == NULL)
        return;
    pthread_join(w->thread, NULL);
    dg_kube_client_release(w->client, &w->conn);
    json_decref(w->known);
    free(w);
    *wp = NULL;
}
