/* policy/report.c: variances and decisions for people (table, markdown)
 * and tools (json, yaml, sarif). SPDX-License-Identifier: Apache-2.0 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELL_MAX 60

int dg_format_parse(const char *s, dg_format_t *out, dg_err_t *err)
{
    static const struct {
        const char *name;
        dg_format_t fmt;
    } names[] = {{"table", DG_FMT_TABLE}, {"json", DG_FMT_JSON},   {"yaml", DG_FMT_YAML},
                 {"markdown", DG_FMT_MARKDOWN}, {"md", DG_FMT_MARKDOWN}, {"sarif", DG_FMT_SARIF}};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].fmt;
            return 0;
        }
    return dg_err_set(err, DG_EINVAL,
                      "-o %s: unknown output format (table, json, yaml, markdown, sarif)", s);
}

/* ---- shared pieces ------------------------------------------------------------------- */

/* A value as people read it: strings bare, others compact JSON; cut long. */
static void cell(const json_t *v, bool missing_obj, bool desired, char *buf, size_t size)
{
    char *d;

    if (missing_obj)
        snprintf(buf, size, "%s", desired ? "(present)" : "(missing)");
    else if (v == NULL)
        snprintf(buf, size, "(none)");
    else if (json_is_string(v))
        snprintf(buf, size, "%s", json_string_value(v));
    else {
        d = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
        snprintf(buf, size, "%s", d ? d : "?");
        free(d);
    }
    if (strlen(buf) > CELL_MAX)
        memcpy(buf + CELL_MAX - 3, "...", 4);
}

static void counts(const dg_variances_t *v, size_t c[3])
{
    c[0] = c[1] = c[2] = 0;
    for (size_t i = 0; i < v->n; i++)
        c[v->items[i].action]++;
}

static int summary(const dg_variances_t *v, const dg_report_ctx_t *ctx, dg_buf_t *o)
{
    size_t c[3];
    int rc;

    if (v->n == 0)
        rc = dg_buf_puts(o, "No governed drift");
    else {
        counts(v, c);
        rc = dg_buf_printf(o, "%zu active variance%s (%zu deny, %zu warn, %zu audit)", v->n,
                           v->n == 1 ? "" : "s", c[DG_ACTION_DENY], c[DG_ACTION_WARN],
                           c[DG_ACTION_AUDIT]);
    }
    if (!rc && ctx && ctx->release)
        rc = dg_buf_printf(o, " in release %s/%s", ctx->ns ? ctx->ns : "", ctx->release);
    return rc ? rc : dg_buf_puts(o, ".\n");
}

static void object_text(const dg_variance_t *x, char *buf, size_t size)
{
    dg_objid_short(&x->obj, buf, size);
}

/* ---- table ---------------------------------------------------------------------------- */

#define MAX_COLS 7

typedef struct row {
    char c[MAX_COLS][CELL_MAX + 8];
} row_t;

/* @rows[0] is the header: every column padded to its widest cell, the
 * last one not at all. */
static int grid(dg_buf_t *o, const row_t *rows, size_t nrows, int ncols)
{
    size_t w[MAX_COLS] = {0};
    int rc = 0;

    for (size_t i = 0; i < nrows; i++)
        for (int k = 0; k < ncols; k++)
            if (strlen(rows[i].c[k]) > w[k])
                w[k] = strlen(rows[i].c[k]);
    for (size_t i = 0; i < nrows && !rc; i++) {
        for (int k = 0; k < ncols - 1 && !rc; k++)
            rc = dg_buf_printf(o, "%-*s  ", (int)w[k], rows[i].c[k]);
        if (!rc)
            rc = dg_buf_printf(o, "%s\n", rows[i].c[ncols - 1]);
    }
    return rc;
}

/* Do two values have JSON types that read the same (numbers, booleans)? */
static bool same_type(const json_t *a, const json_t *b)
{
    return json_typeof(a) == json_typeof(b) || (json_is_number(a) && json_is_number(b)) ||
           (json_is_boolean(a) && json_is_boolean(b));
}

