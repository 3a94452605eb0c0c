/* cli/ctl_diff.c: `driftctl diff`: governed drift between a release
 * baseline and a live snapshot. SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "diff.h"
#include "managed.h"
#include "report.h"

enum { O_BASELINE = 256, O_LIVE, O_POLICY, O_NS, O_RELEASE, O_KINDS, O_OUTPUT, O_MAX, O_SARIF_ROOT };

static const ctl_opt_t opts[] = {
    {"baseline", 0, "FILE", O_BASELINE, "rendered release (helm template output, or a baseline\n"
                                        "ConfigMap from driftctl publish); '-' = stdin"},
    {"live", 0, "FILE", O_LIVE, "live evidence (kubectl get ... -o yaml); '-' = stdin"},
    {"policy", 0, "FILE", O_POLICY, "DriftPolicy (default: the built-in policy); '-' = stdin"},
    {"namespace", 'n', "NS", O_NS, "the release namespace, for objects without one\n"
                                   "(default: the baseline's, else where the snapshot\n"
                                   "holds the release's objects, else \"default\")"},
    {"release", 0, "NAME", O_RELEASE, "release name shown in reports"},
    {"kinds", 0, "LIST", O_KINDS, "kinds the snapshot covers, e.g. hpa,svc (default: the\n"
                                  "kinds present in it); only these can be 'missing'"},
    {"output", 'o', "table|json|yaml|markdown|sarif", O_OUTPUT, "the format (default table)"},
    {"sarif-root", 0, "DIR", O_SARIF_ROOT, "the repository root SARIF paths are relative to\n"
                                          "(default: the current directory)"},
    {"max-bytes", 0, "N", O_MAX, "refuse inputs larger than N bytes (default 64Mi)"},
    {NULL, 0, NULL, 0, NULL},
};

const ctl_cmd_t ctl_diff_cmd = {
    "diff",
    "Usage: driftctl diff --baseline FILE --live FILE [flags]\n"
    "\n"
    "Show governed drift: every governed path whose live value differs from the\n"
    "release baseline, and governed objects missing from the snapshot.\n",
    opts,
    "Exit status: 0 no drift, 2 drift found, 1 error.\n",
};

typedef struct diff_opts {
    const char *baseline, *live, *policy, *ns, *release, *kinds, *output, *sarif_root;
    size_t max_bytes;
} diff_opts_t;

static int parse_args(int argc, char **argv, diff_opts_t *o)
{
    ctl_args_t a = {argc, argv, 1, NULL};
    dg_err_t err = {0};
    int c, stdins = 0;

    while ((c = ctl_opts_next(&ctl_diff_cmd, &a)) > 0) {
        switch (c) {
        case O_BASELINE: o->baseline = a.val; break;
        case O_LIVE: o->live = a.val; break;
        case O_POLICY: o->policy = a.val; break;
        case O_NS: o->ns = a.val; break;
        case O_RELEASE: o->release = a.val; break;
        case O_KINDS: o->kinds = a.val; break;
        case O_OUTPUT: o->output = a.val; break;
        case O_SARIF_ROOT: o->sarif_root = a.val; break;
        case O_MAX:
            if (ctl_parse_size(a.val, &o->max_bytes, &err))
                return ctl_usage_error("diff", "--max-bytes: %s", err.msg);
            break;
        }
    }
    if (c < 0)
        return c;
    if (o->baseline == NULL || o->live == NULL)
        return ctl_usage_error("diff", "--baseline and --live are required");
    stdins = ctl_stdio(o->baseline) + ctl_stdio(o->live) + ctl_stdio(o->policy);
    if (stdins > 1)
        return ctl_usage_error("diff", "only one of --baseline, --live and --policy can be '-' "
                                       "(stdin)");
    return 0;
}

typedef struct diff_run {
    dg_release_t *rel;
    dg_objset_t *live;
    dg_policy_t *pol;
    dg_gk_t *kinds;
    size_t nkinds;
    dg_variances_t v;
    ctl_sarif_t sarif;
    dg_buf_t out;
} diff_run_t;

static int run(const diff_opts_t *o, diff_run_t *r, dg_err_t *err)
{
    dg_report_ctx_t ctx;
    ctl_inputs_t in;
    dg_format_t fmt = DG_FMT_TABLE;
    int rc;

    if (o->output && (rc = dg_format_parse(o->output, &fmt, err)))
        return rc;
    if (o->kinds && (rc = ctl_parse_kinds(o->kinds, &r->kinds, &r->nkinds, err)))
        return rc;
    in = (ctl_inputs_t){.baseline = o->baseline, .release = o->release, .live = o->live,
                        .ns = o->ns, .max = o->max_bytes, .live_empty_ok = o->kinds != NULL};
    if ((rc = ctl_load_policy(o->policy, &r->pol, err)) ||
        (rc = ctl_load_inputs(&in, &r->rel, &r->live, NULL, err)))
        return rc;
    rc = dg_diff_sets(r->rel->objs, r->live, r->kinds, r->nkinds, r->pol, &r->v, err);
    if (!rc)
        rc = dg_managed_attribute(r->live, &r->v, err);
    if (rc)
        return rc;
    if (fmt == DG_FMT_SARIF &&
        (rc = ctl_sarif_locate(o->baseline, r->rel, &r->v, o->sarif_root, &r->sarif, err)))
        return rc;
    ctx = (dg_report_ctx_t){.release = r->rel->name, .ns = r->rel->ns,
                            .baseline_uri = o->baseline, .live_uri = o->live,
                            .locs = r->sarif.locs, .root_uri = r->sarif.root_uri};
    return dg_report_variances(&r->v, fmt, &ctx, &r->out, err);
}

int ctl_diff_main(int argc, char **argv)
{
    diff_opts_t o = {0};
    diff_run_t r = {0};
    dg_err_t err = {0};
    int rc;

    if ((rc = parse_args(argc, argv, &o)) != 0)
        return ctl_parse_status(rc);
    dg_variances_init(&r.v);
    dg_buf_init(&r.out, 0);
    rc = run(&o, &r, &err);
    rc = ctl_finish(rc, &err, &r.out, r.v.n ? CTL_FOUND : CTL_OK);
    dg_buf_free(&r.out);
    ctl_sarif_free(&r.sarif);
    dg_variances_free(&r.v);
    free(r.kinds);
    dg_objset_free(&r.live);
    dg_policy_free(&r.pol);
    dg_release_free(&r.rel);
    return rc;
}
