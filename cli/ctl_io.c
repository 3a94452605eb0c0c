/* cli/ctl_io.c: inputs for driftctl: files and stdin, capped; baselines,
 * live snapshots and policies through libdrift.
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int ctl_read(const char *path, size_t max, char **data, size_t *len, dg_err_t *err)
{
    const char *shown = strcmp(path, "-") == 0 ? "<stdin>" : path;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    size_t cap = 65536, n = 0;
    char *buf = NULL, *p;

    if (f == NULL)
        return dg_err_set(err, DG_EIO, "%s: %s", shown, strerror(errno));
    for (;;) {
        if (n == cap || buf == NULL) {
            cap = buf ? cap * 2 : cap;
            if ((p = realloc(buf, cap + 1)) == NULL) {
                free(buf);
                if (f != stdin)
                    fclose(f);
                return dg_err_set(err, DG_ENOMEM, "%s: out of memory reading", shown);
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, f);

        n += got;
        if (n > max) {
            free(buf);
            if (f != stdin)
                fclose(f);
            return dg_err_set(err, DG_ETOOBIG,
                              "%s: input is larger than the limit of %zu bytes (--max-bytes)",
                              shown, max);
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        if (f != stdin)
            fclose(f);
        return dg_err_set(err, DG_EIO, "%s: read error", shown);
    }
    if (f != stdin)
        fclose(f);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int ctl_load_objects(const char *path, const char *ns, size_t max, dg_objset_t **set,
                     dg_manifest_info_t *info, dg_err_t *err)
{
    dg_manifest_opts_t opts = {.name = path, .default_ns = ns, .max_bytes = max, .uncapped = true};
    char *data;
    size_t len;
    int rc;

    *set = NULL;
    rc = ctl_read(path, max ? max : DG_MAX_MANIFEST_BYTES, &data, &len, err);
    if (rc)
        return rc;
    *set = dg_objset_new();
    rc = *set ? dg_manifest_load(data, len, &opts, *set, info, err)
              : dg_err_set(err, DG_ENOMEM, "%s: out of memory", path);
    free(data);
    if (rc)
        dg_objset_free(set);
    return rc;
}

int ctl_load_policy(const char *path, dg_policy_t **pol, dg_err_t *err)
{
    char *data;
    size_t len;
    int rc;

    if (path == NULL) {
        *pol = dg_policy_default(err);
        return *pol ? 0 : DG_ENOMEM;
    }
    rc = ctl_read(path, DG_MAX_MANIFEST_BYTES, &data, &len, err);
    if (rc)
        return rc;
    *pol = dg_policy_parse(data, len, path, err);
    free(data);
    return *pol ? 0 : (err && err->code ? err->code : DG_EPOLICY);
}

int ctl_load_release(const char *path, const char *name, const char *ns, size_t max,
                     dg_release_t **rel, dg_err_t *err)
{
    dg_manifest_info_t info = {0};
    dg_objset_t *set = NULL;
    const char *rname, *rns;
    int rc;

    *rel = NULL;
    rc = ctl_load_objects(path, ns, max, &set, &info, err);
    if (rc)
        return rc;
    rname = name ? name : info.release ? info.release : dg_release_name_of(set);
    rns = ns ? ns : info.ns ? info.ns : "default";
    *rel = dg_release_new(rname ? rname : "baseline", rns);
    if (*rel == NULL) {
        rc = dg_err_set(err, DG_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    dg_objset_free(&(*rel)->objs);
    (*rel)->objs = set;
    set = NULL;
    (*rel)->origin = info.release ? DG_RELSRC_PUBLISHED : DG_RELSRC_HELM;
    (*rel)->revision = info.revision ? strtol(info.revision, NULL, 10) : 0;
    (*rel)->chart = info.chart ? strdup(info.chart) : NULL;
    (*rel)->digest = info.digest ? strdup(info.digest) : NULL;
    (*rel)->source = strdup(info.source ? info.source : path);
    /* As driftgate judges: a baseline governs only its release's namespace. */
    if (dg_release_confine(*rel) < 0)
        rc = dg_err_set(err, DG_ENOMEM, "%s: out of memory", path);
    else if ((*rel)->note)
        fprintf(stderr, "driftctl: warning: %s: release %s/%s: %s\n", path, (*rel)->ns,
                (*rel)->name, (*rel)->note);
