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

void dg_report_counts(const dg_variances_t *v, size_t c[3])
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
        dg_report_counts(v, c);
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

typedef struct row {
    char c[7][CELL_MAX + 8]; /* the six columns, then CHANGED BY */
} row_t;

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

/* Does any variance say who changed it? Only then is there a column. */
static bool any_changed_by(const dg_variances_t *v)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->items[i].changed_by)
            return true;
    return false;
}

/* The widths of the manager and operation parts of CHANGED BY, so that
 * "kubectl-edit  Update  2026-11-24T10:02:11Z" lines up down the column. */
static void changed_by_widths(const dg_variances_t *v, int *mw, int *ow)
{
    *mw = *ow = 0;
    for (size_t i = 0; i < v->n; i++) {
        const dg_changed_by_t *c = v->items[i].changed_by;

        if (c && (int)strlen(c->manager) > *mw)
            *mw = (int)strlen(c->manager);
        if (c && (int)strlen(c->operation) > *ow)
            *ow = (int)strlen(c->operation);
    }
}

/* @action: the ACTION column's text, NULL for the variance's own; @mw and
 * @ow: the widths of CHANGED BY's parts. */
static void fill_row(const dg_variance_t *x, const char *action, int mw, int ow, row_t *r)
{
    const dg_changed_by_t *c = x->changed_by;
    bool miss = x->type == DG_VAR_MISSING;

    object_text(x, r->c[0], sizeof r->c[0]);
    snprintf(r->c[1], sizeof r->c[1], "%s", miss ? "(object)" : x->path);
    typed_cell(x->desired, x->live, miss, true, r->c[2], sizeof r->c[2]);
    typed_cell(x->live, x->desired, miss, false, r->c[3], sizeof r->c[3]);
    snprintf(r->c[4], sizeof r->c[4], "%s", x->rule);
    snprintf(r->c[5], sizeof r->c[5], "%s", action ? action : dg_action_name(x->action));
    if (c)
        snprintf(r->c[6], sizeof r->c[6], "%-*s  %-*s  %s", mw, c->manager, ow, c->operation,
                 c->time);
    else
        r->c[6][0] = '\0';
}

/* @live_head names the fourth column: LIVE, or REQUESTED/BEFORE in decisions;
 * @action, when not NULL, is every row's ACTION (what was done, not the rule's).
 * CHANGED BY follows when any variance knows who changed it. */
static int table(const dg_variances_t *v, const dg_report_ctx_t *ctx, bool with_summary,
                 const char *live_head, const char *action, dg_buf_t *o)
{
    const char *const head[7] = {"OBJECT", "PATH", "DESIRED", live_head, "RULE", "ACTION",
                                 "CHANGED BY"};
    int ncols = any_changed_by(v) ? 7 : 6, mw, ow;
    row_t *rows = calloc(v->n + 1, sizeof *rows);
    size_t w[7];
    int rc = 0;

    if (rows == NULL)
        return DG_ENOMEM;
    changed_by_widths(v, &mw, &ow);
    for (int k = 0; k < ncols; k++) {
        snprintf(rows[0].c[k], sizeof rows[0].c[k], "%s", head[k]);
        w[k] = strlen(head[k]);
    }
    for (size_t i = 0; i < v->n; i++) {
        fill_row(&v->items[i], action, mw, ow, &rows[i + 1]);
        for (int k = 0; k < ncols; k++)
            if (strlen(rows[i + 1].c[k]) > w[k])
                w[k] = strlen(rows[i + 1].c[k]);
    }
    /* Every column but the last padded to its width, two spaces apart. */
    for (size_t i = 0; v->n && i <= v->n && !rc; i++) {
        for (int k = 0; k < ncols - 1 && !rc; k++)
            rc = dg_buf_printf(o, "%-*s  ", (int)w[k], rows[i].c[k]);
        if (!rc)
            rc = dg_buf_printf(o, "%s\n", rows[i].c[ncols - 1]);
    }
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
    int ncols = any_changed_by(v) ? 7 : 6;
    row_t r;
    int rc = dg_buf_puts(o, "### driftgate: governed drift\n\n");

    if (!rc && v->n)
        rc = dg_buf_printf(o, "| Object | Path | Desired | Live | Rule | Action |%s\n"
                              "|---|---|---|---|---|---|%s\n",
                           ncols == 7 ? " Changed by |" : "", ncols == 7 ? "---|" : "");
    for (size_t i = 0; i < v->n && !rc; i++) {
        fill_row(&v->items[i], NULL, 0, 0, &r);
        rc = dg_buf_puts(o, "|");
        for (int k = 0; k < ncols && !rc; k++)
            rc = md_cell(o, r.c[k]);
        if (!rc)
            rc = dg_buf_puts(o, "\n");
    }
    if (!rc && v->n)
        rc = dg_buf_puts(o, "\n");
    return rc ? rc : summary(v, ctx, o);
}

/* ---- json / yaml ------------------------------------------------------------------------ */

/* {"manager", "operation", "time"}: who last set the live value. */
static json_t *changed_by_json(const dg_changed_by_t *c)
{
    return json_pack("{s:s, s:s, s:s}", "manager", c->manager, "operation", c->operation,
                     "time", c->time);
}

/* @side names the second value: "live" in a diff; in a decision
 * "requested" (what the request asks for), "before" (what it moves back to
 * the baseline) or "live" (drift it leaves untouched). "changedBy" only
 * when known. */
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
        if (x->changed_by && json_object_set_new(item, "changedBy",
                                                 changed_by_json(x->changed_by)) != 0) {
            json_decref(arr);
            return NULL;
        }
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

    dg_report_counts(v, c);
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
    char obj[256], want[CELL_MAX + 8], got[CELL_MAX + 8], msg[700], by[300] = "", fq[900];
    bool miss = x->type == DG_VAR_MISSING;
    json_t *res;

    object_text(x, obj, sizeof obj);
    cell(x->desired, miss, true, want, sizeof want);
    cell(x->live, miss, false, got, sizeof got);
    if (miss)
        snprintf(msg, sizeof msg, "%s is missing from live state (release %s)", obj,
                 ctx && ctx->release ? ctx->release : "?");
    else {
        if (x->changed_by)
            snprintf(by, sizeof by, "; last set by %s (%s %s)", x->changed_by->manager,
                     x->changed_by->operation, x->changed_by->time);
        snprintf(msg, sizeof msg, "%s %s: desired %s, live %s (release %s)%s", obj, x->path,
                 want, got, ctx && ctx->release ? ctx->release : "?", by);
    }
    snprintf(fq, sizeof fq, "%s/%s/%s%s%s", x->obj.ns, x->obj.kind, x->obj.name,
             x->path[0] ? "/" : "", x->path);
    res = json_pack("{s:s, s:s, s:{s:s}, s:[{s:o, s:[{s:s, s:s}]}]}", "ruleId", x->rule,
                    "level", sarif_level(x->action), "message", "text", msg, "locations",
                    "physicalLocation", sarif_physical(i, ctx), "logicalLocations",
                    "fullyQualifiedName", fq, "kind", "object");
    if (res && x->changed_by)
        json_object_set_new(res, "properties",
                            json_pack("{s:o}", "changedBy", changed_by_json(x->changed_by)));
    return res;
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
