/* webhook/kube_audit.c: baseline objects grouped by kind and namespace,
 * one LIST each at the preferred version, compared by name; each object's
 * last result kept by identity. SPDX-License-Identifier: Apache-2.0 */
#include "kube_audit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "kube_watch.h"
#include "log.h"
#include "metrics.h"
#include "report.h"
#include "strmap.h"

#define PAGE_LIMIT 500
#define LIST_TIMEOUT_MS 30000L
#define MAX_PAGE_BYTES ((size_t)256 << 20)
#define FIRST_PASS_DELAY_MS 2000L /* let the first lists land */

struct dg_kube_audit {
    dg_kube_client_t *client;
    dg_kube_conn_t *conn;  /* this thread's own */
    dg_gate_t *g;
    pthread_t thread;
    bool started;
    json_t *versions;      /* API group -> preferred version ("v2") */
    json_t *results;       /* "ns/release|objid" -> variances (JSON array) last read */
};

/* One LIST's worth: the baseline objects of one kind in one namespace. */
typedef struct target {
    const dg_obj_t *obj;       /* borrowed from the snapshot */
    const dg_release_t *rel;
    char key[700];             /* the result's key */
} target_t;

typedef struct bucket {
    const dg_kindinfo_t *ki;
    const char *ns;            /* borrowed; "" when cluster-scoped */
    target_t *targets;
    size_t n, cap;
} bucket_t;

/* READ_FAILED: an answer that was not the list (403, 5xx); READ_UNREACHABLE:
 * no answer at all (refused, timed out, stalled). Either way, not read. */
typedef enum { READ_OK, READ_MISSING, READ_FAILED, READ_UNREACHABLE } read_t;

/* ---- the preferred version of a group -------------------------------------------------------- */

static read_t discover(struct dg_kube_audit *a, const char *group, dg_err_t *err)
{
    dg_kube_req_t req = {.verb = DG_KUBE_GET, .timeout_ms = LIST_TIMEOUT_MS,
                         .max_bytes = (size_t)1 << 20};
    dg_buf_t body;
    char path[300];
    json_t *doc = NULL;
    const char *ver;
    long status;

    dg_buf_init(&body, 0);
    snprintf(path, sizeof path, "/apis/%s", group);
    status = dg_kube_client_get(a->conn, path, &req, &body, err);
    if (status == 200 && err->code == 0)
        doc = dg_kube_client_json(body.data, body.len, err);
    dg_buf_free(&body);
    ver = json_string_value(json_object_get(json_object_get(doc, "preferredVersion"), "version"));
    if (ver)
        json_object_set_new(a->versions, group, json_string(ver));
    json_decref(doc);
    if (status == 404)
        return READ_MISSING; /* the group is not served: none of its objects exist */
    if (status == 0)
        return READ_UNREACHABLE;
    if (ver == NULL)
        return dg_err_set(err, DG_EIO, "GET %s: no preferredVersion", path), READ_FAILED;
    return READ_OK;
}

/* ---- one LIST ------------------------------------------------------------------------------------ */

static int list_path(const bucket_t *b, const char *ver, const char *cont, dg_buf_t *out)
{
    const char *group = b->ki->group;
    int rc;

    dg_buf_reset(out);
    rc = group[0] ? dg_buf_printf(out, "/apis/%s/%s", group, ver) : dg_buf_puts(out, "/api/v1");
    if (!rc && b->ki->namespaced)
        rc = dg_buf_printf(out, "/namespaces/%s", b->ns);
    if (!rc)
        rc = dg_buf_printf(out, "/%s?limit=%d", b->ki->resource, PAGE_LIMIT);
    if (!rc && cont) {
        rc = dg_buf_puts(out, "&continue=");
        if (!rc)
            rc = dg_kube_client_escape(out, cont);
    }
    return rc;
}

/* The live objects @b names, by name, into @live; READ_MISSING when the
 * resource is not served at @ver. */
