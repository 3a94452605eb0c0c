/* cli/ctl_fetch.c: the baseline driftgate judges a release by, read from
 * the cluster with the real kubectl, from where driftgate believes it: a
 * published baseline ConfigMap in the trusted baseline namespace, else
 * Helm's own latest deployed release record (ConfigMap or Secret driver),
 * decoded with libdrift's Helm decoder. Also who kubectl acts as.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "ctl.h"
#include "helm.h"

/* `kubectl get KIND -n NS -l SELECTOR -o json`: the List, parsed. */
static int kubectl_list(const ctl_kube_t *kube, const char *kind, const char *ns,
                        const char *selector, json_t **list, dg_err_t *err)
{
    const char *argv[16] = {ctl_tool(kube->kubectl, "KUBECTL", "kubectl"), "get", kind,
                            "--namespace", ns, "-l", selector, "-o", "json"};
    size_t n = 9;
    json_error_t jerr;
    dg_buf_t out;
    int rc;

    ctl_kube_flags(kube, argv, &n);
    dg_buf_init(&out, DG_MAX_MANIFEST_BYTES);
    rc = ctl_kubectl((char *const *)argv, NULL, 0, &out, NULL, err);
    if (!rc) {
        *list = json_loadb(out.data ? out.data : "", out.len, 0, &jerr);
        if (!json_is_array(json_object_get(*list, "items")))
            rc = dg_err_set(err, DG_EPARSE, "kubectl get %s -n %s -l %s printed no List: %s", kind,
                            ns, selector, jerr.text);
    }
    dg_buf_free(&out);
    if (rc) {
        json_decref(*list);
        *list = NULL;
    }
    return rc;
}

/* ---- a published baseline ------------------------------------------------------------ */

static int published(const json_t *cm, const char *name, const char *ns, dg_release_t **rel,
                     dg_err_t *err)
{
    json_t *meta = json_object_get(cm, "metadata");
    char *text = json_dumps(cm, JSON_COMPACT), where[300];
    dg_manifest_info_t info = {0};
    dg_manifest_opts_t opts = {.name = where, .default_ns = ns};
    int rc;

    snprintf(where, sizeof where, "configmap %s/%s",
             json_string_value(json_object_get(meta, "namespace")),
             json_string_value(json_object_get(meta, "name")));
    if (text == NULL || (*rel = dg_release_new(name, ns)) == NULL) {
        free(text);
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    }
    /* The loader unwraps it and checks its digest, as driftgate does. */
    rc = dg_manifest_load(text, strlen(text), &opts, (*rel)->objs, &info, err);
    free(text);
    if (!rc) {
        (*rel)->origin = DG_RELSRC_PUBLISHED;
        (*rel)->revision = info.revision ? strtol(info.revision, NULL, 10) : 0;
        (*rel)->chart = info.chart ? strdup(info.chart) : NULL;
        (*rel)->source = strdup(info.source ? info.source : where);
        if (info.digest)
            (*rel)->digest = strdup(info.digest);
        if (dg_release_confine(*rel) < 0)
            rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    }
    dg_manifest_info_free(&info);
    if (rc)
        dg_release_free(rel);
    return rc;
}

/* ---- Helm's records ------------------------------------------------------------------ */

static void free_records(dg_helm_record_t *recs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dg_helm_record_free(&recs[i]);
    free(recs);
}

/* The digest of the deployed revision's manifest: what a publish of it
 * would stamp, so a saved plan can tell when the release moved on. */
static int helm_digest(dg_release_t *rel, const dg_helm_record_t *recs, size_t n)
{
    char d[72];

    for (size_t i = 0; i < n; i++)
        if (recs[i].version == rel->revision && recs[i].manifest) {
            dg_codec_digest(recs[i].manifest, strlen(recs[i].manifest), d);
            return (rel->digest = strdup(d)) ? 0 : DG_ENOMEM;
        }
    return 0;
}

