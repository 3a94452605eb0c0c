/* policy/publish.c: the baseline ConfigMap writer. The render is carried
 * byte for byte (its digest must match), so it is written as a YAML literal
 * block when that round-trips and as a double-quoted JSON string when it
 * does not (carriage returns, whitespace-only lines); the loader that
 * driftgate uses decides which, by reading the result back.
 * SPDX-License-Identifier: Apache-2.0 */
#include "publish.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "baselines.h"
#include "codec.h"
#include "manifest.h"

/* RFC 1123 label (namespaces) or, with dots, a Helm release name. */
static bool dns_name(const char *s, size_t max, bool dots)
{
    size_t n = strlen(s);

    if (n == 0 || n > max || s[0] == '-' || s[0] == '.' || s[n - 1] == '-' || s[n - 1] == '.')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
              (dots && *s == '.')))
            return false;
    return true;
}

/* A YAML scalar for an annotation value: always JSON-quoted, never
 * resolved to a number or bool ("3" must stay a string). */
static int put_quoted(dg_buf_t *out, const char *s)
{
    json_t *j = json_string(s);
    char *q = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    int rc = q ? dg_buf_puts(out, q) : DG_ENOMEM;

    free(q);
    json_decref(j);
    return rc;
}

static int put_header(dg_buf_t *out, const dg_publish_t *p, const char *chart,
                      const char *digest)
{
    /* Named for both namespace and release, in the trusted namespace, so
     * one namespace holds every release's baseline without collisions. */
    int rc = dg_buf_printf(out,
                           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                           "  name: " DG_PUBLISH_PREFIX "%s.%s\n  namespace: %s\n"
                           "  labels:\n    driftgate.io/baseline: \"true\"\n"
                           "    driftgate.io/release: %s\n"
                           "    driftgate.io/release-namespace: %s\n  annotations:\n"
                           "    driftgate.io/revision: ",
                           p->ns, p->release, p->baseline_ns ? p->baseline_ns : DG_BASELINE_NS,
                           p->release, p->ns);

    if (!rc)
        rc = put_quoted(out, p->revision ? p->revision : "1");
    if (!rc && chart)
        rc = dg_buf_puts(out, "\n    driftgate.io/chart: ") || put_quoted(out, chart);
    if (!rc && p->source)
        rc = dg_buf_puts(out, "\n    driftgate.io/source: ") || put_quoted(out, p->source);
    if (!rc)
        rc = dg_buf_printf(out, "\n    driftgate.io/digest: \"%s\"\n", digest);
    return rc ? DG_ENOMEM : 0;
}

/* The render as a literal block under "  manifest.yaml: ". The chomping
 * indicator keeps the trailing newlines exactly; an indentation indicator
 * is needed when the first line itself starts with a space. */
static int put_literal(dg_buf_t *out, const char *s, size_t len)
{
    size_t trail = 0, i = 0;
    const char *chomp;
    int rc;

    while (trail < len && s[len - 1 - trail] == '\n')
        trail++;
    chomp = trail == 0 ? "-" : trail == 1 ? "" : "+";
    rc = dg_buf_printf(out, "  manifest.yaml: |%s%s\n", len && s[0] == ' ' ? "4" : "", chomp);
    while (!rc && i < len - trail) {
        const char *nl = memchr(s + i, '\n', len - trail - i);
        size_t n = nl ? (size_t)(nl - (s + i)) : len - trail - i;

        rc = (n ? dg_buf_puts(out, "    ") || dg_buf_append(out, s + i, n) : 0) ||
             dg_buf_puts(out, "\n");
        i += n + 1;
    }
    for (size_t k = 1; !rc && k < trail; k++)
        rc = dg_buf_puts(out, "\n");
    return rc ? DG_ENOMEM : 0;
}

static int put_string(dg_buf_t *out, const char *s, size_t len)
{
    json_t *j = json_stringn(s, len);
    char *q = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    int rc = q ? (dg_buf_puts(out, "  manifest.yaml: ") || dg_buf_puts(out, q) ||
                  dg_buf_puts(out, "\n"))
               : DG_ENOMEM;

    free(q);
    json_decref(j);
    return rc ? DG_ENOMEM : 0;
}

static int put_gzip(dg_buf_t *out, const char *s, size_t len, dg_err_t *err)
{
    char *gz, *b64;
    size_t gzlen;
    int rc = dg_codec_gzip(s, len, &gz, &gzlen, err);

    if (rc)
        return rc;
    b64 = dg_codec_base64_encode(gz, gzlen);
    free(gz);
    rc = b64 ? dg_buf_printf(out, "binaryData:\n  manifest.yaml.gz: %s\n", b64) : DG_ENOMEM;
    free(b64);
    return rc ? dg_err_set(err, DG_ENOMEM, "out of memory") : 0;
}

/* Read the ConfigMap back as driftgate will: 0 when it loads and its digest
 * (checked by the loader) matches the render. */
