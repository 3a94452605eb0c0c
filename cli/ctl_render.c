/* cli/ctl_render.c: `driftctl render`: the release baseline, rendered by
 * the real `helm template` (or gathered from manifests kept in Git), checked
 * to be a manifest driftgate can read, and written to a file.
 * SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"

enum { O_CHART = 256, O_MANIFESTS, O_RELEASE, O_NS, O_VALUES, O_SET, O_SET_STRING, O_VERSION,
       O_INCLUDE_CRDS, O_HELM, O_OUTPUT };

static const ctl_opt_t opts[] = {
    {"chart", 0, "PATH", O_CHART, "a chart directory, packaged chart or repo/chart"},
    {"manifests", 0, "DIR", O_MANIFESTS, "plain manifests (e.g. a Git checkout) instead of a chart"},
    {"release", 0, "NAME", O_RELEASE, "the release name (required)"},
    {"namespace", 'n', "NS", O_NS, "the release namespace (default \"default\")"},
    {"values", 'f', "FILE", O_VALUES, "a values file for helm; repeatable, later wins;\n"
                                      "'-' = stdin"},
    {"set", 0, "K=V", O_SET, "a value for helm; repeatable"},
    {"set-string", 0, "K=V", O_SET_STRING, "a string value for helm; repeatable"},
    {"version", 0, "VER", O_VERSION, "chart version, for a chart from a repository"},
    {"include-crds", 0, NULL, O_INCLUDE_CRDS, "the chart's CRDs too (helm template --include-crds)"},
    {"helm", 0, "PATH", O_HELM, "the helm binary (default: $HELM, else helm on PATH)"},
    {"output", 'o', "FILE", O_OUTPUT, "where to write (default release-baseline.yaml);\n"
                                      "'-' = stdout"},
    {NULL, 0, NULL, 0, NULL},
};

const ctl_cmd_t ctl_render_cmd = {
    "render",
    "Usage: driftctl render (--chart PATH | --manifests DIR) --release NAME -n NS [flags]\n"
    "\n"
    "Render the release baseline: what the release should look like in the\n"
    "cluster. With --chart, runs `helm template NAME PATH --namespace NS` with the\n"
    "values given; with --manifests, gathers every *.yaml, *.yml and *.json under\n"
    "DIR (sorted, recursively). The result is checked to be a manifest driftgate\n"
    "can read, then written to --output.\n",
    opts,
    "Exit status: 0 rendered, 1 error.\n",
};

#define MAX_VALUES 64

typedef struct render_opts {
    const char *chart, *manifests, *release, *ns, *version, *helm, *output;
    const char *values[MAX_VALUES * 2]; /* flag, value pairs passed on to helm */
    size_t nvalues;
    bool include_crds;
} render_opts_t;

static int parse_args(int argc, char **argv, render_opts_t *o)
{
    ctl_args_t a = {argc, argv, 1, NULL};
    int c, stdins = 0;

    while ((c = ctl_opts_next(&ctl_render_cmd, &a)) > 0) {
        const char *flag = c == O_VALUES ? "--values" : c == O_SET ? "--set"
                         : c == O_SET_STRING ? "--set-string" : NULL;

        if (flag) {
            if (o->nvalues == MAX_VALUES * 2)
                return ctl_usage_error("render", "more than %d values flags", MAX_VALUES);
            o->values[o->nvalues++] = flag;
            o->values[o->nvalues++] = a.val;
            stdins += c == O_VALUES && ctl_stdio(a.val);
            continue;
        }
        switch (c) {
        case O_CHART: o->chart = a.val; break;
        case O_MANIFESTS: o->manifests = a.val; break;
        case O_RELEASE: o->release = a.val; break;
        case O_NS: o->ns = a.val; break;
        case O_VERSION: o->version = a.val; break;
        case O_INCLUDE_CRDS: o->include_crds = true; break;
        case O_HELM: o->helm = a.val; break;
        case O_OUTPUT: o->output = a.val; break;
        }
    }
    if (c < 0)
        return c;
    if (!o->chart == !o->manifests)
        return ctl_usage_error("render", "give exactly one of --chart and --manifests");
    if (o->release == NULL)
        return ctl_usage_error("render", "--release is required");
    if (o->manifests && (o->nvalues || o->version || o->include_crds))
        return ctl_usage_error("render", "values, --version and --include-crds apply to "
                                         "--chart only");
    if (stdins > 1)
        return ctl_usage_error("render", "only one --values can be '-' (stdin)");
    return 0;
}

