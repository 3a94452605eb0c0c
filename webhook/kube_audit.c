/* webhook/kube_audit.c: baseline objects grouped by kind and namespace,
 * one LIST each at the preferred version, compared by name; each object's
 * last result kept by identity. SPDX-License-Identifier: Apache-2.0 */
#include "kube_audit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diff.h"
#include "drift.h"
#include "episode.h"
#include "events.h"
#include "json.h"
#include "kube_watch.h"
#include "managed.h"
#include "rfc3339.h"
#include "timelines.h"
#include "log.h"
#include "metrics.h"
#include "report.h"
#include "strmap.h"

#define PAGE_LIMIT 500
#define LIST_TIMEOUT_MS 30000L
#define MAX_PAGE_BYTES ((size_t)256 << 20)
#define FIRST_PASS_DELAY_MS 2000L /* let the first lists land */
#define MAX_EPISODES 20000        /* open drift episodes tracked */
#define MAX_ENDED 256             /* ended ones shown */
#define MAX_OWNER_READS 32        /* new episodes per pass whose object is read for who */
#define VALUE_MAX 120
#define CAUSE_WINDOW_S 300        /* an episode this young may still learn its cause */
#define MAX_CAUSE_READS 64        /* objects per pass whose timeline is asked for causes */

/* What reads live objects at the preferred version of their group: a
 * connection and the versions discovered on it. The audit's passes keep
 * one; an on-demand read (dg_kube_read_release()) makes its own. */
typedef struct reader {
    dg_kube_conn_t *conn;
    json_t *versions;      /* API group -> preferred version ("v2") */
} reader_t;

