/* policy/episode.h: drift episodes. The continuous audit sees a governed
 * (object, path) drift pass after pass; an episode is that stretch: when
 * it started (first seen, or the time of the write that caused it when the
 * audit log told driftgate), when it was last seen, who changed it, the
 * break-glass hold that covers it and until when, and how it ended
 * (reconciled: the live value went back; adopted: a new revision made the
 * live value the desired one). Pure: times are passed in (Unix seconds),
 * no I/O; depends on jansson, strmap.h, err.h.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_EPISODE_H
#define DG_EPISODE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define DG_EPISODE_HOLD_EXPIRED "hold expired: reconcile or adopt"

typedef enum { DG_EPISODE_OPEN, DG_EPISODE_RECONCILED, DG_EPISODE_ADOPTED } dg_episode_end_t;

typedef struct dg_episode {
    char *release;         /* malloced "ns/name" */
    char *object;          /* malloced: the object as variances name it */
    char *path;            /* malloced */
    int64_t started;       /* Unix seconds */
    bool started_from_audit; /* @started is the causing write's, from the audit log */
    int64_t last_seen;
    char *changed_by;      /* malloced field manager or user; NULL = unknown */
    bool changed_by_audit; /* a user from the audit log, not a field manager */
    int64_t hold_until;    /* break-glass expiry covering it; 0 = none */
    long revision;         /* the release's revision when it started */
    dg_episode_end_t end;
    int64_t ended;         /* when its end was seen; 0 while open */
    bool seen;             /* private: observed in the current pass */
} dg_episode_t;

/* One drifted (object, path) as a pass found it. Strings borrowed. */
typedef struct dg_episode_obs {
    const char *release, *object, *path;
    long revision;            /* the release's revision now */
    const char *changed_by;   /* field manager owning the path, or NULL */
    int64_t hold_until;       /* the object's break-glass expiry, or 0 */
} dg_episode_obs_t;

typedef struct dg_episodes dg_episodes_t; /* opaque; not thread-safe */

/** At most @max_open open episodes (more are not tracked, and counted) and
 *  the last @max_ended ended ones. NULL when out of memory. */
dg_episodes_t *dg_episodes_new(size_t max_open, size_t max_ended);
void dg_episodes_free(dg_episodes_t **e);

/** Start a pass: every open episode is unseen until observed again. */
void dg_episodes_begin(dg_episodes_t *e);

/** @o drifts at @now. Returns its episode (borrowed until the next call
 *  that changes @e), a new one with *@is_new set when none was open; NULL
 *  when out of memory or past max_open (dg_episodes_untracked() counts). */
dg_episode_t *dg_episodes_observe(dg_episodes_t *e, const dg_episode_obs_t *o, int64_t now,
                                  bool *is_new);

/** What the audit log says caused @ep: the write at @when by @user.
 *  Only moves its start earlier (a write after it was first seen did not
 *  start it), and once: a start from the audit log stays. The user is
 *  kept when no field manager is known. Returns 0 or DG_ENOMEM. */
DG_MUST_CHECK int dg_episodes_cause(dg_episode_t *ep, int64_t when, const char *user);

/** End the pass at @now. Each open episode not observed ends, unless
 *  @was_read(@ctx, release, object) says its object could not be read
 *  (then it stays open, as it was). It ends adopted when
 *  @revision(@ctx, release) differs from the revision it started under,
 *  reconciled otherwise. @ended(@ctx, ep) hears of each before it moves
 *  to the ended list (may be NULL). */
void dg_episodes_end_pass(dg_episodes_t *e, int64_t now,
                          bool (*was_read)(void *ctx, const char *release, const char *object),
                          long (*revision)(void *ctx, const char *release),
                          void (*ended)(void *ctx, const dg_episode_t *ep), void *ctx);

/** The open episode of @release/@object/@path, or NULL. Borrowed. */
const dg_episode_t *dg_episodes_find(const dg_episodes_t *e, const char *release,
                                     const char *object, const char *path);

/** {"started","startedFrom":"first-seen"|"audit-event","lastSeen",
 *  "ageSeconds","changedBy","changedByFrom":"field-manager"|"audit",
 *  "revision","hold":{"until","expired","message"}|null,
 *  "ended","endedBy":"reconciled"|"adopted"|null}, times RFC 3339.
 *  New reference, NULL when out of memory. */
json_t *dg_episode_json(const dg_episode_t *ep, int64_t now);

/** The ended episodes kept, oldest first, each dg_episode_json() plus
 *  release, object and path. New reference. */
json_t *dg_episodes_ended_json(const dg_episodes_t *e, int64_t now);

/** {"ns/name": start of its oldest open episode (Unix seconds)} for every
 *  release with one. New reference. */
json_t *dg_episodes_oldest(const dg_episodes_t *e);

size_t dg_episodes_open(const dg_episodes_t *e);
size_t dg_episodes_untracked(const dg_episodes_t *e);

#endif