/* A cell whose other side has another JSON type shows a string quoted:
 * 6 against "6" would read as no difference at all. */
static void typed_cell(const json_t *v, const json_t *other, bool missing_obj, bool desired,
                       char *buf, size_t size)
{
    char *d;

    if (missing_obj || !json_is_string(v) || other == NULL || same_type(v, other)) {
        cell(v, missing_obj, desired, buf, size);
        return;
    }
    d = json_dumps(v, JSON_ENCODE_ANY);
    snprintf(buf, size, "%s", d ? d : "?");
    free(d);
    if (strlen(buf) > CELL_MAX)
        memcpy(buf + CELL_MAX - 3, "...", 4);
}

/* @action: the ACTION column's text, NULL for the variance's own. */
static void fill_row(const dg_variance_t *x, const char *action, row_t *r)
{
    bool miss = x->type == DG_VAR_MISSING;

    object_text(x, r->c[0], sizeof r->c[0]);
    snprintf(r->c[1], sizeof r->c[1], "%s", miss ? "(object)" : x->path);
    typed_cell(x->desired, x->live, miss, true, r->c[2], sizeof r->c[2]);
    typed_cell(x->live, x->desired, miss, false, r->c[3], sizeof r->c[3]);
    snprintf(r->c[4], sizeof r->c[4], "%s", x->rule);
    snprintf(r->c[5], sizeof r->c[5], "%s", action ? action : dg_action_name(x->action));
}

/* @live_head names the fourth column: LIVE, or REQUESTED/BEFORE in decisions;
 * @action, when not NULL, is every row's ACTION (what was done, not the rule's). */
static int table(const dg_variances_t *v, const dg_report_ctx_t *ctx, bool with_summary,
                 const char *live_head, const char *action, dg_buf_t *o)
{
    const char *const head[6] = {"OBJECT", "PATH", "DESIRED", live_head, "RULE", "ACTION"};
    row_t *rows = calloc(v->n + 1, sizeof *rows);
    int rc = 0;

    if (rows == NULL)
        return DG_ENOMEM;
    for (int k = 0; k < 6; k++)
        snprintf(rows[0].c[k], sizeof rows[0].c[k], "%s", head[k]);
    for (size_t i = 0; i < v->n; i++)
        fill_row(&v->items[i], action, &rows[i + 1]);
    if (v->n)
        rc = grid(o, rows, v->n + 1, 6);
    free(rows);
    if (!rc && v->n && with_summary)
        rc = dg_buf_puts(o, "\n");
    return rc || !with_summary ? rc : summary(v, ctx, o);
}

/* ---- markdown ------------------------------------------------------------------------- */

static int md_cell(dg_buf_t *o, const char *s)
{
    int rc = dg_buf_puts(o, " ");

    for (; *s && !rc; s++)
        rc = *s == '|' ? dg_buf_puts(o, "\\|") : dg_buf_append(o, s, 1);
    return rc ? rc : dg_buf_puts(o, " |");
}

static int markdown(const dg_variances_t *v, const dg_report_ctx_t *ctx, dg_buf_t *o)
{
    row_t r;
    int rc = dg_buf_puts(o, "### driftgate: governed drift\n\n");

    if (!rc && v->n)
        rc = dg_buf_puts(o, "| Object | Path | Desired | Live | Rule | Action |\n"
                            "|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < v->n && !rc; i++) {
        fill_row(&v->items[i], NULL, &r);
        rc = dg_buf_puts(o, "|");
        for (int k = 0; k < 6 && !rc; k++)
            rc = md_cell(o, r.c[k]);
        if (!rc)
            rc = dg_buf_puts(o, "\n");
    }
    if (!rc && v->n)
        rc = dg_buf_puts(o, "\n");
    return rc ? rc : summary(v, ctx, o);
}

