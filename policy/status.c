/* policy/status.c: the pipeline card of a release: its state, and the card
 * as a table for people or JSON for tools. SPDX-License-Identifier: Apache-2.0 */
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

dg_state_t dg_status_state(const dg_status_t *s)
{
    if (!s->has_baseline)
        return DG_STATE_NO_BASELINE;
    if (s->variances == NULL || s->variances->n == 0)
        return DG_STATE_IN_SYNC;
    return s->plan ? DG_STATE_RECONCILE_PENDING : DG_STATE_VARIANCE;
}

const char *dg_state_name(dg_state_t st)
{
    static const char *const names[] = {"in-sync", "variance-detected", "reconcile-pending",
                                        "no-baseline"};

    return names[st];
}

const char *dg_status_age(long seconds, char *buf, size_t size)
{
    if (seconds < 0)
        snprintf(buf, size, "unknown");
    else if (seconds < 120)
        snprintf(buf, size, "%lds", seconds);
    else if (seconds < 2 * 3600)
        snprintf(buf, size, "%ldm", seconds / 60);
    else if (seconds < 2 * 86400)
        snprintf(buf, size, "%ldh", seconds / 3600);
    else
        snprintf(buf, size, "%ldd", seconds / 86400);
    return buf;
}

static const char *tristate(dg_tristate_t t, const char *yes, const char *no)
{
    return t == DG_YES ? yes : t == DG_NO ? no : "unknown";
}

/* ---- table ---------------------------------------------------------------------------- */

#define LABEL "%-18s"

static int card_source(const dg_status_t *s, dg_buf_t *o)
{
    const dg_status_source_t *src = &s->source;
    char age[32], rev[32] = "unknown";

    if (!s->has_baseline)
        return dg_buf_printf(o, LABEL "none: %s\n", "Source of truth:",
                             src->location ? src->location : "no baseline found");
    if (src->revision > 0)
        snprintf(rev, sizeof rev, "%ld", src->revision);
    return dg_buf_printf(o, LABEL "%s %s\n" LABEL "revision %s, chart %s, digest %s, age %s\n",
                         "Source of truth:", src->origin, src->location, "", rev,
                         src->chart ? src->chart : "unknown",
                         src->digest ? src->digest : "unknown",
                         dg_status_age(src->age, age, sizeof age));
}

static int card_gate(const dg_status_gate_t *g, dg_buf_t *o)
{
    if (!g->checked)
        return 0;
    if (g->note)
        return dg_buf_printf(o, LABEL "unknown: %s\n", "Gate:", g->note);
    if (g->configuration == NULL)
        return dg_buf_printf(o, LABEL "none: no ValidatingWebhookConfiguration names %s\n",
                             "Gate:", g->webhook ? g->webhook : "driftgate's webhook");
    return dg_buf_printf(o,
                         LABEL "validatingwebhookconfiguration/%s (webhook %s, failurePolicy %s)\n"
                         LABEL "endpoint %s\n" LABEL "caBundle %s (%s)\n" LABEL "deployers %s (%s)\n",
                         "Gate:", g->configuration, g->webhook ? g->webhook : "?",
                         g->failure_policy ? g->failure_policy : "Fail", "",
                         g->endpoint ? g->endpoint : "unknown", "",
                         tristate(g->ca_verifies, "verifies driftgate's certificate",
                                  "does NOT verify driftgate's certificate"),
                         g->ca_detail ? g->ca_detail : "", "",
                         tristate(g->deployers, "configured", "none"),
                         g->deployers_detail ? g->deployers_detail : "");
}

static int card(const dg_status_t *s, dg_buf_t *o)
{
    size_t c[3] = {0, 0, 0}, n = s->variances ? s->variances->n : 0;
    int rc;

    if (s->variances)
        dg_report_counts(s->variances, c);
    rc = dg_buf_printf(o, LABEL "%s\n" LABEL "%s / %s\n", "Workflow:", DG_STATUS_WORKFLOW,
                       "Scope:", s->ns, s->release);
    if (!rc)
        rc = card_source(s, o);
    if (!rc && s->has_baseline)
        rc = dg_buf_printf(o, LABEL "%zu active (%zu deny, %zu warn, %zu audit)\n",
                           "Drift signals:", n, c[DG_ACTION_DENY], c[DG_ACTION_WARN],
                           c[DG_ACTION_AUDIT]);
    if (!rc)
        rc = dg_buf_printf(o, LABEL "%s\n", "State:", dg_state_name(dg_status_state(s)));
    if (!rc && s->plan)
        rc = dg_buf_printf(o, LABEL "%s\n", "Plan:", s->plan);
    return rc ? rc : card_gate(&s->gate, o);
}

static int table(const dg_status_t *s, dg_buf_t *o, dg_err_t *err)
{
    dg_report_ctx_t ctx = {.release = s->release, .ns = s->ns};

    if (card(s, o) || (s->variances && s->variances->n && dg_buf_puts(o, "\n")))
        return dg_err_set(err, DG_ENOMEM, "out of memory rendering the status");
    if (s->variances == NULL || s->variances->n == 0)
        return 0;
    return dg_report_variances(s->variances, DG_FMT_TABLE, &ctx, o, err);
}

/* ---- json ----------------------------------------------------------------------------- */

