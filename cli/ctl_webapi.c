/* cli/ctl_webapi.c: the console's JSON API on driftctl's host. The view is
 * what `driftctl status`, `diff` and `reconcile` would each find, loaded
 * once and again after a reconcile or on ?refresh=1; every answer is
 * rendered by the libdrift code those subcommands print with, so the page
 * and the terminal cannot disagree. Shapes match driftgate's /api/v1.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "codec.h"
#include "ctl_web.h"
#include "diff.h"
#include "json.h"
#include "managed.h"
#include "publish.h"
#include "simulate.h"

/* A request body is a small JSON document: a path and a value, or a patch. */
#define MAX_SIM_BODY (64u << 10)

void ctl_web_error(ctl_web_resp_t *r, int status, const char *fmt, ...)
{
    char msg[800];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->status = status;
    r->type = NULL;
    if (dg_report_status(status, msg, &r->body) != 0)
        r->body.len = 0;
}

/* Steals @j. */
static void send_json(ctl_web_resp_t *r, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_INDENT(1)) : NULL;

    json_decref(j);
    if (text == NULL) {
        ctl_web_error(r, 500, "out of memory");
        return;
    }
    r->status = 200;
    r->type = NULL;
    if (dg_buf_puts(&r->body, text))
        ctl_web_error(r, 500, "out of memory");
    free(text);
}

/* ---- loading the view ---------------------------------------------------------------- */

static void problem(ctl_view_t *v, const char *what, const dg_err_t *err)
{
    v->problem = what;
    dg_err_format(err, v->error, sizeof v->error);
    ctl_detail_clear();
}

/* The file's own digest (a ConfigMap's) or its SHA-256, dated by mtime, as
 * `driftctl status` says offline. */
static void file_source(ctl_view_t *v, time_t now)
{
    const dg_release_t *rel = v->rec.rel;
    struct stat st;
    char *data;
    size_t len;

    snprintf(v->source.origin, sizeof v->source.origin, "%s",
             rel->origin == DG_RELSRC_PUBLISHED ? "published" : "file");
    snprintf(v->source.location, sizeof v->source.location, "%s", v->src->baseline);
    v->source.age = stat(v->src->baseline, &st) == 0 && now >= st.st_mtime
                        ? (long)(now - st.st_mtime) : -1;
    if (rel->digest)
        snprintf(v->source.digest, sizeof v->source.digest, "%s", rel->digest);
    else if (ctl_read("--baseline", v->src->baseline, DG_MAX_MANIFEST_BYTES, &data, &len,
                      NULL) == 0) {
        dg_codec_digest(data, len, v->source.digest);
        free(data);
    }
}

static int load_offline(ctl_view_t *v, time_t now, dg_err_t *err)
{
    ctl_inputs_t in = {.baseline = v->src->baseline, .live = v->src->live,
                       .release = v->src->release, .ns = v->src->ns};
    int rc = ctl_load_inputs(&in, &v->rec.rel, &v->rec.live, NULL, err);

    if (rc)
        return rc;
    /* The digest a plan is made against: the file's, as reconcile stamps it. */
    file_source(v, now);
    if (v->rec.rel->digest == NULL && v->source.digest[0])
        v->rec.rel->digest = strdup(v->source.digest);
    return 0;
}

static int load_online(ctl_view_t *v, time_t now, dg_err_t *err)
{
    ctl_source_opts_t so = {v->src->release, v->src->ns,
                            v->src->baseline_ns ? v->src->baseline_ns : DG_BASELINE_NS,
                            &v->src->kube};
    int rc;

    ctl_context_cluster(&v->src->kube, true, v->cluster, sizeof v->cluster);
    if ((rc = ctl_source_read(&so, now, &v->rec.rel, &v->source, err)) != 0) {
        problem(v, "no-cluster", err);
        return 0;
    }
    if (v->rec.rel == NULL) {
        v->problem = "no-baseline";
        snprintf(v->error, sizeof v->error, "no baseline: %s", v->source.location);
        return 0;
    }
    if ((rc = ctl_capture_live(v->rec.rel, v->rec.pol, false, &v->src->kube, &v->live_raw,
                               &v->rec.captured, err)) != 0) {
        problem(v, "no-cluster", err);
        return 0;
    }
    v->rec.live = v->rec.captured.objs;
    v->rec.captured.objs = NULL;
    v->rec.covered = v->rec.captured.kinds;
    v->rec.ncovered = v->rec.captured.nkinds;
    return 0;
}

