/* webhook/console.c: the console on driftgate's listener. The page is the
 * embedded console/ (one set of assets, two hosts); what the page asks is
 * answered from the store's snapshot, never from a request's say-so, and
 * the live objects, plan and SARIF from the release's objects read on
 * demand (kube_audit.c's reader). Read only: nothing here changes the
 * cluster or the store.
 * SPDX-License-Identifier: Apache-2.0 */
#include "console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assets.h"
#include "json.h"
#include "kube.h"
#include "plan.h"
#include "report.h"
#include "simulate.h"
#include "status.h"
#include "store.h"

/* Steals @v. */
static void reply(dg_http_resp_t *resp, json_t *v, const char *filename)
{
    char *text = v ? json_dumps(v, JSON_INDENT(1)) : NULL;

    json_decref(v);
    if (text == NULL) {
        dg_http_error(resp, 500, "out of memory");
        return;
    }
    resp->status = 200;
    resp->content_type = "application/json";
    resp->filename = filename;
    if (dg_buf_puts(&resp->body, text) != 0)
        dg_http_error(resp, 500, "out of memory");
    free(text);
}

bool dg_console_asset(const dg_http_req_t *req, dg_http_resp_t *resp)
{
    const dg_asset_t *a = dg_asset_find(req->path);

    if (a == NULL)
        return false;
    resp->etag = a->etag;
    resp->content_type = a->content_type;
    if (dg_asset_fresh(req->if_none_match, a->etag)) {
        resp->status = 304;
        return true;
    }
    resp->status = 200;
    if (dg_buf_append(&resp->body, a->data, a->len) != 0)
        dg_http_error(resp, 500, "out of memory");
    return true;
}

/* The release asked for, else the first one the store holds. */
static const dg_release_t *pick(const dg_snapshot_t *snap, const dg_http_req_t *req)
{
    if (req->release && req->release[0] && req->ns && req->ns[0])
        return dg_baselines_find(snap->bases, req->release, req->ns);
    return dg_baselines_count(snap->bases) ? dg_baselines_at(snap->bases, 0) : NULL;
}

/* The audit's variances of @rel's objects, each named as kubectl would
 * ("hpa/test-nginx") for the simulator. Returns a new reference. */
static json_t *release_variances(const dg_snapshot_t *snap, const dg_release_t *rel)
{
    json_t *out = json_array(), *v;
    char shown[256];
    size_t i;

    json_array_foreach(snap->variances, i, v) {
        json_t *o = json_object_get(v, "object");
        dg_objid_t id = {json_string_value(json_object_get(o, "group")),
                         json_string_value(json_object_get(o, "kind")),
                         json_string_value(json_object_get(o, "namespace")),
                         json_string_value(json_object_get(o, "name"))};
        json_t *row;

        if (!id.group || !id.kind || !id.ns || !id.name || rel == NULL ||
            dg_objset_find(rel->objs, &id) == NULL)
            continue;
        row = json_deep_copy(v);
        json_object_set_new(row, "target", json_string(dg_objid_short(&id, shown, sizeof shown)));
        json_array_append_new(out, row);
    }
    return out;
}

/* Whether anything reads live state: without a Kubernetes source there is
 * no continuous audit, and no variances means "not known", never "none". */
static bool audited(const dg_gate_t *g)
{
    return (g->cfg->kubeconfig || g->cfg->in_cluster) && g->cfg->audit_interval_s > 0;
}

static const char *state_of(const dg_gate_t *g, const dg_snapshot_t *snap, const dg_release_t *rel,
                            size_t n)
{
    if (!snap->synced)
        return "not-synced";
    if (rel == NULL)
        return "no-baseline";
    if (!audited(g))
        return "no-cluster";
    return dg_state_name(n ? DG_STATE_VARIANCE : DG_STATE_IN_SYNC);
}

static void command(const dg_release_t *rel, char *buf, size_t size)
{
    snprintf(buf, size, "driftctl reconcile --release %s -n %s --apply", rel ? rel->name : "NAME",
             rel ? rel->ns : "NS");
}

/* The context line in libdrift's words (dg_context_json(), as driftctl's
 * console says it), then what the page needs besides. The kinds audited
 * are the baseline's: the continuous audit reads those. */
