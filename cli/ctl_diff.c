/* cli/ctl_diff.c: `driftctl diff`: governed drift between a release
 * baseline and a live snapshot. SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "diff.h"
#include "report.h"

static const char usage[] =
    "Usage: driftctl diff --baseline FILE --live FILE [flags]\n"
    "\n"
    "Show governed drift: every governed path whose live value differs from the\n"
    "release baseline, and governed objects missing from the snapshot.\n"
    "\n"
    "  --baseline FILE   rendered release (helm template output, or a baseline\n"
    "                    ConfigMap from driftctl publish); '-' reads stdin\n"
    "  --live FILE       live evidence (kubectl get ... -o yaml)\n"
    "  --policy FILE     DriftPolicy (default: the built-in policy)\n"
    "  -n, --namespace NS  namespace for objects without one (default \"default\")\n"
    "  --release NAME    release name shown in reports\n"
    "  --kinds LIST      kinds the snapshot covers, e.g. hpa,svc (default: the\n"
    "                    kinds present in it); only these can be 'missing'\n"
    "  -o, --output FMT  table (default), json, yaml, markdown, sarif\n"
    "  --sarif-root DIR  the repository root SARIF paths are relative to\n"
    "                    (default: the current directory)\n"
    "  --max-bytes N     refuse inputs larger than N bytes (default 64Mi)\n"
    "\n"
    "Exit status: 0 no drift, 2 drift found, 1 error.\n";

typedef struct diff_opts {
    const char *baseline, *live, *policy, *ns, *release, *kinds, *output, *sarif_root;
    size_t max_bytes;
} diff_opts_t;

static int parse_args(int argc, char **argv, diff_opts_t *o)
{
    enum { O_BASELINE = 256, O_LIVE, O_POLICY, O_RELEASE, O_KINDS, O_MAX, O_SARIF_ROOT };
    static const struct option longs[] = {
        {"baseline", required_argument, NULL, O_BASELINE},
        {"live", required_argument, NULL, O_LIVE},
        {"policy", required_argument, NULL, O_POLICY},
        {"namespace", required_argument, NULL, 'n'},
        {"release", required_argument, NULL, O_RELEASE},
        {"kinds", required_argument, NULL, O_KINDS},
        {"output", required_argument, NULL, 'o'},
        {"max-bytes", required_argument, NULL, O_MAX},
        {"sarif-root", required_argument, NULL, O_SARIF_ROOT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    dg_err_t err = {0};
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "n:o:h", longs, NULL)) != -1) {
        switch (c) {
        case O_BASELINE: o->baseline = optarg; break;
        case O_LIVE: o->live = optarg; break;
        case O_POLICY: o->policy = optarg; break;
        case 'n': o->ns = optarg; break;
        case O_RELEASE: o->release = optarg; break;
        case O_KINDS: o->kinds = optarg; break;
        case 'o': o->output = optarg; break;
        case O_SARIF_ROOT: o->sarif_root = optarg; break;
        case O_MAX:
            if (ctl_parse_size(optarg, &o->max_bytes, &err))
                return ctl_usage_error("diff", "--max-bytes: %s", err.msg);
            break;
        case 'h': fputs(usage, stdout); exit(CTL_OK);
        default: return ctl_usage_error("diff", "unknown flag");
        }
    }
    if (optind < argc)
        return ctl_usage_error("diff", "unexpected argument '%s'", argv[optind]);
    if (o->baseline == NULL || o->live == NULL)
        return ctl_usage_error("diff", "--baseline and --live are required");
    if (strcmp(o->baseline, "-") == 0 && strcmp(o->live, "-") == 0)
        return ctl_usage_error("diff", "only one of --baseline and --live can read stdin");
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
    dg_format_t fmt = DG_FMT_TABLE;
    int rc;

    if (o->output && (rc = dg_format_parse(o->output, &fmt, err)))
        return rc;
    if (o->kinds && (rc = ctl_parse_kinds(o->kinds, &r->kinds, &r->nkinds, err)))
        return rc;
    if ((rc = ctl_load_policy(o->policy, &r->pol, err)) ||
        (rc = ctl_load_pair(o->baseline, o->release, o->live, o->ns, o->max_bytes, &r->rel,
                            &r->live, err)))
        return rc;
    rc = dg_diff_sets(r->rel->objs, r->live, r->kinds, r->nkinds, r->pol, &r->v, err);
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

    if (parse_args(argc, argv, &o))
        return CTL_ERROR;
    dg_variances_init(&r.v);
    dg_buf_init(&r.out, 0);
    rc = run(&o, &r, &err);
    if (rc)
        rc = ctl_fail(&err);
    else {
        fwrite(r.out.data ? r.out.data : "", 1, r.out.len, stdout);
        rc = r.v.n ? CTL_FOUND : CTL_OK;
    }
    dg_buf_free(&r.out);
    ctl_sarif_free(&r.sarif);
    dg_variances_free(&r.v);
    free(r.kinds);
    dg_objset_free(&r.live);
    dg_policy_free(&r.pol);
    dg_release_free(&r.rel);
    return rc;
}
