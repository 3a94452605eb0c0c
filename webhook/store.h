/* webhook/store.h: the baseline store. Sources (a directory of baseline
 * ConfigMaps, the Kubernetes API) each publish their current releases;
 * the store merges them (published baselines outrank Helm records) into an
 * immutable, reference-counted snapshot that request threads read without
 * blocking writers. A source that fails keeps its last good releases.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_STORE_H
#define DG_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "baselines.h"
#include "err.h"
#include "log.h"
#include "metrics.h"

typedef enum dg_source {
    DG_SOURCE_DIR,       /* --baseline-dir */
    DG_SOURCE_PUBLISHED, /* baseline ConfigMaps from the API */
    DG_SOURCE_HELM,      /* Helm release records from the API */
    DG_SOURCE_HPAS,      /* the live cluster's HPAs (who owns replicas) */
    DG_SOURCE_COUNT
} dg_source_t;

typedef struct dg_snapshot {
    _Atomic long refs;
    dg_baselines_t *bases;   /* the merged baselines */
    json_t *variances;       /* the continuous audit's findings: JSON array */
    long nvariances;
    unsigned long generation;
    bool synced;             /* every enabled source has synced */
    const dg_objset_t *hpas; /* the live HPAs; NULL when not watched */
    struct dg_shared_set *hpas_ref; /* keeps @hpas alive */
} dg_snapshot_t;

typedef struct dg_store dg_store_t;

/** An empty store whose gauges (baselines, variances, conflicts, synced)
 *  go to @metrics and whose lines (conflicts, files loaded or skipped) go
 *  to @log (both borrowed: must outlive the store). NULL when out of
 *  memory; caller frees with dg_store_free(). */
dg_store_t *dg_store_new(dg_metrics_t *metrics, dg_log_t *log);
void dg_store_free(dg_store_t **store);

/** Declare that @src feeds the store: the store is not synced until it has. */
void dg_store_enable(dg_store_t *store, dg_source_t src);

/** Replace @src's releases with @rels (@n of them; references are taken,
 *  the caller keeps its own) and mark it synced. Returns 0 or DG_ENOMEM
 *  (then the previous snapshot stays). */
int dg_store_update(dg_store_t *store, dg_source_t src, dg_release_t *const *rels, size_t n,
                    dg_err_t *err);

/** Replace the live HPAs with @hpas (stolen) and mark DG_SOURCE_HPAS
 *  synced. Returns 0 or DG_ENOMEM (then the previous set stays). */
int dg_store_set_hpas(dg_store_t *store, dg_objset_t *hpas, dg_err_t *err);

/** Record the audit's variances (stolen JSON array) and their count. */
void dg_store_set_variances(dg_store_t *store, json_t *variances, long n);

/** The current snapshot, with a reference: release it when done. Never NULL. */
dg_snapshot_t *dg_store_acquire(dg_store_t *store);
void dg_snapshot_release(dg_snapshot_t **snap);

/** Load every *.yaml / *.yml / *.json in @dir as a baseline ConfigMap
 *  (driftctl publish output) into @src DG_SOURCE_DIR; a plain render is
 *  refused, since nothing in it says its release and namespace. A file is
 *  read again when its mtime or size changes. A file that does not load is
 *  logged once per change, with its name and what is kept: the release it
 *  held before, or nothing. Returns the number of releases, or a DG_E* code
 *  when @dir cannot be read. */
int dg_store_load_dir(dg_store_t *store, const char *dir, dg_err_t *err);

#endif