/* ---- json / yaml ------------------------------------------------------------------------ */

/* @side names the second value: "live" in a diff; in a decision
 * "requested" (what the request asks for), "before" (what it moves back to
 * the baseline) or "live" (drift it leaves untouched). */
static json_t *variances_json(const dg_variances_t *v, const char *side)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr && i < v->n; i++) {
        const dg_variance_t *x = &v->items[i];
        json_t *item = json_pack(
            "{s:{s:s, s:s, s:s, s:s}, s:s, s:O?, s:O?, s:s, s:s, s:s}", "object", "group",
            x->obj.group, "kind", x->obj.kind, "namespace", x->obj.ns, "name", x->obj.name, "path",
            x->path, "desired", x->desired, side, x->live, "type",
            x->type == DG_VAR_MISSING ? "missing" : "changed", "rule", x->rule, "action",
            dg_action_name(x->action));

        if (item == NULL || json_array_append_new(arr, item) != 0) {
            json_decref(arr);
            return NULL;
        }
        /* null, not absent: a JSON reader sees both sides of every variance */
        if (!json_object_get(item, "desired"))
            json_object_set_new(item, "desired", json_null());
        if (!json_object_get(item, side))
            json_object_set_new(item, side, json_null());
    }
    return arr;
}

json_t *dg_report_variances_json(const dg_variances_t *v)
{
    return variances_json(v, "live");
}

static json_t *report_json(const dg_variances_t *v, const dg_report_ctx_t *ctx)
{
    size_t c[3];

    counts(v, c);
    return json_pack("{s:o, s:{s:I, s:I, s:I, s:I, s:s?, s:s?}}", "variances",
                     dg_report_variances_json(v), "summary", "total", (json_int_t)v->n, "deny",
                     (json_int_t)c[DG_ACTION_DENY], "warn", (json_int_t)c[DG_ACTION_WARN], "audit",
                     (json_int_t)c[DG_ACTION_AUDIT], "release", ctx ? ctx->release : NULL,
                     "namespace", ctx ? ctx->ns : NULL);
}

/* YAML is JSON's superset: emit block style for the structure and JSON
 * (double-quoted, escaped) scalars, which every YAML reader accepts. */
static int yaml_value(dg_buf_t *o, const json_t *v, int indent, bool in_list);

static int yaml_scalar(dg_buf_t *o, const json_t *v)
{
    char *d = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    int rc = d ? dg_buf_puts(o, d) : DG_ENOMEM;

    free(d);
    return rc ? rc : dg_buf_puts(o, "\n");
}

static int yaml_value(dg_buf_t *o, const json_t *v, int indent, bool in_list)
{
    const char *k;
    json_t *x;
    size_t i;
    int rc = 0;
    bool first = true;

    if (json_is_object(v) && json_object_size(v)) {
        if (!in_list)
            rc = dg_buf_puts(o, "\n");
        json_object_foreach((json_t *)v, k, x) {
            bool bare = strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") > 0 &&
                        strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
                            strlen(k);
            json_t *ks = bare ? NULL : json_string(k);
            char *key = ks ? json_dumps(ks, JSON_ENCODE_ANY) : NULL;

            json_decref(ks);

            if (!rc)
                rc = dg_buf_printf(o, "%*s%s:%s", in_list && first ? 0 : indent, "", key ? key : k,
                                   json_is_object(x) && json_object_size(x)  ? ""
                                   : json_is_array(x) && json_array_size(x) ? "\n"
                                                                            : " ");
            free(key);
            if (!rc)
                rc = yaml_value(o, x, indent + 2, false);
            first = false;
        }
        return rc;
    }
    if (json_is_array(v) && json_array_size(v)) {
        json_array_foreach(v, i, x) {
            if (!rc)
                rc = dg_buf_printf(o, "%*s- ", indent, "");
            if (!rc)
                rc = json_is_object(x) || json_is_array(x) ? yaml_value(o, x, indent + 2, true)
                                                           : yaml_scalar(o, x);
        }
        return rc;
    }
    return yaml_scalar(o, v);
}