struct dg_kube_audit {
    dg_kube_client_t *client;
    reader_t rd;           /* this thread's own */
    dg_gate_t *g;
    pthread_t thread;
    bool started;
    json_t *results;       /* "ns/release|objid" -> variances (JSON array) last read */
    dg_episodes_t *episodes; /* this thread's own; published to g->drift */
    /* One pass: "ns/release|objid" -> {the object's regarding fields} for
     * every object read, and the count of objects read again for who. */
    json_t *read;
    int owner_reads, cause_reads;
    const dg_snapshot_t *snap; /* the pass's */
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

static read_t discover(reader_t *a, const char *group, dg_err_t *err)
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
static read_t list_bucket(reader_t *a, const bucket_t *b, const char *ver,
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
static read_t read_bucket(reader_t *a, const bucket_t *b, json_t *live, dg_err_t *err)
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

/* ---- drift episodes and their Events -------------------------------------------------------- */

static int64_t unix_now(void)
{
    return (int64_t)time(NULL);
}

static void show(const json_t *v, char *out, size_t size)
{
    char *d = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

    snprintf(out, size, "%.*s", VALUE_MAX, d ? d : "absent");
    free(d);
}

/* The break-glass expiry on the live object, when it carries break-glass
 * (the policy's annotations); 0 when none. Read, not judged: whether the
 * hold was honoured is the gate's business when the change was made. */
static int64_t hold_until(const dg_policy_t *pol, const json_t *obj)
{
    const dg_breakglass_t *bg = dg_policy_breakglass(pol);
    const json_t *ann = json_object_get(json_object_get(obj, "metadata"), "annotations");
    const char *why = bg && bg->annotation ? json_string_value(json_object_get(ann, bg->annotation)) : NULL;
    const char *exp = bg && bg->expires_annotation
                          ? json_string_value(json_object_get(ann, bg->expires_annotation))
                          : NULL;
    int64_t t;

    if (why == NULL || !why[0] || exp == NULL || dg_rfc3339_parse(exp, &t, NULL) != 0)
        return 0;
    return t;
}

/* GET one object of @b's kind and namespace at @ver, parsed with @flags
 * into *@obj (NULL unless 200), its size added to *@bytes. Returns the
 * HTTP status (0: no answer); @err is set unless the object was read. */
static long get_object(reader_t *rd, const bucket_t *b, const char *ver, const char *name,
                       const dg_kube_req_t *req, unsigned flags, json_t **obj, size_t *bytes,
                       dg_err_t *err)
{
    dg_buf_t url, body;
    long status = 0;
    char *q;

    *obj = NULL;
    dg_buf_init(&url, 0);
    dg_buf_init(&body, 0);
    if (list_path(b, ver, NULL, &url) != 0 || (q = strchr(url.data, '?')) == NULL)
        dg_err_set(err, DG_ENOMEM, "out of memory");
    else {
        url.len = (size_t)(q - url.data); /* the LIST's path without its query */
        *q = '\0';
        if (dg_buf_puts(&url, "/") || dg_kube_client_escape(&url, name))
            dg_err_set(err, DG_ENOMEM, "out of memory");
        else if ((status = dg_kube_client_get(rd->conn, url.data, req, &body, err)) == 200 &&
                 err->code == 0)
            *obj = dg_json_parse(body.data ? body.data : "", body.len, flags, "object", err);
    }
    *bytes += body.len;
    dg_buf_free(&url);
    dg_buf_free(&body);
    return status;
}

/* Who set @path: the field manager owning it, read from the object with
 * its managedFields (the LIST drops them: most of its bytes). Only for a
 * new episode, and a bounded number per pass. */
static char *field_manager(struct dg_kube_audit *a, const bucket_t *b, const char *name,
                           const char *path)
{
    dg_kube_req_t req = {.verb = DG_KUBE_GET, .timeout_ms = LIST_TIMEOUT_MS,
                         .max_bytes = (size_t)8 << 20};
    const char *ver =
        b->ki->group[0] ? json_string_value(json_object_get(a->rd.versions, b->ki->group)) : "v1";
    json_t *obj = NULL;
    const char *who;
    char *out = NULL;
    dg_err_t err = {0};
    size_t bytes = 0;

    if (ver == NULL || a->owner_reads++ >= MAX_OWNER_READS)
        return NULL;
    (void)get_object(&a->rd, b, ver, name, &req, 0, &obj, &bytes, &err);
    who = json_string_value(json_object_get(
        dg_managed_owner(json_object_get(json_object_get(obj, "metadata"), "managedFields"), obj,
                         path),
        "manager"));
    if (who)
        out = strdup(who);
    json_decref(obj);
    return out;
}

/* The timeline POST /audit keeps of one object, for the causes of its
 * young episodes: rendered at most once per object and pass, for at most
 * MAX_CAUSE_READS objects a pass, and not at all for a release the audit
 * backend told nothing. NULL when there is nothing to ask. */
static json_t *object_timeline(struct dg_kube_audit *a, const bucket_t *b, const target_t *t)
{
    char spec[400];
    dg_buf_t out;
    json_t *doc;

    if (a->g->timelines == NULL || a->cause_reads >= MAX_CAUSE_READS ||
        dg_timelines_count(a->g->timelines, t->rel->ns, t->rel->name) == 0)
        return NULL;
    a->cause_reads++;
    snprintf(spec, sizeof spec, "%s/%s", b->ki->resource, t->obj->id.name);
    dg_buf_init(&out, 0);
    doc = dg_timelines_render(a->g->timelines, t->rel->ns, t->rel->name, spec, DG_FMT_JSON, &out,
                              NULL) == 0 && out.len
              ? dg_json_parse(out.data, out.len, 0, "timeline", NULL)
              : NULL;
    dg_buf_free(&out);
    return doc;
}

/* What the audit log says caused @ep: the newest write to its object let
 * through (2xx, not a dry run) that set its path: the one whose value the
 * audit sees. */
static void cause(struct dg_kube_audit *a, const json_t *doc, dg_episode_t *ep)
{
    int64_t last = 0;
    const char *user = NULL;
    json_t *e;
    size_t i;

    json_array_foreach(json_object_get(doc, "events"), i, e) {
        const char *stage = json_string_value(json_object_get(e, "stage"));
        json_int_t code = json_integer_value(json_object_get(e, "code"));
        const json_t *x;
        size_t j;
        int64_t when;

        if (!stage || strcmp(stage, "out-of-band-mutation") != 0 || code < 200 || code > 299 ||
            json_is_true(json_object_get(e, "dryRun")) ||
            dg_rfc3339_parse(json_string_value(json_object_get(e, "time")), &when, NULL) != 0)
            continue;
        json_array_foreach(json_object_get(e, "variances"), j, x) {
            const char *p = json_string_value(json_object_get(x, "path"));

            if (p && strcmp(p, ep->path) == 0) {
                last = when;
                user = json_string_value(json_object_get(e, "user"));
            }
        }
    }
    if (last && dg_episodes_cause(ep, last, user) != 0)
        dg_log(a->g->log, DG_LOG_ERROR, "audit: out of memory", NULL);
}

static void episode_event(struct dg_kube_audit *a, const json_t *reg, const char *reason,
                          const char *path, const char *desired, const char *live,
                          const char *by, const char *release)
{
    dg_kevent_t e = {.reason = reason, .action = "Audit", .warning = strcmp(reason, "DriftDetected") == 0,
                     .api_version = json_string_value(json_object_get(reg, "apiVersion")),
                     .kind = json_string_value(json_object_get(reg, "kind")),
                     .ns = json_string_value(json_object_get(reg, "namespace")),
                     .name = json_string_value(json_object_get(reg, "name")),
                     .uid = json_string_value(json_object_get(reg, "uid")),
                     .resource_version = json_string_value(json_object_get(reg, "resourceVersion")),
                     .group = json_string_value(json_object_get(reg, "group")),
                     .resource = json_string_value(json_object_get(reg, "resource")),
                     .path = path, .desired = desired, .value = live, .value_label = "live",
                     .user = by, .release = release};

    dg_events_post(a->g->events, &e);
}

/* Each variance of one object read this pass: its episode observed (a new
 * one posts DriftDetected), and carried in its JSON for /api/v1/variances. */
static void episodes(struct dg_kube_audit *a, const bucket_t *b, const target_t *t,
                     const json_t *obj, const dg_variances_t *v, json_t *vars)
{
    char rel[400], id[400], key[800], want[VALUE_MAX + 1], got[VALUE_MAX + 1], api[200];
    const json_t *meta = json_object_get(obj, "metadata");
    int64_t now = unix_now(), hold = hold_until(a->g->policy, obj);
    json_t *reg, *tl = NULL;
    bool asked = false;

    snprintf(rel, sizeof rel, "%s/%s", t->rel->ns, t->rel->name);
    dg_objid_format(&t->obj->id, id, sizeof id);
    snprintf(key, sizeof key, "%s|%s", rel, id);
    /* A LIST's items carry no apiVersion: the one it was read at is the
     * object's (kubectl events --for selects on it). */
    snprintf(api, sizeof api, "%s%s%s", b->ki->group, b->ki->group[0] ? "/" : "",
             b->ki->group[0] ? json_string_value(json_object_get(a->rd.versions, b->ki->group)) ?
                                   json_string_value(json_object_get(a->rd.versions, b->ki->group)) : "v1"
                             : "v1");
    reg = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s}", "apiVersion", api,
                    "kind", t->obj->id.kind, "namespace", t->obj->id.ns, "name", t->obj->id.name,
                    "uid", json_string_value(json_object_get(meta, "uid")), "resourceVersion",
                    json_string_value(json_object_get(meta, "resourceVersion")), "group",
                    b->ki->group, "resource", b->ki->resource);
    if (reg == NULL || json_object_set_new(a->read, key, reg) != 0)
        return;
    for (size_t i = 0; i < v->n; i++) {
        const dg_variance_t *x = &v->items[i];
        dg_episode_obs_t o = {rel, id, x->path, t->rel->revision, NULL, hold};
        bool is_new = false;
        dg_episode_t *ep = dg_episodes_observe(a->episodes, &o, now, &is_new);

        if (ep == NULL)
            continue;
        if (is_new) {
            char *who = obj && x->path[0] ? field_manager(a, b, t->obj->id.name, x->path) : NULL;
            dg_episode_obs_t again = o;

            if (who) { /* observed again at once: who is recorded */
                again.changed_by = who;
                ep = dg_episodes_observe(a->episodes, &again, now, &is_new);
                free(who);
                if (ep == NULL)
                    continue;
            }
            show(x->desired, want, sizeof want);
            show(x->live, got, sizeof got);
            episode_event(a, reg, "DriftDetected", x->path[0] ? x->path : "(object)", want, got,
                          ep->changed_by, rel);
        }
        /* The audit backend may hear of the write after the audit sees its
         * drift (it batches, and retries a driftgate that was down): a
         * young episode still asks. */
        if (!ep->started_from_audit && now - ep->started <= CAUSE_WINDOW_S) {
            if (!asked) {
                tl = object_timeline(a, b, t);
                asked = true;
            }
            if (tl)
                cause(a, tl, ep);
        }
        json_object_set_new(json_array_get(vars, i), "episode", dg_episode_json(ep, now));
    }
    json_decref(tl);
}

