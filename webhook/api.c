/* webhook/api.c: the routes of each listener. /validate decodes with the same codec and
 * judges with the same dg_decide() as `driftctl simulate`.
 * SPDX-License-Identifier: Apache-2.0 */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console.h"
#include "decisions.h"
#include "drift.h"
#include "events.h"
#include "log.h"
#include "metrics.h"
#include "report.h"
#include "review.h"
#include "json.h"
#include "jwrite.h"
#include "tls.h"

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

long dg_api_timeout_ms(const char *s)
{
    char *end;
    double v;

    if (s == NULL)
        return 0;
    v = strtod(s, &end);
    if (end == s || v <= 0)
        return 0;
    if (strcmp(end, "ms") == 0)
        return (long)v;
    if (strcmp(end, "s") == 0 || *end == '\0')
        return (long)(v * 1000);
    if (strcmp(end, "m") == 0)
        return (long)(v * 60000);
    return 0;
}

static void set_json(dg_http_resp_t *resp, int status, json_t *v)
{
    char *text = v ? json_dumps(v, JSON_INDENT(2)) : NULL;

    json_decref(v);
    if (text == NULL) {
        dg_http_error(resp, 500, "out of memory");
        return;
    }
    resp->status = status;
    resp->content_type = "application/json";
    if (dg_buf_puts(&resp->body, text) != 0 || dg_buf_puts(&resp->body, "\n") != 0)
        dg_http_error(resp, 500, "out of memory");
    free(text);
}

/* ---- POST /validate ----------------------------------------------------------- */

/* ",\"time\":\"2026-12-02T01:45:01Z\",\"webhook\":" for @t, made once a
 * second on each thread: strftime() cost more than the rest of a record's
 * stamp. Returns its length, 0 when @t has no UTC time. */
static size_t stamp(time_t t, const char **text)
{
    static _Thread_local time_t last = (time_t)-1;
    static _Thread_local char when[64];
    static _Thread_local size_t len;
    struct tm tm;

    if (t != last || len == 0) {
        len = gmtime_r(&t, &tm) == NULL ? 0
              : strftime(when, sizeof when, ",\"time\":\"%Y-%m-%dT%H:%M:%SZ\",\"webhook\":", &tm);
        last = t;
    }
    *text = when;
    return len;
}

/* The record `driftctl simulate -o json` prints (one writer, in
 * policy/report.c), stamped with when, where and how long: written once,
 * as text, which the log line splices and the ring keeps. */
static int decision_record(dg_buf_t *b, const dg_gate_t *g, const dg_review_t *rv,
                           const dg_decision_t *d, uint64_t ns)
{
    const char *when;
    size_t n = stamp(time(NULL), &when);
    int rc;

    if (n == 0)
        return DG_EINVAL;
    /* ~1.5 KiB for a denial with a variance: one allocation, not six. */
    rc = dg_buf_reserve(b, 2048);
    if (!rc)
        rc = dg_report_decision_record(b, d, rv);
    if (!rc)
        rc = dg_buf_append(b, when, n);
    if (!rc)
        rc = dg_jwrite_strn(b, g->cfg->webhook_name, strlen(g->cfg->webhook_name));
    if (!rc)
        rc = dg_buf_puts(b, ",\"latency_ms\":");
    /* 6 digits, as the log line always wrote it: microseconds. */
    if (!rc)
        rc = dg_jwrite_ms(b, ns);
    return rc ? rc : dg_buf_append(b, "}", 1);
}

static void judged(dg_gate_t *g, const dg_review_t *rv, const dg_decision_t *d, uint64_t ns)
{
    dg_log_level_t level = d->verdict == DG_VERDICT_DENY ? DG_LOG_WARN : DG_LOG_INFO;
    dg_buf_t rec;

    dg_metrics_decision(g->metrics, d->verdict, d->response.allowed ? 200 : d->response.code, ns);
    /* Nothing is written that nothing reads. */
    if (!g->decisions && !dg_log_enabled(g->log, level))
        return;
    /* Into the bytes of a record the ring dropped: no 4 KiB allocation. */
    if (g->decisions)
        dg_decisions_reuse(g->decisions, &rec);
    else
        dg_buf_init(&rec, 0);
    if (decision_record(&rec, g, rv, d, ns) == 0) {
        dg_log_text(g->log, level, "admission decision", rec.data, rec.len);
        if (g->decisions)
            dg_decisions_push(g->decisions, &rec);
    }
    dg_buf_free(&rec);
}

