/* webhook/store.c: snapshots swapped under a short mutex; readers hold a
 * reference, so a rebuild never waits for a request and never frees what a
 * request is reading. SPDX-License-Identifier: Apache-2.0 */
#include "store.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "manifest.h"
#include "metrics.h"

/* One file of --baseline-dir and the release it last loaded into. */
typedef struct dirfile {
    char *name;
    struct timespec mtime; /* of the last attempt, good or not */
    off_t size;
    bool tried;            /* mtime and size are of an attempt: a file is read
                            * (and a failure logged) once per change */
    dg_release_t *rel;     /* last good load; NULL if it never loaded */
    bool seen;
} dirfile_t;

/* An object set shared by snapshots, freed with the last of them. */
typedef struct dg_shared_set {
    _Atomic long refs;
    dg_objset_t *set;
} shared_set_t;

static void shared_set_release(shared_set_t **s)
{
    if (*s && --(*s)->refs == 0) {
        dg_objset_free(&(*s)->set);
        free(*s);
    }
    *s = NULL;
}

typedef struct source {
    dg_release_t **rels;
    size_t n;
    bool enabled, synced;
} source_t;

struct dg_store {
    pthread_mutex_t mu;
    source_t src[DG_SOURCE_COUNT];
    dg_snapshot_t *cur;
    json_t *variances;
    long nvariances;
    shared_set_t *hpas;
    size_t nconflicts;       /* of the current snapshot: logged when it changes */
    unsigned long gen;
    dirfile_t *files;
    size_t nfiles;
    dg_metrics_t *metrics;   /* borrowed: the gate's */
    dg_log_t *log;           /* borrowed: the gate's */
};

static void snapshot_free(dg_snapshot_t *s)
{
    dg_baselines_free(&s->bases);
    json_decref(s->variances);
    shared_set_release(&s->hpas_ref);
    free(s);
}

void dg_snapshot_release(dg_snapshot_t **snap)
{
    dg_snapshot_t *s = snap ? *snap : NULL;

    if (s == NULL)
        return;
    *snap = NULL;
    if (--s->refs == 0)
        snapshot_free(s);
}

static bool all_synced(const dg_store_t *st)
{
    for (int i = 0; i < DG_SOURCE_COUNT; i++)
        if (st->src[i].enabled && !st->src[i].synced)
            return false;
    return true;
}

/* Two releases claiming one object is reported, never silently resolved
 * (dg_decide settles each request by the object's own annotation). */
static void report_conflicts(dg_store_t *st, const dg_baselines_t *b)
{
    size_t n = dg_baselines_nconflicts(b);
    char shown[256];

    dg_metrics_set_conflicts(st->metrics, (long)n);
    if (n == st->nconflicts)
        return;
    st->nconflicts = n;
    for (size_t i = 0; i < n; i++) {
        const dg_conflict_t *c = dg_baselines_conflict(b, i);

        dg_log(st->log, DG_LOG_WARN,
               "two releases claim one object; its meta.helm.sh/release-name decides",
               json_pack("{s:s, s:s, s:s}", "object", dg_objid_format(c->id, shown, sizeof shown),
                         "release", c->first->name, "other_release", c->second->name));
    }
}

/* Build a snapshot from every source; the caller holds st->mu. */
static int rebuild(dg_store_t *st, dg_err_t *err)
{
    dg_snapshot_t *s = calloc(1, sizeof *s), *old;

    if (s == NULL || (s->bases = dg_baselines_new()) == NULL) {
        free(s);
        return dg_err_set(err, DG_ENOMEM, "out of memory rebuilding the baseline store");
    }
    s->refs = 1;
    for (int i = 0; i < DG_SOURCE_COUNT; i++)
        for (size_t j = 0; j < st->src[i].n; j++)
            if (dg_baselines_add(s->bases, dg_release_ref(st->src[i].rels[j]), err) != 0) {
                snapshot_free(s);
                return DG_ENOMEM;
            }
    s->variances = st->variances ? json_incref(st->variances) : json_array();
    if ((s->hpas_ref = st->hpas) != NULL) {
        st->hpas->refs++;
        s->hpas = st->hpas->set;
    }
    report_conflicts(st, s->bases);
    s->nvariances = st->nvariances;
    s->synced = all_synced(st);
    s->generation = ++st->gen;
    old = st->cur;
    st->cur = s;
    dg_snapshot_release(&old);
    dg_metrics_set_baselines(st->metrics, (long)dg_baselines_count(s->bases));
    dg_metrics_set_synced(st->metrics, s->synced);
    dg_metrics_set_variances(st->metrics, s->nvariances);
    return 0;
}

dg_store_t *dg_store_new(dg_metrics_t *metrics, dg_log_t *log)
{
    dg_store_t *st = calloc(1, sizeof *st);

    if (st == NULL)
        return NULL;
    st->metrics = metrics;
    st->log = log;
    pthread_mutex_init(&st->mu, NULL);
    if (rebuild(st, NULL) != 0) {
        free(st);
        return NULL;
    }
    return st;
}

