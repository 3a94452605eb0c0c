/* cli/ctl_source.c: the baseline driftgate enforces for a release, read
 * from the cluster with kubectl as driftgate reads it: the published
 * ConfigMap labelled for the release in the baseline namespace,
 * else Helm's latest deployed release record (ConfigMap or Secret labelled
 * owner=helm,name=<release>), decoded by libdrift. The one reader of the
 * gate's baseline: status, reconcile, both consoles. Also who kubectl acts as.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "ctl.h"
#include "helm.h"
#include "publish.h"

/* "2026-11-24T10:02:11Z" (the API server writes UTC) as seconds; -1 when
 * it is not one. */
static time_t rfc3339(const char *s)
{
    struct tm tm;
    char z = 0;

    memset(&tm, 0, sizeof tm);
    if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                            &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
        (z != 'Z' && z != '.'))
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

/* Seconds since @obj was last written: its newest managedFields time, else
 * its creationTimestamp; -1 when neither says. */
static long age_of(const json_t *obj, time_t now)
{
    const json_t *meta = json_object_get(obj, "metadata"), *e;
    time_t newest = rfc3339(json_string_value(json_object_get(meta, "creationTimestamp")));
    size_t i;

    json_array_foreach(json_object_get(meta, "managedFields"), i, e) {
        time_t t = rfc3339(json_string_value(json_object_get(e, "time")));

        if (t > newest)
            newest = t;
    }
    return newest < 0 || now < newest ? -1 : (long)(now - newest);
}

/* ---- a published baseline -------------------------------------------------------------- */

static const char *cm_name(const json_t *cm)
{
    const char *n = json_string_value(json_object_get(json_object_get(cm, "metadata"), "name"));

    return n ? n : "";
}

/* Of several ConfigMaps labelled for release @o->ns/@o->release, the one
 * driftgate enforces (dg_publish_before); the others are named in a
 * warning, since only one should be there. */
static const json_t *enforced(const ctl_source_opts_t *o, const json_t *items)
{
    const json_t *best = json_array_get(items, 0), *cm;
    char others[600] = "";
    size_t i, used = 0;

    json_array_foreach(items, i, cm)
        if (dg_publish_before(cm_name(cm), cm_name(best), o->ns, o->release))
            best = cm;
    json_array_foreach(items, i, cm) {
        int k;

        if (cm == best || used >= sizeof others)
            continue;
        k = snprintf(others + used, sizeof others - used, "%s%s", used ? ", " : "", cm_name(cm));
        used += k > 0 ? (size_t)k : 0;
    }
    fprintf(stderr, "driftctl: warning: release %s/%s has %zu baseline ConfigMaps in %s: driftgate "
            "enforces %s (the one publish names, else the first by name), and driftctl reads "
            "it; delete %s\n", o->ns, o->release, json_array_size(items), o->baseline_ns,
            cm_name(best), others);
    return best;
}

/* Found by its labels, as driftgate finds it: driftgate serves a ConfigMap
 * of the baseline namespace as the release its labels name, whatever it is
 * called (driftgate-baseline.<ns>.<release> is only what publish calls it). */
