/* cli/ctl_reconcile.c: `driftctl reconcile`: the plan that restores a
 * release's governed values (policy/plan.c), each step judged by dg_decide()
 * as driftgate will judge it, shown, saved, and applied (cli/ctl_apply.c).
 * Offline from files, or online: the baseline driftgate uses and live state,
 * both read with the real kubectl. SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "publish.h"
#include "managed.h"
#include "diff.h"

enum { O_BASELINE = 256, O_LIVE, O_RELEASE, O_NS, O_BASELINE_NS, O_POLICY, O_ONLY, O_OUTPUT,
       O_OUT, O_APPLY, O_YES, O_DRY_RUN, O_STRATEGY, O_CONTINUE, O_EVIDENCE, O_MAX };

static const ctl_opt_t opts[] = {
    {"baseline", 0, "FILE", O_BASELINE, "the release baseline (render or baseline ConfigMap);\n"
                                        "'-' = stdin (default: the one driftgate uses, read\n"
                                        "from the cluster for --release)"},
    {"live", 0, "FILE", O_LIVE, "live evidence (kubectl get ... -o yaml); '-' = stdin\n"
                                "(default: the release's governed objects, read with\n"
                                "kubectl)"},
    {"release", 0, "NAME", O_RELEASE, "the release; without --baseline, its baseline is read\n"
                                      "from the cluster: the published ConfigMap, else Helm's\n"
                                      "latest deployed release record"},
    {"namespace", 'n', "NS", O_NS, "the release namespace"},
    {"baseline-namespace", 0, "NS", O_BASELINE_NS, "where driftgate believes published baselines\n"
                                                   "(default driftgate-system)"},
    {"policy", 0, "FILE", O_POLICY, "the DriftPolicy the gate judges by (default: the\n"
                                    "built-in policy); '-' = stdin"},
    {"only", 0, "RULE/PATH", O_ONLY, "restore only drift of this rule, or under this path\n"
                                     "(spec.ports); repeatable"},
    {"output", 'o', "table|json|markdown", O_OUTPUT, "the format (default table)"},
    {"out", 0, "FILE", O_OUT, "also save the plan (JSON) here, for --apply FILE"},
    {"apply", 0, "[FILE]", O_APPLY, "apply the plan just made, or exactly the plan saved in\n"
                                    "FILE (refused if the baseline changed since)"},
    {"yes", 0, NULL, O_YES, "apply without asking (required when stdin is not a\n"
                            "terminal)"},
    {"dry-run", 0, "server", O_DRY_RUN, "send each change as a server-side dry run (the\n"
                                        "real gate answers; nothing changes)"},
    {"strategy", 0, "patch|apply", O_STRATEGY,
     "how each change is made; patch (default): minimal\n"
     "JSON patches with tests; apply: kubectl apply\n"
     "--server-side --field-manager=helm of each drifted\n"
     "object's whole baseline"},
    {"continue-on-conflict", 0, NULL, O_CONTINUE, "go on with the other objects when one changed\n"
                                                  "since it was read (its test failed)"},
    {"evidence", 0, "FILE", O_EVIDENCE, "write the evidence record (JSON) here: who, when,\n"
                                        "the plan, each result, governed values before and\n"
                                        "after"},
    CTL_KUBE_OPTS,
    {"max-bytes", 0, "N", O_MAX, "refuse input files larger than N bytes (default 64Mi)"},
    {NULL, 0, NULL, 0, NULL},
};

const ctl_cmd_t ctl_reconcile_cmd = {
    "reconcile",
    "Usage:\n"
    "  driftctl reconcile --baseline FILE --live FILE [-n NS] [flags]\n"
    "  driftctl reconcile --release NAME -n NS [--apply [FILE]] [flags]\n"
    "\n"
    "Plan the minimal change that restores a release's governed values: per drifted\n"
    "object one JSON patch (RFC 6902) that tests each live value it changes, then\n"
    "puts the baseline's back; a create for a governed object live lacks. Every\n"
    "operation is judged as driftgate will judge it (it must be a reconcile) before\n"
    "anything is applied. With --apply, it asks, applies with kubectl\n"
    "(--field-manager=driftctl-reconcile), and reads live state again to check.\n",
    opts,
    "Exit status: 0 nothing to do (or applied and verified), 2 the plan has\n"
    "operations (or they were declined), 1 error, refusal, conflict.\n",
};

#define MAX_ONLY 32

typedef struct rec_opts {
    const char *baseline, *live, *release, *ns, *baseline_ns, *policy, *output, *out,
        *apply_file, *dry_run, *strategy, *evidence;
    const char *only[MAX_ONLY];
    size_t nonly;
    bool apply, yes, keep_going;
    ctl_kube_t kube;
    size_t max_bytes;
} rec_opts_t;

/* ---- flags ---------------------------------------------------------------------------- */

