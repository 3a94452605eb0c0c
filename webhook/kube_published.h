/* webhook/kube_published.h: baseline ConfigMaps (driftctl publish) as the
 * watch delivers them, into releases. Only those in the baseline namespace
 * are believed: one elsewhere is anyone's to write, so it is logged once
 * per version, counted and ignored (DESIGN.md "Trust"). A ConfigMap that
 * stops loading keeps its last good version, marked as kept. Each version
 * is loaded once. Used by one thread (the watch's).
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_KUBE_PUBLISHED_H
#define DG_KUBE_PUBLISHED_H

#include <jansson.h>

#include "baselines.h"
#include "err.h"
#include "log.h"
#include "metrics.h"

typedef struct dg_kube_published dg_kube_published_t; /* opaque */

/** An empty set trusting @baseline_ns (copied), counting the ConfigMaps it
 *  ignores in @metrics and logging those it skips to @log (both borrowed:
 *  must outlive the set). NULL when out of memory. */
dg_kube_published_t *dg_kube_published_new(const char *baseline_ns, dg_metrics_t *metrics,
                                           dg_log_t *log);
void dg_kube_published_free(dg_kube_published_t **p);

/** @cm (borrowed) is now the ConfigMap under @key ("ns/name"): loaded now. */
void dg_kube_published_put(dg_kube_published_t *p, const char *key, json_t *cm);

/** The ConfigMap under @key is gone: so is its release. */
void dg_kube_published_del(dg_kube_published_t *p, const char *key);

/** Every release, as new references in a malloced array (drop each with
 *  dg_release_free(), then free it). Returns 0 or DG_ENOMEM. */
DG_MUST_CHECK int dg_kube_published_releases(dg_kube_published_t *p, dg_release_t ***rels,
                                             size_t *n);

#endif