static read_t list_bucket(struct dg_kube_audit *a, const bucket_t *b, const char *ver,
                          json_t *live, dg_err_t *err)
{
    dg_kube_req_t req = {.verb = DG_KUBE_LIST, .timeout_ms = LIST_TIMEOUT_MS,
                         .max_bytes = MAX_PAGE_BYTES};
    dg_buf_t path, body;
    char *cont = NULL;
    read_t res = READ_OK;
    json_t *wanted = json_object();

    for (size_t t = 0; t < b->n; t++)
        json_object_set_new(wanted, b->targets[t].obj->id.name, json_true());
    dg_buf_init(&path, 0);
    dg_buf_init(&body, 0);
    do {
        json_t *doc = NULL, *item;
        const char *next;
        long status;
        size_t i;

        if (list_path(b, ver, cont, &path) != 0) {
            res = (dg_err_set(err, DG_ENOMEM, "out of memory"), READ_FAILED);
            break;
        }
        status = dg_kube_client_get(a->conn, path.data, &req, &body, err);
        if (status == 200 && err->code == 0)
            doc = dg_kube_client_json(body.data, body.len, err);
        if (doc == NULL) {
            res = status == 404 ? READ_MISSING : status == 0 ? READ_UNREACHABLE : READ_FAILED;
            break;
        }
        json_array_foreach(json_object_get(doc, "items"), i, item) {
            const char *name =
                json_string_value(json_object_get(json_object_get(item, "metadata"), "name"));

            if (name && json_object_get(wanted, name))
                json_object_set(live, name, item);
        }
        next = json_string_value(json_object_get(json_object_get(doc, "metadata"), "continue"));
        free(cont);
        cont = next && next[0] ? strdup(next) : NULL;
        json_decref(doc);
    } while (cont);
    free(cont);
    json_decref(wanted);
    dg_buf_free(&path);
    dg_buf_free(&body);
    return res;
}

/* The bucket's live objects at the group's preferred version. A version
 * that stopped being served (the cluster was upgraded) is discovered again
 * before anything is called missing. */
static read_t read_bucket(struct dg_kube_audit *a, const bucket_t *b, json_t *live, dg_err_t *err)
{
    const char *group = b->ki->group;
    bool fresh = false;
    read_t res;

    for (int attempt = 0; attempt < 2; attempt++) {
        const char *ver = group[0] ? json_string_value(json_object_get(a->versions, group)) : "v1";

        if (ver == NULL) {
            res = discover(a, group, err);
            if (res != READ_OK)
                return res;
            fresh = true;
            ver = json_string_value(json_object_get(a->versions, group));
        }
        res = list_bucket(a, b, ver, live, err);
        if (res != READ_MISSING || fresh || !group[0])
            return res;
        json_object_del(a->versions, group);
        dg_err_clear(err);
    }
    return res;
}

/* ---- one pass ----------------------------------------------------------------------------------- */

static void buckets_free(void *p)
{
    bucket_t *b = p;

    if (b) {
        free(b->targets);
        free(b);
    }
}

static int add_target(dg_strmap_t *buckets, const dg_release_t *rel, const dg_obj_t *o)
{
    const dg_kindinfo_t *ki = dg_kind_by_kind(o->id.group, o->id.kind);
    char key[600], id[400];
    bucket_t *b;
    target_t *t;

    if (ki == NULL)
        return 0; /* not a kind driftgate can name: nothing to list */
    snprintf(key, sizeof key, "%s/%s/%s", o->id.group, o->id.kind, ki->namespaced ? o->id.ns : "");
    b = dg_strmap_get(buckets, key);
    if (b == NULL) {
        b = calloc(1, sizeof *b);
        if (b == NULL || dg_strmap_put(buckets, key, b) != 0)
            return DG_ENOMEM;
        b->ki = ki;
        b->ns = ki->namespaced ? o->id.ns : "";
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        target_t *p = realloc(b->targets, cap * sizeof *p);

        if (p == NULL)
            return DG_ENOMEM;
        b->targets = p;
        b->cap = cap;
    }
    t = &b->targets[b->n++];
    t->obj = o;
    t->rel = rel;
    snprintf(t->key, sizeof t->key, "%s/%s|%s", rel->ns, rel->name,
             dg_objid_format(&o->id, id, sizeof id));
    return 0;
}

/* Every governed object of every release, by kind and namespace. */
static dg_strmap_t *collect(const dg_snapshot_t *snap, const dg_policy_t *pol)
{
    dg_strmap_t *buckets = dg_strmap_new(buckets_free);

    for (size_t i = 0; buckets && i < dg_baselines_count(snap->bases); i++) {
        const dg_release_t *rel = dg_baselines_at(snap->bases, i);

        for (size_t j = 0; j < dg_objset_count(rel->objs); j++) {
            const dg_obj_t *o = dg_objset_at(rel->objs, j);

            if (dg_policy_governs(pol, o->id.group, o->id.kind) &&
                add_target(buckets, rel, o) != 0) {
                dg_strmap_free(&buckets);
                break;
            }
        }
    }
    return buckets;
}

