/* webhook/timelines.h: the live audit lifecycle: the events the API
 * server's audit webhook backend sends to POST /audit, classified as they
 * arrive by the same policy/timeline.c as `driftctl timeline`, kept per
 * release (the last @per_release events of at most @releases releases;
 * the release written to longest ago goes first) and rendered for GET
 * /api/v1/timeline exactly as `driftctl timeline -o json` renders a log.
 * Owned by the gate; safe to call from any thread.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_TIMELINES_H
#define DG_TIMELINES_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "report.h"
#include "timeline.h"

#define DG_TIMELINES_PER_RELEASE 1000
/* Events at the RequestResponse level carry whole objects (a few KiB
 * each): 1,000 events of 64 releases stay within a few hundred MiB. */
#define DG_TIMELINES_RELEASES 64

typedef struct dg_timelines dg_timelines_t;

/** A store classifying with @opts (ns, release and object are ignored:
 *  every release is kept; its strings and policy are borrowed for the
 *  store's lifetime). NULL when out of memory. */
dg_timelines_t *dg_timelines_new(const dg_timeline_opts_t *opts, size_t per_release,
                                 size_t releases, dg_err_t *err);
void dg_timelines_free(dg_timelines_t **tls);

/** Take an audit.k8s.io/v1 EventList (borrowed; its items get the kind
 *  Event they inherit from the list): keep each event that belongs to a
 *  release. Events that are not audit events are skipped and
 *  counted in *@skipped. Returns 0, DG_EPARSE (@list is not an EventList;
 *  nothing kept) or DG_ENOMEM. */
DG_MUST_CHECK int dg_timelines_add(dg_timelines_t *tls, json_t *list, size_t *skipped,
                                   dg_err_t *err);

/** Render the timeline of release @ns/@release, narrowed to @object
 *  ("KIND/NAME") when not NULL, as dg_report_timeline() does in @fmt.
 *  An unknown release is an empty timeline. Returns 0, DG_EINVAL (bad
 *  @object) or DG_ENOMEM. */
DG_MUST_CHECK int dg_timelines_render(dg_timelines_t *tls, const char *ns, const char *release,
                                      const char *object, dg_format_t fmt, dg_buf_t *out,
                                      dg_err_t *err);

/** How many events are kept for @ns/@release. */
size_t dg_timelines_count(dg_timelines_t *tls, const char *ns, const char *release);

#endif