/* The status card, as `driftctl status -o json` prints it. */
static int card(ctl_view_t *v, dg_err_t *err)
{
    const dg_release_t *rel = v->rec.rel;
    dg_status_t s = {.ns = rel ? rel->ns : v->src->ns, .release = rel ? rel->name : v->src->release,
                     .has_baseline = rel != NULL, .variances = &v->v};
    dg_buf_t b;
    int rc;

    s.source = (dg_status_source_t){v->source.origin, v->source.location,
                                    rel ? rel->revision : 0,
                                    rel ? (rel->chart ? rel->chart : dg_release_chart_of(rel->objs))
                                        : NULL,
                                    v->source.digest[0] ? v->source.digest : NULL, v->source.age};
    dg_buf_init(&b, 0);
    rc = dg_status_render(&s, DG_FMT_JSON, &b, err);
    if (!rc && (v->status = json_loadb(b.data, b.len, 0, NULL)) == NULL)
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    dg_buf_free(&b);
    return rc;
}

/* Drift, who changed it, and the judged plan: reconcile's code. */
static int judge_all(ctl_view_t *v, dg_err_t *err)
{
    dg_plan_opts_t po = {0};
    int rc;

    ctl_reconcile_identify(&v->rec, v->src->baseline != NULL);
    if ((rc = ctl_reconcile_build(&v->rec, &po, &v->v, err)) ||
        (rc = ctl_reconcile_judge(&v->rec, err)))
        return rc;
    return 0;
}

int ctl_view_load(ctl_view_t *v, const ctl_web_src_t *src)
{
    time_t now = time(NULL);
    dg_err_t err = {0};
    int rc;

    memset(v, 0, sizeof *v);
    v->src = src;
    dg_variances_init(&v->v);
    dg_buf_init(&v->live_raw, DG_MAX_MANIFEST_BYTES);
    dg_plan_init(&v->rec.plan);
    v->rec.started = (int64_t)now;
    v->rec.strategy = "patch";
    v->rec.kube = src->kube;
    if ((rc = ctl_load_policy(src->policy, &v->rec.pol, &err)) != 0 ||
        (rc = src->baseline ? load_offline(v, now, &err) : load_online(v, now, &err)) != 0) {
        problem(v, "error", &err);
        return 0;
    }
    if (v->rec.rel && v->rec.live && (rc = judge_all(v, &err)) != 0) {
        problem(v, "error", &err);
        return rc == DG_ENOMEM ? rc : 0;
    }
    if ((rc = card(v, &err)) != 0)
        problem(v, "error", &err);
    return rc == DG_ENOMEM ? rc : 0;
}

void ctl_view_free(ctl_view_t *v)
{
    dg_plan_free(&v->rec.plan);
    ctl_live_free(&v->rec.captured);
    dg_objset_free(&v->rec.live);
    json_decref(v->rec.user);
    dg_baselines_free(&v->rec.bases);
    dg_release_free(&v->rec.rel);
    dg_policy_free(&v->rec.pol);
    dg_variances_free(&v->v);
    json_decref(v->status);
    dg_buf_free(&v->live_raw);
    memset(v, 0, sizeof *v);
}

/* ---- GET ------------------------------------------------------------------------------ */

static bool judged(const ctl_view_t *v)
{
    return v->rec.rel && v->rec.live && v->problem == NULL;
}

static const char *state_of(const ctl_view_t *v)
{
    const char *st = json_string_value(json_object_get(v->status, "state"));

    return v->problem ? v->problem : st ? st : "unknown";
}

/* The exact command that applies this plan from a terminal. */
static void apply_command(const ctl_view_t *v, char *buf, size_t size)
{
    const dg_release_t *rel = v->rec.rel;

    if (v->src->baseline)
        snprintf(buf, size, "driftctl reconcile --baseline %s --live %s -n %s", v->src->baseline,
                 v->src->live, rel ? rel->ns : "NS");
    else
        snprintf(buf, size, "driftctl reconcile --release %s -n %s --apply", v->src->release,
                 v->src->ns);
}