static json_t *source_json(const dg_status_t *s)
{
    const dg_status_source_t *src = &s->source;
    char age[32];

    if (!s->has_baseline)
        return json_null();
    return json_pack("{s:s, s:s?, s:o, s:s?, s:s?, s:s, s:o}", "origin", src->origin, "location",
                     src->location, "revision",
                     src->revision > 0 ? json_integer(src->revision) : json_null(), "chart",
                     src->chart, "digest", src->digest, "age",
                     dg_status_age(src->age, age, sizeof age), "ageSeconds",
                     src->age >= 0 ? json_integer(src->age) : json_null());
}

static json_t *yes_no(dg_tristate_t t)
{
    return t == DG_UNKNOWN ? json_null() : json_boolean(t == DG_YES);
}

static json_t *gate_json(const dg_status_gate_t *g)
{
    json_t *j = json_pack("{s:s?, s:s?, s:s?, s:s?, s:{s:o, s:s?}, s:{s:o, s:s?}}",
                          "configuration", g->configuration, "webhook", g->webhook,
                          "failurePolicy", g->failure_policy, "endpoint", g->endpoint,
                          "caBundle", "verifies", yes_no(g->ca_verifies), "detail", g->ca_detail,
                          "deployers", "configured", yes_no(g->deployers), "detail",
                          g->deployers_detail);

    if (j && g->note && json_object_set_new(j, "note", json_string(g->note)) != 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static json_t *status_json(const dg_status_t *s)
{
    dg_variances_t none = {0};
    const dg_variances_t *v = s->variances ? s->variances : &none;
    size_t c[3];
    json_t *j;

    dg_report_counts(v, c);
    j = json_pack("{s:s, s:{s:s, s:s}, s:s, s:o, s:{s:I, s:I, s:I, s:I}, s:s?, s:o}",
                  "workflow", DG_STATUS_WORKFLOW, "scope", "namespace", s->ns, "release",
                  s->release, "state", dg_state_name(dg_status_state(s)), "source",
                  source_json(s), "signals", "total", (json_int_t)v->n, "deny",
                  (json_int_t)c[DG_ACTION_DENY], "warn", (json_int_t)c[DG_ACTION_WARN], "audit",
                  (json_int_t)c[DG_ACTION_AUDIT], "plan", s->plan, "variances",
                  dg_report_variances_json(v));
    if (j && s->gate.checked && json_object_set_new(j, "gate", gate_json(&s->gate)) != 0) {
        json_decref(j);
        return NULL;
    }
    /* Why there is none: what was looked for. */
    if (j && !s->has_baseline && s->source.location &&
        json_object_set_new(j, "reason", json_string(s->source.location)) != 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}

int dg_status_render(const dg_status_t *s, dg_format_t fmt, dg_buf_t *out, dg_err_t *err)
{
    json_t *j;
    char *text;
    int rc;

    if (fmt == DG_FMT_TABLE)
        return table(s, out, err);
    if (fmt != DG_FMT_JSON)
        return dg_err_set(err, DG_EINVAL, "-o: status prints table or json");
    j = status_json(s);
    text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    rc = text && !dg_buf_puts(out, text) && !dg_buf_puts(out, "\n") ? 0 : DG_ENOMEM;
    free(text);
    json_decref(j);
    return rc ? dg_err_set(err, DG_ENOMEM, "out of memory rendering the status") : 0;
}

/* ---- the consoles' context line ------------------------------------------------------- */

static bool has_kind(const char *list, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

void dg_context_add_kind(char *kinds, size_t size, const char *group, const char *kind)
{
    const dg_kindinfo_t *ki = dg_kind_by_kind(group, kind);
    const char *name = ki ? (ki->shortname ? ki->shortname : ki->resource) : kind;
    size_t used = strlen(kinds);

    if (name && !has_kind(kinds, name))
        snprintf(kinds + used, size - used, "%s%s", used ? "," : "", name);
}

/* The file's name, not the directory it was written to. */
static const char *last_part(const char *where)
{
    const char *slash = where ? strrchr(where, '/') : NULL;

    return slash && slash[1] ? slash + 1 : where;
}

static const char *or(const char *s, const char *dflt)
{
    return s && s[0] ? s : dflt;
}

void dg_context_lines(const dg_context_t *c, char *l1, size_t n1, char *l2, size_t n2)
{
    snprintf(l1, n1, "context: %s / %s  workflow: %s  state: %s", or(c->ns, "?"),
             or(c->release, "?"), DG_CONTEXT_WORKFLOW, or(c->state, "unknown"));
    snprintf(l2, n2, "shell=%s cluster=%s audited=%s artifact=%s", or(c->shell, "none"),
             or(c->cluster, "none"), or(c->audited, "none"), or(last_part(c->artifact), "none"));
}

json_t *dg_context_json(const dg_context_t *c)
{
    char l1[1024], l2[1536];

    dg_context_lines(c, l1, sizeof l1, l2, sizeof l2);
    return json_pack("{s:s?, s:s?, s:s, s:s, s:s, s:s, s:s, s:s, s:[s, s]}", "namespace", c->ns,
                     "release", c->release, "workflow", DG_CONTEXT_WORKFLOW, "state",
                     or(c->state, "unknown"), "shell", or(c->shell, "none"), "cluster",
                     or(c->cluster, "none"), "audited", or(c->audited, "none"), "artifact",
                     or(last_part(c->artifact), "none"), "lines", l1, l2);
}