static void source_clear(source_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        dg_release_free(&s->rels[i]);
    free(s->rels);
    s->rels = NULL;
    s->n = 0;
}

void dg_store_free(dg_store_t **store)
{
    dg_store_t *st = store ? *store : NULL;

    if (st == NULL)
        return;
    for (int i = 0; i < DG_SOURCE_COUNT; i++)
        source_clear(&st->src[i]);
    for (size_t i = 0; i < st->nfiles; i++) {
        free(st->files[i].name);
        dg_release_free(&st->files[i].rel);
    }
    free(st->files);
    dg_snapshot_release(&st->cur);
    json_decref(st->variances);
    shared_set_release(&st->hpas);
    pthread_mutex_destroy(&st->mu);
    free(st);
    *store = NULL;
}

void dg_store_enable(dg_store_t *st, dg_source_t src)
{
    pthread_mutex_lock(&st->mu);
    st->src[src].enabled = true;
    rebuild(st, NULL);
    pthread_mutex_unlock(&st->mu);
}

int dg_store_update(dg_store_t *st, dg_source_t src, dg_release_t *const *rels, size_t n,
                    dg_err_t *err)
{
    dg_release_t **copy = n ? calloc(n, sizeof *copy) : NULL;
    source_t old;
    int rc;

    if (n && copy == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory updating the baseline store");
    for (size_t i = 0; i < n; i++)
        copy[i] = dg_release_ref(rels[i]);
    pthread_mutex_lock(&st->mu);
    old = st->src[src];
    st->src[src].rels = copy;
    st->src[src].n = n;
    st->src[src].synced = true;
    rc = rebuild(st, err);
    if (rc) { /* keep serving what we had */
        st->src[src] = old;
        old = (source_t){copy, n, true, true};
    }
    pthread_mutex_unlock(&st->mu);
    source_clear(&old);
    return rc;
}

int dg_store_set_hpas(dg_store_t *st, dg_objset_t *hpas, dg_err_t *err)
{
    shared_set_t *s = calloc(1, sizeof *s);

    if (s == NULL) {
        dg_objset_free(&hpas);
        return dg_err_set(err, DG_ENOMEM, "out of memory storing live HPAs");
    }
    s->refs = 1;
    s->set = hpas;
    pthread_mutex_lock(&st->mu);
    shared_set_release(&st->hpas);
    st->hpas = s;
    st->src[DG_SOURCE_HPAS].synced = true;
    rebuild(st, NULL);
    pthread_mutex_unlock(&st->mu);
    return 0;
}

void dg_store_set_variances(dg_store_t *st, json_t *variances, long n)
{
    pthread_mutex_lock(&st->mu);
    json_decref(st->variances);
    st->variances = variances;
    st->nvariances = n;
    rebuild(st, NULL);
    pthread_mutex_unlock(&st->mu);
}

dg_snapshot_t *dg_store_acquire(dg_store_t *st)
{
    dg_snapshot_t *s;

    pthread_mutex_lock(&st->mu);
    s = st->cur;
    s->refs++;
    pthread_mutex_unlock(&st->mu);
    return s;
}

/* ---- --baseline-dir --------------------------------------------------------------- */

static bool wanted(const char *name)
{
    const char *dot = strrchr(name, '.');

    return name[0] != '.' && dot &&
           (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0 || strcmp(dot, ".json") == 0);
}

static int load_file(const char *path, dg_release_t **out, dg_err_t *err)
{
    dg_manifest_info_t info = {0};
    dg_manifest_opts_t opts = {.name = path};
    dg_release_t *rel = NULL;
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long len = 0;
    int rc = 0;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
        (size_t)len > DG_MAX_MANIFEST_BYTES || fseek(f, 0, SEEK_SET) != 0 ||
        (data = malloc((size_t)len + 1)) == NULL || fread(data, 1, (size_t)len, f) != (size_t)len)
        rc = dg_err_set(err, DG_EIO, "%s: cannot read (or larger than 64 MiB)", path);
    if (f)
        fclose(f);
    if (!rc) {
        rel = dg_release_new("baseline", "default"); /* named by its ConfigMap below */
        rc = rel ? dg_manifest_load(data, (size_t)len, &opts, rel->objs, &info, err)
                 : dg_err_set(err, DG_ENOMEM, "out of memory");
    }
    /* Only a baseline ConfigMap says which release and namespace it is; a
     * plain render would be guessed into "default" under its file name. */
    if (!rc && info.release == NULL && (info.ns || info.digest || info.revision))
        rc = dg_err_set(err, DG_EINVAL, "%s: a baseline ConfigMap without the "
                        "driftgate.io/release label: nothing says which release it is", path);
    else if (!rc && info.release == NULL)
        rc = dg_err_set(err, DG_EINVAL,
                        "%s: a plain manifest, not a baseline ConfigMap (no driftgate.io/baseline "
                        "label): nothing says its release and namespace; publish it with "
                        "driftctl publish --baseline FILE -n NAMESPACE -o FILE",
                        path);
    if (!rc) { /* a baseline ConfigMap names its release */
        free(rel->name);
        free(rel->ns);
        rel->name = strdup(info.release);
        rel->ns = strdup(info.ns ? info.ns : "default");
        rel->origin = DG_RELSRC_PUBLISHED;
        rel->revision = info.revision ? strtol(info.revision, NULL, 10) : 0;
        rel->chart = info.chart ? strdup(info.chart) : NULL;
        rel->digest = info.digest ? strdup(info.digest) : NULL;
    }
    if (!rc)
        rel->source = strdup(info.source ? info.source : path);
    if (!rc && dg_release_confine(rel) < 0)
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    dg_manifest_info_free(&info);
    free(data);
    if (rc)
        dg_release_free(&rel);
    *out = rel;
    return rc;
}