static int helm_template(const render_opts_t *o, dg_buf_t *out, dg_err_t *err)
{
    const char *helm = ctl_tool(o->helm, "HELM", "helm");
    const char *argv[16 + MAX_VALUES * 2];
    char *in = NULL;
    size_t n = 0, inlen = 0;
    int rc = 0;

    argv[n++] = helm;
    argv[n++] = "template";
    argv[n++] = o->release;
    argv[n++] = o->chart;
    argv[n++] = "--namespace";
    argv[n++] = o->ns;
    if (o->version) {
        argv[n++] = "--version";
        argv[n++] = o->version;
    }
    if (o->include_crds)
        argv[n++] = "--include-crds";
    for (size_t i = 0; i < o->nvalues; i++)
        argv[n++] = o->values[i];
    argv[n] = NULL;
    /* "-f -": helm reads the values from its stdin, which is ours. */
    for (size_t i = 0; i + 1 < o->nvalues && !in; i += 2)
        if (strcmp(o->values[i], "--values") == 0 && ctl_stdio(o->values[i + 1]) &&
            (rc = ctl_read("--values", "-", DG_MAX_MANIFEST_BYTES, &in, &inlen, err)))
            return rc;
    rc = ctl_exec((char *const *)argv, in, inlen, out, NULL, err);
    free(in);
    if (rc) {
        char why[sizeof err->msg];

        snprintf(why, sizeof why, "%s", err->msg);
        err->code = 0; /* the first error set wins; this one says more */
        return dg_err_set(err, rc, "helm template %s %s: %s", o->release, o->chart, why);
    }
    return 0;
}

static bool manifest_name(const char *name)
{
    const char *dot = strrchr(name, '.');

    return dot && (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0 ||
                   strcmp(dot, ".json") == 0);
}

/* Append one manifest file after a "# Source:" line, as helm prints; it is
 * read once and checked on its own, so an error names this file. */
static int add_file(const char *path, const char *ns, dg_buf_t *out, dg_err_t *err)
{
    dg_manifest_opts_t mo = {.name = path, .default_ns = ns};
    dg_objset_t *set = dg_objset_new();
    char *data = NULL;
    size_t len;
    int rc = set ? ctl_read("--manifests", path, DG_MAX_MANIFEST_BYTES, &data, &len, err)
                 : dg_err_set(err, DG_ENOMEM, "out of memory");

    if (rc == 0 && (rc = dg_manifest_load(data, len, &mo, set, NULL, err)) == 0)
        rc = dg_buf_printf(out, "---\n# Source: %s\n", path) || dg_buf_append(out, data, len) ||
                     (len && data[len - 1] != '\n' && dg_buf_puts(out, "\n"))
                 ? dg_err_set(err, DG_ENOMEM, "out of memory")
                 : 0;
    free(data);
    dg_objset_free(&set);
    return rc;
}

/* Append every manifest under @dir, sorted by name, each after a "# Source:"
 * line (add_file). */
static int gather(const char *dir, const char *ns, dg_buf_t *out, dg_err_t *err)
{
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort), rc = 0;

    if (n < 0)
        return dg_err_set(err, DG_EIO, "--manifests %s: %s", dir, strerror(errno));
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        char path[4096];
        struct stat st;

        if (rc || name[0] == '.' ||
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path ||
            stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            rc = gather(path, ns, out, err);
        else if (S_ISREG(st.st_mode) && manifest_name(name)) {
            rc = add_file(path, ns, out, err);
        }
    }
    for (int i = 0; i < n; i++)
        free(ents[i]);
    free(ents);
    return rc;
}

/* Render and check; *@nobjs governed objects, *@nhooks Helm hooks (kept in
 * the file, as helm keeps them, but never governed). */
static int render(const render_opts_t *o, dg_buf_t *text, size_t *nobjs, size_t *nhooks,
                  dg_err_t *err)
{
    dg_manifest_opts_t mo = {.name = o->chart ? "helm template output" : o->manifests,
                             .default_ns = o->ns};
    dg_manifest_info_t info = {0};
    dg_objset_t *set = dg_objset_new();
    int rc;

    if (set == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    rc = o->chart ? helm_template(o, text, err) : gather(o->manifests, o->ns, text, err);
    if (!rc)
        rc = dg_manifest_load(text->data ? text->data : "", text->len, &mo, set, &info, err);
    *nobjs = dg_objset_count(set);
    *nhooks = info.hooks;
    dg_objset_free(&set);
    dg_manifest_info_free(&info);
    if (!rc && *nobjs == 0)
        rc = dg_err_set(err, DG_EINVAL, "%s rendered no objects%s",
                        o->chart ? o->chart : o->manifests,
                        *nhooks ? " but Helm hooks, which are not governed" : "");
    return rc;
}

int ctl_render_main(int argc, char **argv)
{
    render_opts_t o = {.ns = "default", .output = "release-baseline.yaml"};
    dg_err_t err = {0};
    dg_buf_t text;
    size_t nobjs = 0, nhooks = 0;
    int rc;

    if ((rc = parse_args(argc, argv, &o)) != 0)
        return ctl_parse_status(rc);
    dg_buf_init(&text, DG_MAX_MANIFEST_BYTES);
    rc = render(&o, &text, &nobjs, &nhooks, &err);
    if (!rc)
        rc = ctl_write("--output", o.output, &text, &err);
    dg_buf_free(&text);
    if (rc)
        return ctl_fail(&err);
    fprintf(stderr, "rendered release %s (namespace %s): %zu objects into %s", o.release, o.ns,
            nobjs, ctl_stdio(o.output) ? "<stdout>" : o.output);
    if (nhooks)
        fprintf(stderr, ", and %zu Helm hook%s (helm.sh/hook) kept in the file but not governed",
                nhooks, nhooks == 1 ? "" : "s");
    fputc('\n', stderr);
    return CTL_OK;
}