static int check_opts(const rec_opts_t *o)
{
    bool applying = o->yes || o->dry_run || o->keep_going || o->evidence;

    if (o->baseline == NULL && o->release == NULL)
        return ctl_usage_error("reconcile", "give --baseline FILE (and --live FILE), or --release "
                                            "NAME -n NS to read the baseline driftgate uses");
    if (o->baseline == NULL && o->ns == NULL)
        return ctl_usage_error("reconcile", "--release reads the cluster: it needs -n NAMESPACE");
    if (o->apply && o->live)
        return ctl_usage_error("reconcile", "--apply reads live state itself with kubectl; a "
                                            "--live snapshot may already be stale");
    if (o->apply_file && (o->nonly || o->strategy || o->out))
        return ctl_usage_error("reconcile", "--apply FILE applies the saved plan as it is; "
                                            "--only, --strategy and --out cannot change it");
    if (applying && !o->apply)
        return ctl_usage_error("reconcile", "--yes, --dry-run, --continue-on-conflict and "
                                            "--evidence go with --apply");
    if (o->dry_run && strcmp(o->dry_run, "server") != 0)
        return ctl_usage_error("reconcile", "--dry-run: only 'server' (the API server judges "
                                            "and stores nothing)");
    if (o->strategy && strcmp(o->strategy, "patch") != 0 && strcmp(o->strategy, "apply") != 0)
        return ctl_usage_error("reconcile", "--strategy: 'patch' or 'apply'");
    if (ctl_stdio(o->baseline) + ctl_stdio(o->live) + ctl_stdio(o->policy) +
            ctl_stdio(o->apply_file) > 1)
        return ctl_usage_error("reconcile", "only one input can be '-' (stdin)");
    return 0;
}

static int parse_args(int argc, char **argv, rec_opts_t *o)
{
    ctl_args_t a = {argc, argv, 1, NULL};
    dg_err_t err = {0};
    int c;

    while ((c = ctl_opts_next(&ctl_reconcile_cmd, &a)) > 0) {
        switch (c) {
        case O_BASELINE: o->baseline = a.val; break;
        case O_LIVE: o->live = a.val; break;
        case O_RELEASE: o->release = a.val; break;
        case O_NS: o->ns = a.val; break;
        case O_BASELINE_NS: o->baseline_ns = a.val; break;
        case O_POLICY: o->policy = a.val; break;
        case O_ONLY:
            if (o->nonly == MAX_ONLY)
                return ctl_usage_error("reconcile", "at most %d --only", MAX_ONLY);
            o->only[o->nonly++] = a.val;
            break;
        case O_OUTPUT: o->output = a.val; break;
        case O_OUT: o->out = a.val; break;
        case O_APPLY: o->apply = true, o->apply_file = a.val; break;
        case O_YES: o->yes = true; break;
        case O_DRY_RUN: o->dry_run = a.val; break;
        case O_STRATEGY: o->strategy = a.val; break;
        case O_CONTINUE: o->keep_going = true; break;
        case O_EVIDENCE: o->evidence = a.val; break;
        default: (void)ctl_kube_opt(&o->kube, c, a.val); break;
        case O_MAX:
            if (ctl_parse_size(a.val, &o->max_bytes, &err))
                return ctl_usage_error("reconcile", "--max-bytes: %s", err.msg);
            break;
        }
    }
    return c < 0 ? c : check_opts(o);
}

/* ---- the baseline and live state -------------------------------------------------------- */

/* From files, or from the cluster as driftgate reads it. */
static int load_baseline(const rec_opts_t *o, ctl_reconcile_t *r, dg_err_t *err)
{
    ctl_inputs_t in = {.baseline = o->baseline, .release = o->release, .live = o->live,
                       .ns = o->ns, .max = o->max_bytes};

    if (o->baseline)
        return ctl_load_inputs(&in, &r->rel, &r->live, NULL, err);
    return ctl_source_baseline(&(ctl_source_opts_t){o->release, o->ns,
                                                    o->baseline_ns ? o->baseline_ns
                                                                   : DG_BASELINE_NS,
                                                    &o->kube},
                               &r->rel, err);
}