static long revision_now(void *ctx, const char *release)
{
    const dg_snapshot_t *snap = ((struct dg_kube_audit *)ctx)->snap;
    const char *slash = strchr(release, '/');

    for (size_t i = 0; slash && i < dg_baselines_count(snap->bases); i++) {
        const dg_release_t *r = dg_baselines_at(snap->bases, i);

        if (strncmp(r->ns, release, (size_t)(slash - release)) == 0 &&
            r->ns[slash - release] == '\0' && strcmp(r->name, slash + 1) == 0)
            return r->revision;
    }
    return -1; /* the release is gone: what drifted from it is not reconciled */
}

static bool was_read(void *ctx, const char *release, const char *object)
{
    struct dg_kube_audit *a = ctx;
    char key[800];

    snprintf(key, sizeof key, "%s|%s", release, object);
    /* An object read this pass, or one whose release is gone (its
     * episodes end with it, as adopted: nothing governs the value now). */
    return json_object_get(a->read, key) != NULL || revision_now(ctx, release) == -1;
}

static void ended(void *ctx, const dg_episode_t *ep)
{
    struct dg_kube_audit *a = ctx;
    char key[800];

    snprintf(key, sizeof key, "%s|%s", ep->release, ep->object);
    if (json_object_get(a->read, key) == NULL)
        return; /* its release is gone: no object to post on */
    episode_event(a, json_object_get(a->read, key), "DriftResolved", ep->path[0] ? ep->path : "(object)",
                  ep->end == DG_EPISODE_ADOPTED ? "adopted by a new revision" : "restored",
                  ep->end == DG_EPISODE_ADOPTED ? "kept" : "reconciled", NULL, ep->release);
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
                           a->g->policy, &v, NULL) == 0) {
            json_t *vars = dg_report_variances_json(&v);

            episodes(a, b, t, json_object_get(live, t->obj->id.name), &v, vars);
            json_object_set_new(now, t->key, vars);
        } else {
            dg_log(a->g->log, DG_LOG_ERROR, "audit: out of memory", NULL);
        }
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

    a->snap = snap;
    a->owner_reads = a->cause_reads = 0;
    json_object_clear(a->read);
    dg_episodes_begin(a->episodes);
    while (buckets && dg_strmap_next(buckets, &it, &key, &v)) {
        json_t *live = json_object();
        dg_err_t err = {0};
        /* Once the API server does not answer, the rest of the pass would
         * only wait out a timeout per LIST: the rest is not read either. */
        read_t res = down ? READ_UNREACHABLE : read_bucket(&a->rd, v, live, &err);

        down |= res == READ_UNREACHABLE;
        if ((res == READ_FAILED || res == READ_UNREACHABLE) && first.code == 0)
            first = err;
        judge_bucket(a, v, res, live, now, &unread);
        json_decref(live);
        if (dg_kube_client_stopping(a->client))
            break;
    }
    if (buckets && !dg_kube_client_stopping(a->client)) {
        int64_t t = unix_now();

        dg_episodes_end_pass(a->episodes, t, was_read, revision_now, ended, a);
        dg_drift_publish(a->g->drift, dg_episodes_ended_json(a->episodes, t),
                         dg_episodes_oldest(a->episodes), dg_episodes_open(a->episodes),
                         dg_episodes_untracked(a->episodes));
        publish(a, json_incref(now), unread);
    }
    if (unread)
        dg_log(a->g->log, DG_LOG_WARN, "audit: objects not read; their last result is kept",
               json_pack("{s:I, s:s}", "unread", (json_int_t)unread, "error",
                         dg_err_format(&first, msg, sizeof msg)));
    json_decref(now);
    dg_strmap_free(&buckets);
    dg_snapshot_release(&snap);
}