static json_t *objects(const ctl_view_t *v)
{
    json_t *a = json_array();
    char shown[256];

    for (size_t i = 0; v->rec.rel && i < dg_objset_count(v->rec.rel->objs); i++)
        json_array_append_new(a, json_string(dg_objid_short(&dg_objset_at(v->rec.rel->objs, i)->id,
                                                            shown, sizeof shown)));
    return a;
}

/* The context line as the terminal console prints it (the same fields,
 * the same libdrift words), then what the page needs besides. */
static json_t *context(const ctl_view_t *v)
{
    const dg_release_t *rel = v->rec.rel;
    char cmd[1200], kinds[256];
    json_t *ctx;

    ctl_context_kinds(v->rec.covered, v->rec.ncovered, v->rec.live, kinds, sizeof kinds);
    ctx = dg_context_json(&(dg_context_t){
        .ns = rel ? rel->ns : v->src->ns, .release = rel ? rel->name : v->src->release,
        .state = state_of(v), .shell = ctl_context_shell(),
        .cluster = v->src->baseline ? "offline" : v->cluster, .audited = kinds,
        .artifact = v->src->baseline ? v->src->baseline : v->source.location});
    apply_command(v, cmd, sizeof cmd);
    if (ctx == NULL || json_object_update_new(ctx, json_pack(
        "{s:s, s:s, s:s?, s:O*, s:{s:b, s:s, s:s?}, s:s, s:[s, s, s, s], s:o}",
        "host", "driftctl", "mode", v->src->baseline ? "offline" : "online", "error",
        v->error[0] ? v->error : NULL, "status", v->status, "reconcile", "canApply",
        v->src->baseline == NULL && judged(v), "command", cmd, "why",
        v->src->baseline ? "offline: the page was loaded from files; reconcile a cluster with "
                           "driftctl console --web --release NAME -n NS"
                         : NULL,
        "timeline", v->src->naudit_logs ? "audit-log" : "derived", "assets", "baseline", "live",
        "sarif", "bundle", "objects", objects(v))) != 0) {
        json_decref(ctx);
        return NULL;
    }
    return ctx;
}

static json_t *variances(const ctl_view_t *v)
{
    json_t *rows = judged(v) ? dg_report_variances_json(&v->v) : json_array();
    char shown[256];
    size_t i;
    json_t *row;

    /* Each row also names its object as the simulator and kubectl take it. */
    json_array_foreach(rows, i, row)
        json_object_set_new(row, "target",
                            json_string(dg_objid_short(&v->v.items[i].obj, shown, sizeof shown)));
    return json_pack("{s:o, s:o, s:b, s:s, s:s?}", "variances", rows, "total",
                     judged(v) ? json_integer((json_int_t)v->v.n) : json_null(), "synced",
                     judged(v), "state", state_of(v), "reason", v->error[0] ? v->error : NULL);
}

static json_t *plan(const ctl_view_t *v)
{
    json_t *p = judged(v) ? dg_plan_json(&v->rec.plan) : json_object();
    char cmd[1200];

    apply_command(v, cmd, sizeof cmd);
    json_object_set_new(p, "command", json_string(cmd));
    json_object_set_new(p, "canApply", json_boolean(v->src->baseline == NULL && judged(v) &&
                                                    v->rec.plan.n > 0));
    json_object_set_new(p, "known", json_boolean(judged(v)));
    return p;
}

/* ---- the timeline ------------------------------------------------------------------------ */

/* An event in the shape `driftctl timeline -o json` gives one. */
static json_t *event(const char *stage, const char *time, const char *user, const char *target,
                     const char *decision, json_t *vars, const char *message)
{
    return json_pack("{s:s, s:s?, s:s?, s:s, s:s?, s:o, s:s, s:b}", "stage", stage, "time", time,
                     "user", user, "target", target, "decision", decision, "variances", vars,
                     "message", message, "derived", 1);
}

static json_t *var(const dg_variance_t *x, const json_t *requested, const json_t *before)
{
    char shown[256];

    return json_pack("{s:s, s:s, s:O*, s:O*, s:O*}", "object",
                     dg_objid_short(&x->obj, shown, sizeof shown), "path", x->path, "desired",
                     x->desired,
                     "requested", requested ? requested : json_null(), "before", before);
}