static int reads_back(const dg_buf_t *cm, dg_err_t *err)
{
    dg_manifest_opts_t o = {.name = "published ConfigMap"};
    dg_objset_t *set = dg_objset_new();
    int rc = set ? dg_manifest_load(cm->data, cm->len, &o, set, NULL, err) : DG_ENOMEM;

    dg_objset_free(&set);
    return rc;
}

static int emit(const char *render, size_t len, const dg_publish_t *p, int form, dg_buf_t *out,
                dg_err_t *err)
{
    char digest[72];
    int rc;

    dg_codec_digest(render, len, digest);
    dg_buf_reset(out);
    if ((rc = put_header(out, p, p->chart, digest)))
        return dg_err_set(err, rc, "out of memory");
    if (form == 2)
        return put_gzip(out, render, len, err);
    rc = dg_buf_puts(out, "data:\n") ||
         (form == 0 ? put_literal(out, render, len) : put_string(out, render, len));
    return rc ? dg_err_set(err, DG_ENOMEM, "out of memory") : 0;
}

/* The render's objects, checked to be a render and not already a
 * published ConfigMap, and the release they belong to. */
static int load_render(const char *render, size_t len, const char *name, const dg_publish_t *p,
                       dg_objset_t *set, dg_publish_t *q, dg_err_t *err)
{
    dg_manifest_opts_t o = {.name = name, .default_ns = p->ns};
    dg_manifest_info_t info = {0};
    int rc = dg_manifest_load(render, len, &o, set, &info, err);

    if (!rc && info.release)
        rc = dg_err_set(err, DG_EINVAL, "%s is already a baseline ConfigMap (release %s); "
                        "publish the render itself", name, info.release);
    dg_manifest_info_free(&info);
    if (rc)
        return rc;
    *q = *p;
    q->release = p->release ? p->release : dg_release_name_of(set);
    if (!q->release)
        return dg_err_set(err, DG_EINVAL, "%s: its objects name no single Helm release; "
                          "give the release name", name);
    if (dg_publish_names(q->release, NULL, NULL, err))
        return DG_EINVAL;
    if (!q->chart)
        q->chart = dg_release_chart_of(set);
    return 0;
}

int dg_publish_configmap(const char *render, size_t len, const char *name,
                         const dg_publish_t *p, dg_buf_t *out, dg_err_t *err)
{
    dg_objset_t *set;
    dg_publish_t q;
    dg_buf_t cm;
    int rc, form;

    if (dg_publish_names(NULL, p->ns ? p->ns : "", p->baseline_ns, err))
        return DG_EINVAL;
    if ((set = dg_objset_new()) == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    rc = load_render(render, len, name, p, set, &q, err);
    dg_buf_init(&cm, 0);
    /* Literal block first (readable), then a quoted string, then gzip: the
     * first that reads back. A form that does not is not an error (its
     * message is dropped) unless it is the last. */
    form = p->compress || len > DG_PUBLISH_INLINE_MAX ? 2 : 0;
    for (; !rc && form < 3; form++) {
        dg_err_t tried = {0};

        if ((rc = emit(render, len, &q, form, &cm, err)))
            break;
        if ((rc = reads_back(&cm, &tried)) == 0)
            break;
        if (form == 2) {
            if (err)
                *err = tried;
            break;
        }
        rc = 0;
    }
    dg_objset_free(&set);
    if (!rc)
        rc = dg_buf_append(out, cm.data, cm.len) ? dg_err_set(err, DG_ENOMEM, "out of memory")
                                                 : 0;
    dg_buf_free(&cm);
    return rc;
}

int dg_publish_names(const char *release, const char *ns, const char *baseline_ns,
                     dg_err_t *err)
{
    if (release && !dns_name(release, 53, true))
        return dg_err_set(err, DG_EINVAL,
                          "release name '%s' is not valid: lowercase letters, digits, '-' and "
                          "'.', at most 53 characters (Helm's rule)", release);
    if (ns && !dns_name(ns, 63, false))
        return dg_err_set(err, DG_EINVAL, "namespace '%s' is not a valid RFC 1123 label", ns);
    if (baseline_ns && !dns_name(baseline_ns, 63, false))
        return dg_err_set(err, DG_EINVAL, "baseline namespace '%s' is not a valid RFC 1123 label",
                          baseline_ns);
    return 0;
}

/* "driftgate-baseline.<ns>.<release>" */
static bool publish_named(const char *name, const char *ns, const char *release)
{
    size_t p = sizeof DG_PUBLISH_PREFIX - 1, n = strlen(ns);

    return strncmp(name, DG_PUBLISH_PREFIX, p) == 0 && strncmp(name + p, ns, n) == 0 &&
           name[p + n] == '.' && strcmp(name + p + n + 1, release) == 0;
}

bool dg_publish_before(const char *a, const char *b, const char *ns, const char *release)
{
    bool na = publish_named(a, ns, release), nb = publish_named(b, ns, release);

    return na != nb ? na : strcmp(a, b) < 0;
}