/* ---- SARIF 2.1.0 -------------------------------------------------------------------------- */

static const char *sarif_level(dg_action_t a)
{
    return a == DG_ACTION_DENY ? "error" : a == DG_ACTION_WARN ? "warning" : "note";
}

static json_t *sarif_rules(const dg_variances_t *v)
{
    json_t *rules = json_array();

    for (size_t i = 0; i < v->n; i++) {
        bool seen = false;

        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(v->items[j].rule, v->items[i].rule) == 0;
        if (!seen)
            json_array_append_new(
                rules, json_pack("{s:s, s:{s:s}, s:{s:s}}", "id", v->items[i].rule,
                                 "shortDescription", "text", v->items[i].rule,
                                 "defaultConfiguration", "level",
                                 sarif_level(v->items[i].action)));
    }
    return rules;
}

/* The file and line a result points at; relative URIs are resolved
 * against SRCROOT, which the run maps to the repository root. */
static json_t *sarif_physical(size_t i, const dg_report_ctx_t *ctx)
{
    const dg_report_loc_t *loc = ctx && ctx->locs ? &ctx->locs[i] : NULL;
    const char *uri = loc ? loc->uri : ctx && ctx->baseline_uri ? ctx->baseline_uri : "release-baseline.yaml";
    int line = loc && loc->line > 0 ? loc->line : 1;
    json_t *art = json_pack("{s:s}", "uri", uri);

    if (art && strstr(uri, "://") == NULL && strncmp(uri, "file:", 5) != 0)
        json_object_set_new(art, "uriBaseId", json_string("SRCROOT"));
    return json_pack("{s:o, s:{s:i}}", "artifactLocation", art, "region", "startLine", line);
}

static json_t *sarif_result(const dg_variances_t *v, size_t i, const dg_report_ctx_t *ctx)
{
    const dg_variance_t *x = &v->items[i];
    char obj[256], want[CELL_MAX + 8], got[CELL_MAX + 8], msg[700], fq[900];
    bool miss = x->type == DG_VAR_MISSING;

    object_text(x, obj, sizeof obj);
    cell(x->desired, miss, true, want, sizeof want);
    cell(x->live, miss, false, got, sizeof got);
    if (miss)
        snprintf(msg, sizeof msg, "%s is missing from live state (release %s)", obj,
                 ctx && ctx->release ? ctx->release : "?");
    else
        snprintf(msg, sizeof msg, "%s %s: desired %s, live %s (release %s)", obj, x->path, want,
                 got, ctx && ctx->release ? ctx->release : "?");
    snprintf(fq, sizeof fq, "%s/%s/%s%s%s", x->obj.ns, x->obj.kind, x->obj.name,
             x->path[0] ? "/" : "", x->path);
    return json_pack("{s:s, s:s, s:{s:s}, s:[{s:o, s:[{s:s, s:s}]}]}", "ruleId", x->rule,
                     "level", sarif_level(x->action), "message", "text", msg, "locations",
                     "physicalLocation", sarif_physical(i, ctx), "logicalLocations",
                     "fullyQualifiedName", fq, "kind", "object");
}

/* No informationUri: the schema wants a real page, and a placeholder one
 * sends people nowhere. */
static json_t *sarif(const dg_variances_t *v, const dg_report_ctx_t *ctx)
{
    json_t *results = json_array(), *run;

    for (size_t i = 0; i < v->n; i++)
        json_array_append_new(results, sarif_result(v, i, ctx));
    run = json_pack("{s:{s:{s:s, s:s, s:o}}, s:o}", "tool", "driver", "name", "driftgate",
                    "version", "0.1.0", "rules", sarif_rules(v), "results", results);
    if (run && ctx && ctx->root_uri)
        json_object_set_new(run, "originalUriBaseIds",
                            json_pack("{s:{s:s}}", "SRCROOT", "uri", ctx->root_uri));
    return json_pack("{s:s, s:s, s:[o]}", "$schema",
                     "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                     "sarif-schema-2.1.0.json",
                     "version", "2.1.0", "runs", run);
}

