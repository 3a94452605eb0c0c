/* webhook/drift.h: what the continuous audit's drift episodes look like
 * after its last pass (policy/episode.c keeps them, on the audit's thread):
 * the ended episodes and the oldest open one per release, published whole
 * after each pass for /api/v1/variances and /metrics, under a lock of its
 * own that no request waits behind the audit for.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_DRIFT_H
#define DG_DRIFT_H

#include <jansson.h>
#include <stdint.h>

#include "buf.h"

typedef struct dg_drift dg_drift_t; /* opaque; thread-safe */

/** NULL when out of memory. */
dg_drift_t *dg_drift_new(void);
void dg_drift_free(dg_drift_t **d);

/** Publish a pass: @ended (dg_episodes_ended_json(), stolen), @oldest
 *  (dg_episodes_oldest(), stolen), the open and untracked counts. */
void dg_drift_publish(dg_drift_t *d, json_t *ended, json_t *oldest, size_t open, size_t untracked);

/** The ended episodes last published; new reference (an empty array). */
json_t *dg_drift_ended(dg_drift_t *d);

/** driftgate_drift_episode_oldest_seconds{namespace,release} (at @now,
 *  Unix seconds), driftgate_drift_episodes_open and _untracked, appended
 *  to @out. 0 or DG_ENOMEM. NULL-safe. */
int dg_drift_metrics(dg_drift_t *d, int64_t now, dg_buf_t *out);

#endif