static json_t *context_json(const dg_gate_t *g, const dg_snapshot_t *snap, const dg_release_t *rel)
{
    json_t *vars = release_variances(snap, rel), *objs = json_array(), *ctx;
    char shown[256], cmd[600], loc[300], kinds[256] = "";
    size_t n = json_array_size(vars);

    for (size_t i = 0; rel && i < dg_objset_count(rel->objs); i++) {
        const dg_objid_t *id = &dg_objset_at(rel->objs, i)->id;

        json_array_append_new(objs, json_string(dg_objid_short(id, shown, sizeof shown)));
        dg_context_add_kind(kinds, sizeof kinds, id->group, id->kind);
    }
    json_decref(vars);
    command(rel, cmd, sizeof cmd);
    snprintf(loc, sizeof loc, "release %s/%s", rel ? rel->ns : "", rel ? rel->name : "");
    ctx = dg_context_json(&(dg_context_t){
        .ns = rel ? rel->ns : NULL, .release = rel ? rel->name : NULL,
        .state = state_of(g, snap, rel, n), .shell = "driftgate",
        .cluster = "this-cluster", .audited = audited(g) ? kinds : NULL,
        .artifact = rel ? rel->source : NULL});
    if (ctx == NULL || json_object_update_new(ctx, json_pack(
        "{s:s, s:s, s:s?, s:{s:s, s:{s:s, s:s, s:I, s:s?, s:s?}}, s:{s:b, s:s, s:s}, s:s, "
        "s:o, s:o, s:o, s:b}",
        "host", "driftgate", "mode", "cluster", "error",
        !snap->synced ? "the baseline store has not synced yet"
        : rel == NULL ? "no release baseline is loaded"
        : !audited(g) ? "driftgate reads no live state here (no Kubernetes source, or "
                        "--audit-interval 0): drift is not known"
                      : NULL,
        "status", "workflow", DG_STATUS_WORKFLOW, "source", "origin",
        rel && rel->origin == DG_RELSRC_PUBLISHED ? "published" : "helm", "location", loc,
        "revision", (json_int_t)(rel ? rel->revision : 0), "chart", rel ? rel->chart : NULL,
        "digest", rel ? rel->digest : NULL, "reconcile", "canApply", 0, "command", cmd, "why",
        "driftgate's console is read-only: run the command from a terminal",
        "timeline", g->timelines ? "audit-log" : "none", "assets",
        dg_kube_reads_live(g) ? json_pack("[s, s, s, s]", "baseline", "live", "sarif", "bundle")
                              : json_pack("[s, s]", "baseline", "bundle"),
        "objects", objs, "releases",
        json_integer((json_int_t)dg_baselines_count(snap->bases)), "readOnly", 1)) != 0) {
        json_decref(ctx);
        return NULL;
    }
    return ctx;
}

json_t *dg_console_variances(dg_gate_t *g, const dg_http_req_t *req)
{
    dg_snapshot_t *snap;
    const dg_release_t *rel;
    json_t *rows, *out;
    bool known;

    if (req->release == NULL || req->ns == NULL)
        return NULL;
    snap = dg_store_acquire(g->store);
    rel = pick(snap, req);
    rows = release_variances(snap, rel);
    known = snap->synced && rel && audited(g);
    out = json_pack("{s:o, s:o, s:b, s:s, s:s?}", "variances", rows, "total",
                    known ? json_integer((json_int_t)json_array_size(rows)) : json_null(),
                    "synced", snap->synced, "state",
                    state_of(g, snap, rel, json_array_size(rows)), "reason",
                    known ? NULL : "drift is not known here (see /api/v1/context)");
    dg_snapshot_release(&snap);
    return out;
}

void dg_console_context(dg_gate_t *g, const dg_http_req_t *req, dg_http_resp_t *resp)
{
    dg_snapshot_t *snap = dg_store_acquire(g->store);
    const dg_release_t *rel = pick(snap, req);

    if (rel == NULL && req->release && req->release[0]) {
        dg_snapshot_release(&snap);
        dg_http_error(resp, 404, "no baseline for release %s/%s", req->ns ? req->ns : "",
                      req->release);
        return;
    }
    reply(resp, context_json(g, snap, rel), NULL);
    dg_snapshot_release(&snap);
}

/* Per object, the values a reconcile puts back; driftctl plans the exact
 * patches (with tests of live values driftgate does not keep) and judges
 * them before applying. */