static int dump(dg_buf_t *o, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    int rc = text ? dg_buf_puts(o, text) : DG_ENOMEM;

    free(text);
    json_decref(j);
    return rc ? rc : dg_buf_puts(o, "\n");
}

int dg_report_variances(const dg_variances_t *v, dg_format_t fmt, const dg_report_ctx_t *ctx,
                        dg_buf_t *out, dg_err_t *err)
{
    json_t *j;
    int rc;

    switch (fmt) {
    case DG_FMT_TABLE:
        rc = table(v, ctx, true, "LIVE", NULL, out);
        break;
    case DG_FMT_MARKDOWN:
        rc = markdown(v, ctx, out);
        break;
    case DG_FMT_JSON:
        rc = dump(out, report_json(v, ctx));
        break;
    case DG_FMT_YAML:
        j = report_json(v, ctx);
        rc = j ? yaml_value(out, j, 0, true) : DG_ENOMEM;
        json_decref(j);
        break;
    case DG_FMT_SARIF:
        rc = dump(out, sarif(v, ctx));
        break;
    default:
        return dg_err_set(err, DG_EINVAL, "unknown report format %d", (int)fmt);
    }
    return rc ? dg_err_set(err, DG_ENOMEM, "out of memory rendering the report") : 0;
}

/* ---- decisions ------------------------------------------------------------------------------ */

static int decision_table(const dg_decision_t *d, const dg_review_t *rv, dg_buf_t *o)
{
    const dg_response_t *r = &d->response;
    int rc;

    /* The resource as kubectl names it: "services", "deployments.apps". */
    rc = dg_buf_printf(o, "Request:   %s %s%s%s %s/%s%s%s by %s%s\n", rv->operation,
                       rv->resource, rv->group[0] ? "." : "", rv->group, rv->ns, rv->name,
                       rv->subresource[0] ? " /" : "", rv->subresource,
                       rv->user[0] ? rv->user : "(unknown)", rv->dry_run ? " (dry run)" : "");
    /* "allow (allowed)" says it twice; other verdicts need the outcome. */
    if (!rc && r->allowed && d->verdict == DG_VERDICT_ALLOW)
        rc = dg_buf_puts(o, "Decision:  allow\n");
    else if (!rc && r->allowed)
        rc = dg_buf_printf(o, "Decision:  %s (allowed)\n", dg_verdict_name(d->verdict));
    else if (!rc)
        rc = dg_buf_printf(o, "Decision:  %s (%d %s)\nMessage:   %s\n", dg_verdict_name(d->verdict),
                           r->code, r->reason ? r->reason : "", r->message ? r->message : "");
    for (size_t i = 0; i < r->nwarnings && !rc; i++)
        rc = dg_buf_printf(o, "Warning:   %s\n", r->warnings[i]);
    for (size_t i = 0; i < r->nannotations && !rc; i++)
        rc = dg_buf_printf(o, "Audit:     %s=%s\n", r->annotations[i].key, r->annotations[i].value);
    if (!rc && d->introduced.n) {
        rc = dg_buf_puts(o, "\nIntroduced by this request:\n");
        if (!rc)
            rc = table(&d->introduced, NULL, false, "REQUESTED", NULL, o);
    }
    if (!rc && d->reconciled.n) {
        rc = dg_buf_puts(o, "\nMoved back to the baseline:\n");
        if (!rc)
            rc = table(&d->reconciled, NULL, false, "BEFORE", "reconciled", o);
    }
    if (!rc && d->preexisting.n) {
        rc = dg_buf_puts(o, "\nAlready drifted, untouched:\n");
        if (!rc)
            rc = table(&d->preexisting, NULL, false, "LIVE", NULL, o);
    }
    return rc;
}

