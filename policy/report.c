/* policy/report.c: variances and decisions for people (table, markdown)
 * and tools (json, yaml, sarif). SPDX-License-Identifier: Apache-2.0 */
#include "report.h"

#include "jwrite.h"
#include "review.h"
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
    int rc = 0;

    if (rows == NULL)
        return DG_ENOMEM;
    changed_by_widths(v, &mw, &ow);
    for (int k = 0; k < ncols; k++)
        snprintf(rows[0].c[k], sizeof rows[0].c[k], "%s", head[k]);
    for (size_t i = 0; i < v->n; i++)
        fill_row(&v->items[i], action, mw, ow, &rows[i + 1]);
    if (v->n)
        rc = grid(o, rows, v->n + 1, ncols);
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

/* The records below (variances, decisions) have one writer, their text:
 * the server logs and keeps it as it is, and the reports that build on a
 * tree read it back. */
#define PUT_LIT(b, lit) dg_buf_append((b), (lit), sizeof(lit) - 1)

static int put_str(dg_buf_t *b, const char *s)
{
    return s ? dg_jwrite_strn(b, s, strlen(s)) : PUT_LIT(b, "null");
}

/* The tree @b's text reads as; NULL when out of memory. */
static json_t *from_text(dg_buf_t *b, int rc)
{
    json_t *j = rc ? NULL : json_loadb(b->data, b->len, JSON_ALLOW_NUL, NULL);

    dg_buf_free(b);
    return j;
}

/* {"manager", "operation", "time"}: who last set the live value. */
static int put_changed_by(dg_buf_t *b, const dg_changed_by_t *c)
{
    int rc = PUT_LIT(b, "{\"manager\":");

    if (!rc)
        rc = put_str(b, c->manager);
    if (!rc)
        rc = PUT_LIT(b, ",\"operation\":");
    if (!rc)
        rc = put_str(b, c->operation);
    if (!rc)
        rc = PUT_LIT(b, ",\"time\":");
    if (!rc)
        rc = put_str(b, c->time);
    return rc ? rc : PUT_LIT(b, "}");
}

static json_t *changed_by_json(const dg_changed_by_t *c)
{
    dg_buf_t b;

    dg_buf_init(&b, 0);
    return from_text(&b, put_changed_by(&b, c));
}

/* A value of the object, or null when it has none. */
static int put_value(dg_buf_t *b, const json_t *v)
{
    return v ? dg_jwrite_value(b, v, 0) : PUT_LIT(b, "null");
}

/* "object":{"group","kind","namespace","name"},"path": the members that
 * say where a variance is. */
static int put_where(dg_buf_t *b, const dg_variance_t *x)
{
    int rc = PUT_LIT(b, "{\"object\":{\"group\":");

    if (!rc)
        rc = put_str(b, x->obj.group);
    if (!rc)
        rc = PUT_LIT(b, ",\"kind\":");
    if (!rc)
        rc = put_str(b, x->obj.kind);
    if (!rc)
        rc = PUT_LIT(b, ",\"namespace\":");
    if (!rc)
        rc = put_str(b, x->obj.ns);
    if (!rc)
        rc = PUT_LIT(b, ",\"name\":");
    if (!rc)
        rc = put_str(b, x->obj.name);
    if (!rc)
        rc = PUT_LIT(b, "},\"path\":");
    return rc ? rc : put_str(b, x->path);
}

/* One variance. @side names the second value: "live" in a diff; in a
 * decision "requested" (what the request asks for), "before" (what it
 * moves back to the baseline) or "live" (drift it leaves untouched). Both
 * values are there, null when absent, so a JSON reader sees both sides;
 * "changedBy" only when known. */
