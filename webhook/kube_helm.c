/* webhook/kube_helm.c: records by key, grouped by release; a release is
 * rebuilt from its records in use when their uid/resourceVersion change.
 * Everything is under one mutex: the ConfigMap and Secret watches feed one
 * set, and request threads read it before a denial.
 * SPDX-License-Identifier: Apache-2.0 */
#include "kube_helm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "strmap.h"

#define RECORD_PREFIX "sh.helm.release.v1."

/* One record as stored, undecoded; what its labels say picks it or not. */
typedef struct record {
    json_t *obj;      /* the ConfigMap or Secret, data.release still compressed */
    dg_helm_record_t *dec; /* NULL until decoded: then kept while this version lives */
    char group[600];  /* "ns/release" */
    char ver[200];    /* "uid/resourceVersion": what a decode is cached by */
    long version;     /* the revision */
    char status[40];  /* "deployed", "pending-upgrade", ... */
} record_t;

/* One release: its records, and what was last built from them. */
typedef struct group {
    dg_strmap_t *members; /* record key -> record_t (borrowed from the set) */
    dg_release_t *rel;    /* NULL = none: nothing deployed, or never loaded */
    char sig[420];        /* ver of the records @rel was built from ("" = none) */
    bool built, dirty;
} group_t;

struct dg_kube_helm {
    pthread_mutex_t mu;
    dg_helm_limits_t lim;
    dg_metrics_t *metrics; /* borrowed: the gate's */
    dg_log_t *log;         /* borrowed: the gate's */
    dg_strmap_t *records; /* "Kind/ns/name" -> record_t */
    dg_strmap_t *groups;  /* "ns/release" -> group_t */
    dg_strmap_t *bad;     /* ver -> NULL-free marker: records that did not decode */
};

/* ---- records ---------------------------------------------------------------------- */

static void record_free(void *p)
{
    record_t *r = p;

    if (r) {
        json_decref(r->obj);
        dg_helm_record_free(r->dec);
        free(r->dec);
        free(r);
    }
}

static const char *meta_str(const json_t *obj, const char *field)
{
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

static const char *label(const json_t *obj, const char *name)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(obj, "metadata"), "labels"), name));
}

/* Release and revision from the labels Helm writes, else from the name it
 * gives a record (sh.helm.release.v1.<release>.v<revision>). */
static record_t *record_new(json_t *obj)
{
    record_t *r = calloc(1, sizeof *r);
    const char *ns = meta_str(obj, "namespace"), *oname = meta_str(obj, "name");
    const char *rel = label(obj, "name"), *ver = label(obj, "version"), *st = label(obj, "status");
    const char *dotv = oname ? strrchr(oname, '.') : NULL;
    int rlen = 0;

    if (r == NULL)
        return NULL;
    if (rel == NULL && oname && strncmp(oname, RECORD_PREFIX, strlen(RECORD_PREFIX)) == 0 && dotv) {
        rel = oname + strlen(RECORD_PREFIX);
        rlen = (int)(dotv - rel);
    } else {
        rlen = rel ? (int)strlen(rel) : 0;
    }
    snprintf(r->group, sizeof r->group, "%s/%.*s", ns ? ns : "", rlen, rel ? rel : "");
    snprintf(r->ver, sizeof r->ver, "%s/%s", meta_str(obj, "uid"), meta_str(obj, "resourceVersion"));
    r->version = ver ? strtol(ver, NULL, 10) : dotv && dotv[1] == 'v' ? strtol(dotv + 2, NULL, 10) : 0;
    snprintf(r->status, sizeof r->status, "%s", st ? st : "");
    r->obj = json_incref(obj);
    return r;
}

static bool deployed(const char *status)
{
    return strcmp(status, "deployed") == 0 || strcmp(status, "uninstalling") == 0;
}

