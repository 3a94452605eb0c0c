/* policy/helm.c: decoding Helm release records and choosing the baseline.
 * SPDX-License-Identifier: Apache-2.0 */
#include "helm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "manifest.h"

void dg_helm_record_free(dg_helm_record_t *r)
{
    if (r == NULL)
        return;
    free(r->record);
    free(r->name);
    free(r->ns);
    free(r->status);
    free(r->chart);
    free(r->manifest);
    memset(r, 0, sizeof *r);
}

bool dg_helm_pending(const char *status)
{
    return status && strncmp(status, "pending-", 8) == 0;
}

/* helm uninstall marks the deployed record "uninstalling" before deleting
 * the release's objects: its objects are still the baseline, and every
 * deletion of them is the change in flight. */
static bool uninstalling(const char *status)
{
    return status && strcmp(status, "uninstalling") == 0;
}

/* base64 -> (gzip ->) JSON text: Helm gzips, but reads plain JSON too. */
static int unwrap(const char *b64, size_t len, size_t max, const char *what, char **json,
                  size_t *jlen, dg_err_t *err)
{
    char *raw;
    size_t rawlen;
    int rc = dg_codec_base64_decode(b64, len, &raw, &rawlen, what, err);

    if (rc)
        return rc;
    if (rawlen >= 2 && (unsigned char)raw[0] == 0x1f && (unsigned char)raw[1] == 0x8b) {
        rc = dg_codec_gunzip(raw, rawlen, max, json, jlen, what, err);
        free(raw);
        return rc;
    }
    if (rawlen > max) {
        free(raw);
        return dg_err_set(err, DG_ETOOBIG, "%s: the release is larger than %zu bytes", what, max);
    }
    *json = raw;
    *jlen = rawlen;
    return 0;
}

static int dup(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return src && *dst == NULL ? DG_ENOMEM : 0;
}

static int fill(dg_helm_record_t *out, const json_t *rel, const char *what, dg_err_t *err)
{
    json_t *meta = json_object_get(json_object_get(rel, "chart"), "metadata");
    const char *cname = json_string_value(json_object_get(meta, "name"));
    const char *cver = json_string_value(json_object_get(meta, "version"));
    char chart[300];

    if (!json_is_string(json_object_get(rel, "name")) ||
        !json_is_integer(json_object_get(rel, "version")))
        return dg_err_set(err, DG_EINVAL, "%s: not a Helm release (no name or version)", what);
    if (!json_is_string(json_object_get(rel, "manifest")))
        return dg_err_set(err, DG_EINVAL, "%s: the release has no manifest", what);
    out->version = (long)json_integer_value(json_object_get(rel, "version"));
    snprintf(chart, sizeof chart, "%s-%s", cname ? cname : "?", cver ? cver : "?");
    if (dup(&out->name, json_string_value(json_object_get(rel, "name"))) ||
        dup(&out->status,
            json_string_value(json_object_get(json_object_get(rel, "info"), "status"))) ||
        dup(&out->chart, cname ? chart : NULL) ||
        dup(&out->manifest, json_string_value(json_object_get(rel, "manifest"))))
        return dg_err_set(err, DG_ENOMEM, "%s: out of memory", what);
    if (out->ns == NULL)
        return dg_err_set(err, DG_EINVAL, "%s: the record has no metadata.namespace", what);
    if (out->status == NULL)
        return dg_err_set(err, DG_EINVAL, "%s: the release has no info.status", what);
    return 0;
}

/* Helm names a record sh.helm.release.v1.<release>.v<revision>; one that
 * says otherwise was not written by Helm (a forged "revision 99" under any
 * name), and its release namespace is where it is stored, never what its
 * JSON claims. */
static int check_name(const dg_helm_record_t *r, const char *oname, const char *what,
                      dg_err_t *err)
{
    char want[400];

    snprintf(want, sizeof want, "sh.helm.release.v1.%s.v%ld", r->name, r->version);
    if (oname == NULL || strcmp(oname, want) != 0)
        return dg_err_set(err, DG_EINVAL,
                          "%s: not Helm's name for release %.80s revision %ld (want %.200s)", what,
                          r->name, r->version, want);
    return 0;
}