static const char *annotation(const dg_response_t *r, const char *key)
{
    for (size_t i = 0; i < r->nannotations; i++)
        if (strcmp(r->annotations[i].key, key) == 0)
            return r->annotations[i].value;
    return NULL;
}

/* Why the gate let a request by without judging it, or judged it as it
 * did: the "reason" annotation (no-baseline, excluded, helm-change...), else
 * why step 1 skipped it. */
static const char *decision_reason(const dg_decision_t *d)
{
    const char *r = annotation(&d->response, "reason");

    if (r == NULL && d->verdict == DG_VERDICT_SKIP && d->skip_reason[0])
        r = d->skip_reason;
    return r;
}

json_t *dg_report_decision_json(const dg_decision_t *d, const dg_review_t *rv)
{
    const dg_response_t *r = &d->response;
    json_t *warnings = json_array();

    for (size_t i = 0; warnings && i < r->nwarnings; i++)
        json_array_append_new(warnings, json_string(r->warnings[i]));
    return json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:s?, s:b, s:s, s:b, s:i, "
                     "s:s?, s:s?, s:s?, s:o, s:o, s:o, s:o}",
                     "uid", rv->uid, "user", rv->user, "operation", rv->operation, "object",
                     "group", rv->group, "resource", rv->resource, "namespace", rv->ns, "name",
                     rv->name, "subresource", rv->subresource[0] ? rv->subresource : NULL,
                     "dry_run", rv->dry_run, "decision", dg_verdict_name(d->verdict), "allowed",
                     r->allowed, "code", r->allowed ? 200 : r->code, "release", d->release,
                     "message", r->allowed ? NULL : r->message, "reason", decision_reason(d),
                     "warnings", warnings, "variances", variances_json(&d->introduced, "requested"),
                     "reconciled", variances_json(&d->reconciled, "before"), "preexisting",
                     variances_json(&d->preexisting, "live"));
}

int dg_report_decision(const dg_decision_t *d, const dg_review_t *rv, dg_format_t fmt,
                       dg_buf_t *out, dg_err_t *err)
{
    char *text;
    json_t *resp, *j;
    int rc;

    if (fmt == DG_FMT_TABLE)
        rc = decision_table(d, rv, out);
    else if (fmt == DG_FMT_JSON) {
        /* The record driftgate keeps, and the response it sends. */
        text = dg_review_encode(rv->api_version, rv->uid, &d->response);
        resp = text ? json_loads(text, 0, NULL) : NULL;
        free(text);
        j = resp ? dg_report_decision_json(d, rv) : NULL;
        if (j && json_object_set_new(j, "response", resp) != 0) {
            json_decref(j);
            j = NULL;
        } else if (j == NULL)
            json_decref(resp);
        rc = dump(out, j);
    } else
        return dg_err_set(err, DG_EINVAL, "a decision renders as table or json");
    return rc ? dg_err_set(err, DG_ENOMEM, "out of memory rendering the decision") : 0;
}

/* ---- reconcile plans ----------------------------------------------------------------------- */

static const char *op_decision(const dg_plan_op_t *op)
{
    switch (op->state) {
    case DG_PLAN_ALLOWED:
    case DG_PLAN_REFUSED:
        return dg_verdict_name(op->verdict);
    case DG_PLAN_CONFLICT:
        return "conflict";
    default:
        return "-";
    }
}