static json_t *plan_json(const dg_gate_t *g, const dg_snapshot_t *snap, const dg_release_t *rel)
{
    json_t *vars = release_variances(snap, rel), *ops = json_array(), *v;
    char cmd[600];
    size_t i;

    json_array_foreach(vars, i, v) {
        json_t *o = json_object_get(v, "object"), *op = NULL, *x;
        size_t j;

        json_array_foreach(ops, j, x)
            if (json_equal(json_object_get(x, "object"), o))
                op = x;
        if (op == NULL) {
            op = json_pack("{s:O, s:s, s:s, s:[], s:[]}", "object", o, "action", "patch",
                           "decision", "reconcile", "variances", "patch");
            json_array_append_new(ops, op);
        }
        json_array_append(json_object_get(op, "variances"), v);
        json_array_append_new(json_object_get(op, "patch"),
                              json_pack("{s:s, s:O*, s:O*}", "path", json_string_value(
                                            json_object_get(v, "path")), "from",
                                        json_object_get(v, "live"), "value",
                                        json_object_get(v, "desired")));
    }
    json_decref(vars);
    command(rel, cmd, sizeof cmd);
    return json_pack("{s:{s:s?, s:s?, s:I, s:s?}, s:o, s:s, s:b, s:b, s:b, s:s}", "release",
                     "namespace", rel ? rel->ns : NULL, "name", rel ? rel->name : NULL, "revision",
                     (json_int_t)(rel ? rel->revision : 0), "digest", rel ? rel->digest : NULL,
                     "operations", ops, "command", cmd, "canApply", 0, "known",
                     snap->synced && rel != NULL && audited(g), "preview", 1, "note",
                     "A preview from the continuous audit: driftctl reconcile plans the exact "
                     "patches, judges each one as this gate will, and applies them.");
}

/* ---- live state, read on demand ------------------------------------------------------------ */

/* @rel's objects read live now, their drift and the plan reconcile makes
 * of it, judged as this gate judges (dg_plan_judge_live(), as driftctl's
 * host does): what driftctl's console shows, from the same code. */
typedef struct live_view {
    dg_live_read_t live;
    dg_variances_t v;
    dg_plan_t plan;
    dg_decide_env_t env;
} live_view_t;

static int live_view(dg_gate_t *g, const dg_snapshot_t *snap, const dg_release_t *rel,
                     live_view_t *lv, dg_err_t *err)
{
    /* driftgate cannot ask who will apply: judged as driftctl judges when
     * kubectl cannot say. */
    const dg_plan_requester_t who = {DG_PLAN_FIELD_MANAGER, NULL, 0, DG_PLAN_FIELD_MANAGER};
    const dg_plan_opts_t po = {0};
    dg_plan_live_t live;
    int rc;

    if ((rc = dg_kube_read_live(g, rel, &lv->live, err)) != 0)
        return rc;
    live = (dg_plan_live_t){lv->live.objs, lv->live.kinds, lv->live.nkinds};
    if ((rc = dg_plan_release(rel, &live, g->policy, &po, &lv->v, &lv->plan, err)) != 0)
        return rc;
    return dg_plan_judge_live(&lv->plan, &live, snap->bases, g->policy, (int64_t)time(NULL), &who,
                              &lv->env, err);
}

static json_t *items_of(const dg_objset_t *set)
{
    json_t *items = json_array();

    for (size_t i = 0; i < dg_objset_count(set); i++)
        json_array_append(items, dg_objset_at(set, i)->json);
    return json_pack("{s:s, s:s, s:o}", "apiVersion", "v1", "kind", "List", "items", items);
}

/* The plan as driftctl's host answers it, without its apply. */
static void answer_plan(const dg_release_t *rel, const live_view_t *lv, dg_http_resp_t *resp)
{
    json_t *p = dg_plan_json(&lv->plan);
    char cmd[600];

    command(rel, cmd, sizeof cmd);
    if (p && json_object_update_new(p, json_pack("{s:s, s:b, s:b}", "command", cmd, "canApply",
                                                 0, "known", 1)) != 0)
        p = (json_decref(p), NULL);
    reply(resp, p, NULL);
}

static void answer_live(const dg_release_t *rel, const live_view_t *lv, dg_http_resp_t *resp)
{
    (void)rel;
    reply(resp, items_of(lv->live.objs), "live-snapshot.json");
}

/* `driftctl diff -o sarif`'s rendering, without template lines (the
 * render is not a file here). */
static void answer_sarif(const dg_release_t *rel, const live_view_t *lv, dg_http_resp_t *resp)
{
    dg_report_ctx_t ctx = {.release = rel->name, .ns = rel->ns, .baseline_uri = "baseline.yaml",
                           .live_uri = "live.yaml"};
    dg_err_t err = {0};
    char msg[600];

    resp->status = 200;
    resp->content_type = "application/sarif+json";
    resp->filename = "drift.sarif";
    if (dg_report_variances(&lv->v, DG_FMT_SARIF, &ctx, &resp->body, &err) != 0)
        dg_http_error(resp, 500, "%s", dg_err_format(&err, msg, sizeof msg));
}

typedef void answer_fn(const dg_release_t *rel, const live_view_t *lv, dg_http_resp_t *resp);