int dg_helm_decode(const json_t *obj, const dg_helm_limits_t *lim, dg_helm_record_t *out,
                   dg_err_t *err)
{
    size_t max_record = lim && lim->max_record ? lim->max_record : DG_HELM_MAX_RECORD_BYTES;
    size_t max_release = lim && lim->max_release ? lim->max_release : DG_HELM_MAX_RELEASE_BYTES;
    json_t *meta = json_object_get(obj, "metadata"), *rel;
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *field = json_string_value(json_object_get(json_object_get(obj, "data"), "release"));
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    const char *oname = json_string_value(json_object_get(meta, "name"));
    char what[300], *outer = NULL, *text = NULL;
    size_t olen, tlen;
    json_error_t jerr;
    int rc;

    memset(out, 0, sizeof *out);
    snprintf(what, sizeof what, "helm record %s/%s", ns ? ns : "?", oname ? oname : "?");
    if ((out->record = strdup(what + strlen("helm record "))) == NULL || dup(&out->ns, ns))
        return dg_err_set(err, DG_ENOMEM, "%s: out of memory", what);
    if (field == NULL)
        return dg_err_set(err, DG_EINVAL, "%s: no data.release", what);
    if (strlen(field) > max_record)
        return dg_err_set(err, DG_ETOOBIG, "%s: data.release is %zu bytes, more than %zu",
                          what, strlen(field), max_record);
    /* A Secret's data is base64 on the wire: one more layer than a ConfigMap. */
    if (kind && strcmp(kind, "Secret") == 0) {
        if ((rc = dg_codec_base64_decode(field, strlen(field), &outer, &olen, what, err)) != 0)
            return rc;
        field = outer;
    }
    rc = unwrap(field, strlen(field), max_release, what, &text, &tlen, err);
    free(outer);
    if (rc)
        return rc;
    rel = json_loadb(text, tlen, 0, &jerr);
    free(text);
    if (!json_is_object(rel)) {
        json_decref(rel);
        return dg_err_set(err, DG_EPARSE, "%s: the release is not JSON: %s", what, jerr.text);
    }
    rc = fill(out, rel, what, err);
    json_decref(rel);
    return rc ? rc : check_name(out, oname, what, err);
}

static const dg_helm_record_t *latest(const dg_helm_record_t *const *recs, size_t n,
                                      bool pending, long after)
{
    const dg_helm_record_t *best = NULL;

    for (size_t i = 0; i < n; i++) {
        const dg_helm_record_t *r = recs[i];
        bool want = pending ? dg_helm_pending(r->status)
                            : strcmp(r->status, "deployed") == 0 || uninstalling(r->status);

        if (want && r->manifest && r->version > after && (!best || r->version > best->version))
            best = r;
    }
    return best;
}

static int load(const dg_helm_record_t *r, dg_objset_t *set, dg_err_t *err)
{
    char name[300];
    dg_manifest_opts_t opts = {.name = name, .default_ns = r->ns};

    snprintf(name, sizeof name, "helm:%s", r->record);
    return dg_manifest_load(r->manifest, strlen(r->manifest), &opts, set, NULL, err);
}

int dg_helm_release(const dg_helm_record_t *const *recs, size_t n, dg_release_t **out,
                    dg_err_t *err)
{
    const dg_helm_record_t *dep = latest(recs, n, false, 0);
    const dg_helm_record_t *pend = latest(recs, n, true, dep ? dep->version : 0);
    const dg_helm_record_t *base = dep ? dep : pend;
    dg_release_t *rel;
    int rc;

    *out = NULL;
    if (base == NULL)
        return dg_err_set(err, DG_ENOTFOUND, "no deployed or pending revision");
    if ((rel = dg_release_new(base->name, base->ns ? base->ns : "default")) == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    rel->origin = DG_RELSRC_HELM;
    rel->revision = base->version;
    rc = dup(&rel->chart, base->chart);
    if (!rc && (rel->source = malloc(strlen(base->record) + 6)) == NULL)
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    if (!rc)
        sprintf(rel->source, "helm:%s", base->record);
    if (!rc && dep)
        rc = load(dep, rel->objs, err);
    if (!rc && dep && !pend && uninstalling(dep->status)) {
        rel->pending = dg_objset_new(); /* the revision in flight renders nothing */
        rel->pending_revision = dep->version;
        rc = rel->pending && !dup(&rel->pending_status, dep->status)
                 ? 0
                 : dg_err_set(err, DG_ENOMEM, "out of memory");
    }
    if (!rc && pend) {
        rel->pending = dg_objset_new();
        rel->pending_revision = pend->version;
        rc = rel->pending && !dup(&rel->pending_status, pend->status)
                 ? load(pend, rel->pending, err)
                 : dg_err_set(err, DG_ENOMEM, "out of memory");
    }
    if (!rc && dg_release_confine(rel) < 0)
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    if (rc) {
        dg_release_free(&rel);
        return rc;
    }
    *out = rel;
    return 0;
}
