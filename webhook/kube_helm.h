/* webhook/kube_helm.h: Helm's release records (the ConfigMap and Secret
 * drivers), as the watches deliver them, into releases. Records are kept
 * as stored (compressed) and grouped by release from their labels; only
 * the records a release is built from (its latest deployed revision and a
 * newer pending one) are decoded, and a release is rebuilt only when the
 * uid or resourceVersion of one of those changes. A record that does not
 * decode, or is too big (a gzip bomb), is logged by name once and
 * remembered by uid and resourceVersion, never decoded again; its release
 * keeps its last good baseline. Thread-safe. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_KUBE_HELM_H
#define DG_KUBE_HELM_H

#include <jansson.h>

#include "baselines.h"
#include "err.h"
#include "helm.h"
#include "log.h"
#include "metrics.h"

/* Superseded revisions are history: never fetched (Helm labels each record
 * with its status). URL-encoded "owner=helm,status!=superseded". */
#define DG_KUBE_HELM_SELECTOR "owner%3Dhelm%2Cstatus%21%3Dsuperseded"

typedef struct dg_kube_helm dg_kube_helm_t; /* opaque */

/** An empty set decoding under @lim (copied; NULL = the defaults),
 *  counting records held and decoded in @metrics and logging records it
 *  skips to @log (both borrowed: must outlive the set). NULL when out of
 *  memory. */
dg_kube_helm_t *dg_kube_helm_new(const dg_helm_limits_t *lim, dg_metrics_t *metrics,
                                 dg_log_t *log);
void dg_kube_helm_free(dg_kube_helm_t **h);

/** @obj (borrowed; a reference is kept, nothing is decoded yet) is now the
 *  record under @key ("Secret/ns/name"). Returns 0 or DG_ENOMEM. */
DG_MUST_CHECK int dg_kube_helm_put(dg_kube_helm_t *h, const char *key, json_t *obj);

/** The record under @key is gone. */
void dg_kube_helm_del(dg_kube_helm_t *h, const char *key);

/** Rebuild the releases whose records in use changed, then hand out every
 *  release: *@rels is a malloced array of *@n new references (drop each
 *  with dg_release_free(), then free the array). Returns 0 or DG_ENOMEM. */
DG_MUST_CHECK int dg_kube_helm_releases(dg_kube_helm_t *h, dg_release_t ***rels, size_t *n);

/** Release @name in @ns from @items, a JSON array of its records as just
 *  read from the API (borrowed): the cached release when the records in
 *  use are those it was built from, else a fresh build (the cache is left
 *  to the watches). *@out is a new reference, or NULL when no revision is
 *  deployed or pending. Returns 0, or a DG_E* code with @err set when a
 *  record in use does not decode. */
DG_MUST_CHECK int dg_kube_helm_build(dg_kube_helm_t *h, const char *ns, const char *name,
                                     json_t *items, dg_release_t **out, dg_err_t *err);

#endif
