/* cli/ctl_status.c: `driftctl status`: the pipeline card of one release.
 * Online it reads what driftgate reads (the published baseline, else Helm's
 * release record) and the live objects with kubectl, and looks at the gate;
 * offline it takes a baseline file and a snapshot. The state and the card
 * are libdrift's (policy/status.c). SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "codec.h"
#include "ctl.h"
#include "diff.h"
#include "managed.h"
#include "publish.h"
#include "status.h"

#define DEFAULT_PLAN "plan.json"
#define DEFAULT_WEBHOOK "validate.driftgate.io"

enum {
    O_RELEASE = 256, O_NS, O_BASELINE, O_LIVE, O_KINDS, O_POLICY, O_PLAN, O_BASELINE_NS,
    O_WEBHOOK, O_OUTPUT
};

static const ctl_opt_t opts[] = {
    {"release", 0, "NAME", O_RELEASE, "the release (online: required; offline: its name\n"
                                      "in the card, default the baseline's)"},
    {"namespace", 'n', "NS", O_NS, "the release namespace (online: required)"},
    {"baseline", 0, "FILE", O_BASELINE, "offline: the rendered release or its baseline\n"
                                        "ConfigMap; '-' = stdin"},
    {"live", 0, "FILE", O_LIVE, "offline: live evidence (kubectl get ... -o yaml);\n"
                                "'-' = stdin"},
    {"kinds", 0, "LIST", O_KINDS, "offline: kinds the snapshot covers (as diff --kinds)"},
    {"policy", 0, "FILE", O_POLICY, "DriftPolicy (default: the built-in policy); '-' = stdin"},
    {"plan", 0, "FILE", O_PLAN, "a saved reconcile plan (default: ./plan.json when it\n"
                                "exists and names this release)"},
    {"baseline-namespace", 0, "NS", O_BASELINE_NS, "where driftgate believes published "
                                                   "baselines\n(default driftgate-system)"},
    {"webhook-name", 0, "NAME", O_WEBHOOK, "driftgate's webhook (default "
                                           "validate.driftgate.io)"},
    CTL_KUBE_OPTS,
    {"output", 'o', "table|json", O_OUTPUT, "the format (default table)"},
    {NULL, 0, NULL, 0, NULL},
};

const ctl_cmd_t ctl_status_cmd = {
    "status",
    "Usage: driftctl status --release NAME -n NS [flags]            (online, with kubectl)\n"
    "       driftctl status --baseline FILE --live FILE [-n NS] [flags]   (offline)\n"
    "\n"
    "The pipeline card of a release: the workflow, the source of truth (where\n"
    "the baseline comes from, its revision, chart, digest and age), the active\n"
    "drift signals with who changed each field, the scope, the state\n"
    "(in-sync, variance-detected, reconcile-pending when a saved plan exists,\n"
    "no-baseline) and, online, the admission gate: its webhook configuration,\n"
    "failure policy, whether its caBundle verifies driftgate's certificate, and\n"
    "whether deployers are configured.\n",
    opts,
    "Exit status: 0 in sync, 2 drift found, 1 error or no baseline.\n",
};

typedef struct status_opts {
    const char *release, *ns, *baseline, *live, *kinds, *policy, *plan, *baseline_ns,
        *webhook, *output;
    ctl_kube_t kube;
} status_opts_t;

static int parse_args(int argc, char **argv, status_opts_t *o)
{
    ctl_args_t a = {argc, argv, 1, NULL};
    int c;

    while ((c = ctl_opts_next(&ctl_status_cmd, &a)) > 0) {
        switch (c) {
        case O_RELEASE: o->release = a.val; break;
        case O_NS: o->ns = a.val; break;
        case O_BASELINE: o->baseline = a.val; break;
        case O_LIVE: o->live = a.val; break;
        case O_KINDS: o->kinds = a.val; break;
        case O_POLICY: o->policy = a.val; break;
        case O_PLAN: o->plan = a.val; break;
        case O_BASELINE_NS: o->baseline_ns = a.val; break;
        case O_WEBHOOK: o->webhook = a.val; break;
        default: (void)ctl_kube_opt(&o->kube, c, a.val); break;
        case O_OUTPUT: o->output = a.val; break;
        }
    }
    if (c < 0)
        return c;
    if ((o->baseline == NULL) != (o->live == NULL))
        return ctl_usage_error("status", "--baseline and --live go together (offline); without "
                                         "both, status reads the cluster");
    if (o->baseline == NULL && (o->release == NULL || o->ns == NULL))
        return ctl_usage_error("status", "--release and -n are required (or --baseline and "
                                         "--live, offline)");
    if (o->baseline == NULL && o->kinds)
        return ctl_usage_error("status", "--kinds is for a snapshot file (--live); online, the "
                                         "kinds read are the kinds covered");
    if (ctl_stdio(o->baseline) + ctl_stdio(o->live) + ctl_stdio(o->policy) > 1)
        return ctl_usage_error("status", "only one of --baseline, --live and --policy can be "
                                         "'-' (stdin)");
    return 0;
}

/* Everything gathered for the card; freed together. */
typedef struct status_run {
    dg_policy_t *pol;
    dg_release_t *rel;   /* NULL: no baseline */
    dg_objset_t *live;
    dg_gk_t *kinds;
    size_t nkinds;
    dg_variances_t v;
    ctl_source_t src;
    ctl_gate_t gate;
    ctl_live_t captured;
    char plan[4096];     /* the matching plan's path, or "" */
    dg_buf_t out;
} status_run_t;