static int put_variance(dg_buf_t *b, const dg_variance_t *x, const char *side)
{
    int rc = put_where(b, x);

    if (!rc)
        rc = PUT_LIT(b, ",\"desired\":");
    if (!rc)
        rc = put_value(b, x->desired);
    if (!rc)
        rc = PUT_LIT(b, ",");
    if (!rc)
        rc = put_str(b, side);
    if (!rc)
        rc = PUT_LIT(b, ":");
    if (!rc)
        rc = put_value(b, x->live);
    if (!rc)
        rc = x->type == DG_VAR_MISSING ? PUT_LIT(b, ",\"type\":\"missing\",\"rule\":")
                                       : PUT_LIT(b, ",\"type\":\"changed\",\"rule\":");
    if (!rc)
        rc = put_str(b, x->rule);
    if (!rc)
        rc = PUT_LIT(b, ",\"action\":");
    if (!rc)
        rc = put_str(b, dg_action_name(x->action));
    if (!rc && x->changed_by && (rc = PUT_LIT(b, ",\"changedBy\":")) == 0)
        rc = put_changed_by(b, x->changed_by);
    return rc ? rc : PUT_LIT(b, "}");
}

static int put_variances(dg_buf_t *b, const dg_variances_t *v, const char *side)
{
    int rc = PUT_LIT(b, "[");

    for (size_t i = 0; i < v->n && !rc; i++)
        if ((rc = i ? PUT_LIT(b, ",") : 0) == 0)
            rc = put_variance(b, &v->items[i], side);
    return rc ? rc : PUT_LIT(b, "]");
}

