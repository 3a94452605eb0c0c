/* webhook/kube_published.c: trust, loading and last-good for baseline
 * ConfigMaps. SPDX-License-Identifier: Apache-2.0 */
#include "kube_published.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manifest.h"
#include "metrics.h"
#include "publish.h"
#include "strmap.h"

#define MAX_OBJECT ((size_t)16 << 20)

/* One trusted ConfigMap: what it serves, and the last version that loaded. */
typedef struct entry {
    dg_release_t *rel; /* NULL when no version ever loaded */
    json_t *good;      /* NULL or the last version that loaded */
} entry_t;

struct dg_kube_published {
    char *baseline_ns;
    dg_strmap_t *entries; /* "ns/name" -> entry_t */
    json_t *untrusted;    /* "ns/name" -> resourceVersion already logged as ignored */
    json_t *shadowed;     /* "ns/name" -> the ConfigMap enforced instead, as logged */
    dg_metrics_t *metrics; /* borrowed: the gate's */
    dg_log_t *log;         /* borrowed: the gate's */
};

static void entry_free(void *p)
{
    entry_t *e = p;

    if (e) {
        dg_release_free(&e->rel);
        json_decref(e->good);
        free(e);
    }
}

dg_kube_published_t *dg_kube_published_new(const char *baseline_ns, dg_metrics_t *metrics,
                                           dg_log_t *log)
{
    dg_kube_published_t *p = calloc(1, sizeof *p);

    if (p == NULL)
        return NULL;
    p->metrics = metrics;
    p->log = log;
    p->baseline_ns = strdup(baseline_ns);
    p->entries = dg_strmap_new(entry_free);
    p->untrusted = json_object();
    p->shadowed = json_object();
    if (!p->baseline_ns || !p->entries || !p->untrusted || !p->shadowed)
        dg_kube_published_free(&p);
    return p;
}

void dg_kube_published_free(dg_kube_published_t **pp)
{
    dg_kube_published_t *p = pp ? *pp : NULL;

    if (p == NULL)
        return;
    free(p->baseline_ns);
    dg_strmap_free(&p->entries);
    json_decref(p->untrusted);
    json_decref(p->shadowed);
    free(p);
    *pp = NULL;
}

/* ---- loading ------------------------------------------------------------------------ */

static void log_skip(const dg_kube_published_t *p, const json_t *cm, const dg_err_t *err,
                     const char *what)
{
    json_t *meta = json_object_get(cm, "metadata");
    char msg[600];

    dg_log(p->log, DG_LOG_ERROR, what,
           json_pack("{s:s, s:s?, s:s?, s:s}", "kind", "ConfigMap", "namespace",
                     json_string_value(json_object_get(meta, "namespace")), "name",
                     json_string_value(json_object_get(meta, "name")), "error",
                     dg_err_format(err, msg, sizeof msg)));
}

static const char *release_ns_label(const json_t *cm)
{
    return json_string_value(json_object_get(json_object_get(json_object_get(cm, "metadata"),
                                                             "labels"),
                                             "driftgate.io/release-namespace"));
}

static void name_from(dg_release_t *rel, const dg_manifest_info_t *info, const char *name)
{
    free(rel->name);
    free(rel->ns);
    rel->name = strdup(info->release);
    rel->ns = strdup(info->ns ? info->ns : "default");
    rel->origin = DG_RELSRC_PUBLISHED;
    rel->revision = info->revision ? strtol(info->revision, NULL, 10) : 0;
    rel->chart = info->chart ? strdup(info->chart) : NULL;
    rel->digest = info->digest ? strdup(info->digest) : NULL;
    rel->source = strdup(info->source ? info->source : name);
}

/* The release a baseline ConfigMap holds, confined to its namespace; NULL
 * (with @err set, when not NULL) when it does not load. */
static dg_release_t *published_release(const json_t *cm, dg_err_t *err)
{
    dg_err_t ignored = {0};
    char *text = json_dumps(cm, JSON_COMPACT), name[300];
    json_t *meta = json_object_get(cm, "metadata");
    dg_manifest_info_t info = {0};
    dg_manifest_opts_t opts = {.name = name, .max_bytes = MAX_OBJECT};
    dg_release_t *rel = NULL;

    snprintf(name, sizeof name, "configmap %s/%s",
             json_string_value(json_object_get(meta, "namespace")),
             json_string_value(json_object_get(meta, "name")));
    if (err == NULL)
        err = &ignored;
    rel = text ? dg_release_new("", "") : NULL;
    if (rel && dg_manifest_load(text, strlen(text), &opts, rel->objs, &info, err) == 0 &&
        info.release && release_ns_label(cm)) {
        name_from(rel, &info, name);
        if (dg_release_confine(rel) < 0)
            dg_release_free(&rel);
    } else {
        if (err->code == 0)
            dg_err_set(err, DG_EINVAL,
                       "%s: no driftgate.io/release and driftgate.io/release-namespace labels "
                       "(republish it with driftctl publish)",
                       name);
        dg_release_free(&rel);
    }
    dg_manifest_info_free(&info);
    free(text);
    return rel;
}

/* When this version does not load, the last version that did, re-read and
 * marked as kept (a shared release is immutable, so it is a new one). */
static dg_release_t *last_good(const dg_kube_published_t *p, const entry_t *e, const json_t *cm,
                               const dg_err_t *why)
{
    dg_release_t *rel;
    char msg[600], note[700];

    log_skip(p, cm, why,
             e->good ? "baseline ConfigMap skipped; its release keeps its last good baseline"
                     : "baseline ConfigMap skipped; it never loaded, so it governs nothing");
    if (e->good == NULL || (rel = published_release(e->good, NULL)) == NULL)
        return NULL;
    snprintf(note, sizeof note, "kept the last good version: the current one does not load (%s)",
             dg_err_format(why, msg, sizeof msg));
    if (dg_release_note(rel, note) != 0)
        dg_release_free(&rel);
    return rel;
}