/* One row per variance an operation restores. */
static row_t *plan_rows(const dg_plan_t *plan, size_t *nrows)
{
    static const char *const head[7] = {"OBJECT", "ACTION", "PATH", "DESIRED", "LIVE", "RULE",
                                        "DECISION"};
    row_t *rows = calloc(dg_plan_nvariances(plan) + 1, sizeof *rows), r;
    size_t n = 1;

    if (rows == NULL)
        return NULL;
    for (int k = 0; k < 7; k++)
        snprintf(rows[0].c[k], sizeof rows[0].c[k], "%s", head[k]);
    for (size_t i = 0; i < plan->n; i++) {
        const dg_plan_op_t *op = &plan->ops[i];

        for (size_t j = 0; j < op->variances.n; j++, n++) {
            fill_row(&op->variances.items[j], NULL, &r);
            memcpy(rows[n].c[0], r.c[0], sizeof r.c[0]);
            snprintf(rows[n].c[1], sizeof rows[n].c[1], "%s", dg_plan_action_name(op->action));
            for (int k = 1; k < 5; k++)
                memcpy(rows[n].c[k + 1], r.c[k], sizeof r.c[k]);
            snprintf(rows[n].c[6], sizeof rows[n].c[6], "%s", op_decision(op));
        }
    }
    *nrows = n;
    return rows;
}

/* "  test     /spec/minReplicas  4": each operation of a JSON patch. */
static int patch_lines(const json_t *patch, dg_buf_t *o)
{
    row_t *rows = calloc(json_array_size(patch) + 1, sizeof *rows);
    const json_t *x;
    size_t i;
    int rc;

    if (rows == NULL)
        return DG_ENOMEM;
    json_array_foreach(patch, i, x) {
        const json_t *v = json_object_get(x, "value");
        char *d = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS) : NULL;

        snprintf(rows[i].c[0], sizeof rows[i].c[0], "    %s",
                 json_string_value(json_object_get(x, "op")));
        snprintf(rows[i].c[1], sizeof rows[i].c[1], "%s",
                 json_string_value(json_object_get(x, "path")));
        snprintf(rows[i].c[2], sizeof rows[i].c[2], "%s", d ? d : "");
        if (strlen(rows[i].c[2]) > CELL_MAX)
            memcpy(rows[i].c[2] + CELL_MAX - 3, "...", 4);
        free(d);
    }
    rc = grid(o, rows, json_array_size(patch), 3);
    free(rows);
    return rc;
}

static int plan_op_text(const dg_plan_op_t *op, dg_buf_t *o)
{
    char shown[256];
    const json_t *w;
    size_t i;
    int rc;

    dg_objid_short(&op->obj, shown, sizeof shown);
    if (op->action == DG_PLAN_CREATE)
        rc = dg_buf_printf(o, "\n%s: create it from the baseline (kubectl create)\n", shown);
    else if (op->action == DG_PLAN_APPLY)
        rc = dg_buf_printf(o, "\n%s: the whole baseline object, every field (kubectl apply "
                              "--server-side --field-manager=helm)\n", shown);
    else {
        rc = dg_buf_printf(o, "\n%s: kubectl patch --type=json", shown);
        if (!rc && op->resource_version)
            rc = dg_buf_printf(o, " (planned at resourceVersion %s)", op->resource_version);
        if (!rc)
            rc = dg_buf_puts(o, "\n");
        if (!rc)
            rc = patch_lines(op->patch, o);
    }
    if (!rc && op->message)
        rc = dg_buf_printf(o, "  %s: %s\n", op->state == DG_PLAN_CONFLICT ? "conflict" : "refused",
                           op->message);
    json_array_foreach(op->warnings, i, w) {
        if (!rc)
            rc = dg_buf_printf(o, "  Warning: %s\n", json_string_value(w));
    }
    return rc;
}