json_t *dg_report_variances_json(const dg_variances_t *v)
{
    dg_buf_t b;

    dg_buf_init(&b, 0);
    return from_text(&b, put_variances(&b, v, "live"));
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

/* "object":{"group","resource","namespace","name"}: what the request is
 * about, as the API server names it. */
static int put_request_object(dg_buf_t *b, const dg_review_t *rv)
{
    int rc = PUT_LIT(b, ",\"object\":{\"group\":");

    if (!rc)
        rc = put_str(b, rv->group);
    if (!rc)
        rc = PUT_LIT(b, ",\"resource\":");
    if (!rc)
        rc = put_str(b, rv->resource);
    if (!rc)
        rc = PUT_LIT(b, ",\"namespace\":");
    if (!rc)
        rc = put_str(b, rv->ns);
    if (!rc)
        rc = PUT_LIT(b, ",\"name\":");
    if (!rc)
        rc = put_str(b, rv->name);
    return rc ? rc : PUT_LIT(b, "}");
}

/* uid, user, operation, object, subresource, dry_run: the request. */
static int put_request(dg_buf_t *b, const dg_review_t *rv)
{
    int rc = PUT_LIT(b, "{\"uid\":");

    if (!rc)
        rc = put_str(b, rv->uid);
    if (!rc)
        rc = PUT_LIT(b, ",\"user\":");
    if (!rc)
        rc = put_str(b, rv->user);
    if (!rc)
        rc = PUT_LIT(b, ",\"operation\":");
    if (!rc)
        rc = put_str(b, rv->operation);
    if (!rc)
        rc = put_request_object(b, rv);
    if (!rc)
        rc = PUT_LIT(b, ",\"subresource\":");
    if (!rc)
        rc = put_str(b, rv->subresource[0] ? rv->subresource : NULL);
    return rc ? rc : rv->dry_run ? PUT_LIT(b, ",\"dry_run\":true") : PUT_LIT(b, ",\"dry_run\":false");
}

/* decision, allowed, code, release, message, reason, warnings: the answer. */
static int put_answer(dg_buf_t *b, const dg_decision_t *d)
{
    const dg_response_t *r = &d->response;
    int rc = PUT_LIT(b, ",\"decision\":");

    if (!rc)
        rc = put_str(b, dg_verdict_name(d->verdict));
    if (!rc)
        rc = r->allowed ? PUT_LIT(b, ",\"allowed\":true,\"code\":")
                        : PUT_LIT(b, ",\"allowed\":false,\"code\":");
    if (!rc)
        rc = dg_jwrite_int(b, r->allowed ? 200 : r->code);
    if (!rc)
        rc = PUT_LIT(b, ",\"release\":");
    if (!rc)
        rc = put_str(b, d->release);
    if (!rc)
        rc = PUT_LIT(b, ",\"message\":");
    if (!rc)
        rc = put_str(b, r->allowed ? NULL : r->message);
    if (!rc)
        rc = PUT_LIT(b, ",\"reason\":");
    if (!rc)
        rc = put_str(b, decision_reason(d));
    if (!rc)
        rc = PUT_LIT(b, ",\"warnings\":[");
    for (size_t i = 0; i < r->nwarnings && !rc; i++)
        if ((rc = i ? PUT_LIT(b, ",") : 0) == 0)
            rc = put_str(b, r->warnings[i]);
    return rc ? rc : PUT_LIT(b, "]");
}

int dg_report_decision_record(dg_buf_t *b, const dg_decision_t *d, const dg_review_t *rv)
{
    int rc = put_request(b, rv);

    if (!rc)
        rc = put_answer(b, d);
    if (!rc)
        rc = PUT_LIT(b, ",\"variances\":");
    if (!rc)
        rc = put_variances(b, &d->introduced, "requested");
    if (!rc)
        rc = PUT_LIT(b, ",\"reconciled\":");
    if (!rc)
        rc = put_variances(b, &d->reconciled, "before");
    if (!rc)
        rc = PUT_LIT(b, ",\"preexisting\":");
    return rc ? rc : put_variances(b, &d->preexisting, "live");
}

json_t *dg_report_decision_json(const dg_decision_t *d, const dg_review_t *rv)
{
    dg_buf_t b;
    int rc;

    dg_buf_init(&b, 0);
    rc = dg_report_decision_record(&b, d, rv);
    return from_text(&b, rc ? rc : PUT_LIT(&b, "}"));
}

/* The record driftgate keeps, and the response it sends. */
static json_t *decision_with_response(const dg_decision_t *d, const dg_review_t *rv)
{
    dg_buf_t b;
    int rc;

    dg_buf_init(&b, 0);
    rc = dg_report_decision_record(&b, d, rv);
    if (!rc)
        rc = PUT_LIT(&b, ",\"response\":");
    if (!rc)
        rc = dg_review_encode_to(&b, rv->api_version, rv->uid, &d->response);
    return from_text(&b, rc ? rc : PUT_LIT(&b, "}"));
}

int dg_report_decision(const dg_decision_t *d, const dg_review_t *rv, dg_format_t fmt,
                       dg_buf_t *out, dg_err_t *err)
{
    int rc;

    if (fmt == DG_FMT_TABLE)
        rc = decision_table(d, rv, out);
    else if (fmt == DG_FMT_JSON)
        rc = dump(out, decision_with_response(d, rv));
    else
        return dg_err_set(err, DG_EINVAL, "a decision renders as table or json");
    return rc ? dg_err_set(err, DG_ENOMEM, "out of memory rendering the decision") : 0;
}

/* ---- timelines ------------------------------------------------------------------------------ */

#define DETAIL_MAX 100

/* What one governed object, or one release's intent, went through. */
typedef struct tally {
    const dg_timeline_event_t *first; /* names the object or release */
    size_t renders, mutations, reconciles;
    json_t *outcomes; /* decision ("unjudged" for none) -> count, first seen first */
} tally_t;

typedef struct tallies {
    tally_t *items;
    size_t n;
    json_t *index; /* key -> position in items */
} tallies_t;

static void tallies_free(tallies_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        json_decref(t->items[i].outcomes);
    free(t->items);
    json_decref(t->index);
}

static const char *outcome(const dg_timeline_event_t *e)
{
    return e->decision ? e->decision : "unjudged";
}

static int count_event(tallies_t *t, const dg_timeline_event_t *e)
{
    char key[1024];
    json_t *at;
    tally_t *x;

    if (e->intent)
        snprintf(key, sizeof key, "intent %s", e->release ? e->release : "");
    else
        snprintf(key, sizeof key, "%s.%s/%s/%s", e->resource, e->group, e->ns, e->name);
    if ((at = json_object_get(t->index, key)) == NULL) {
        tally_t *p = realloc(t->items, (t->n + 1) * sizeof *p);

        if (p == NULL)
            return DG_ENOMEM;
        t->items = p;
        p[t->n] = (tally_t){.first = e, .outcomes = json_object()};
        if (p[t->n].outcomes == NULL ||
            json_object_set_new(t->index, key, json_integer((json_int_t)t->n)))
            return json_decref(p[t->n].outcomes), DG_ENOMEM;
        at = json_object_get(t->index, key);
        t->n++;
    }
    x = &t->items[json_integer_value(at)];
    if (e->stage == DG_TL_RENDER)
        x->renders++;
    else if (e->stage == DG_TL_RECONCILE)
        x->reconciles++;
    else {
        json_t *c = json_object_get(x->outcomes, outcome(e));

        x->mutations++;
        if (json_object_set_new(x->outcomes, outcome(e),
                                json_integer(json_integer_value(c) + 1)))
            return DG_ENOMEM;
    }
    return 0;
}

static int tally_all(const dg_timeline_t *tl, tallies_t *t)
{
    int rc = (t->index = json_object()) ? 0 : DG_ENOMEM;

    for (size_t i = 0; i < dg_timeline_count(tl) && !rc; i++)
        rc = count_event(t, dg_timeline_at(tl, i));
    return rc;
}

/* "hpa/test-nginx" (with "/scale" for the subresource), "cm/sh.helm...";
 * prefixed by the namespace when the timeline spans several. */
static void tl_object(const dg_timeline_event_t *e, bool with_ns, bool with_sub, char *buf,
                      size_t size)
{
    const dg_kindinfo_t *k = dg_kind_by_resource(e->group, e->resource);
    const char *kind = k ? (k->shortname ? k->shortname : k->singular) : e->resource;
    bool sub = with_sub && e->subresource;

    snprintf(buf, size, "%s%s%s/%s%s%s", with_ns ? e->ns : "", with_ns ? "/" : "", kind,
             e->name, sub ? "/" : "", sub ? e->subresource : "");
}

/* Do the governed objects live in more than one namespace? (Baselines
 * live in driftgate's, and name their release's.) */
static bool many_namespaces(const dg_timeline_t *tl)
{
    const char *first = NULL;

    for (size_t i = 0; i < dg_timeline_count(tl); i++) {
        const dg_timeline_event_t *e = dg_timeline_at(tl, i);

        if (e->intent)
            continue;
        if (first && strcmp(e->ns, first) != 0)
            return true;
        first = e->ns;
    }
    return false;
}

/* ---- timelines: json ---- */

static json_t *tally_json(const tally_t *x)
{
    const dg_timeline_event_t *e = x->first;
    json_t *who = e->intent ? json_pack("{s:s?}", "release", e->release)
                            : json_pack("{s:{s:s, s:s, s:s, s:s}}", "object", "group", e->group,
                                        "resource", e->resource, "namespace", e->ns, "name",
                                        e->name);

    json_t *counts = json_pack("{s:I, s:I, s:O, s:I}", "renders", (json_int_t)x->renders,
                               "mutations", (json_int_t)x->mutations, "outcomes", x->outcomes,
                               "reconciles", (json_int_t)x->reconciles);
    int rc = who && counts ? json_object_update(who, counts) : -1;

    json_decref(counts);
    if (rc == 0)
        return who;
    json_decref(who);
    return NULL;
}

static json_t *timeline_summary(const dg_timeline_t *tl, const tallies_t *t,
                                const dg_report_timeline_ctx_t *ctx)
{
    size_t n[4] = {0};
    json_t *objects = json_array(), *intent = json_array();

    for (size_t i = 0; i < dg_timeline_count(tl); i++)
        n[dg_timeline_at(tl, i)->stage]++;
    for (size_t i = 0; i < t->n && objects && intent; i++)
        if (json_array_append_new(t->items[i].first->intent ? intent : objects,
                                  tally_json(&t->items[i])))
            break;
    return json_pack("{s:I, s:I, s:I, s:I, s:o, s:o, s:I, s:I}", "events",
                     (json_int_t)dg_timeline_count(tl), "baseline-render",
                     (json_int_t)n[DG_TL_RENDER], "out-of-band-mutation",
                     (json_int_t)n[DG_TL_MUTATION], "controlled-reconcile",
                     (json_int_t)n[DG_TL_RECONCILE], "objects", objects, "intent", intent,
                     "lines", (json_int_t)(ctx ? ctx->lines : 0), "malformed",
                     (json_int_t)(ctx ? ctx->malformed : 0));
}

/* One event per line: a timeline of a busy release is long, and people
 * grep it. */
static int timeline_json(const dg_timeline_t *tl, const tallies_t *t,
                         const dg_report_timeline_ctx_t *ctx, dg_buf_t *o)
{
    json_t *sum = timeline_summary(tl, t, ctx);
    char *text;
    int rc = sum ? dg_buf_puts(o, "{\"events\": [") : DG_ENOMEM;

    for (size_t i = 0; i < dg_timeline_count(tl) && !rc; i++) {
        json_t *e = dg_timeline_event_json(dg_timeline_at(tl, i));

        text = e ? json_dumps(e, JSON_COMPACT) : NULL;
        rc = text ? dg_buf_printf(o, "%s\n  %s", i ? "," : "", text) : DG_ENOMEM;
        free(text);
        json_decref(e);
    }
    text = sum ? json_dumps(sum, JSON_INDENT(2)) : NULL;
    if (!rc)
        rc = text ? dg_buf_printf(o, "\n],\n\"summary\": %s}\n", text) : DG_ENOMEM;
    free(text);
    json_decref(sum);
    return rc;
}

/* ---- timelines: table ---- */

/* "spec.minReplicas: 6 -> 4; ...": desired -> requested, or, for a
 * reconcile, before -> desired; "?" where the log does not say. */
static void tl_variances(const dg_timeline_event_t *e, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < e->nvariances && len < size; i++) {
        const dg_timeline_variance_t *v = &e->variances[i];
        const json_t *from = v->before ? v->before : v->desired;
        char a[CELL_MAX + 8], b[CELL_MAX + 8];

        if (from && !json_is_null(from))
            cell(from, false, true, a, sizeof a);
        else
            snprintf(a, sizeof a, from ? "(none)" : "?");
        cell(json_is_null(v->requested) ? NULL : v->requested, false, false, b, sizeof b);
        len += (size_t)snprintf(buf + len, size - len, "%s%s: %s -> %s", i ? "; " : "", v->path,
                                a, b);
    }
}

