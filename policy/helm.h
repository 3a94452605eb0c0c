/* policy/helm.h: Helm's own release records, as the ConfigMap
 * (HELM_DRIVER=configmap) and Secret (the default driver) storage drivers
 * write them: sh.helm.release.v1.<name>.v<revision>, whose "release" field
 * is base64(gzip(JSON)) with the rendered manifest (a Secret read from the
 * API wraps that in one more base64). Pure: libc, jansson, zlib.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_HELM_H
#define DG_HELM_H

#include <jansson.h>
#include <stddef.h>

#include "baselines.h"
#include "err.h"

typedef struct dg_helm_record {
    char *record;   /* "<namespace>/<object name>", for messages */
    char *name;     /* the release */
    char *ns;
    long version;   /* the revision */
    char *status;   /* "deployed", "superseded", "pending-upgrade", ... */
    char *chart;    /* "nginx-0.1.0", or NULL */
    char *manifest; /* the rendered manifest; NULL once dropped (superseded) */
} dg_helm_record_t;

/* Whoever can write a ConfigMap or Secret labelled owner=helm chooses a
 * record's size: 22 KB of gzip can inflate to gigabytes. */
#define DG_HELM_MAX_RECORD_BYTES ((size_t)4 << 20)   /* data.release, as stored */
#define DG_HELM_MAX_RELEASE_BYTES ((size_t)32 << 20) /* the release JSON, inflated */

typedef struct dg_helm_limits {
    size_t max_record;  /* data.release as the API returns it (base64 text);
                         * 0 = DG_HELM_MAX_RECORD_BYTES */
    size_t max_release; /* the release JSON once decoded and inflated;
                         * 0 = DG_HELM_MAX_RELEASE_BYTES */
} dg_helm_limits_t;

/** Decode the ConfigMap or Secret @obj (as the API returns it) into @out.
 *  A data.release longer than @lim->max_record is refused before anything
 *  is decoded, and inflating stops at @lim->max_release (DG_ETOOBIG), so a
 *  gzip bomb costs at most that much memory. @lim NULL = the defaults.
 *  Errors name the record and what is wrong (too big, bad base64, not gzip,
 *  not a release, no manifest). Returns 0, DG_EPARSE, DG_EINVAL, DG_ETOOBIG
 *  or DG_ENOMEM. */
DG_MUST_CHECK int dg_helm_decode(const json_t *obj, const dg_helm_limits_t *lim,
                                 dg_helm_record_t *out, dg_err_t *err);

void dg_helm_record_free(dg_helm_record_t *r);

/** Is @status one of Helm's pending-* states (a change in flight)? */
bool dg_helm_pending(const char *status);

/** From the records of one release (@n of them, any order), build its
 *  baseline: the highest-revision "deployed" record, plus as rel->pending
 *  the highest "pending-*" record newer than it. DG_ENOTFOUND when no
 *  record is deployed or pending. */
DG_MUST_CHECK int dg_helm_release(const dg_helm_record_t *const *recs, size_t n,
                                  dg_release_t **out, dg_err_t *err);

#endif