/* dg_decide could not finish (out of memory): the API server still gets
 * an AdmissionReview with the uid, under the configured failure stance, and
 * the log says why; a bare 500 would leave the outcome to failurePolicy
 * with nothing in the audit log. */
static void internal_error(dg_gate_t *g, const dg_review_t *rv, dg_decision_t *d,
                           const dg_err_t *err)
{
    char msg[600];

    dg_err_format(err, msg, sizeof msg);
    dg_log(g->log, DG_LOG_ERROR, "internal error judging a request",
           json_pack("{s:s, s:s, s:b}", "uid", rv->uid, "error", msg, "fail_open", g->cfg->fail_open));
    dg_decision_free(d);
    dg_decision_init(d);
    d->verdict = DG_VERDICT_UNSYNCED;
    d->response.allowed = g->cfg->fail_open;
    if (dg_response_annotate(&d->response, "decision", "error") != 0)
        return; /* out of memory: the bare answer still carries the uid */
    if (!g->cfg->fail_open) {
        d->response.code = 500;
        d->response.reason = "InternalError";
        d->response.message = strdup("driftgate: internal error judging this request; retry shortly");
    }
}

/* A polling thread serves many connections: it never waits on the API
 * server, and hands a decision that needs the re-read to a worker. */
static int would_wait(void *ctx, const char *release, const char *ns, long timeout_ms,
                      dg_release_t **fresh, dg_err_t *err)
{
    (void)ctx, (void)release, (void)ns, (void)timeout_ms, (void)err;
    *fresh = NULL;
    return DG_EWAIT;
}

static const dg_refresh_ops_t polling_refresh = {would_wait, NULL};

static void validate(dg_gate_t *g, const dg_http_req_t *req, dg_http_resp_t *resp)
{
    uint64_t t0 = now_ns();
    dg_err_t err = {0};
    char msg[600];
    /* Only what the policy's decision reads of the objects is built. */
    dg_review_t *rv = req->arena ? dg_review_parse_in(req->arena, req->body, req->len,
                                                      "request body", g->cfg->max_body,
                                                      dg_policy_want(g->policy), &err)
                                 : dg_review_parse(req->body, req->len, "request body",
                                                   g->cfg->max_body, &err);
    dg_snapshot_t *snap;
    dg_decision_t d;
    dg_decide_env_t env;
    int rc;

    if (rv == NULL) {
        dg_http_error(resp, err.code == DG_ETOOBIG ? 413 : err.code == DG_ENOMEM ? 500 : 400,
                      "%s", dg_err_format(&err, msg, sizeof msg));
        dg_log(g->log, DG_LOG_WARN, "bad AdmissionReview refused",
               json_pack("{s:s}", "error", msg));
        return;
    }
    rv->timeout_ms = dg_api_timeout_ms(req->timeout);
    snap = dg_store_acquire(g->store);
    env = (dg_decide_env_t){.now = (int64_t)time(NULL), .synced = snap->synced,
                            .fail_open = g->cfg->fail_open,
                            .refresh = req->polling && g->refresh ? &polling_refresh : g->refresh,
                            .hpas = snap->hpas};
    dg_decision_init(&d);
    rc = dg_decide(rv, snap->bases, g->policy, &env, &d, &err);
    if (rc == DG_EWAIT)
        resp->to_worker = true;
    else if (rc)
        internal_error(g, rv, &d, &err);
    if (resp->to_worker) {
        /* no decision yet: the worker's is the one logged, counted and filed */
    } else if (dg_review_encode_to(&resp->body, rv->api_version, rv->uid, &d.response) != 0) {
        dg_http_error(resp, 500, "cannot judge request %s: out of memory", rv->uid);
    } else {
        resp->status = 200;
        resp->content_type = "application/json";
        judged(g, rv, &d, now_ns() - t0);
        dg_events_decision(g->events, rv, &d); /* filed, posted later: never waited for */
    }
    dg_decision_free(&d);
    dg_snapshot_release(&snap);
    dg_review_free(&rv);
}

static void text(dg_http_resp_t *resp, int status, const char *type, const char *body)
{
    resp->status = status;
    resp->content_type = type;
    if (dg_buf_puts(&resp->body, body) != 0)
        dg_http_error(resp, 500, "out of memory");
}

/* ---- POST /audit ---------------------------------------------------------------- */

/* The API server's audit webhook backend retries a batch it got no 2xx for
 * and then drops it: a bad body is a 400 that says why; what was kept is
 * answered at once, since the backend's buffer is held until then. */