/* ---- the source of truth, offline ------------------------------------------------------ */

/* A baseline file: a published ConfigMap (its own digest), or a render (the
 * SHA-256 of the file, as publish would write it), dated by its mtime. */
static void file_source(const status_opts_t *o, const dg_release_t *rel, time_t now,
                        ctl_source_t *src)
{
    struct stat st;
    char *data;
    size_t len;

    memset(src, 0, sizeof *src);
    snprintf(src->origin, sizeof src->origin, "%s",
             rel->origin == DG_RELSRC_PUBLISHED ? "published" : "file");
    snprintf(src->location, sizeof src->location, "%s",
             ctl_stdio(o->baseline) ? "<stdin>" : o->baseline);
    src->age = !ctl_stdio(o->baseline) && stat(o->baseline, &st) == 0 && now >= st.st_mtime
                   ? (long)(now - st.st_mtime)
                   : -1;
    if (rel->digest)
        snprintf(src->digest, sizeof src->digest, "%s", rel->digest);
    else if (!ctl_stdio(o->baseline) &&
             ctl_read("--baseline", o->baseline, DG_MAX_MANIFEST_BYTES, &data, &len, NULL) == 0) {
        dg_codec_digest(data, len, src->digest);
        free(data);
    }
}

static int offline(const status_opts_t *o, status_run_t *r, time_t now, dg_err_t *err)
{
    ctl_inputs_t in = {.baseline = o->baseline, .release = o->release, .live = o->live,
                       .ns = o->ns, .live_empty_ok = o->kinds != NULL};
    int rc;

    if (o->kinds && (rc = ctl_parse_kinds(o->kinds, &r->kinds, &r->nkinds, err)))
        return rc;
    if ((rc = ctl_load_inputs(&in, &r->rel, &r->live, NULL, err)))
        return rc;
    file_source(o, r->rel, now, &r->src);
    return 0;
}

/* ---- online --------------------------------------------------------------------------- */

/* The release's live objects, as `driftctl capture` reads them; the kinds
 * read are the kinds covered, so an absent object is reported missing. */
static int capture(const status_opts_t *o, status_run_t *r, dg_err_t *err)
{
    int rc = ctl_capture_live(r->rel, r->pol, false, &o->kube, NULL, &r->captured, err);

    if (rc)
        return rc;
    /* Taken over: freed with the rest of the run. */
    r->live = r->captured.objs;
    r->captured.objs = NULL;
    r->kinds = r->captured.kinds;
    r->captured.kinds = NULL;
    r->nkinds = r->captured.nkinds;
    return 0;
}

static int online(const status_opts_t *o, status_run_t *r, time_t now, dg_err_t *err)
{
    const char *bns = o->baseline_ns ? o->baseline_ns : DG_BASELINE_NS;
    ctl_source_opts_t so = {o->release, o->ns, bns, &o->kube};
    ctl_gate_opts_t go = {o->webhook ? o->webhook : DEFAULT_WEBHOOK, bns, &o->kube};
    int rc;

    if ((rc = ctl_source_read(&so, now, &r->rel, &r->src, err)))
        return rc;
    if (r->rel && (rc = capture(o, r, err)))
        return rc;
    return ctl_gate_inspect(&go, &r->gate, err);
}

/* ---- a saved plan ------------------------------------------------------------------------- */

static void note(const char *fmt, ...) DG_PRINTF(1, 2);