/* Without an audit log, the three stages as far as the files show them:
 * the render (the baseline), the mutation (live differs; who and when from
 * managedFields), the reconcile (the judged plan, not yet applied). */
static json_t *derived_timeline(const ctl_view_t *v)
{
    json_t *events = json_array(), *render = json_array(), *rec = json_array();
    char shown[256], msg[900];

    for (size_t i = 0; i < v->v.n; i++) {
        const dg_variance_t *x = &v->v.items[i];
        const dg_changed_by_t *cb = x->changed_by;

        dg_objid_short(&x->obj, shown, sizeof shown);
        json_array_append_new(render, var(x, x->desired, NULL));
        json_array_append_new(rec, var(x, x->desired, x->live));
        json_array_append_new(events, event("out-of-band-mutation", cb ? cb->time : NULL,
                                            cb ? cb->manager : NULL, shown, "found-by-diff",
                                            json_pack("[o]", var(x, x->live, NULL)),
                                            "live differs from the baseline"));
    }
    snprintf(msg, sizeof msg, "baseline %s%s%s", v->source.location,
             v->source.digest[0] ? " " : "", v->source.digest);
    json_array_insert_new(events, 0, event("baseline-render", NULL, NULL,
                                           v->rec.rel ? v->rec.rel->name : "release", "render",
                                           render, msg));
    snprintf(msg, sizeof msg, "%zu operation(s) planned and judged; not applied yet",
             v->rec.plan.n);
    /* In sync, there is nothing to put back: no reconcile stage to show. */
    if (v->rec.plan.n)
        json_array_append_new(events, event("controlled-reconcile", NULL, "driftctl-reconcile",
                                            v->rec.rel ? v->rec.rel->name : "release",
                                            "reconcile", rec, msg));
    else
        json_decref(rec);
    return json_pack("{s:o, s:s, s:s}", "events", events, "source", "derived", "note",
                     "No audit log was given (--audit-log): these stages are derived from the "
                     "baseline and live state. Times and users come from managedFields where "
                     "live records them; the reconcile is the plan, not an applied change.");
}

static void timeline(const ctl_view_t *v, ctl_web_resp_t *r)
{
    dg_err_t err = {0};
    char msg[600];
    json_t *tl = NULL;
    const dg_release_t *rel = v->rec.rel;

    if (v->src->naudit_logs == 0) {
        send_json(r, judged(v) ? derived_timeline(v)
                               : json_pack("{s:[], s:s, s:s}", "events", "source",
                                           "derived", "note", v->error));
        return;
    }
    if (ctl_timeline_json(v->src->audit_logs, v->src->naudit_logs, rel ? rel->ns : v->src->ns,
                          rel ? rel->name : v->src->release, v->rec.pol, &tl, &err) != 0) {
        ctl_web_error(r, 500, "%s", dg_err_format(&err, msg, sizeof msg));
        return;
    }
    json_object_set_new(tl, "source", json_string("audit-log"));
    send_json(r, tl);
}

/* ---- audit assets -------------------------------------------------------------------------- */

static void file_asset(const char *flag, const char *path, ctl_web_resp_t *r)
{
    dg_err_t err = {0};
    char *data, msg[600];
    size_t len;

    if (ctl_read(flag, path, DG_MAX_MANIFEST_BYTES, &data, &len, &err) != 0) {
        ctl_web_error(r, 500, "%s", dg_err_format(&err, msg, sizeof msg));
        return;
    }
    r->status = 200;
    r->type = "application/yaml";
    if (dg_buf_append(&r->body, data, len))
        ctl_web_error(r, 500, "out of memory");
    free(data);
}

static void sarif(const ctl_view_t *v, ctl_web_resp_t *r)
{
    dg_report_ctx_t ctx = {.release = v->rec.rel->name, .ns = v->rec.rel->ns,
                           .baseline_uri = v->src->baseline ? v->src->baseline : "baseline.yaml",
                           .live_uri = v->src->live ? v->src->live : "live.yaml"};
    ctl_sarif_t loc = {0};
    dg_err_t err = {0};
    char msg[600];

    /* Template lines when the render is a file here, as `diff -o sarif`. */
    if (v->src->baseline && ctl_sarif_locate(v->src->baseline, v->rec.rel, &v->v, NULL, &loc,
                                             &err) == 0) {
        ctx.locs = loc.locs;
        ctx.root_uri = loc.root_uri;
    }
    dg_err_clear(&err);
    r->status = 200;
    r->type = "application/sarif+json";
    if (dg_report_variances(&v->v, DG_FMT_SARIF, &ctx, &r->body, &err) != 0)
        ctl_web_error(r, 500, "%s", dg_err_format(&err, msg, sizeof msg));
    ctl_sarif_free(&loc);
}

