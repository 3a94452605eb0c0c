/* cli/ctl_release.c: a release baseline and the live snapshot judged
 * against it, loaded together. Which namespace the release is in is
 * settled here, from -n, the baseline, the request or the snapshot, and
 * every guess or disagreement is said on stderr: a wrong namespace makes
 * every object "missing" or "no baseline", which reads like a verdict.
 * SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

typedef struct load_job {
    const char *flag, *path;
    size_t max;
    unsigned flags; /* CTL_LOAD_* */
    dg_objset_t *set;
    dg_manifest_info_t info;
    dg_err_t err;
    int rc;
} load_job_t;

/* Objects without a namespace are loaded with none (""), so that the
 * namespace can be chosen once everything has been read. */
static void *load_job(void *arg)
{
    load_job_t *j = arg;

    j->rc = ctl_load_objects(j->flag, j->path, "", j->max, j->flags, &j->set, &j->info,
                             &j->err);
    return NULL;
}

/* ---- the namespace ------------------------------------------------------------------- */

/* The one namespace the objects of @set state, NULL when none or several. */
static const char *stated_ns(const dg_objset_t *set, bool *several)
{
    const char *found = NULL;

    *several = false;
    for (size_t i = 0; set && i < dg_objset_count(set); i++) {
        const char *ns = dg_objset_at(set, i)->id.ns;

        if (ns[0] == '\0' || (found && strcmp(found, ns) == 0))
            continue;
        if (found) {
            *several = true;
            return NULL;
        }
        found = ns;
    }
    return found;
}

/* An object of @live with @base's group, kind and name, in any namespace. */
static const dg_obj_t *find_anywhere(const dg_objset_t *live, const dg_objid_t *base)
{
    for (size_t i = 0; i < dg_objset_count(live); i++) {
        const dg_obj_t *o = dg_objset_at(live, i);

        if (strcmp(o->id.name, base->name) == 0 && strcmp(o->id.kind, base->kind) == 0 &&
            strcmp(o->id.group, base->group) == 0)
            return o;
    }
    return NULL;
}

/* The one namespace where @live holds objects of @base by group, kind and
 * name; NULL when none or several. */
static const char *live_ns(const dg_objset_t *base, const dg_objset_t *live)
{
    const char *found = NULL;

    for (size_t i = 0; live && i < dg_objset_count(base); i++) {
        const dg_obj_t *o = find_anywhere(live, &dg_objset_at(base, i)->id);

        if (o == NULL || o->id.ns[0] == '\0' || (found && strcmp(found, o->id.ns) == 0))
            continue;
        if (found)
            return NULL;
        found = o->id.ns;
    }
    return found;
}

static void warn(const char *fmt, ...) DG_PRINTF(1, 2);

