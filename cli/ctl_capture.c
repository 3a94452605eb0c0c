/* cli/ctl_capture.c: `driftctl capture`: live evidence for a release, read
 * with the real kubectl: the governed objects the baseline names, as
 * `kubectl get TYPE/NAME... -o yaml` prints them, one List per namespace.
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

enum { O_BASELINE = 256, O_NS, O_POLICY, O_ALL, O_OUTPUT };

static const ctl_opt_t opts[] = {
    {"baseline", 0, "FILE", O_BASELINE, "the rendered release, or its baseline ConfigMap;\n"
                                        "'-' = stdin"},
    {"namespace", 'n', "NS", O_NS, "the release namespace, for objects without one\n"
                                   "(default: the baseline's, else \"default\")"},
    {"policy", 0, "FILE", O_POLICY, "DriftPolicy deciding what is governed (default:\n"
                                    "built-in); '-' = stdin"},
    {"all", 0, NULL, O_ALL, "every object of the baseline, governed or not"},
    CTL_KUBE_OPTS,
    {"output", 'o', "FILE", O_OUTPUT, "where to write (default live-snapshot.yaml);\n"
                                      "'-' = stdout"},
    {NULL, 0, NULL, 0, NULL},
};

const ctl_cmd_t ctl_capture_cmd = {
    "capture",
    "Usage: driftctl capture --baseline FILE [-n NS] [flags]\n"
    "\n"
    "Read the live state of the objects a release baseline governs with\n"
    "`kubectl get TYPE/NAME... -o yaml` and write it as live evidence for\n"
    "driftctl diff. Objects the cluster does not have are left out (diff\n"
    "reports them missing when given the --kinds this command prints).\n",
    opts,
    "Exit status: 0 captured, 1 error.\n",
};

typedef struct capture_opts {
    const char *baseline, *ns, *policy, *output;
    ctl_kube_t kube;
    bool all;
} capture_opts_t;

static int parse_args(int argc, char **argv, capture_opts_t *o)
{
    ctl_args_t a = {argc, argv, 1, NULL};
    int c;

    while ((c = ctl_opts_next(&ctl_capture_cmd, &a)) > 0) {
        switch (c) {
        case O_BASELINE: o->baseline = a.val; break;
        case O_NS: o->ns = a.val; break;
        case O_POLICY: o->policy = a.val; break;
        case O_ALL: o->all = true; break;
        default: (void)ctl_kube_opt(&o->kube, c, a.val); break;
        case O_OUTPUT: o->output = a.val; break;
        }
    }
    if (c < 0)
        return c;
    if (o->baseline == NULL)
        return ctl_usage_error("capture", "--baseline is required");
    if (ctl_stdio(o->baseline) && ctl_stdio(o->policy))
        return ctl_usage_error("capture", "only one of --baseline and --policy can be '-' "
                                          "(stdin)");
    return 0;
}

/* The objects to read, "resource.group/name" as kubectl takes them, and the
 * kinds they cover (short names, comma-separated, for diff --kinds). */
typedef struct targets {
    const char **names; /* malloced strings */
    const char **nss;   /* each name's namespace (borrowed from the release) */
    size_t n;
    dg_buf_t kinds;
    dg_gk_t *gks;       /* the same kinds, as diff takes them; malloced */
    size_t ngks;
} targets_t;

static void targets_free(targets_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        free((void *)t->names[i]);
    free(t->names);
    free(t->nss);
    free(t->gks);
    dg_buf_free(&t->kinds);
}

static int add_kind(targets_t *t, const dg_kindinfo_t *ki)
{
    const char *k = ki->shortname ? ki->shortname : ki->resource;
    char item[128];

    snprintf(item, sizeof item, ",%s,", k);
    if (t->kinds.len && strstr(t->kinds.data, item))
        return 0;
    t->gks[t->ngks++] = (dg_gk_t){ki->group, ki->kind};
    if (t->kinds.len == 0 && dg_buf_puts(&t->kinds, ","))
        return DG_ENOMEM;
    return dg_buf_printf(&t->kinds, "%s,", k) ? DG_ENOMEM : 0;
}

int ctl_kube_name(const dg_objid_t *id, char *buf, size_t size, dg_err_t *err)
{
    const dg_kindinfo_t *ki = dg_kind_by_kind(id->group, id->kind);

    if (ki == NULL) /* a kind kubectl may not know by this name: say which */
        return dg_err_set(err, DG_EINVAL, "kind %s%s%s is not one driftctl can name to kubectl",
                          id->kind, id->group[0] ? "." : "", id->group);
    snprintf(buf, size, "%s%s%s/%s", ki->resource, id->group[0] ? "." : "", id->group, id->name);
    return 0;
}

static int collect(const dg_release_t *rel, const dg_policy_t *pol, bool all, targets_t *t,
                   dg_err_t *err)
{
    size_t n = dg_objset_count(rel->objs);

    t->names = calloc(n ? n : 1, sizeof *t->names);
    t->nss = calloc(n ? n : 1, sizeof *t->nss);
    t->gks = calloc(n ? n : 1, sizeof *t->gks);
    if (!t->names || !t->nss || !t->gks)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const dg_objid_t *id = &dg_objset_at(rel->objs, i)->id;
        char name[600];
        dg_err_t why = {0};

        if (!all && !dg_policy_governs(pol, id->group, id->kind))
            continue;
        if (ctl_kube_name(id, name, sizeof name, &why))
            return dg_err_set(err, DG_EINVAL, "%s: %s; leave it out of --all", rel->source, why.msg);
        if ((t->names[t->n] = strdup(name)) == NULL ||
            add_kind(t, dg_kind_by_kind(id->group, id->kind)))
            return dg_err_set(err, DG_ENOMEM, "out of memory");
        t->nss[t->n++] = id->ns;
    }
    if (t->n == 0)
        return dg_err_set(err, DG_EINVAL, "%s governs no object%s", rel->source,
                          all ? "" : " under the policy (--all reads every object)");
    return 0;
}