static void audit(dg_gate_t *g, const dg_http_req_t *req, dg_http_resp_t *resp)
{
    dg_err_t err = {0};
    char msg[600];
    size_t skipped = 0;
    json_t *list;
    int rc;

    if (g->timelines == NULL) {
        dg_http_error(resp, 404, "audit events are not kept here");
        return;
    }
    list = dg_json_parse(req->body, req->len, DG_JSON_PRUNE_SERVER, "request body", &err);
    rc = list ? dg_timelines_add(g->timelines, list, &skipped, &err) : err.code;
    json_decref(list);
    if (rc) {
        dg_http_error(resp, rc == DG_ENOMEM ? 500 : 400, "%s", dg_err_format(&err, msg, sizeof msg));
        dg_log(g->log, DG_LOG_WARN, "audit events refused", json_pack("{s:s}", "error", msg));
        return;
    }
    if (skipped)
        dg_log(g->log, DG_LOG_WARN, "audit events skipped: not audit events",
               json_pack("{s:I}", "skipped", (json_int_t)skipped));
    text(resp, 200, "application/json", "{}\n");
}

/* ---- read-only API -------------------------------------------------------------- */

static json_t *conflicts_json(const dg_baselines_t *b)
{
    json_t *items = json_array();
    char shown[256];

    for (size_t i = 0; i < dg_baselines_nconflicts(b); i++) {
        const dg_conflict_t *c = dg_baselines_conflict(b, i);

        json_array_append_new(items, json_pack("{s:s, s:s, s:s}", "object",
                                               dg_objid_format(c->id, shown, sizeof shown),
                                               "release", c->first->name, "otherRelease",
                                               c->second->name));
    }
    return items;
}

static json_t *release_json(const dg_release_t *r)
{
    json_t *objs = json_array();
    char shown[256];

    for (size_t i = 0; i < dg_objset_count(r->objs); i++)
        json_array_append_new(objs,
                              json_string(dg_objid_short(&dg_objset_at(r->objs, i)->id, shown,
                                                         sizeof shown)));
    return json_pack("{s:s, s:s, s:I, s:s?, s:s?, s:s?, s:s, s:o, s:s?, s:I, s:s?}", "name", r->name,
                     "namespace", r->ns, "revision", (json_int_t)r->revision, "chart", r->chart,
                     "source", r->source, "digest", r->digest, "origin",
                     r->origin == DG_RELSRC_PUBLISHED ? "published" : "helm", "objects", objs,
                     "pending", r->pending_status, "pendingRevision",
                     (json_int_t)r->pending_revision, "note", r->note);
}

static json_t *releases(dg_gate_t *g)
{
    dg_snapshot_t *snap = dg_store_acquire(g->store);
    json_t *items = json_array(), *conflicts;

    for (size_t i = 0; i < dg_baselines_count(snap->bases); i++)
        json_array_append_new(items, release_json(dg_baselines_at(snap->bases, i)));
    conflicts = conflicts_json(snap->bases);
    dg_snapshot_release(&snap);
    return json_pack("{s:o, s:o}", "releases", items, "conflicts", conflicts);
}

static json_t *variances(dg_gate_t *g)
{
    dg_snapshot_t *snap = dg_store_acquire(g->store);
    /* Each variance carries its drift episode (the audit adds it); the
     * episodes that ended lately are beside them. */
    json_t *v = json_pack("{s:O, s:I, s:b, s:o}", "variances", snap->variances, "total",
                          (json_int_t)snap->nvariances, "synced", snap->synced, "endedEpisodes",
                          dg_drift_ended(g->drift));

    dg_snapshot_release(&snap);
    return v;
}


static void readyz(dg_gate_t *g, dg_http_resp_t *resp)
{
    dg_snapshot_t *snap;

    if (atomic_load(&g->draining)) {
        dg_http_error(resp, 503, "not ready: shutting down");
        return;
    }
    snap = dg_store_acquire(g->store);
    if (snap->synced)
        text(resp, 200, "text/plain", "ok\n");
    else
        dg_http_error(resp, 503, "not ready: the baseline store has not synced");
    dg_snapshot_release(&snap);
}

static void webhook_route(dg_gate_t *g, const dg_http_req_t *req, dg_http_resp_t *resp)
{
    if (strcmp(req->path, "/validate") == 0)
        validate(g, req, resp);
    else if (strcmp(req->path, "/audit") == 0)
        audit(g, req, resp);
    else if (strcmp(req->path, "/healthz") == 0)
        text(resp, 200, "text/plain", "ok\n");
    else if (strcmp(req->path, "/readyz") == 0)
        readyz(g, resp);
    else
        dg_http_error(resp, 404, "no route %s here (the console and /api/v1 are on "
                                 "--console-listen, /metrics on --metrics-listen)",
                      req->path);
}