static int plan_summary(const dg_plan_t *p, dg_buf_t *o)
{
    size_t nv = dg_plan_nvariances(p);
    const char *sep = " (";
    int rc;

    if (p->n == 0)
        rc = dg_buf_printf(o, "Nothing to reconcile: no governed drift in release %s/%s", p->ns,
                           p->release);
    else
        rc = dg_buf_printf(o, "%zu operation%s", p->n, p->n == 1 ? "" : "s");
    /* "(2 patch, 1 create)": the kinds present */
    for (int a = DG_PLAN_PATCH; a <= DG_PLAN_APPLY && !rc && p->n; a++) {
        size_t n = dg_plan_count(p, (dg_plan_action_t)a);

        if (n && !(rc = dg_buf_printf(o, "%s%zu %s", sep, n, dg_plan_action_name(a))))
            sep = ", ";
    }
    if (!rc && p->n)
        rc = dg_buf_printf(o, ") restore%s %zu variance%s in release %s/%s", p->n == 1 ? "s" : "",
                           nv, nv == 1 ? "" : "s", p->ns, p->release);
    if (!rc && p->revision)
        rc = dg_buf_printf(o, " (revision %ld)", p->revision);
    return rc ? rc : dg_buf_puts(o, ".\n");
}

static int plan_table(const dg_plan_t *plan, dg_buf_t *o)
{
    size_t nrows = 0;
    row_t *rows = plan->n ? plan_rows(plan, &nrows) : NULL;
    int rc = plan->n && rows == NULL ? DG_ENOMEM : 0;

    if (!rc && nrows)
        rc = grid(o, rows, nrows, 7);
    free(rows);
    for (size_t i = 0; i < plan->n && !rc; i++)
        rc = plan_op_text(&plan->ops[i], o);
    if (!rc && plan->n)
        rc = dg_buf_puts(o, "\n");
    return rc ? rc : plan_summary(plan, o);
}

static int plan_markdown(const dg_plan_t *plan, dg_buf_t *o)
{
    size_t nrows = 0;
    row_t *rows = plan->n ? plan_rows(plan, &nrows) : NULL;
    int rc = dg_buf_puts(o, "### driftgate: reconcile plan\n\n");

    if (plan->n && rows == NULL)
        rc = DG_ENOMEM;
    if (!rc && nrows)
        rc = dg_buf_puts(o, "| Object | Action | Path | Desired | Live | Rule | Decision |\n"
                            "|---|---|---|---|---|---|---|\n");
    for (size_t i = 1; i < nrows && !rc; i++) {
        rc = dg_buf_puts(o, "|");
        for (int k = 0; k < 7 && !rc; k++)
            rc = md_cell(o, rows[i].c[k]);
        if (!rc)
            rc = dg_buf_puts(o, "\n");
    }
    free(rows);
    for (size_t i = 0; i < plan->n && !rc; i++) {
        const dg_plan_op_t *op = &plan->ops[i];
        json_t *body = op->action == DG_PLAN_PATCH ? op->patch : op->object;
        char *text = json_dumps(body, JSON_INDENT(2));
        char shown[256];

        dg_objid_short(&op->obj, shown, sizeof shown);
        rc = text ? dg_buf_printf(o, "\n`%s` (%s):\n\n```json\n%s\n```\n", shown,
                                  op->action == DG_PLAN_CREATE  ? "kubectl create"
                                  : op->action == DG_PLAN_APPLY ? "kubectl apply --server-side"
                                                                : "kubectl patch --type=json",
                                  text)
                  : DG_ENOMEM;
        free(text);
    }
    if (!rc)
        rc = dg_buf_puts(o, "\n");
    return rc ? rc : plan_summary(plan, o);
}

int dg_report_plan(const dg_plan_t *plan, dg_format_t fmt, dg_buf_t *out, dg_err_t *err)
{
    int rc;

    switch (fmt) {
    case DG_FMT_TABLE:
        rc = plan_table(plan, out);
        break;
    case DG_FMT_MARKDOWN:
        rc = plan_markdown(plan, out);
        break;
    case DG_FMT_JSON:
        rc = dump(out, dg_plan_json(plan));
        break;
    default:
        return dg_err_set(err, DG_EINVAL, "a plan is shown as table, json or markdown");
    }
    return rc ? dg_err_set(err, DG_ENOMEM, "out of memory rendering the plan") : 0;
}