/* Read @rel live and @answer from it; an unreadable object is the API
 * server's failure (502), named; no Kubernetes source is a conflict with
 * what was asked (409), never an empty answer. */
static void with_live(dg_gate_t *g, const dg_snapshot_t *snap, const dg_release_t *rel,
                      answer_fn *answer, dg_http_resp_t *resp)
{
    live_view_t lv = {0};
    dg_err_t err = {0};
    char msg[700];
    int rc;

    dg_variances_init(&lv.v);
    dg_plan_init(&lv.plan);
    if ((rc = live_view(g, snap, rel, &lv, &err)) != 0)
        dg_http_error(resp, rc == DG_ENOMEM ? 500 : rc == DG_ENOTFOUND ? 409 : 502, "%s",
                      dg_err_format(&err, msg, sizeof msg));
    else
        answer(rel, &lv, resp);
    dg_plan_free(&lv.plan);
    dg_variances_free(&lv.v);
    dg_live_read_free(&lv.live);
}

/* Judged from live state read now when there is a Kubernetes source;
 * else the preview (known: false), as before. */
void dg_console_plan(dg_gate_t *g, const dg_http_req_t *req, dg_http_resp_t *resp)
{
    dg_snapshot_t *snap = dg_store_acquire(g->store);
    const dg_release_t *rel = pick(snap, req);

    if (snap->synced && rel && dg_kube_reads_live(g))
        with_live(g, snap, rel, answer_plan, resp);
    else
        reply(resp, plan_json(g, snap, rel), NULL);
    dg_snapshot_release(&snap);
}

/* ---- the simulator -------------------------------------------------------------------- */

/* Decoded and judged by libdrift's simulate.c, as on driftctl's host.
 * driftgate keeps no live objects: a change is made to the baseline's. */
void dg_console_simulate(dg_gate_t *g, const dg_http_req_t *req, dg_http_resp_t *resp)
{
    dg_err_t err = {0};
    json_t *j = dg_json_parse(req->body, req->len, 0, "request body", &err), *out = NULL;
    dg_sim_request_t sim = {0};
    dg_snapshot_t *snap = NULL;
    const dg_release_t *rel;
    dg_decide_env_t env;
    char msg[600];
    int rc = j ? dg_simulate_request(j, &sim, &err) : err.code;

    if (rc)
        goto out;
    snap = dg_store_acquire(g->store);
    if ((rel = pick(snap, req)) == NULL) {
        rc = dg_err_set(&err, DG_ENOTFOUND, "no release baseline to judge against");
        goto out;
    }
    env = (dg_decide_env_t){.now = (int64_t)time(NULL), .synced = snap->synced,
                            .fail_open = g->cfg->fail_open, .hpas = snap->hpas};
    rc = dg_simulate_change(rel, NULL, snap->bases, g->policy, &env, &sim.change, &out, &err);
out:
    if (rc)
        dg_http_error(resp, rc == DG_ENOMEM ? 500 : rc == DG_ENOTFOUND ? 404 : 400, "%s",
                      dg_err_format(&err, msg, sizeof msg));
    else
        reply(resp, out, NULL);
    dg_snapshot_release(&snap);
    dg_simulate_request_free(&sim);
    json_decref(j);
}

/* ---- downloads ---------------------------------------------------------------------------- */

void dg_console_download(dg_gate_t *g, const dg_http_req_t *req, dg_http_resp_t *resp)
{
    const char *name = req->path + strlen("/api/v1/assets/");
    dg_snapshot_t *snap = dg_store_acquire(g->store);
    const dg_release_t *rel = pick(snap, req);

    if (rel == NULL)
        dg_http_error(resp, 404, "no release baseline is loaded");
    else if (strcmp(name, "baseline") == 0)
        reply(resp, items_of(rel->objs), "release-baseline.json");
    else if (strcmp(name, "live") == 0)
        with_live(g, snap, rel, answer_live, resp);
    else if (strcmp(name, "sarif") == 0)
        with_live(g, snap, rel, answer_sarif, resp);
    else if (strcmp(name, "bundle") == 0)
        reply(resp, json_pack("{s:s, s:o, s:o, s:o, s:o*}", "kind", "DriftEvidenceBundle",
                              "context", context_json(g, snap, rel), "variances",
                              release_variances(snap, rel), "plan", plan_json(g, snap, rel),
                              "decisions", g->decisions ? dg_decisions_json(g->decisions) : NULL),
              "evidence-bundle.json");
    else
        dg_http_error(resp, 404, "no asset '%s' (baseline, live, sarif, bundle)", name);
    dg_snapshot_release(&snap);
}