/* The records a release is built from, by their labels: the latest
 * deployed (or uninstalling) revision, and the latest pending one newer
 * than it (dg_helm_release() makes the same choice from their content). */
static size_t in_use(record_t *const *recs, size_t n, record_t *out[2])
{
    record_t *dep = NULL, *pend = NULL;

    for (size_t i = 0; i < n; i++)
        if (deployed(recs[i]->status) && (!dep || recs[i]->version > dep->version))
            dep = recs[i];
    for (size_t i = 0; i < n; i++)
        if (dg_helm_pending(recs[i]->status) && (!dep || recs[i]->version > dep->version) &&
            (!pend || recs[i]->version > pend->version))
            pend = recs[i];
    n = 0;
    if (dep)
        out[n++] = dep;
    if (pend)
        out[n++] = pend;
    return n;
}

static void signature(record_t *const *use, size_t n, char *out, size_t size)
{
    snprintf(out, size, "%s%s%s", n ? use[0]->ver : "", n > 1 ? "," : "", n > 1 ? use[1]->ver : "");
}

/* ---- decoding and building --------------------------------------------------------------- */

static void log_skip(const dg_kube_helm_t *h, const record_t *r, const dg_err_t *err)
{
    char msg[600];

    dg_log(h->log, DG_LOG_ERROR, "Helm release record skipped",
           json_pack("{s:s?, s:s?, s:s?, s:s, s:s}", "kind",
                     json_string_value(json_object_get(r->obj, "kind")), "namespace",
                     meta_str(r->obj, "namespace"), "name", meta_str(r->obj, "name"), "error",
                     dg_err_format(err, msg, sizeof msg), "resource_version", r->ver));
}