/* The evidence of this view in one document. */
static void bundle(ctl_view_t *v, ctl_web_resp_t *r)
{
    ctl_web_resp_t tl = {0};
    json_t *t;

    dg_buf_init(&tl.body, 0);
    timeline(v, &tl);
    t = json_loadb(tl.body.data, tl.body.len, 0, NULL);
    dg_buf_free(&tl.body);
    send_json(r, json_pack("{s:s, s:o, s:o, s:o, s:o*}", "kind", "DriftEvidenceBundle", "context",
                           context(v), "variances", variances(v), "plan", plan(v), "timeline",
                           t));
}

static json_t *items_of(const dg_objset_t *set)
{
    json_t *a = json_array();

    for (size_t i = 0; i < dg_objset_count(set); i++)
        json_array_append(a, dg_objset_at(set, i)->json);
    return a;
}

static void asset(ctl_view_t *v, const char *name, ctl_web_resp_t *r)
{
    bool baseline = strcmp(name, "baseline") == 0;

    if (!judged(v)) {
        ctl_web_error(r, 409, "nothing to download: %s", v->error[0] ? v->error : "no view");
    } else if (baseline && v->src->baseline) {
        r->filename = "release-baseline.yaml";
        file_asset("--baseline", v->src->baseline, r);
    } else if (baseline) {
        r->filename = "release-baseline.json";
        send_json(r, json_pack("{s:s, s:s, s:o}", "apiVersion", "v1", "kind", "List", "items",
                               items_of(v->rec.rel->objs)));
    } else if (strcmp(name, "live") == 0) {
        r->filename = "live-snapshot.yaml";
        if (v->src->live) {
            file_asset("--live", v->src->live, r);
        } else { /* read from the cluster: as read */
            r->status = 200;
            r->type = "application/yaml";
            if (dg_buf_append(&r->body, v->live_raw.data ? v->live_raw.data : "",
                              v->live_raw.len))
                ctl_web_error(r, 500, "out of memory");
        }
    } else if (strcmp(name, "sarif") == 0) {
        r->filename = "drift.sarif";
        sarif(v, r);
    } else if (strcmp(name, "bundle") == 0) {
        r->filename = "evidence-bundle.json";
        bundle(v, r);
    } else {
        ctl_web_error(r, 404, "no asset '%s' (baseline, live, sarif, bundle)", name);
    }
}

void ctl_webapi_get(ctl_view_t *v, const char *path, ctl_web_resp_t *r)
{
    if (strcmp(path, "/api/v1/context") == 0)
        send_json(r, context(v));
    else if (strcmp(path, "/api/v1/variances") == 0)
        send_json(r, variances(v));
    else if (strcmp(path, "/api/v1/plan") == 0)
        send_json(r, plan(v));
    else if (strcmp(path, "/api/v1/timeline") == 0)
        timeline(v, r);
    else if (strcmp(path, "/api/v1/decisions") == 0)
        send_json(r, json_pack("{s:[], s:s}", "decisions", "note",
                               "decisions are driftgate's: this console runs on the "
                               "operator's machine"));
    else if (strncmp(path, "/api/v1/assets/", 15) == 0)
        asset(v, path + 15, r);
    else
        ctl_web_error(r, 404, "no route %s", path);
}

/* ---- POST ---------------------------------------------------------------------------------- */

/* A hostile body: bounded, parsed with the depth and node limits of
 * policy/json.c, and an object. */