/* ---- trust: only the baseline namespace ---------------------------------------------------- */

/* A labelled ConfigMap outside the baseline namespace is anyone's to
 * write: ignored, logged once per version, counted. */
static bool trusted(dg_kube_published_t *p, const char *key, const json_t *cm)
{
    json_t *meta = json_object_get(cm, "metadata");
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    const char *rv = json_string_value(json_object_get(meta, "resourceVersion"));
    json_t *seen = json_object_get(p->untrusted, key);

    if (ns && strcmp(ns, p->baseline_ns) == 0)
        return true;
    if (!seen || !rv || strcmp(json_string_value(seen), rv) != 0) {
        dg_log(p->log, DG_LOG_WARN, "baseline ConfigMap outside the baseline namespace ignored",
               json_pack("{s:s, s:s, s:s?}", "configmap", key, "baseline_namespace", p->baseline_ns,
                         "release", json_string_value(json_object_get(
                                        json_object_get(meta, "labels"), "driftgate.io/release"))));
        json_object_set_new(p->untrusted, key, json_string(rv ? rv : ""));
    }
    return false;
}

void dg_kube_published_put(dg_kube_published_t *p, const char *key, json_t *cm)
{
    entry_t *e;
    dg_err_t err = {0};
    dg_release_t *rel;

    if (!trusted(p, key, cm)) {
        dg_strmap_del(p->entries, key);
        return;
    }
    e = dg_strmap_get(p->entries, key);
    if (e == NULL) {
        e = calloc(1, sizeof *e);
        if (e == NULL || dg_strmap_put(p->entries, key, e) != 0) {
            dg_log(p->log, DG_LOG_ERROR, "out of memory loading a baseline ConfigMap", NULL);
            return;
        }
    }
    rel = published_release(cm, &err);
    if (rel) {
        json_decref(e->good);
        e->good = json_incref(cm);
    } else {
        rel = last_good(p, e, cm, &err);
    }
    dg_release_free(&e->rel);
    e->rel = rel;
}

void dg_kube_published_del(dg_kube_published_t *p, const char *key)
{
    dg_strmap_del(p->entries, key);
    json_object_del(p->untrusted, key); /* forget what was said about it */
}

/* ---- one baseline per release ------------------------------------------------------------ */

/* The ConfigMap's name in its key "ns/name". */
static const char *cm_name(const char *key)
{
    const char *slash = strchr(key, '/');

    return slash ? slash + 1 : key;
}

/* Two ConfigMaps serving one release: the one dg_publish_before() ranks
 * first is enforced, whatever order the map holds them in (driftctl
 * chooses the same), and the other is logged once while it stays so. */
static void shadow(dg_kube_published_t *p, json_t *shadowed, const char *key,
                   const char *enforced, const dg_release_t *rel)
{
    const char *said = json_string_value(json_object_get(p->shadowed, key));

    if (said == NULL || strcmp(said, enforced) != 0)
        dg_log(p->log, DG_LOG_WARN,
               "two baseline ConfigMaps serve one release; the one publish names, else the "
               "first by name, is enforced",
               json_pack("{s:s, s:s, s:s, s:s}", "release", rel->name, "namespace", rel->ns,
                         "enforced", enforced, "ignored", key));
    json_object_set_new(shadowed, key, json_string(enforced));
}

int dg_kube_published_releases(dg_kube_published_t *p, dg_release_t ***rels, size_t *n)
{
    dg_strmap_t *chosen = dg_strmap_new(NULL); /* "ns/release" -> key of its ConfigMap */
    json_t *shadowed = json_object();
    dg_strmap_iter_t it = {0};
    const char *key, *other;
    char id[600];
    void *v;
    int rc = 0;

    *n = 0;
    *rels = calloc(dg_strmap_count(p->entries) + 1, sizeof **rels);
    if (*rels == NULL || chosen == NULL || shadowed == NULL) {
        rc = DG_ENOMEM;
        goto out;
    }
    while (rc == 0 && dg_strmap_next(p->entries, &it, &key, &v)) {
        const dg_release_t *rel = ((entry_t *)v)->rel;

        if (rel == NULL)
            continue;
        snprintf(id, sizeof id, "%s/%s", rel->ns, rel->name);
        other = dg_strmap_get(chosen, id);
        if (other == NULL || dg_publish_before(cm_name(key), cm_name(other), rel->ns, rel->name))
            rc = dg_strmap_put(chosen, id, (void *)key); /* borrowed: the map frees nothing */
    }
    it = (dg_strmap_iter_t){0};
    while (rc == 0 && dg_strmap_next(p->entries, &it, &key, &v)) {
        dg_release_t *rel = ((entry_t *)v)->rel;

        if (rel == NULL)
            continue;
        snprintf(id, sizeof id, "%s/%s", rel->ns, rel->name);
        other = dg_strmap_get(chosen, id);
        if (strcmp(other, key) == 0)
            (*rels)[(*n)++] = dg_release_ref(rel);
        else
            shadow(p, shadowed, key, other, rel);
    }
    json_decref(p->shadowed); /* forget what stopped being so */
    p->shadowed = json_incref(shadowed);
    dg_metrics_set_untrusted(p->metrics, (long)json_object_size(p->untrusted));
    dg_metrics_set_shadowed(p->metrics, (long)json_object_size(shadowed));
out:
    if (rc) {
        free(*rels);
        *rels = NULL;
        *n = 0;
    }
    json_decref(shadowed);
    dg_strmap_free(&chosen);
    return rc ? DG_ENOMEM : 0;
}