/* ---- on demand: one release's objects, for the console ------------------------------------- */

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One baseline object's live copy into @out->objs: absent (404, or its
 * group not served) is no error, the plan creates it; anything else names
 * the object and the answer. @deadline and *@bytes: the read's budget. */
static int read_one(reader_t *rd, const dg_obj_t *o, const dg_kindinfo_t *ki, int64_t deadline,
                    size_t *bytes, dg_live_read_t *out, dg_err_t *err)
{
    bucket_t b = {.ki = ki, .ns = ki->namespaced ? o->id.ns : ""};
    const char *ver =
        ki->group[0] ? json_string_value(json_object_get(rd->versions, ki->group)) : "v1";
    dg_kube_req_t req = {.verb = DG_KUBE_GET, .timeout_ms = (long)(deadline - mono_ms()),
                         .max_bytes = DG_LIVE_MAX_BYTES - *bytes};
    char shown[256], why[600];
    read_t res = READ_OK;
    json_t *obj = NULL;
    long status = 0;

    dg_objid_short(&o->id, shown, sizeof shown);
    if (req.timeout_ms <= 0 || *bytes >= DG_LIVE_MAX_BYTES)
        return dg_err_set(err, DG_ETOOBIG, "reading %s live: the budget (%ld ms, %zu bytes) is "
                          "spent", shown, DG_LIVE_BUDGET_MS, DG_LIVE_MAX_BYTES);
    if (ver == NULL && (res = discover(rd, ki->group, err)) == READ_OK)
        ver = json_string_value(json_object_get(rd->versions, ki->group));
    if (res == READ_MISSING)
        return dg_err_clear(err), 0;
    if (res == READ_OK)
        status = get_object(rd, &b, ver, o->id.name, &req, DG_JSON_PRUNE_SERVER, &obj, bytes,
                            err);
    if (status == 404)
        return dg_err_clear(err), 0;
    if (obj == NULL) {
        dg_err_format(err, why, sizeof why);
        return dg_err_set(err, DG_EIO, "reading %s live (HTTP %ld): %s", shown, status, why);
    }
    return dg_objset_add(out->objs, obj, o->id.ns, "live", 0, err);
}