static dirfile_t *file_entry(dg_store_t *st, const char *name)
{
    dirfile_t *p;

    for (size_t i = 0; i < st->nfiles; i++)
        if (strcmp(st->files[i].name, name) == 0)
            return &st->files[i];
    p = realloc(st->files, (st->nfiles + 1) * sizeof *p);
    if (p == NULL)
        return NULL;
    st->files = p;
    p = &st->files[st->nfiles];
    memset(p, 0, sizeof *p);
    if ((p->name = strdup(name)) == NULL)
        return NULL;
    st->nfiles++;
    return p;
}

/* Once per change of a file that does not load: what is wrong, and what is
 * enforced meanwhile (its last good release, or nothing). */
static void skipped(const dg_store_t *st, const char *path, const dg_err_t *err,
                    const dg_release_t *kept)
{
    char msg[600], what[600];

    if (kept)
        snprintf(what, sizeof what, "release %s/%s, revision %ld, from its last good version",
                 kept->ns, kept->name, kept->revision);
    dg_log(st->log, DG_LOG_ERROR,
           kept ? "baseline file skipped; keeping its last good baseline"
                : "baseline file skipped; it never loaded, so nothing from it is enforced",
           json_pack("{s:s, s:s, s:s}", "file", path, "error", dg_err_format(err, msg, sizeof msg),
                     "kept", kept ? what : "nothing"));
}

static void scan_file(dg_store_t *st, const char *dir, const char *name)
{
    char path[4096];
    struct stat sb;
    dirfile_t *e;
    dg_release_t *rel;
    dg_err_t err = {0};

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || (e = file_entry(st, name)) == NULL)
        return;
    e->seen = true;
    if (e->tried && sb.st_mtim.tv_sec == e->mtime.tv_sec &&
        sb.st_mtim.tv_nsec == e->mtime.tv_nsec && sb.st_size == e->size)
        return; /* unchanged since the last attempt, good or not */
    e->mtime = sb.st_mtim;
    e->size = sb.st_size;
    e->tried = true;
    if (load_file(path, &rel, &err) != 0) {
        skipped(st, path, &err, e->rel);
        return;
    }
    dg_release_free(&e->rel);
    e->rel = rel;
    dg_log(st->log, rel->note ? DG_LOG_WARN : DG_LOG_INFO, "baseline loaded",
           json_pack("{s:s, s:s, s:s, s:I, s:s?}", "file", path, "release", rel->name, "namespace",
                     rel->ns, "objects", (json_int_t)dg_objset_count(rel->objs), "note", rel->note));
}

int dg_store_load_dir(dg_store_t *st, const char *dir, dg_err_t *err)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    dg_release_t **rels;
    size_t n = 0;
    int rc;

    if (d == NULL)
        return dg_err_set(err, DG_EIO, "--baseline-dir %s: cannot open the directory", dir);
    for (size_t i = 0; i < st->nfiles; i++)
        st->files[i].seen = false;
    while ((de = readdir(d)) != NULL)
        if (wanted(de->d_name))
            scan_file(st, dir, de->d_name);
    closedir(d);
    rels = calloc(st->nfiles + 1, sizeof *rels);
    if (rels == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    for (size_t i = 0; i < st->nfiles; i++) {
        /* A deleted file is a deliberate removal; a broken one keeps its release. */
        if (!st->files[i].seen) {
            dg_release_free(&st->files[i].rel);
            st->files[i].tried = false;
        }
        else if (st->files[i].rel)
            rels[n++] = st->files[i].rel;
    }
    rc = dg_store_update(st, DG_SOURCE_DIR, rels, n, err);
    free(rels);
    return rc ? rc : (int)n;
}