static void note(const char *fmt, ...)
{
    va_list ap;

    fputs("driftctl: note: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The saved plan of this release: --plan, else ./plan.json when present.
 * A plan for another release, or made against another baseline (its
 * digest), is said on stderr and not counted. Only an unreadable --plan is
 * an error. */
static int find_plan(const status_opts_t *o, status_run_t *r, dg_err_t *err)
{
    const char *path = o->plan ? o->plan : DEFAULT_PLAN;
    json_error_t je;
    json_t *plan, *rel;
    const char *ns, *name, *digest;
    struct stat st;

    if (o->plan == NULL && stat(path, &st) != 0)
        return 0;
    if ((plan = json_load_file(path, 0, &je)) == NULL) {
        if (o->plan)
            return dg_err_at(err, DG_EPARSE, path, je.line, je.column, "%s", je.text);
        note("%s is not a plan (%s); not counted", path, je.text);
        return 0;
    }
    rel = json_object_get(plan, "release");
    ns = json_string_value(json_object_get(rel, "namespace"));
    name = json_string_value(json_object_get(rel, "name"));
    digest = json_string_value(json_object_get(rel, "digest"));
    if (!ns || !name || strcmp(ns, r->rel->ns) != 0 || strcmp(name, r->rel->name) != 0)
        note("%s is a plan for release %s/%s, not this one; not counted", path,
             ns ? ns : "?", name ? name : "?");
    else if (digest && digest[0] && r->src.digest[0] && strcmp(digest, r->src.digest) != 0)
        note("%s was planned against baseline %s, but the baseline is now %s: plan again", path,
             digest, r->src.digest);
    else
        snprintf(r->plan, sizeof r->plan, "%s", path);
    json_decref(plan);
    return 0;
}

/* ---- the card ------------------------------------------------------------------------------ */

static void fill(const status_opts_t *o, const status_run_t *r, dg_status_t *s)
{
    const dg_release_t *rel = r->rel;

    memset(s, 0, sizeof *s);
    s->ns = rel ? rel->ns : o->ns;
    s->release = rel ? rel->name : o->release;
    s->has_baseline = rel != NULL;
    s->variances = &r->v;
    s->plan = r->plan[0] ? r->plan : NULL;
    s->source.origin = r->src.origin;
    s->source.location = r->src.location;
    s->source.revision = rel ? rel->revision : 0;
    s->source.chart = rel ? (rel->chart ? rel->chart : dg_release_chart_of(rel->objs)) : NULL;
    s->source.digest = r->src.digest[0] ? r->src.digest : NULL;
    s->source.age = r->src.age;
    s->gate = r->gate.view;
}

static int run(const status_opts_t *o, status_run_t *r, dg_status_t *s, dg_err_t *err)
{
    dg_format_t fmt = DG_FMT_TABLE;
    time_t now = time(NULL);
    int rc;

    if (o->output && ((rc = dg_format_parse(o->output, &fmt, err)) ||
                      (fmt != DG_FMT_TABLE && fmt != DG_FMT_JSON)))
        return rc ? rc : dg_err_set(err, DG_EINVAL, "-o %s: status prints table or json",
                                    o->output);
    if ((rc = ctl_load_policy(o->policy, &r->pol, err)) ||
        (rc = o->baseline ? offline(o, r, now, err) : online(o, r, now, err)))
        return rc;
    if (r->rel && ((rc = dg_diff_sets(r->rel->objs, r->live, r->kinds, r->nkinds, r->pol, &r->v,
                                      err)) ||
                   (rc = dg_managed_attribute(r->live, &r->v, err)) ||
                   (rc = find_plan(o, r, err))))
        return rc;
    fill(o, r, s);
    return dg_status_render(s, fmt, &r->out, err);
}

/* ---- what the console's context line shows ------------------------------------------- */

static void summarize(const status_opts_t *o, const status_run_t *r, const dg_status_t *s,
                      ctl_status_info_t *info)
{
    const char *where = o->baseline ? o->baseline : r->src.location;
    const char *slash = strrchr(where, '/');

    memset(info, 0, sizeof *info);
    snprintf(info->ns, sizeof info->ns, "%s", s->ns ? s->ns : "");
    snprintf(info->release, sizeof info->release, "%s", s->release ? s->release : "");
    info->state = dg_status_state(s);
    info->variances = r->v.n;
    ctl_context_kinds(r->kinds, r->nkinds, r->live, info->kinds, sizeof info->kinds);
    snprintf(info->artifact, sizeof info->artifact, "%s",
             !r->rel ? "none" : slash && slash[1] ? slash + 1 : where);
}

/* `driftctl status`: the card on stdout, or with @info only what it sums up. */
static int status(int argc, char **argv, ctl_status_info_t *info)
{
    status_opts_t o = {0};
    status_run_t r = {0};
    dg_err_t err = {0};
    dg_status_t s;
    int rc;

    if ((rc = parse_args(argc, argv, &o)) != 0)
        return ctl_parse_status(rc);
    dg_variances_init(&r.v);
    dg_buf_init(&r.out, 0);
    rc = run(&o, &r, &s, &err);
    if (!rc && info)
        summarize(&o, &r, &s, info);
    rc = ctl_finish(rc, &err, info ? NULL : &r.out,
                    r.rel == NULL ? CTL_ERROR : r.v.n ? CTL_FOUND : CTL_OK);
    dg_buf_free(&r.out);
    ctl_live_free(&r.captured);
    dg_variances_free(&r.v);
    free(r.kinds);
    dg_objset_free(&r.live);
    dg_release_free(&r.rel);
    dg_policy_free(&r.pol);
    return rc;
}

int ctl_status_main(int argc, char **argv)
{
    return status(argc, argv, NULL);
}

int ctl_status_query(int argc, char **argv, ctl_status_info_t *info)
{
    return status(argc, argv, info);
}