static void warn(const char *fmt, ...)
{
    va_list ap;

    fputs("driftctl: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* -n, else what the baseline states (a ConfigMap's release namespace, or
 * its objects' one namespace), else the request's, else where the snapshot
 * holds the release's objects, else "default". */
static const char *choose_ns(const ctl_inputs_t *in, const load_job_t *base,
                             const load_job_t *live, ctl_ns_from_t *from)
{
    bool several;
    const char *stated = base->info.ns ? base->info.ns : stated_ns(base->set, &several);
    const char *seen = in->request_ns && in->request_ns[0] ? in->request_ns : NULL;
    const char *where;

    if (in->ns) {
        if (stated && strcmp(stated, in->ns) != 0)
            warn("-n %s, but %s %s %s; only objects in %s are judged", in->ns, in->baseline,
                 base->info.ns ? "is release namespace" : "holds objects in namespace", stated,
                 in->ns);
        if (seen && strcmp(seen, in->ns) != 0)
            warn("-n %s, but the review is in namespace %s", in->ns, seen);
        *from = CTL_NS_FLAG;
        return in->ns;
    }
    if (stated) {
        if (seen && strcmp(seen, stated) != 0)
            warn("the review is in namespace %s, but %s %s %s", seen, in->baseline,
                 base->info.ns ? "is release namespace" : "holds objects in namespace", stated);
        *from = CTL_NS_BASELINE;
        return stated;
    }
    if (seen) {
        *from = CTL_NS_REQUEST;
        return seen;
    }
    /* Last, as it compares every object with every other: only when
     * nothing else says. */
    where = live->set ? live_ns(base->set, live->set) : NULL;
    if (where) {
        fprintf(stderr, "driftctl: note: no -n given; using namespace %s, where %s holds the "
                        "release's objects\n", where, in->live);
        *from = CTL_NS_LIVE;
        return where;
    }
    *from = CTL_NS_DEFAULT;
    return "default";
}

/* Give every object loaded without a namespace @ns (cluster-scoped kinds
 * keep none). Re-adding keeps each object's source line. */
static int rehome(dg_objset_t **set, const char *ns, const char *path, dg_err_t *err)
{
    dg_objset_t *out;
    bool any = false;

    for (size_t i = 0; *set && i < dg_objset_count(*set) && !any; i++)
        any = dg_objset_at(*set, i)->id.ns[0] == '\0';
    if (!any)
        return 0;
    if ((out = dg_objset_new()) == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    for (size_t i = 0; i < dg_objset_count(*set); i++) {
        const dg_obj_t *o = dg_objset_at(*set, i);
        int rc = dg_objset_add_copy(out, o, ns, path, err);

        if (rc) {
            dg_objset_free(&out);
            return rc;
        }
    }
    dg_objset_free(set);
    *set = out;
    return 0;
}

/* ---- the release ----------------------------------------------------------------------- */

/* "a (2), b (1)": the namespaces of @set and how many objects each holds. */
static void ns_census(const dg_objset_t *set, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < dg_objset_count(set) && used + 1 < size; i++) {
        const char *ns = dg_objset_at(set, i)->id.ns;
        size_t count = 0;
        bool seen = false;

        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(dg_objset_at(set, j)->id.ns, ns) == 0;
        if (seen)
            continue;
        for (size_t j = i; j < dg_objset_count(set); j++)
            count += strcmp(dg_objset_at(set, j)->id.ns, ns) == 0;
        used += (size_t)snprintf(buf + used, size - used, "%s%s (%zu)", used ? ", " : "",
                                 ns[0] ? ns : "(cluster)", count);
    }
}

int ctl_release_make(const char *name, const char *ns, const char *where, dg_objset_t **objs,
                     const dg_manifest_info_t *info, dg_release_t **rel, dg_err_t *err)
{
    char census[256];
    size_t total;

    if (name == NULL)
        name = info->release ? info->release : dg_release_name_of(*objs);
    *rel = dg_release_new(name ? name : "baseline", ns);
    if (*rel == NULL)
        return dg_err_set(err, DG_ENOMEM, "%s: out of memory", where);
    dg_objset_free(&(*rel)->objs);
    ns_census(*objs, census, sizeof census);
    total = dg_objset_count(*objs);
    (*rel)->objs = *objs;
    *objs = NULL;
    (*rel)->origin = info->release ? DG_RELSRC_PUBLISHED : DG_RELSRC_HELM;
    (*rel)->revision = info->revision ? strtol(info->revision, NULL, 10) : 0;
    (*rel)->chart = info->chart ? strdup(info->chart) : NULL;
    (*rel)->digest = info->digest ? strdup(info->digest) : NULL;
    (*rel)->source = strdup(info->source ? info->source : where);
    /* As driftgate judges: a baseline governs only its release's namespace. */
    if (dg_release_confine(*rel) < 0)
        return dg_err_set(err, DG_ENOMEM, "%s: out of memory", where);
    /* Nothing left would judge as "no drift". */
    if (dg_objset_count((*rel)->objs) == 0)
        return dg_err_set(err, DG_EINVAL, "%s: none of its %zu objects is in the release "
                          "namespace %s; by namespace it holds %s", where, total, ns,
                          census);
    if ((*rel)->note)
        warn("%s: release %s/%s: %s", where, (*rel)->ns, (*rel)->name, (*rel)->note);
    return 0;
}

/* A snapshot that holds none of the release's objects is either the wrong
 * file or the wrong namespace: say what it does hold. */
static void check_overlap(const ctl_inputs_t *in, const dg_release_t *rel,
                          const dg_objset_t *live)
{
    char census[512];

    if (dg_objset_count(rel->objs) == 0)
        return;
    for (size_t i = 0; i < dg_objset_count(rel->objs); i++)
        if (dg_objset_find(live, &dg_objset_at(rel->objs, i)->id))
            return;
    ns_census(live, census, sizeof census);
    warn("%s holds none of the %zu objects of release %s/%s; it holds %zu object%s, by "
         "namespace: %s%s",
         in->live, dg_objset_count(rel->objs), rel->ns, rel->name, dg_objset_count(live),
         dg_objset_count(live) == 1 ? "" : "s", census[0] ? census : "none",
         dg_objset_count(live) ? " (is -n right?)" : "");
}

int ctl_load_inputs(const ctl_inputs_t *in, dg_release_t **rel, dg_objset_t **live,
                    ctl_ns_from_t *from, dg_err_t *err)
{
    load_job_t base = {"--baseline", in->baseline, in->max, 0, NULL, {0}, {0}, 0};
    /* Who changed a drifted field is in the snapshot's managedFields. */
    load_job_t lj = {"--live", in->live, in->max,
                     CTL_LOAD_MANAGED | (in->live_empty_ok ? CTL_LOAD_EMPTY_LIST_OK : 0), NULL,
                     {0}, {0}, 0};
    ctl_ns_from_t ignored;
    const char *ns;
    pthread_t t;
    bool threaded;
    int rc;

    *rel = NULL;
    if (live)
        *live = NULL;
    json_object_seed(0); /* jansson seeds its hash once; do it before threads */
    /* Independent, and each mostly YAML parsing: read them side by side. */
    threaded = in->live && !ctl_stdio(in->live) && !ctl_stdio(in->baseline) &&
               pthread_create(&t, NULL, load_job, &lj) == 0;
    load_job(&base);
    if (threaded)
        pthread_join(t, NULL);
    else if (in->live && !base.rc)
        load_job(&lj);
    rc = base.rc ? base.rc : lj.rc;
    if (rc && err)
        *err = base.rc ? base.err : lj.err;
    if (!rc) {
        ns = choose_ns(in, &base, &lj, from ? from : &ignored);
        rc = rehome(&base.set, ns, in->baseline, err);
        if (!rc)
            rc = rehome(&lj.set, ns, in->live, err);
        if (!rc)
            rc = ctl_release_make(in->release, ns, in->baseline, &base.set, &base.info, rel,
                                  err);
    }
    if (!rc && lj.set)
        check_overlap(in, *rel, lj.set);
    if (rc)
        dg_release_free(rel);
    else if (live)
        *live = lj.set, lj.set = NULL;
    dg_objset_free(&base.set);
    dg_objset_free(&lj.set);
    dg_manifest_info_free(&base.info);
    dg_manifest_info_free(&lj.info);
    return rc;
}

int ctl_load_release(const char *path, const char *ns, size_t max, dg_release_t **rel,
                     dg_err_t *err)
{
    ctl_inputs_t in = {.baseline = path, .ns = ns, .max = max};

    return ctl_load_inputs(&in, rel, NULL, NULL, err);
}