/* @r decoded under @h's limits, once per version. */
static int decode(const dg_kube_helm_t *h, record_t *r, dg_err_t *err)
{
    int rc;

    if (r->dec)
        return 0;
    r->dec = calloc(1, sizeof *r->dec);
    if (r->dec == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    dg_metrics_helm_decoded(h->metrics);
    rc = dg_helm_decode(r->obj, &h->lim, r->dec, err);
    if (rc) {
        dg_helm_record_free(r->dec);
        free(r->dec);
        r->dec = NULL;
    }
    return rc;
}

/* Decode @use and build the release. Decoding a record costs up to
 * h->lim.max_release of memory and the time to inflate it; a request thread's
 * re-read does it on records of its own, without the set's lock.
 * *@failed gets the record that did not decode, if one did not. */
static int build(const dg_kube_helm_t *h, record_t *const *use, size_t n, dg_release_t **out,
                 record_t **failed, dg_err_t *err)
{
    const dg_helm_record_t *dec[2];
    int rc = 0;

    *out = NULL;
    *failed = NULL;
    for (size_t i = 0; i < n && !rc; i++) {
        rc = decode(h, use[i], err);
        if (rc)
            *failed = use[i];
        else
            dec[i] = use[i]->dec;
    }
    if (!rc && n) {
        rc = dg_helm_release(dec, n, out, err);
        if (rc == DG_ENOTFOUND) { /* the labels said deployed; the content did not */
            dg_err_clear(err);
            rc = 0;
        }
    }
    return rc;
}

/* ---- the set ------------------------------------------------------------------------------ */

static void group_free(void *p)
{
    group_t *g = p;

    if (g) {
        dg_strmap_free(&g->members);
        dg_release_free(&g->rel);
        free(g);
    }
}

dg_kube_helm_t *dg_kube_helm_new(const dg_helm_limits_t *lim, dg_metrics_t *metrics,
                                 dg_log_t *log)
{
    dg_kube_helm_t *h = calloc(1, sizeof *h);

    if (h == NULL)
        return NULL;
    pthread_mutex_init(&h->mu, NULL);
    h->metrics = metrics;
    h->log = log;
    if (lim)
        h->lim = *lim;
    h->records = dg_strmap_new(record_free);
    h->groups = dg_strmap_new(group_free);
    h->bad = dg_strmap_new(NULL);
    if (!h->records || !h->groups || !h->bad)
        dg_kube_helm_free(&h);
    return h;
}

void dg_kube_helm_free(dg_kube_helm_t **hp)
{
    dg_kube_helm_t *h = hp ? *hp : NULL;

    if (h == NULL)
        return;
    dg_strmap_free(&h->groups); /* before the records its members borrow */
    dg_strmap_free(&h->records);
    dg_strmap_free(&h->bad);
    pthread_mutex_destroy(&h->mu);
    free(h);
    *hp = NULL;
}

static group_t *group_of(dg_kube_helm_t *h, const char *key)
{
    group_t *g = dg_strmap_get(h->groups, key);

    if (g)
        return g;
    g = calloc(1, sizeof *g);
    if (g == NULL || (g->members = dg_strmap_new(NULL)) == NULL) {
        free(g);
        return NULL;
    }
    return dg_strmap_put(h->groups, key, g) == 0 ? g : NULL;
}

/* Take @key out of its release's records (the caller then replaces or
 * frees the record itself). */
static void unlink_record(dg_kube_helm_t *h, const char *key, const record_t *r)
{
    group_t *g = dg_strmap_get(h->groups, r->group);

    if (g) {
        dg_strmap_del(g->members, key);
        g->dirty = true;
    }
    dg_strmap_del(h->bad, r->ver); /* a version gone cannot come back */
}

int dg_kube_helm_put(dg_kube_helm_t *h, const char *key, json_t *obj)
{
    record_t *r = record_new(obj), *old;
    group_t *g;
    int rc = DG_ENOMEM;

    if (r == NULL)
        return DG_ENOMEM;
    pthread_mutex_lock(&h->mu);
    old = dg_strmap_get(h->records, key);
    if (old && strcmp(old->ver, r->ver) == 0) { /* this very version: keep what it decoded to */
        pthread_mutex_unlock(&h->mu);
        record_free(r);
        return 0;
    }
    if (old)
        unlink_record(h, key, old);
    g = group_of(h, r->group);
    if (g && dg_strmap_put(h->records, key, r) == 0) {
        rc = dg_strmap_put(g->members, key, r);
        if (rc)
            dg_strmap_del(h->records, key);
        g->dirty = true;
    } else if (g == NULL) {
        record_free(r);
    }
    pthread_mutex_unlock(&h->mu);
    return rc;
}

void dg_kube_helm_del(dg_kube_helm_t *h, const char *key)
{
    record_t *r;

    pthread_mutex_lock(&h->mu);
    r = dg_strmap_get(h->records, key);
    if (r) {
        unlink_record(h, key, r);
        dg_strmap_del(h->records, key);
    }
    pthread_mutex_unlock(&h->mu);
}

/* The records in use of @g, into @use (room for 2). */
static size_t group_in_use(const group_t *g, record_t *use[2])
{
    size_t n = dg_strmap_count(g->members), i = 0;
    record_t **all = calloc(n + 1, sizeof *all);
    dg_strmap_iter_t it = {0};
    const char *key;
    void *v;

    if (all == NULL)
        return 0;
    while (dg_strmap_next(g->members, &it, &key, &v))
        all[i++] = v;
    n = in_use(all, i, use);
    free(all);
    return n;
}

static void keep_last_good(const dg_kube_helm_t *h, const char *key, const group_t *g)
{
    if (g->rel)
        dg_log(h->log, DG_LOG_WARN, "Helm release keeps its last good baseline",
               json_pack("{s:s, s:I}", "release", key, "revision", (json_int_t)g->rel->revision));
}

/* Rebuild @g if the records it is built from changed. Called with h->mu
 * held: the watches that call it are the only writers. */
static void rebuild(dg_kube_helm_t *h, const char *key, group_t *g)
{
    record_t *use[2], *failed;
    size_t n = group_in_use(g, use);
    char sig[sizeof g->sig];
    dg_release_t *rel;
    dg_err_t err = {0};
    int rc;

    g->dirty = false;
    signature(use, n, sig, sizeof sig);
    if (g->built && strcmp(sig, g->sig) == 0)
        return;
    g->built = true;
    snprintf(g->sig, sizeof g->sig, "%s", sig);
    for (size_t i = 0; i < n; i++)
        if (dg_strmap_get(h->bad, use[i]->ver)) { /* seen, logged; still bad */
            keep_last_good(h, key, g);
            return;
        }
    rc = build(h, use, n, &rel, &failed, &err);
    if (rc == 0) {
        dg_release_free(&g->rel);
        g->rel = rel;
        return;
    }
    if (failed) {
        log_skip(h, failed, &err);
        if (dg_strmap_put(h->bad, failed->ver, h) != 0) /* any non-NULL marker */
            dg_log(h->log, DG_LOG_ERROR, "out of memory remembering a bad Helm record", NULL);
    } else {
        dg_log(h->log, DG_LOG_ERROR, "Helm release not loaded",
               json_pack("{s:s, s:s}", "release", key, "error", err.msg));
    }
    keep_last_good(h, key, g);
}

int dg_kube_helm_releases(dg_kube_helm_t *h, dg_release_t ***rels, size_t *n)
{
    dg_strmap_iter_t it = {0};
    const char *key;
    void *v;
    size_t k = 0;

    pthread_mutex_lock(&h->mu);
    *rels = calloc(dg_strmap_count(h->groups) + 1, sizeof **rels);
    while (*rels && dg_strmap_next(h->groups, &it, &key, &v)) {
        group_t *g = v;

        if (g->dirty)
            rebuild(h, key, g);
        if (dg_strmap_count(g->members) == 0) /* uninstalled: every record gone */
            dg_strmap_del(h->groups, key);
        else if (g->rel)
            (*rels)[k++] = dg_release_ref(g->rel);
    }
    dg_metrics_set_helm_records(h->metrics, (long)dg_strmap_count(h->records),
                                (long)dg_strmap_count(h->bad));
    pthread_mutex_unlock(&h->mu);
    *n = k;
    return *rels ? 0 : DG_ENOMEM;
}

/* ---- one release, re-read before a denial -------------------------------------------------- */

int dg_kube_helm_build(dg_kube_helm_t *h, const char *ns, const char *name, json_t *items,
                       dg_release_t **out, dg_err_t *err)
{
    size_t n = json_array_size(items), nrec = 0, nuse;
    record_t **recs = calloc(n + 1, sizeof *recs), *use[2], *failed;
    char key[600], sig[420];
    group_t *g;
    bool cached = false, bad = false;
    int rc = 0;

    *out = NULL;
    if (recs == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if ((recs[nrec] = record_new(json_array_get(items, i))) != NULL)
            nrec++;
    nuse = in_use(recs, nrec, use);
    signature(use, nuse, sig, sizeof sig);
    snprintf(key, sizeof key, "%s/%s", ns, name);
    pthread_mutex_lock(&h->mu);
    g = dg_strmap_get(h->groups, key);
    if (g && g->built && strcmp(g->sig, sig) == 0) {
        cached = true;
        *out = g->rel ? dg_release_ref(g->rel) : NULL;
    }
    for (size_t i = 0; i < nuse && !cached; i++)
        bad |= dg_strmap_get(h->bad, use[i]->ver) != NULL;
    pthread_mutex_unlock(&h->mu);
    if (bad)
        rc = dg_err_set(err, DG_EINVAL, "release %s: a record in use did not decode", key);
    else if (!cached)
        rc = build(h, use, nuse, out, &failed, err);
    for (size_t i = 0; i < nrec; i++)
        record_free(recs[i]);
    free(recs);
    return rc;
}