static void tl_detail(const dg_timeline_event_t *e, char *buf, size_t size)
{
    char vars[512];
    int n = 0;

    tl_variances(e, vars, sizeof vars);
    if (e->stage == DG_TL_RENDER && e->revision)
        n = snprintf(buf, size, "revision %ld%s", e->revision, vars[0] ? "; " : "");
    else if (e->stage == DG_TL_RENDER) /* a baseline recorded at Metadata level */
        n = snprintf(buf, size, "revision not in the log%s", vars[0] ? "; " : "");
    if (n < 0 || (size_t)n >= size)
        n = 0;
    if (vars[0])
        snprintf(buf + n, size - (size_t)n, "%s", vars);
    else if (e->stage != DG_TL_RENDER)
        snprintf(buf + n, size - (size_t)n, "%s",
                 e->reason ? e->reason : e->message ? e->message : "");
    if (strlen(buf) > DETAIL_MAX)
        memcpy(buf + DETAIL_MAX - 3, "...", 4);
}

enum { TL_TIME, TL_STAGE, TL_OBJECT, TL_VERB, TL_USER, TL_OUTCOME, TL_DETAIL, TL_COLS };

typedef struct tl_row {
    char c[TL_COLS][DETAIL_MAX + 8];
} tl_row_t;

static void tl_fill(const dg_timeline_event_t *e, bool with_ns, tl_row_t *r)
{
    snprintf(r->c[TL_TIME], sizeof r->c[0], "%s", e->time ? e->time : "");
    snprintf(r->c[TL_STAGE], sizeof r->c[0], "%s", dg_timeline_stage_name(e->stage));
    tl_object(e, with_ns, true, r->c[TL_OBJECT], sizeof r->c[0]);
    snprintf(r->c[TL_VERB], sizeof r->c[0], "%s%s", e->verb, e->dry_run ? " (dry run)" : "");
    snprintf(r->c[TL_USER], sizeof r->c[0], "%s%s%s%s", e->user ? e->user : "?",
             e->impersonated_by ? " (via " : "", e->impersonated_by ? e->impersonated_by : "",
             e->impersonated_by ? ")" : "");
    if (e->code)
        snprintf(r->c[TL_OUTCOME], sizeof r->c[0], "%s%s%d", e->decision ? e->decision : "",
                 e->decision ? " " : "", e->code);
    else
        snprintf(r->c[TL_OUTCOME], sizeof r->c[0], "%s", e->decision ? e->decision : "-");
    tl_detail(e, r->c[TL_DETAIL], sizeof r->c[0]);
}

