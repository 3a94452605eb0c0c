/* cli/ctl_publish.c: `driftctl publish`: a rendered baseline into the
 * baseline ConfigMap driftgate reads, printed, or applied with the real
 * kubectl (server-side apply: no last-applied annotation doubling a large
 * render against the 1 MiB ConfigMap limit).
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "publish.h"

enum { O_BASELINE = 256, O_RELEASE, O_NS, O_BASELINE_NS, O_REVISION, O_CHART, O_SOURCE, O_GZIP,
       O_APPLY, O_OUTPUT };

static const ctl_opt_t opts[] = {
    {"baseline", 0, "FILE", O_BASELINE, "the render (default release-baseline.yaml);\n"
                                        "'-' = stdin"},
    {"release", 0, "NAME", O_RELEASE, "release name (default: the objects' Helm release)"},
    {"namespace", 'n', "NS", O_NS, "the release namespace (required)"},
    {"baseline-namespace", 0, "NS", O_BASELINE_NS,
     "driftgate's baseline namespace, where the\n"
     "ConfigMap goes (default driftgate-system; driftgate's\n"
     "--baseline-namespace)"},
    {"revision", 0, "N", O_REVISION, "the approved revision (default 1)"},
    {"chart", 0, "NAME-VER", O_CHART, "chart annotation (default: the objects' helm.sh/chart)"},
    {"source", 0, "SRC", O_SOURCE, "where the render came from; helm-template,\n"
                                   "git:<url>@<sha>, file:<name> (default file:<FILE>)"},
    {"gzip", 0, NULL, O_GZIP, "store the render gzip'd in binaryData even when small\n"
                              "(always done above 900 KiB)"},
    {"apply", 0, NULL, O_APPLY, "kubectl apply --server-side it instead of printing"},
    CTL_KUBE_OPTS,
    {"output", 'o', "FILE", O_OUTPUT, "write the ConfigMap here; '-' = stdout (the default)"},
    {NULL, 0, NULL, 0, NULL},
};

const ctl_cmd_t ctl_publish_cmd = {
    "publish",
    "Usage: driftctl publish [--baseline FILE] -n NS [flags]\n"
    "\n"
    "Turn a rendered release (driftctl render, helm template) into the baseline\n"
    "ConfigMap driftgate enforces: driftgate-baseline.<NS>.<release> in\n"
    "driftgate's baseline namespace (the only place driftgate believes one),\n"
    "labels driftgate.io/baseline, driftgate.io/release and\n"
    "driftgate.io/release-namespace, annotations for revision, chart, source and\n"
    "the SHA-256 digest of the render. Prints it, or applies it with kubectl.\n",
    opts,
    "Exit status: 0 published, 1 error.\n",
};

typedef struct publish_opts {
    const char *baseline, *release, *ns, *output;
    ctl_kube_t kube;
    dg_publish_t p;
    bool apply;
} publish_opts_t;

static int parse_args(int argc, char **argv, publish_opts_t *o)
{
    ctl_args_t a = {argc, argv, 1, NULL};
    int c;

    while ((c = ctl_opts_next(&ctl_publish_cmd, &a)) > 0) {
        switch (c) {
        case O_BASELINE: o->baseline = a.val; break;
        case O_RELEASE: o->release = a.val; break;
        case O_NS: o->ns = a.val; break;
        case O_BASELINE_NS: o->p.baseline_ns = a.val; break;
        case O_REVISION: o->p.revision = a.val; break;
        case O_CHART: o->p.chart = a.val; break;
        case O_SOURCE: o->p.source = a.val; break;
        case O_GZIP: o->p.compress = true; break;
        case O_APPLY: o->apply = true; break;
        default: (void)ctl_kube_opt(&o->kube, c, a.val); break;
        case O_OUTPUT: o->output = a.val; break;
        }
    }
    if (c < 0)
        return c;
    if (o->ns == NULL)
        return ctl_usage_error("publish", "-n/--namespace (the release namespace) is required");
    if (o->p.revision && strspn(o->p.revision, "0123456789") != strlen(o->p.revision))
        return ctl_usage_error("publish", "--revision '%s' is not a number", o->p.revision);
    if (o->apply && o->output)
        return ctl_usage_error("publish", "--apply and --output exclude each other");
    return 0;
}

static int kubectl_apply(const publish_opts_t *o, const dg_buf_t *cm, dg_err_t *err)
{
    const char *argv[12] = {ctl_tool(o->kube.kubectl, "KUBECTL", "kubectl"), "apply",
                            "--server-side", "--field-manager=driftctl",
                            "--force-conflicts", "-f", "-"};
    size_t n = 7;
    dg_buf_t said;
    int rc;

    ctl_kube_flags(&o->kube, argv, &n);
    dg_buf_init(&said, 1 << 20);
    rc = ctl_kubectl((char *const *)argv, cm->data, cm->len, &said, NULL, err);
    if (rc == 0 && said.len)
        fwrite(said.data, 1, said.len, stdout);
    dg_buf_free(&said);
    return rc;
}

static int publish(publish_opts_t *o, dg_buf_t *cm, dg_err_t *err)
{
    char *data, source[4200];
    size_t len;
    int rc;

    o->p.release = o->release;
    o->p.ns = o->ns;
    if (o->p.source == NULL) {
        snprintf(source, sizeof source, "file:%s",
                 strcmp(o->baseline, "-") == 0 ? "stdin" : o->baseline);
        o->p.source = source;
    }
    if ((rc = ctl_read("--baseline", o->baseline, DG_MAX_MANIFEST_BYTES, &data, &len, err)))
        return rc;
    rc = dg_publish_configmap(data, len, strcmp(o->baseline, "-") ? o->baseline : "<stdin>",
                              &o->p, cm, err);
    free(data);
    if (rc == 0 && o->apply)
        return kubectl_apply(o, cm, err);
    if (rc == 0)
        rc = ctl_write("--output", o->output ? o->output : "-", cm, err);
    return rc;
}

int ctl_publish_main(int argc, char **argv)
{
    publish_opts_t o = {.baseline = "release-baseline.yaml"};
    dg_err_t err = {0};
    dg_buf_t cm;
    int rc;

    if ((rc = parse_args(argc, argv, &o)) != 0)
        return ctl_parse_status(rc);
    dg_buf_init(&cm, 0);
    rc = publish(&o, &cm, &err);
    dg_buf_free(&cm);
    return ctl_finish(rc, &err, NULL, CTL_OK);
}