static json_t *body_json(const char *body, size_t len, ctl_web_resp_t *r)
{
    dg_err_t err = {0};
    char msg[600];
    json_t *j;

    if (len > MAX_SIM_BODY)
        return ctl_web_error(r, 413, "body of %zu bytes is over %u", len, MAX_SIM_BODY), NULL;
    if ((j = dg_json_parse(body, len, 0, "request body", &err)) == NULL)
        return ctl_web_error(r, err.code == DG_ENOMEM ? 500 : 400, "%s",
                             dg_err_format(&err, msg, sizeof msg)), NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        return ctl_web_error(r, 400, "request body: expected a JSON object"), NULL;
    }
    return j;
}

/* The request is decoded and judged by libdrift's simulate.c, as on
 * driftgate's host and by `driftctl simulate`: the same answer. */
void ctl_webapi_simulate(ctl_view_t *v, const char *body, size_t len, ctl_web_resp_t *r)
{
    dg_decide_env_t env = v->rec.env;
    dg_sim_request_t req = {0};
    json_t *j, *out = NULL;
    dg_err_t err = {0};
    char msg[600];
    int rc;

    if (!judged(v)) {
        ctl_web_error(r, 409, "nothing to judge against: %s", v->error);
        return;
    }
    if ((j = body_json(body, len, r)) == NULL)
        return;
    env.now = (int64_t)time(NULL);
    rc = dg_simulate_request(j, &req, &err);
    if (rc == 0)
        rc = dg_simulate_change(v->rec.rel, v->rec.live, v->rec.bases, v->rec.pol, &env,
                                &req.change, &out, &err);
    if (rc)
        ctl_web_error(r, rc == DG_ENOMEM ? 500 : rc == DG_ENOTFOUND ? 404 : 400, "%s",
                      dg_err_format(&err, msg, sizeof msg));
    else
        send_json(r, out);
    dg_simulate_request_free(&req);
    json_decref(j);
}

/* The body names what the operator confirmed: this release, and the
 * baseline the plan shown was made against (a page left open while the
 * baseline changed must not apply a plan nobody looked at). */
static int confirmed(const ctl_view_t *v, const json_t *j, ctl_web_resp_t *r)
{
    const char *rel = json_string_value(json_object_get(j, "release"));
    const char *ns = json_string_value(json_object_get(j, "namespace"));
    const char *digest = json_string_value(json_object_get(j, "digest"));

    if (!rel || !ns || strcmp(rel, v->rec.rel->name) != 0 || strcmp(ns, v->rec.rel->ns) != 0)
        return ctl_web_error(r, 400, "confirm names release %s/%s, not %s/%s", ns ? ns : "?",
                             rel ? rel : "?", v->rec.rel->ns, v->rec.rel->name), -1;
    if (v->rec.rel->digest && (!digest || strcmp(digest, v->rec.rel->digest) != 0))
        return ctl_web_error(r, 409, "the baseline changed since the plan was shown (now %s): "
                             "review the new plan", v->rec.rel->digest), -1;
    return 0;
}

void ctl_webapi_reconcile(ctl_view_t *v, const char *body, size_t len, ctl_web_resp_t *r)
{
    const ctl_web_src_t *src = v->src;
    dg_err_t err = {0};
    char msg[800];
    json_t *j;
    int rc;

    if (src->baseline) {
        ctl_web_error(r, 409, "offline: this console was started from files; run "
                              "driftctl console --web --release NAME -n NS to reconcile");
        return;
    }
    if ((j = body_json(body, len, r)) == NULL)
        return;
    /* Judge against state read now, as `reconcile --apply` does. */
    ctl_view_free(v);
    if (ctl_view_load(v, src) != 0 || !judged(v)) {
        ctl_web_error(r, 409, "cannot reconcile: %s", v->error[0] ? v->error : "out of memory");
    } else if (confirmed(v, j, r) == 0) {
        if ((rc = ctl_reconcile_refused(&v->rec.plan, &err)) == 0) {
            v->rec.yes = true;
            rc = ctl_apply_plan(&v->rec, &err);
        }
        dg_err_format(&err, msg, sizeof msg);
        ctl_view_free(v);
        ctl_view_load(v, src);
        send_json(r, json_pack("{s:s, s:i, s:s?, s:s}", "result",
                               rc == CTL_OK ? "applied" : "failed", "exitStatus",
                               rc < 0 ? CTL_ERROR : rc, "message", err.code ? msg : NULL,
                               "state", state_of(v)));
        if (rc != CTL_OK)
            r->status = 409;
    }
    json_decref(j);
}