static int tl_rows(const dg_timeline_t *tl, dg_buf_t *o)
{
    static const char *const head[TL_COLS] = {"TIME", "STAGE", "OBJECT", "VERB",
                                              "USER", "OUTCOME", "DETAIL"};
    size_t n = dg_timeline_count(tl), w[TL_COLS];
    bool with_ns = many_namespaces(tl);
    tl_row_t *rows = calloc(n + 1, sizeof *rows);
    int rc = 0;

    if (rows == NULL)
        return DG_ENOMEM;
    for (int k = 0; k < TL_COLS; k++)
        w[k] = strlen(strcpy(rows[0].c[k], head[k]));
    for (size_t i = 0; i < n; i++) {
        tl_fill(dg_timeline_at(tl, i), with_ns, &rows[i + 1]);
        for (int k = 0; k < TL_COLS; k++)
            if (strlen(rows[i + 1].c[k]) > w[k])
                w[k] = strlen(rows[i + 1].c[k]);
    }
    for (size_t i = 0; n && i <= n && !rc; i++) {
        for (int k = 0; k < TL_COLS - 1 && !rc; k++)
            rc = dg_buf_printf(o, "%-*s  ", (int)w[k], rows[i].c[k]);
        if (!rc)
            rc = dg_buf_printf(o, "%s\n", rows[i].c[TL_DETAIL]);
    }
    free(rows);
    return rc;
}