/* The kind of @o among those read, once. */
static int add_kind(dg_live_read_t *out, const dg_obj_t *o)
{
    dg_gk_t *k;

    for (size_t i = 0; i < out->nkinds; i++)
        if (strcmp(out->kinds[i].group, o->id.group) == 0 &&
            strcmp(out->kinds[i].kind, o->id.kind) == 0)
            return 0;
    if ((k = realloc(out->kinds, (out->nkinds + 1) * sizeof *k)) == NULL)
        return DG_ENOMEM;
    out->kinds = k;
    out->kinds[out->nkinds++] = (dg_gk_t){o->id.group, o->id.kind};
    return 0;
}

int dg_kube_read_release(dg_kube_client_t *c, const dg_release_t *rel, const dg_policy_t *pol,
                         dg_live_read_t *out, dg_err_t *err)
{
    reader_t rd = {dg_kube_client_acquire(c), json_object()};
    int64_t deadline = mono_ms() + DG_LIVE_BUDGET_MS;
    size_t bytes = 0, n = 0;
    int rc = rd.conn && rd.versions && (out->objs = dg_objset_new()) ? 0 : DG_ENOMEM;

    for (size_t i = 0; rc == 0 && i < dg_objset_count(rel->objs); i++) {
        const dg_obj_t *o = dg_objset_at(rel->objs, i);
        const dg_kindinfo_t *ki = dg_kind_by_kind(o->id.group, o->id.kind);

        if (ki == NULL || !dg_policy_governs(pol, o->id.group, o->id.kind))
            continue; /* what the audit does not read either */
        if (++n > DG_LIVE_MAX_OBJECTS)
            rc = dg_err_set(err, DG_ETOOBIG, "release %s/%s has more than %d governed objects "
                            "to read live", rel->ns, rel->name, DG_LIVE_MAX_OBJECTS);
        else if ((rc = add_kind(out, o)) == 0)
            rc = read_one(&rd, o, ki, deadline, &bytes, out, err);
    }
    if (rc == DG_ENOMEM && err->code == 0)
        dg_err_set(err, DG_ENOMEM, "out of memory");
    dg_kube_client_release(c, &rd.conn);
    json_decref(rd.versions);
    return rc;
}

void dg_live_read_free(dg_live_read_t *r)
{
    dg_objset_free(&r->objs);
    free(r->kinds);
    r->kinds = NULL;
    r->nkinds = 0;
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

    if (a == NULL || (a->rd.conn = dg_kube_client_acquire(c)) == NULL) {
        free(a);
        dg_err_set(err, DG_ENOMEM, "out of memory starting the audit");
        return NULL;
    }
    a->client = c;
    a->g = g;
    a->rd.versions = json_object();
    a->results = json_object();
    a->read = json_object();
    a->episodes = dg_episodes_new(MAX_EPISODES, MAX_ENDED);
    if (a->episodes == NULL || a->read == NULL) {
        dg_kube_audit_stop(&a);
        dg_err_set(err, DG_ENOMEM, "out of memory starting the audit");
        return NULL;
    }
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
    dg_kube_client_release(a->client, &a->rd.conn);
    json_decref(a->rd.versions);
    json_decref(a->results);
    json_decref(a->read);
    dg_episodes_free(&a->episodes);
    free(a);
    *ap = NULL;
}