static int load_live(const rec_opts_t *o, ctl_reconcile_t *r, dg_err_t *err)
{
    int rc;

    if (r->live) /* read beside the baseline file */
        return 0;
    if (o->live)
        return ctl_load_objects("--live", o->live, r->rel->ns, o->max_bytes, CTL_LOAD_MANAGED,
                                &r->live, NULL, err);
    rc = ctl_capture_live(r->rel, r->pol, false, &o->kube, NULL, &r->captured, err);
    if (!rc) {
        r->live = r->captured.objs;
        r->captured.objs = NULL;
        r->covered = r->captured.kinds;
        r->ncovered = r->captured.nkinds;
    }
    return rc;
}

/* Who the API server will say asks: kubectl's own user when it is used. */
void ctl_reconcile_identify(ctl_reconcile_t *r, bool offline)
{
    json_t *g;
    size_t i;
    dg_err_t err = {0};

    r->who = (dg_plan_requester_t){"driftctl-reconcile", NULL, 0, CTL_RECONCILE_MANAGER};
    if (offline) {
        snprintf(r->user_error, sizeof r->user_error, "offline: no cluster was asked");
        return;
    }
    if (ctl_whoami(&r->kube, &r->user, &err)) {
        dg_err_format(&err, r->user_error, sizeof r->user_error);
        fprintf(stderr, "driftctl: warning: kubectl auth whoami: %s; judging as %s\n",
                r->user_error, r->who.user);
        return;
    }
    r->who.user = json_string_value(json_object_get(r->user, "username"));
    json_array_foreach(json_object_get(r->user, "groups"), i, g) {
        if (r->who.ngroups < CTL_MAX_GROUPS && json_is_string(g))
            r->groups[r->who.ngroups++] = json_string_value(g);
    }
    r->who.groups = r->groups;
}

/* ---- the plan --------------------------------------------------------------------------- */

/* A saved plan is applied only to the baseline it was made against. */
static int load_saved(const rec_opts_t *o, ctl_reconcile_t *r, dg_err_t *err)
{
    const char *shown = ctl_stdio(o->apply_file) ? "<stdin>" : o->apply_file;
    char *data;
    size_t len;
    int rc = ctl_read("--apply", o->apply_file, DG_MAX_MANIFEST_BYTES, &data, &len, err);

    if (rc)
        return rc;
    rc = dg_plan_parse(data, len, shown, &r->plan, err);
    free(data);
    if (rc)
        return rc;
    if (strcmp(r->plan.release, r->rel->name) != 0 || strcmp(r->plan.ns, r->rel->ns) != 0)
        return dg_err_set(err, DG_EINVAL, "%s is a plan for release %s/%s, not %s/%s", shown,
                          r->plan.ns, r->plan.release, r->rel->ns, r->rel->name);
    if (r->plan.digest == NULL || r->rel->digest == NULL ||
        strcmp(r->plan.digest, r->rel->digest) != 0)
        /* Digests cut to 12 hex digits: the message must fit one line. */
        return dg_err_set(err, DG_EINVAL, "%s was made against baseline revision %ld (%.19s); "
                          "the baseline of %s/%s is now revision %ld (%.19s): make a new plan",
                          shown, r->plan.revision, r->plan.digest ? r->plan.digest : "unknown",
                          r->rel->ns, r->rel->name, r->rel->revision,
                          r->rel->digest ? r->rel->digest : "unknown");
    return 0;
}

static int make_plan(const rec_opts_t *o, ctl_reconcile_t *r, dg_err_t *err)
{
    dg_plan_opts_t po = {.only = o->only, .nonly = o->nonly,
                         .server_side_apply = o->strategy && strcmp(o->strategy, "apply") == 0};
    dg_err_t why = {0};
    int rc;

    if (o->apply_file) /* read before live state: a stale plan needs no cluster */
        return 0;
    if ((rc = ctl_reconcile_build(r, &po, NULL, &why)) != 0)
        dg_err_set(err, rc, "%s%s", o->nonly && rc == DG_EINVAL ? "--only: " : "", why.msg);
    return rc;
}

/* The live state read, as policy/plan.c takes it. */
static dg_plan_live_t live_of(const ctl_reconcile_t *r)
{
    return (dg_plan_live_t){r->live, r->covered, r->ncovered};
}

