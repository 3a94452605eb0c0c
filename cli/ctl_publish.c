/* cli/ctl_publish.c: `driftctl publish`: a rendered baseline into the
 * baseline ConfigMap driftgate reads, printed, or applied with the real
 * kubectl (server-side apply: no last-applied annotation doubling a large
 * render against the 1 MiB ConfigMap limit).
 * SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "publish.h"

static const char usage[] =
    "Usage: driftctl publish [--baseline FILE] -n NS [flags]\n"
    "\n"
    "Turn a rendered release (driftctl render, helm template) into the baseline\n"
    "ConfigMap driftgate enforces: driftgate-baseline.<NS>.<release> in\n"
    "driftgate's baseline namespace (the only place driftgate believes one),\n"
    "labels driftgate.io/baseline, driftgate.io/release and\n"
    "driftgate.io/release-namespace, annotations for revision, chart, source and\n"
    "the SHA-256 digest of the render. Prints it, or applies it with kubectl.\n"
    "\n"
    "  --baseline FILE     the render (default release-baseline.yaml; '-' = stdin)\n"
    "  --release NAME      release name (default: the objects' Helm release)\n"
    "  -n, --namespace NS  the release namespace (required)\n"
    "  --baseline-namespace NS  driftgate's baseline namespace, where the\n"
    "                      ConfigMap goes (default driftgate-system; driftgate's\n"
    "                      --baseline-namespace)\n"
    "  --revision N        the approved revision (default 1)\n"
    "  --chart NAME-VER    chart annotation (default: the objects' helm.sh/chart)\n"
    "  --source SRC        where the render came from: helm-template,\n"
    "                      git:<url>@<sha>, file:<name> (default file:<FILE>)\n"
    "  --gzip              store the render gzip'd in binaryData even when small\n"
    "                      (always done above 900 KiB)\n"
    "  --apply             kubectl apply --server-side it instead of printing\n"
    "  --kubeconfig FILE, --context NAME   passed to kubectl\n"
    "  --kubectl PATH      the kubectl binary (default: $KUBECTL, else kubectl on PATH)\n"
    "  -o, --output FILE   write the ConfigMap here instead of stdout\n"
    "\n"
    "Exit status: 0 published, 1 error.\n";

typedef struct publish_opts {
    const char *baseline, *release, *ns, *output;
    ctl_kube_t kube;
    dg_publish_t p;
    bool apply;
} publish_opts_t;

static int parse_args(int argc, char **argv, publish_opts_t *o)
{
    enum { O_BASELINE = 256, O_RELEASE, O_REVISION, O_CHART, O_SOURCE, O_GZIP, O_APPLY,
           O_KUBECONFIG, O_CONTEXT, O_KUBECTL, O_BASELINE_NS };
    static const struct option longs[] = {
        {"baseline", required_argument, NULL, O_BASELINE},
        {"release", required_argument, NULL, O_RELEASE},
        {"namespace", required_argument, NULL, 'n'},
        {"baseline-namespace", required_argument, NULL, O_BASELINE_NS},
        {"revision", required_argument, NULL, O_REVISION},
        {"chart", required_argument, NULL, O_CHART},
        {"source", required_argument, NULL, O_SOURCE},
        {"gzip", no_argument, NULL, O_GZIP},
        {"apply", no_argument, NULL, O_APPLY},
        {"kubeconfig", required_argument, NULL, O_KUBECONFIG},
        {"context", required_argument, NULL, O_CONTEXT},
        {"kubectl", required_argument, NULL, O_KUBECTL},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "n:o:h", longs, NULL)) != -1) {
        switch (c) {
        case O_BASELINE: o->baseline = optarg; break;
        case O_RELEASE: o->release = optarg; break;
        case 'n': o->ns = optarg; break;
        case O_BASELINE_NS: o->p.baseline_ns = optarg; break;
        case O_REVISION: o->p.revision = optarg; break;
        case O_CHART: o->p.chart = optarg; break;
        case O_SOURCE: o->p.source = optarg; break;
        case O_GZIP: o->p.compress = true; break;
        case O_APPLY: o->apply = true; break;
        case O_KUBECONFIG: o->kube.kubeconfig = optarg; break;
        case O_CONTEXT: o->kube.context = optarg; break;
        case O_KUBECTL: o->kube.kubectl = optarg; break;
        case 'o': o->output = optarg; break;
        case 'h': fputs(usage, stdout); exit(CTL_OK);
        default: return ctl_usage_error("publish", "unknown flag");
        }
    }
    if (optind < argc)
        return ctl_usage_error("publish", "unexpected argument '%s'", argv[optind]);
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
    rc = ctl_exec((char *const *)argv, cm->data, cm->len, &said, err);
    if (said.len)
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
    if ((rc = ctl_read(o->baseline, DG_MAX_MANIFEST_BYTES, &data, &len, err)))
        return rc;
    rc = dg_publish_configmap(data, len, strcmp(o->baseline, "-") ? o->baseline : "<stdin>",
                              &o->p, cm, err);
    free(data);
    if (rc == 0 && o->apply)
        return kubectl_apply(o, cm, err);
    if (rc == 0) {
        FILE *f = o->output ? fopen(o->output, "wb") : stdout;

        if (f == NULL || fwrite(cm->data, 1, cm->len, f) != cm->len ||
            (f != stdout && fclose(f) != 0))
            rc = dg_err_set(err, DG_EIO, "%s: cannot write", o->output ? o->output : "<stdout>");
    }
    return rc;
}

int ctl_publish_main(int argc, char **argv)
{
    publish_opts_t o = {.baseline = "release-baseline.yaml"};
    dg_err_t err = {0};
    dg_buf_t cm;
    int rc;

    if (parse_args(argc, argv, &o))
        return CTL_ERROR;
    dg_buf_init(&cm, 0);
    rc = publish(&o, &cm, &err);
    dg_buf_free(&cm);
    return rc ? ctl_fail(&err) : CTL_OK;
}