/* "7 denied, 1 failed open": the outcomes of out-of-band attempts, in
 * order of severity, then any others as driftgate named them. */
static int tl_outcomes(const json_t *outcomes, dg_buf_t *o)
{
    static const char *const words[][2] = {
        {"deny", "denied"},        {"webhook-unreachable", "webhook unreachable"},
        {"failed-open", "failed open"}, {"unjudged", "unjudged"},
        {"break-glass", "break-glass"}, {"exempt", "exempt"},
        {"warn", "warned"},        {"audit", "audited"},
        {"allow", "allowed"},
    };
    const size_t nwords = sizeof words / sizeof words[0];
    const char *k;
    json_t *v;
    size_t shown = 0;
    int rc = 0;

    for (size_t i = 0; i < nwords && !rc; i++)
        if ((v = json_object_get(outcomes, words[i][0])) != NULL)
            rc = dg_buf_printf(o, "%s%lld %s", shown++ ? ", " : " (",
                               (long long)json_integer_value(v), words[i][1]);
    json_object_foreach((json_t *)outcomes, k, v) {
        bool known = false;

        for (size_t i = 0; i < nwords; i++)
            known = known || strcmp(k, words[i][0]) == 0;
        if (!known && !rc)
            rc = dg_buf_printf(o, "%s%lld %s", shown++ ? ", " : " (",
                               (long long)json_integer_value(v), k);
    }
    return rc || !shown ? rc : dg_buf_puts(o, ")");
}

