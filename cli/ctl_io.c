/* cli/ctl_io.c: inputs for driftctl: files and stdin, capped; baselines,
 * live snapshots and policies through libdrift.
 * SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codec.h"
#include "ctl.h"

/* Open @path for reading; a directory is refused by name, since fopen()
 * takes one and only the first read fails ("read error" says nothing). */
static FILE *open_input(const char *flag, const char *path, dg_err_t *err)
{
    struct stat st;
    FILE *f;

    if (ctl_stdio(path))
        return stdin;
    if ((f = fopen(path, "rb")) == NULL) {
        dg_err_set(err, DG_EIO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        dg_err_set(err, DG_EIO, "%s: is a directory; %s wants a file", path, flag);
        return NULL;
    }
    return f;
}

int ctl_read(const char *flag, const char *path, size_t max, char **data, size_t *len,
             dg_err_t *err)
{
    const char *shown = ctl_stdio(path) ? "<stdin>" : path;
    FILE *f = open_input(flag, path, err);
    size_t cap = 65536, n = 0;
    char *buf = NULL, *p;
    int rc = 0;

    if (f == NULL)
        return DG_EIO;
    for (;;) {
        if (n == cap || buf == NULL) {
            cap = buf ? cap * 2 : cap;
            if ((p = realloc(buf, cap + 1)) == NULL) {
                rc = dg_err_set(err, DG_ENOMEM, "%s: out of memory reading", shown);
                goto out;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, f);

        n += got;
        if (n > max) {
            rc = dg_err_set(err, DG_ETOOBIG,
                            "%s: input is larger than the limit of %zu bytes (--max-bytes)",
                            shown, max);
            goto out;
        }
        if (got == 0)
            break;
    }
    if (ferror(f))
        rc = dg_err_set(err, DG_EIO, "%s: read error: %s", shown, strerror(errno));
out:
    if (f != stdin)
        fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

/* Write @b to a temporary file beside @path, then rename it into place, so
 * a failure never leaves half a file where the last good one was. Errors
 * name @path, never the temporary file. */
int ctl_write(const char *flag, const char *path, const dg_buf_t *b, dg_err_t *err)
{
    const char *data = b->data ? b->data : "";
    char tmp[4096], dir[4096], *slash;
    struct stat st;
    bool ok;
    FILE *f;

    if (ctl_stdio(path))
        return fwrite(data, 1, b->len, stdout) == b->len && fflush(stdout) == 0
                   ? 0
                   : dg_err_set(err, DG_EIO, "<stdout>: %s", strerror(errno));
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return dg_err_set(err, DG_EINVAL, "%s %s: path too long", flag, path);
    snprintf(dir, sizeof dir, "%s", path);
    slash = strrchr(dir, '/');
    if (slash)
        slash[slash == dir] = '\0'; /* "/x" -> "/" */
    if (slash && stat(dir, &st) != 0)
        return dg_err_set(err, DG_EIO, "%s %s: cannot write: directory %s: %s", flag, path, dir,
                          strerror(errno));
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return dg_err_set(err, DG_EIO, "%s %s: is a directory; give a file name", flag, path);
    if ((f = fopen(tmp, "wb")) == NULL)
        return dg_err_set(err, DG_EIO, "%s %s: cannot write: %s", flag, path, strerror(errno));
    ok = fwrite(data, 1, b->len, f) == b->len;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        remove(tmp);
        return dg_err_set(err, DG_EIO, "%s %s: cannot write: %s", flag, path, strerror(errno));
    }
    if (rename(tmp, path) != 0) {
        remove(tmp);
        return dg_err_set(err, DG_EIO, "%s %s: cannot write: %s", flag, path, strerror(errno));
    }
    return 0;
}

/* An input with no objects would judge as "no drift": refuse it, and say
 * what it held instead. An empty List is a snapshot of nothing, which is
 * evidence when the caller can use it (@empty_list_ok). */
static int no_objects(const char *flag, const char *shown, const dg_manifest_info_t *info,
                      bool empty_list_ok, dg_err_t *err)
{
    if (info->docs == 0)
        return dg_err_set(err, DG_EINVAL, "%s: holds no Kubernetes objects (the file is empty "
                          "or only comments); %s wants a manifest", shown, flag);
    if (info->hooks)
        return dg_err_set(err, DG_EINVAL, "%s: holds no Kubernetes objects but %zu Helm "
                          "hook%s (helm.sh/hook), which are not governed", shown, info->hooks,
                          info->hooks == 1 ? "" : "s");
    if (info->lists && empty_list_ok)
        return 0;
    return dg_err_set(err, DG_EINVAL, "%s: holds no Kubernetes objects (%s)", shown,
                      info->lists ? "an empty List" : "no document is an object");
}

/* Objects that are not Kubernetes objects but driftctl's other inputs. */
static bool suspicious(const dg_objset_t *set)
{
    const char *kind = dg_objset_count(set) ? dg_objset_at(set, 0)->id.kind : "";

    return strcmp(kind, "AdmissionReview") == 0 || strcmp(kind, "DriftPolicy") == 0;
}

/* A plain render's digest is what `driftctl publish` would stamp on it, so
 * a baseline is named the same way whether it is a file or a ConfigMap. */
static int digest_of(const char *data, size_t len, dg_manifest_info_t *info, dg_err_t *err)
{
    char d[72];

    dg_codec_digest(data, len, d);
    info->digest = strdup(d);
    return info->digest ? 0 : dg_err_set(err, DG_ENOMEM, "out of memory");
}

int ctl_load_objects(const char *flag, const char *path, const char *ns, size_t max,
                     unsigned flags, dg_objset_t **set, dg_manifest_info_t *info,
                     dg_err_t *err)
{
    dg_manifest_opts_t opts = {.name = path, .default_ns = ns, .max_bytes = max, .uncapped = true,
                               .keep_managed = (flags & CTL_LOAD_MANAGED) != 0};
    dg_manifest_info_t mine = {0};
    const char *shown = ctl_stdio(path) ? "<stdin>" : path;
    char *data;
    size_t len;
    int rc;

    *set = NULL;
    rc = ctl_read(flag, path, max ? max : DG_MAX_MANIFEST_BYTES, &data, &len, err);
    if (rc)
        return rc;
    *set = dg_objset_new();
    rc = *set ? dg_manifest_load(data, len, &opts, *set, info ? info : &mine, err)
              : dg_err_set(err, DG_ENOMEM, "%s: out of memory", path);
    /* A review or a policy given where a manifest goes: say so. */
    if (rc != DG_ENOMEM && (rc || suspicious(*set)))
        rc = ctl_wrong_input(flag, shown, data, len, CTL_LOOKS_MANIFEST, rc, err);
    if (!rc && info && info->digest == NULL)
        rc = digest_of(data, len, info, err);
    free(data);
    if (!rc && dg_objset_count(*set) == 0)
        rc = no_objects(flag, shown, info ? info : &mine, (flags & CTL_LOAD_EMPTY_LIST_OK) != 0,
                        err);
    dg_manifest_info_free(&mine);
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
    rc = ctl_read("--policy", path, DG_MAX_MANIFEST_BYTES, &data, &len, err);
    if (rc)
        return rc;
    *pol = dg_policy_parse(data, len, ctl_stdio(path) ? "<stdin>" : path, err);
    rc = *pol ? 0 : (err && err->code ? err->code : DG_EPOLICY);
    if (rc && rc != DG_ENOMEM)
        rc = ctl_wrong_input("--policy", ctl_stdio(path) ? "<stdin>" : path, data, len,
                             CTL_LOOKS_POLICY, rc, err);
    free(data);
    return rc;
}

static char *trim(char *s)
{
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
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
        const dg_kindinfo_t *ki;

        tok = trim(tok); /* "hpa, svc" as people type it */
        if (*tok == '\0')
            continue;
        ki = dg_kind_lookup(tok);

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

/* Lines to print under the next error: driftctl runs one command at a
 * time (the console clears them before each), so one buffer serves it. */
static char details[2048];

void ctl_detail(const char *fmt, ...)
{
    size_t used = strlen(details);
    va_list ap;

    if (used + 4 >= sizeof details)
        return;
    used += (size_t)snprintf(details + used, sizeof details - used, "  ");
    va_start(ap, fmt);
    vsnprintf(details + used, sizeof details - used - 1, fmt, ap);
    va_end(ap);
    strcat(details, "\n");
}

void ctl_detail_clear(void)
{
    details[0] = '\0';
}

int ctl_fail(const dg_err_t *err)
{
    char buf[600];

    fprintf(stderr, "driftctl: %s\n%s", dg_err_format(err, buf, sizeof buf), details);
    details[0] = '\0';
    return CTL_ERROR;
}

/* Output is built whole before any of it is written, so a failure part
 * way prints the error alone, never half an answer. */
int ctl_finish(int rc, const dg_err_t *err, const dg_buf_t *out, int status)
{
    if (rc)
        return ctl_fail(err);
    if (out && out->len)
        fwrite(out->data, 1, out->len, stdout);
    return status;
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