out:
    dg_objset_free(&set);
    dg_manifest_info_free(&info);
    return rc;
}

typedef struct live_job {
    const char *path, *ns;
    size_t max;
    dg_objset_t *set;
    dg_err_t err;
    int rc;
} live_job_t;

static void *load_live(void *arg)
{
    live_job_t *j = arg;

    j->rc = ctl_load_objects(j->path, j->ns, j->max, &j->set, NULL, &j->err);
    return NULL;
}

int ctl_load_pair(const char *base_path, const char *release, const char *live_path,
                  const char *ns, size_t max, dg_release_t **rel, dg_objset_t **live,
                  dg_err_t *err)
{
    live_job_t job = {live_path, ns ? ns : "default", max, NULL, {0}, 0};
    pthread_t t;
    bool threaded;
    int rc;

    *rel = NULL;
    *live = NULL;
    json_object_seed(0); /* jansson seeds its hash once; do it before threads */
    threaded = live_path && strcmp(live_path, "-") != 0 && strcmp(base_path, "-") != 0 &&
               pthread_create(&t, NULL, load_live, &job) == 0;
    rc = ctl_load_release(base_path, release, ns, max, rel, err);
    if (threaded)
        pthread_join(t, NULL);
    else if (live_path && !rc)
        load_live(&job);
    if (!rc && job.rc) {
        if (err)
            *err = job.err;
        rc = job.rc;
    }
    if (rc) {
        dg_release_free(rel);
        dg_objset_free(&job.set);
        return rc;
    }
    *live = job.set;
    return 0;
}

int ctl_parse_kinds(const char *list, dg_gk_t **kinds, size_t *n, dg_err_t *err)
{
    char *copy = strdup(list), *save = NULL, *tok;
    size_t cap = 8;
    dg_gk_t *out = calloc(cap, sizeof *out);

    *kinds = NULL;
    *n = 0;
    if (copy == NULL || out == NULL) {
        free(copy);
        free(out);
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    }
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const dg_kindinfo_t *ki = dg_kind_lookup(tok);

        if (ki == NULL) {
            dg_err_set(err, DG_EINVAL, "--kinds: unknown kind '%s' (use kubectl names: hpa, svc, "
                                       "deployments.apps, ...)",
                       tok);
            free(copy);
            free(out);
            return DG_EINVAL;
        }
        if (*n == cap) {
            dg_gk_t *p = realloc(out, (cap *= 2) * sizeof *p);

            if (p == NULL) {
                free(copy);
                free(out);
                return dg_err_set(err, DG_ENOMEM, "out of memory");
            }
            out = p;
        }
        out[(*n)++] = (dg_gk_t){ki->group, ki->kind};
    }
    free(copy);
    *kinds = out;
    return 0;
}

int ctl_parse_size(const char *s, size_t *out, dg_err_t *err)
{
    char *end;
    unsigned long long v;
    int shift = 0;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (strcmp(end, "Ki") == 0)
        shift = 10;
    else if (strcmp(end, "Mi") == 0)
        shift = 20;
    else if (strcmp(end, "Gi") == 0)
        shift = 30;
    else if (*end != '\0')
        end = NULL;
    if (end == NULL || end == s || errno || v == 0 || v > (SIZE_MAX >> shift))
        return dg_err_set(err, DG_EINVAL,
                          "'%s' is not a byte count (e.g. 1048576, 512Ki, 64Mi)", s);
    *out = (size_t)v << shift;
    return 0;
}

int ctl_fail(const dg_err_t *err)
{
    char buf[600];

    fprintf(stderr, "driftctl: %s\n", dg_err_format(err, buf, sizeof buf));
    return CTL_ERROR;
}

int ctl_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "driftctl %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nSee 'driftctl %s --help'.\n", cmd);
    return CTL_ERROR;
}