static int tl_closing(const tally_t *x, bool with_ns, dg_buf_t *o)
{
    char who[600];
    int rc;

    if (x->first->intent)
        snprintf(who, sizeof who, "release %s intent",
                 x->first->release ? x->first->release : "?");
    else
        tl_object(x->first, with_ns, false, who, sizeof who);
    rc = dg_buf_printf(o, "%s: %zu render%s, %zu out-of-band attempt%s", who, x->renders,
                       x->renders == 1 ? "" : "s", x->mutations, x->mutations == 1 ? "" : "s");
    if (!rc)
        rc = tl_outcomes(x->outcomes, o);
    return rc ? rc : dg_buf_printf(o, ", %zu reconcile%s\n", x->reconciles,
                                   x->reconciles == 1 ? "" : "s");
}

static int timeline_table(const dg_timeline_t *tl, const tallies_t *t,
                          const dg_report_timeline_ctx_t *ctx, dg_buf_t *o)
{
    bool with_ns = many_namespaces(tl);
    int rc = tl_rows(tl, o);

    if (!rc && t->n)
        rc = dg_buf_puts(o, "\n");
    /* Governed objects first, then what set intent. */
    for (int pass = 0; pass < 2 && !rc; pass++)
        for (size_t i = 0; i < t->n && !rc; i++)
            if (t->items[i].first->intent == (pass == 1))
                rc = tl_closing(&t->items[i], with_ns, o);
    if (!rc)
        rc = dg_buf_printf(o, "%s%zu event%s from %zu audit log line%s", t->n ? "\n" : "",
                           dg_timeline_count(tl), dg_timeline_count(tl) == 1 ? "" : "s",
                           ctx ? ctx->lines : 0, ctx && ctx->lines == 1 ? "" : "s");
    if (!rc && ctx && ctx->malformed)
        rc = dg_buf_printf(o, " (%zu malformed, skipped)", ctx->malformed);
    return rc ? rc : dg_buf_puts(o, ".\n");
}

int dg_report_timeline(const dg_timeline_t *tl, dg_format_t fmt,
                       const dg_report_timeline_ctx_t *ctx, dg_buf_t *out, dg_err_t *err)
{
    tallies_t t = {0};
    int rc;

    if (fmt != DG_FMT_TABLE && fmt != DG_FMT_JSON)
        return dg_err_set(err, DG_EINVAL, "a timeline is a table or json");
    rc = tally_all(tl, &t);
    if (!rc)
        rc = fmt == DG_FMT_TABLE ? timeline_table(tl, &t, ctx, out)
                                 : timeline_json(tl, &t, ctx, out);
    tallies_free(&t);
    return rc ? dg_err_set(err, DG_ENOMEM, "out of memory rendering the timeline") : 0;
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
            fill_row(&op->variances.items[j], NULL, 0, 0, &r); /* columns 0-4 */
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

/* ---- an API's error -------------------------------------------------------------------- */

int dg_report_status(int code, const char *msg, dg_buf_t *out)
{
    char safe[1024];
    json_t *st;
    char *text;
    int rc;

    snprintf(safe, sizeof safe, "%s", msg);
    /* A JSON string must be valid UTF-8, and a Status with no body would
     * leave the caller guessing. */
    if ((st = json_string(safe)) == NULL)
        for (char *c = safe; *c; c++)
            if ((unsigned char)*c >= 0x80)
                *c = '?';
    json_decref(st);
    st = json_pack("{s:s, s:s, s:{}, s:s, s:s, s:i}", "kind", "Status", "apiVersion", "v1",
                   "metadata", "status", "Failure", "message", safe, "code", code);
    text = st ? json_dumps(st, JSON_COMPACT) : NULL;
    dg_buf_reset(out);
    rc = text == NULL || dg_buf_puts(out, text) != 0 || dg_buf_puts(out, "\n") != 0 ? DG_ENOMEM
                                                                                     : 0;
    free(text);
    json_decref(st);
    return rc;
}