static int from_records(const json_t *items, const char *name, dg_release_t **rel, dg_err_t *err)
{
    size_t n = json_array_size(items), m = 0;
    dg_helm_record_t *recs = calloc(n ? n : 1, sizeof *recs);
    const dg_helm_record_t **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    int rc = recs && ptrs ? 0 : dg_err_set(err, DG_ENOMEM, "out of memory");

    for (size_t i = 0; i < n && !rc; i++) {
        dg_err_t why = {0};

        /* A corrupt record is skipped, as driftgate skips it. */
        /* NULL: driftgate's own bounds on a record and on its release. */
        rc = dg_helm_decode(json_array_get(items, i), NULL, &recs[m], &why);
        if (rc) /* what it decoded before it failed */
            dg_helm_record_free(&recs[m]);
        if (rc == DG_ENOMEM) {
            rc = dg_err_set(err, rc, "%s", why.msg);
        } else if (rc) {
            fprintf(stderr, "driftctl: warning: %s; skipped\n", why.msg);
            rc = 0;
        } else {
            ptrs[m] = &recs[m];
            m++;
        }
    }
    /* Nothing readable: no baseline from this driver (*@rel stays NULL). */
    if (!rc && m) {
        dg_err_t why = {0};

        rc = dg_helm_release(ptrs, m, rel, &why);
        if (rc == DG_ENOTFOUND) /* only failed or superseded revisions: none deployed */
            rc = 0;
        else if (rc)
            dg_err_set(err, rc, "%s", why.msg);
    }
    if (!rc && *rel && (*rel)->pending)
        rc = dg_err_set(err, DG_EINVAL, "release %s/%s has revision %ld %s: Helm is changing it "
                        "now; reconcile once it is deployed", (*rel)->ns, name,
                        (*rel)->pending_revision, (*rel)->pending_status);
    if (!rc && *rel && helm_digest(*rel, recs, m))
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    if (rc)
        dg_release_free(rel);
    free_records(recs, m);
    free(ptrs);
    return rc;
}

/* Helm's records of @name: the ConfigMap driver's, else the Secret
 * driver's (Helm's default; reading them takes RBAC on Secrets). */
static int helm_records(const ctl_kube_t *kube, const char *name, const char *ns,
                        dg_release_t **rel, dg_err_t *err)
{
    static const char *const kinds[] = {"configmaps", "secrets"};
    char selector[300];
    json_t *list = NULL;
    int rc = 0;

    snprintf(selector, sizeof selector, "owner=helm,name=%s", name);
    for (size_t i = 0; i < 2 && !rc && *rel == NULL; i++) {
        rc = kubectl_list(kube, kinds[i], ns, selector, &list, err);
        if (!rc && json_array_size(json_object_get(list, "items")))
            rc = from_records(json_object_get(list, "items"), name, rel, err);
        json_decref(list);
        list = NULL;
    }
    return rc;
}

int ctl_fetch_baseline(const ctl_kube_t *kube, const char *name, const char *ns,
                       const char *baseline_ns, dg_release_t **rel, dg_err_t *err)
{
    json_t *list = NULL, *items;
    char selector[600];
    int rc;

    *rel = NULL;
    snprintf(selector, sizeof selector,
             "driftgate.io/baseline=true,driftgate.io/release=%s,driftgate.io/release-namespace=%s",
             name, ns);
    rc = kubectl_list(kube, "configmaps", baseline_ns, selector, &list, err);
    items = json_object_get(list, "items");
    if (!rc && json_array_size(items) > 1)
        rc = dg_err_set(err, DG_EINVAL, "%zu baseline ConfigMaps in %s claim release %s/%s; "
                        "keep one", json_array_size(items), baseline_ns, ns, name);
    else if (!rc && json_array_size(items) == 1)
        rc = published(json_array_get(items, 0), name, ns, rel, err);
    json_decref(list);
    if (!rc && *rel == NULL)
        rc = helm_records(kube, name, ns, rel, err);
    if (!rc && *rel == NULL)
        rc = dg_err_set(err, DG_ENOTFOUND, "no baseline for release %s/%s: no ConfigMap in %s "
                        "labelled for it (driftctl publish), and no deployed Helm release record "
                        "in %s", ns, name, baseline_ns, ns);
    return rc;
}

int ctl_whoami(const ctl_kube_t *kube, json_t **user, dg_err_t *err)
{
    const char *argv[12] = {ctl_tool(kube->kubectl, "KUBECTL", "kubectl"), "auth", "whoami", "-o",
                            "json"};
    size_t n = 5;
    dg_buf_t out;
    json_t *doc = NULL;
    int rc;

    *user = NULL;
    ctl_kube_flags(kube, argv, &n);
    dg_buf_init(&out, 1 << 20);
    rc = ctl_kubectl((char *const *)argv, NULL, 0, &out, NULL, err);
    if (!rc) {
        doc = json_loadb(out.data ? out.data : "", out.len, 0, NULL);
        *user = json_incref(json_object_get(json_object_get(doc, "status"), "userInfo"));
        if (!json_is_string(json_object_get(*user, "username")))
            rc = dg_err_set(err, DG_EPARSE, "kubectl auth whoami printed no user");
    }
    json_decref(doc);
    dg_buf_free(&out);
    if (rc) {
        json_decref(*user);
        *user = NULL;
    }
    return rc;
}