static int published(const ctl_source_opts_t *o, time_t now, dg_release_t **rel,
                     ctl_source_t *src, dg_err_t *err)
{
    char selector[600], where[700];
    const char *args[] = {"configmaps", "--namespace", o->baseline_ns, "-l", selector,
                          "--show-managed-fields", "-o", "json", NULL};
    dg_manifest_opts_t mo = {.name = where, .default_ns = o->ns};
    dg_manifest_info_t info = {0};
    dg_objset_t *set = NULL;
    json_t *list = NULL, *items;
    const json_t *cm;
    char *text = NULL;
    int rc;

    snprintf(selector, sizeof selector,
             "driftgate.io/baseline=true,driftgate.io/release=%s,driftgate.io/release-namespace=%s",
             o->release, o->ns);
    if ((rc = ctl_kubectl_json(o->kube, args, &list, err)))
        goto out;
    items = json_object_get(list, "items");
    if (json_array_size(items) == 0) /* none: Helm's records say */
        goto out;
    cm = json_array_size(items) > 1 ? enforced(o, items) : json_array_get(items, 0);
    snprintf(where, sizeof where, "%s/%s", o->baseline_ns, cm_name(cm));
    text = json_dumps(cm, JSON_COMPACT);
    if ((set = dg_objset_new()) == NULL || text == NULL) {
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
        goto out;
    }
    /* driftgate's own loader: the digest is checked, the render unwrapped. */
    if ((rc = dg_manifest_load(text, strlen(text), &mo, set, &info, err)))
        goto out;
    /* The selector chose it by these labels; what the loader read of them
     * is checked too, since a kubectl that ignored the selector would hand
     * another release's baseline, which the gate holds against that one. */
    if (info.release == NULL || info.ns == NULL || strcmp(info.release, o->release) != 0 ||
        strcmp(info.ns, o->ns) != 0) {
        rc = dg_err_set(err, DG_EINVAL, "ConfigMap %s is not a baseline of release %s/%s: its "
                        "labels driftgate.io/release-namespace and driftgate.io/release say "
                        "%s/%s", where, o->ns, o->release, info.ns ? info.ns : "(none)",
                        info.release ? info.release : "(none)");
        goto out;
    }
    if ((rc = ctl_release_make(o->release, o->ns, where, &set, &info, rel, err)))
        goto out;
    snprintf(src->origin, sizeof src->origin, "published");
    snprintf(src->location, sizeof src->location, "%s", where);
    snprintf(src->digest, sizeof src->digest, "%s", (*rel)->digest ? (*rel)->digest : "");
    src->age = age_of(cm, now);
out:
    free(text);
    json_decref(list);
    dg_objset_free(&set);
    dg_manifest_info_free(&info);
    return rc;
}

/* ---- Helm's release records ------------------------------------------------------------ */

typedef struct records {
    json_t *items;           /* every record object read (ConfigMaps, Secrets) */
    dg_helm_record_t *recs;  /* decoded, in the order of @items' good ones */
    const dg_helm_record_t **ptrs;
    const json_t **objs;     /* each decoded record's object */
    size_t n;
} records_t;

static void records_free(records_t *r)
{
    for (size_t i = 0; i < r->n; i++)
        dg_helm_record_free(&r->recs[i]);
    free(r->recs);
    free(r->ptrs);
    free(r->objs);
    json_decref(r->items);
}

/* The records of one storage driver; a kind we may not read (Secrets
 * without RBAC) is said and skipped: the other driver may hold them. */
static int read_kind(const ctl_source_opts_t *o, const char *kind, records_t *r, dg_err_t *err)
{
    char selector[400];
    const char *args[] = {kind, "--namespace", o->ns, "-l", selector, "-o", "json", NULL};
    dg_err_t e = {0};
    json_t *list = NULL;
    int rc;

    snprintf(selector, sizeof selector, "owner=helm,name=%s", o->release);
    rc = ctl_kubectl_json(o->kube, args, &list, &e);
    if (rc == DG_EIO && strstr(e.msg, "(RBAC)")) {
        fprintf(stderr, "driftctl: note: cannot read Helm's %s in %s: %s\n", kind, o->ns, e.msg);
        return 0;
    }
    if (rc) {
        if (err && err->code == 0)
            *err = e;
        return rc;
    }
    rc = json_array_extend(r->items, json_object_get(list, "items")) ? DG_ENOMEM : 0;
    json_decref(list);
    return rc ? dg_err_set(err, DG_ENOMEM, "out of memory") : 0;
}