int ctl_reconcile_build(ctl_reconcile_t *r, const dg_plan_opts_t *po, dg_variances_t *drift,
                        dg_err_t *err)
{
    dg_plan_live_t live = live_of(r);

    return dg_plan_release(r->rel, &live, r->pol, po, drift, &r->plan, err);
}

int ctl_reconcile_judge(ctl_reconcile_t *r, dg_err_t *err)
{
    dg_plan_live_t live = live_of(r);
    int rc;

    if ((r->bases = dg_baselines_new()) == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    if ((rc = dg_baselines_add(r->bases, dg_release_ref(r->rel), err)) != 0)
        return rc;
    return dg_plan_judge_live(&r->plan, &live, r->bases, r->pol, r->started, &r->who, &r->env,
                              err);
}

/* Anything but reconcile or allow stops the plan, with the gate's words. */
int ctl_reconcile_refused(const dg_plan_t *p, dg_err_t *err)
{
    char shown[256];

    for (size_t i = 0; i < p->n; i++)
        if (p->ops[i].state == DG_PLAN_REFUSED) {
            dg_objid_short(&p->ops[i].obj, shown, sizeof shown);
            return dg_err_set(err, DG_EINVAL, "driftgate would refuse the %s of %s (%s): %s; "
                              "nothing was applied", dg_plan_action_name(p->ops[i].action), shown,
                              dg_verdict_name(p->ops[i].verdict), p->ops[i].message);
        }
    return 0;
}

static int show(const rec_opts_t *o, const ctl_reconcile_t *r, dg_err_t *err)
{
    dg_format_t fmt = DG_FMT_TABLE;
    dg_buf_t out;
    json_t *j;
    char *text;
    int rc;

    if (o->output && (rc = dg_format_parse(o->output, &fmt, err)))
        return rc;
    dg_buf_init(&out, 0);
    rc = dg_report_plan(&r->plan, fmt, &out, err);
    if (!rc)
        fwrite(out.data ? out.data : "", 1, out.len, stdout);
    fflush(stdout);
    if (!rc && o->out) {
        j = dg_plan_json(&r->plan);
        text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
        dg_buf_reset(&out);
        rc = text && !dg_buf_puts(&out, text) && !dg_buf_puts(&out, "\n")
                 ? ctl_write("--out", o->out, &out, err)
                 : dg_err_set(err, DG_ENOMEM, "out of memory");
        free(text);
        json_decref(j);
    }
    dg_buf_free(&out);
    return rc;
}

static int reconcile(const rec_opts_t *o, ctl_reconcile_t *r, dg_err_t *err)
{
    int rc;

    if ((rc = ctl_load_policy(o->policy, &r->pol, err)) || (rc = load_baseline(o, r, err)) ||
        (o->apply_file && (rc = load_saved(o, r, err))) || (rc = load_live(o, r, err)))
        return rc;
    r->kube = o->kube;
    ctl_reconcile_identify(r, o->baseline && o->live);
    if ((rc = make_plan(o, r, err)) || (rc = ctl_reconcile_judge(r, err)) || (rc = show(o, r, err)) ||
        (rc = ctl_reconcile_refused(&r->plan, err)))
        return rc;
    if (!o->apply)
        return r->plan.n ? CTL_FOUND : CTL_OK;
    r->kube = o->kube;
    r->evidence = o->evidence;
    r->yes = o->yes;
    r->dry_run = o->dry_run != NULL;
    r->keep_going = o->keep_going;
    return ctl_apply_plan(r, err);
}

int ctl_reconcile_main(int argc, char **argv)
{
    rec_opts_t o = {0};
    ctl_reconcile_t r = {.started = (int64_t)time(NULL)};
    dg_err_t err = {0};
    int rc;

    if ((rc = parse_args(argc, argv, &o)) != 0)
        return ctl_parse_status(rc);
    r.strategy = o.strategy ? o.strategy : "patch";
    dg_plan_init(&r.plan);
    rc = reconcile(&o, &r, &err);
    if (rc < 0) /* a DG_E* code: an error, not an exit status */
        rc = ctl_fail(&err);
    else if (rc == CTL_ERROR && err.code)
        ctl_fail(&err);
    dg_plan_free(&r.plan);
    ctl_live_free(&r.captured);
    dg_objset_free(&r.live);
    json_decref(r.user);
    dg_baselines_free(&r.bases);
    dg_release_free(&r.rel);
    dg_policy_free(&r.pol);
    return rc;
}