/* GET /api/v1/timeline?namespace=&release=[&object=KIND/NAME]: what
 * `driftctl timeline -n NS --release NAME [--object KIND/NAME] -o json`
 * prints for the events POST /audit was sent. */
static void timeline(dg_gate_t *g, const dg_http_req_t *req, dg_http_resp_t *resp)
{
    dg_err_t err = {0};
    char msg[600];
    int rc;

    if (g->timelines == NULL) {
        dg_http_error(resp, 404, "the timeline is not kept here");
        return;
    }
    if (req->ns == NULL || !req->ns[0] || req->release == NULL || !req->release[0]) {
        dg_http_error(resp, 400, "/api/v1/timeline needs ?namespace=NS&release=NAME");
        return;
    }
    rc = dg_timelines_render(g->timelines, req->ns, req->release, req->object, DG_FMT_JSON,
                             &resp->body, &err);
    if (rc) {
        dg_buf_reset(&resp->body);
        dg_http_error(resp, rc == DG_EINVAL ? 400 : 500, "%s",
                      dg_err_format(&err, msg, sizeof msg));
        return;
    }
    resp->status = 200;
    resp->content_type = "application/json";
}

/* GET /api/v1/decisions: the kept records spliced, one a line. */
static void decisions(dg_gate_t *g, dg_http_resp_t *resp)
{
    if (g->decisions == NULL) {
        dg_http_error(resp, 404, "decisions are not kept here");
        return;
    }
    if (dg_decisions_write(g->decisions, &resp->body) != 0) {
        dg_buf_reset(&resp->body);
        dg_http_error(resp, 500, "out of memory");
        return;
    }
    resp->status = 200;
    resp->content_type = "application/json";
}

static void console_route(dg_gate_t *g, const dg_http_req_t *req, dg_http_resp_t *resp)
{
    const char *p = req->path;
    json_t *one;

    if (strcmp(p, "/api/v1/releases") == 0)
        set_json(resp, 200, releases(g));
    else if (strcmp(p, "/api/v1/variances") == 0)
        set_json(resp, 200, (one = dg_console_variances(g, req)) ? one : variances(g));
    else if (strcmp(p, "/api/v1/decisions") == 0)
        decisions(g, resp);
    else if (strcmp(p, "/api/v1/timeline") == 0)
        timeline(g, req, resp);
    else if (strcmp(p, "/api/v1/context") == 0)
        dg_console_context(g, req, resp);
    else if (strcmp(p, "/api/v1/plan") == 0)
        dg_console_plan(g, req, resp);
    else if (strcmp(p, "/api/v1/simulate") == 0)
        dg_console_simulate(g, req, resp);
    else if (strcmp(p, "/api/v1/reconcile") == 0)
        dg_http_error(resp, 405, "driftgate's console is read-only: reconcile with "
                                 "driftctl reconcile --release NAME -n NS --apply");
    else if (strncmp(p, "/api/v1/assets/", 15) == 0)
        dg_console_download(g, req, resp);
    else if (!dg_console_asset(req, resp))
        dg_http_error(resp, 404, "no route %s", p);
}

static void metrics_route(dg_gate_t *g, const dg_http_req_t *req, dg_http_resp_t *resp)
{
    if (strcmp(req->path, "/metrics") != 0) {
        dg_http_error(resp, 404, "no route %s", req->path);
        return;
    }
    resp->status = 200;
    resp->content_type = "text/plain; version=0.0.4";
    if (dg_metrics_render(g->metrics, &resp->body, g->tls ? dg_tls_expiry_seconds(g->tls) : 0,
                          dg_log_dropped(g->log)) != 0 ||
        dg_events_metrics(g->events, &resp->body) != 0 ||
        dg_drift_metrics(g->drift, (int64_t)time(NULL), &resp->body) != 0)
        dg_http_error(resp, 500, "out of memory");
}

void dg_api_handle(dg_gate_t *g, const dg_http_req_t *req, dg_http_resp_t *resp)
{
    bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;

    if (!get && !dg_http_is_upload(req->role, req->path))
        dg_http_error(resp, 405, "%s %s: only GET is accepted", req->method, req->path);
    else if (req->role == DG_ROLE_WEBHOOK)
        webhook_route(g, req, resp);
    else if (req->role == DG_ROLE_CONSOLE)
        console_route(g, req, resp);
    else if (req->role == DG_ROLE_METRICS)
        metrics_route(g, req, resp);
}