/* One `kubectl get` per namespace; their Lists, one after another. */
static int kubectl_get(const ctl_kube_t *kube, const targets_t *t, dg_buf_t *out, dg_err_t *err)
{
    const char *kubectl = ctl_tool(kube->kubectl, "KUBECTL", "kubectl");
    const char **argv = calloc(t->n + 16, sizeof *argv);
    int rc = 0;

    if (argv == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    for (size_t i = 0; i < t->n && !rc; i++) {
        size_t a = 0;
        bool first = true;

        for (size_t j = 0; j < i; j++)
            first = first && strcmp(t->nss[j], t->nss[i]) != 0;
        if (!first)
            continue; /* this namespace was read with an earlier object */
        argv[a++] = kubectl;
        argv[a++] = "get";
        for (size_t j = i; j < t->n; j++)
            if (strcmp(t->nss[j], t->nss[i]) == 0)
                argv[a++] = t->names[j];
        if (t->nss[i][0]) {
            argv[a++] = "--namespace";
            argv[a++] = t->nss[i];
        }
        argv[a++] = "--ignore-not-found";
        /* kubectl hides managedFields since 1.21; they say who changed what. */
        argv[a++] = "--show-managed-fields";
        argv[a++] = "-o";
        argv[a++] = "yaml";
        ctl_kube_flags(kube, argv, &a);
        argv[a] = NULL;
        if (dg_buf_puts(out, "---\n"))
            rc = dg_err_set(err, DG_ENOMEM, "out of memory");
        else
            rc = ctl_kubectl((char *const *)argv, NULL, 0, out, NULL, err);
    }
    free(argv);
    return rc;
}

void ctl_live_free(ctl_live_t *l)
{
    dg_objset_free(&l->objs);
    free(l->kinds);
    free(l->kinds_text);
    memset(l, 0, sizeof *l);
}

int ctl_capture_live(const dg_release_t *rel, const dg_policy_t *pol, bool all,
                     const ctl_kube_t *kube, dg_buf_t *raw, ctl_live_t *out, dg_err_t *err)
{
    dg_manifest_opts_t mo = {.name = "kubectl get output", .default_ns = rel->ns, .uncapped = true,
                             .keep_managed = true};
    targets_t t = {0};
    dg_buf_t mine, *b = raw ? raw : &mine;
    int rc;

    memset(out, 0, sizeof *out);
    dg_buf_init(&mine, DG_MAX_MANIFEST_BYTES);
    dg_buf_init(&t.kinds, 0);
    if ((rc = collect(rel, pol, all, &t, err)) || (rc = kubectl_get(kube, &t, b, err)))
        goto out;
    /* What kubectl printed must read back as the snapshot diff will read. */
    if ((out->objs = dg_objset_new()) == NULL)
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    else
        rc = dg_manifest_load(b->data ? b->data : "", b->len, &mo, out->objs, NULL, err);
    if (rc)
        goto out;
    t.kinds.data[t.kinds.len - 1] = '\0';
    out->wanted = t.n;
    out->kinds = t.gks;
    out->nkinds = t.ngks;
    t.gks = NULL;
    if ((out->kinds_text = strdup(t.kinds.data + 1)) == NULL)
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
out:
    if (rc)
        ctl_live_free(out);
    dg_buf_free(&mine);
    targets_free(&t);
    return rc;
}

static int capture(const capture_opts_t *o, dg_err_t *err)
{
    dg_release_t *rel = NULL;
    dg_policy_t *pol = NULL;
    ctl_live_t live = {0};
    dg_buf_t out;
    int rc;

    dg_buf_init(&out, DG_MAX_MANIFEST_BYTES);
    if ((rc = ctl_load_policy(o->policy, &pol, err)) ||
        (rc = ctl_load_release(o->baseline, o->ns, 0, &rel, err)) ||
        (rc = ctl_capture_live(rel, pol, o->all, &o->kube, &out, &live, err)) ||
        (rc = ctl_write("--output", o->output, &out, err)))
        goto out;
    fprintf(stderr, "captured %zu of %zu governed objects of release %s into %s; "
                    "diff with --kinds %s\n",
            dg_objset_count(live.objs), live.wanted, rel->name,
            strcmp(o->output, "-") == 0 ? "<stdout>" : o->output, live.kinds_text);
out:
    ctl_live_free(&live);
    dg_buf_free(&out);
    dg_release_free(&rel);
    dg_policy_free(&pol);
    return rc;
}

int ctl_capture_main(int argc, char **argv)
{
    capture_opts_t o = {.output = "live-snapshot.yaml"};
    dg_err_t err = {0};
    int rc;

    if ((rc = parse_args(argc, argv, &o)) != 0)
        return ctl_parse_status(rc);
    return ctl_finish(capture(&o, &err), &err, NULL, CTL_OK);
}