static int decode_all(records_t *r, dg_err_t *err)
{
    size_t n = json_array_size(r->items);
    const json_t *obj;
    size_t i;

    r->recs = calloc(n + 1, sizeof *r->recs);
    r->ptrs = calloc(n + 1, sizeof *r->ptrs);
    r->objs = calloc(n + 1, sizeof *r->objs);
    if (!r->recs || !r->ptrs || !r->objs)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    json_array_foreach(r->items, i, obj) {
        dg_err_t e = {0};

        /* A corrupt record is skipped, as driftgate skips it: said by name. */
        if (dg_helm_decode(obj, NULL, &r->recs[r->n], &e)) {
            dg_helm_record_free(&r->recs[r->n]); /* what it decoded before it failed */
            fprintf(stderr, "driftctl: warning: %s; skipped\n", e.msg);
            continue;
        }
        r->ptrs[r->n] = &r->recs[r->n];
        r->objs[r->n++] = obj;
    }
    return 0;
}

static int helm_record(const ctl_source_opts_t *o, time_t now, dg_release_t **rel,
                       ctl_source_t *src, dg_err_t *err)
{
    records_t r = {0};
    dg_err_t e = {0};
    int rc;

    if ((r.items = json_array()) == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    if ((rc = read_kind(o, "configmaps", &r, err)) || (rc = read_kind(o, "secrets", &r, err)) ||
        (rc = decode_all(&r, err)))
        goto out;
    if (r.n == 0)
        goto out; /* no record: no baseline */
    rc = dg_helm_release(r.ptrs, r.n, rel, &e);
    if (rc == DG_ENOTFOUND) /* records, but none deployed or pending */
        rc = 0;
    else if (rc && err && err->code == 0)
        *err = e;
    if (rc || *rel == NULL)
        goto out;
    /* The record the baseline came from: its age, and the digest of its render. */
    for (size_t i = 0; i < r.n; i++) {
        if (r.recs[i].version != (*rel)->revision || r.recs[i].manifest == NULL)
            continue;
        dg_codec_digest(r.recs[i].manifest, strlen(r.recs[i].manifest), src->digest);
        src->age = age_of(r.objs[i], now);
        snprintf(src->location, sizeof src->location, "%s", r.recs[i].record);
    }
    snprintf(src->origin, sizeof src->origin, "helm");
out:
    records_free(&r);
    return rc;
}

int ctl_source_read(const ctl_source_opts_t *o, time_t now, dg_release_t **rel,
                    ctl_source_t *src, dg_err_t *err)
{
    int rc;

    *rel = NULL;
    memset(src, 0, sizeof *src);
    src->age = -1;
    /* Into label selectors: "a,b" would add a term. */
    if ((rc = dg_publish_names(o->release, o->ns, o->baseline_ns, err)))
        return rc;
    rc = published(o, now, rel, src, err);
    if (!rc && *rel == NULL)
        rc = helm_record(o, now, rel, src, err);
    if (!rc && *rel == NULL)
        snprintf(src->location, sizeof src->location,
                 "no ConfigMap in %s labelled for %s/%s and no deployed Helm release record "
                 "of %s in %s", o->baseline_ns, o->ns, o->release, o->release, o->ns);
    /* The digest a plan is made against, as a publish of it would stamp it,
     * so a saved plan or an open page can tell when the release moved on. */
    if (!rc && *rel && (*rel)->digest == NULL && src->digest[0] &&
        ((*rel)->digest = strdup(src->digest)) == NULL)
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    if (rc)
        dg_release_free(rel);
    return rc;
}

int ctl_source_baseline(const ctl_source_opts_t *o, dg_release_t **rel, dg_err_t *err)
{
    ctl_source_t src;
    int rc = ctl_source_read(o, time(NULL), rel, &src, err);

    if (!rc && *rel == NULL)
        rc = dg_err_set(err, DG_ENOTFOUND, "no baseline for release %s/%s: no ConfigMap in %s "
                        "labelled for it (driftctl publish), and no deployed Helm release record "
                        "in %s", o->ns, o->release, o->baseline_ns, o->ns);
    else if (!rc && (*rel)->pending)
        rc = dg_err_set(err, DG_EINVAL, "release %s/%s has revision %ld %s: Helm is changing it "
                        "now; reconcile once it is deployed", o->ns, o->release,
                        (*rel)->pending_revision, (*rel)->pending_status);
    if (rc)
        dg_release_free(rel);
    return rc;
}

/* ---- who kubectl acts as ----------------------------------------------------------------- */

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