/* Compare what was read; keep the last result of what was not. */
static void judge_bucket(struct dg_kube_audit *a, const bucket_t *b, read_t res, const json_t *live,
                         json_t *now, long *unread)
{
    for (size_t i = 0; i < b->n; i++) {
        const target_t *t = &b->targets[i];
        json_t *last = json_object_get(a->results, t->key);
        dg_variances_t v;

        if (res == READ_FAILED || res == READ_UNREACHABLE) {
            (*unread)++;
            if (last)
                json_object_set(now, t->key, last);
            continue;
        }
        dg_variances_init(&v);
        if (dg_diff_object(t->obj, json_object_get(live, t->obj->id.name), t->rel->objs,
                           a->g->policy, &v, NULL) == 0)
            json_object_set_new(now, t->key, dg_report_variances_json(&v));
        else
            dg_log(a->g->log, DG_LOG_ERROR, "audit: out of memory", NULL);
        dg_variances_free(&v);
    }
}

static void publish(struct dg_kube_audit *a, json_t *now, long unread)
{
    json_t *all = json_array(), *vars;
    const char *key;

    json_object_foreach(now, key, vars) {
        json_array_extend(all, vars);
    }
    json_decref(a->results);
    a->results = now; /* objects no longer in any baseline are forgotten */
    dg_metrics_set_audit_unread(a->g->metrics, unread);
    dg_store_set_variances(a->g->store, all, (long)json_array_size(all));
}

static void audit_once(struct dg_kube_audit *a)
{
    dg_snapshot_t *snap = dg_store_acquire(a->g->store);
    dg_strmap_t *buckets = collect(snap, a->g->policy);
    json_t *now = json_object();
    dg_strmap_iter_t it = {0};
    dg_err_t first = {0};
    const char *key;
    void *v;
    long unread = 0;
    bool down = false;
    char msg[600];

    while (buckets && dg_strmap_next(buckets, &it, &key, &v)) {
        json_t *live = json_object();
        dg_err_t err = {0};
        /* Once the API server does not answer, the rest of the pass would
         * only wait out a timeout per LIST: the rest is not read either. */
        read_t res = down ? READ_UNREACHABLE : read_bucket(a, v, live, &err);

        down |= res == READ_UNREACHABLE;
        if ((res == READ_FAILED || res == READ_UNREACHABLE) && first.code == 0)
            first = err;
        judge_bucket(a, v, res, live, now, &unread);
        json_decref(live);
        if (dg_kube_client_stopping(a->client))
            break;
    }
    if (buckets && !dg_kube_client_stopping(a->client))
        publish(a, json_incref(now), unread);
    if (unread)
        dg_log(a->g->log, DG_LOG_WARN, "audit: objects not read; their last result is kept",
               json_pack("{s:I, s:s}", "unread", (json_int_t)unread, "error",
                         dg_err_format(&first, msg, sizeof msg)));
    json_decref(now);
    dg_strmap_free(&buckets);
    dg_snapshot_release(&snap);
}

/* ---- the thread ------------------------------------------------------------------------------- */

static void *run(void *arg)
{
    struct dg_kube_audit *a = arg;

    dg_kube_nap(a->client, FIRST_PASS_DELAY_MS);
    while (!dg_kube_client_stopping(a->client)) {
        audit_once(a);
        dg_kube_nap(a->client, (long)a->g->cfg->audit_interval_s * 1000);
    }
    return NULL;
}

dg_kube_audit_t *dg_kube_audit_start(dg_kube_client_t *c, dg_gate_t *g, dg_err_t *err)
{
    struct dg_kube_audit *a = calloc(1, sizeof *a);

    if (a == NULL || (a->conn = dg_kube_client_acquire(c)) == NULL) {
        free(a);
        dg_err_set(err, DG_ENOMEM, "out of memory starting the audit");
        return NULL;
    }
    a->client = c;
    a->g = g;
    a->versions = json_object();
    a->results = json_object();
    a->started = pthread_create(&a->thread, NULL, run, a) == 0;
    if (!a->started) {
        dg_kube_audit_stop(&a);
        dg_err_set(err, DG_ENOMEM, "cannot start the audit thread");
        return NULL;
    }
    return a;
}

void dg_kube_audit_stop(dg_kube_audit_t **ap)
{
    struct dg_kube_audit *a = ap ? *ap : NULL;

    if (a == NULL)
        return;
    if (a->started)
        pthread_join(a->thread, NULL);
    dg_kube_client_release(a->client, &a->conn);
    json_decref(a->versions);
    json_decref(a->results);
    free(a);
    *ap = NULL;
}
