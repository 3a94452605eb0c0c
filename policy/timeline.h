/* policy/timeline.h: the audit lifecycle (DESIGN.md): the API server's audit
 * events about a release's governed objects and about its intent (Helm
 * release records, baseline ConfigMaps), each classified as one of the
 * seed's three stages: baseline-render, out-of-band-mutation,
 * controlled-reconcile. `driftctl timeline` reads audit logs with it, and
 * driftgate's audit backend can feed it the events it is sent.
 *
 * Two steps, both pure (no files, no clock; one parsed audit.k8s.io/v1
 * Event in at a time, a small state between calls):
 *   dg_timeline_classify()  any order: what one event is, and what it says
 *                           about which release owns which object;
 *   dg_timeline_resolve()   in time order: what the log knew when it
 *                           happened (the revision in force, the baseline
 *                           a change let through unjudged is measured
 *                           against, the owner when the event itself does
 *                           not say).
 * dg_timeline_t keeps the classified events of a whole log (in any order)
 * and runs the second step once they are sorted.
 * Depends on diff.h (the one definition of a variance), policy.h, err.h.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_TIMELINE_H
#define DG_TIMELINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "policy.h"

typedef enum dg_timeline_stage {
    DG_TL_RENDER = 1, /* baseline-render: intent set, or Helm applying it */
    DG_TL_MUTATION,   /* out-of-band-mutation: any other write, whatever its outcome */
    DG_TL_RECONCILE   /* controlled-reconcile: driftgate's decision `reconcile` */
} dg_timeline_stage_t;

/** "baseline-render", "out-of-band-mutation", "controlled-reconcile". */
const char *dg_timeline_stage_name(dg_timeline_stage_t s);

/* One governed value an event changed or tried to change. JSON null is
 * "absent" (not in the baseline, or removed). */
typedef struct dg_timeline_variance {
    char *path;        /* malloced concrete path; "(object)" for a whole object */
    json_t *desired;   /* new reference; NULL = not known from the log */
    json_t *requested; /* new reference, never NULL */
    json_t *before;    /* new reference; a reconcile's value before it; else NULL */
} dg_timeline_variance_t;

/* One classified audit event. Strings are malloced (NULL when absent). */
typedef struct dg_timeline_event {
    int64_t when;           /* requestReceivedTimestamp, ns since the epoch */
    char *time;             /* the same as the log wrote it */
    char *audit_id;
    dg_timeline_stage_t stage;
    char *verb;             /* create, update, patch, delete */
    bool dry_run;           /* ?dryRun=All: judged, nothing stored */
    char *user;             /* who the request acted as (the impersonated user, if any) */
    char *impersonated_by;  /* who impersonated, or NULL */
    char *user_agent;
    char *group, *resource, *subresource, *ns, *name; /* objectRef; "" = core group */
    int code;               /* responseStatus.code; 0 = not recorded */
    char *decision;         /* driftgate's decision annotation; "failed-open",
                             * "webhook-unreachable"; NULL = none */
    char *release;          /* owner "namespace/name", or NULL when not known */
    long revision;          /* a render's revision, else the one in force; 0 = unknown */
    char *rule, *reason, *message;
    dg_timeline_variance_t *variances; /* malloced array of @nvariances */
    size_t nvariances;
    bool intent;            /* about a Helm record or baseline ConfigMap, not a
                             * governed object */
    bool unjudged;          /* let through without driftgate's judgement: its
                             * variances come from @stored in dg_timeline_resolve() */
    json_t *stored;         /* new reference or NULL: the object as stored, which
                             * dg_timeline_resolve() reads and drops */
} dg_timeline_event_t;

/** Free what @e holds and zero it. NULL-safe. */
void dg_timeline_event_clear(dg_timeline_event_t *e);

/* What to keep. Strings are borrowed for the lifetime of the state. */
typedef struct dg_timeline_opts {
    const char *ns;            /* release namespace; NULL = every namespace */
    const char *release;       /* release name; NULL = every release */
    const char *object_group;  /* --object: its kind's group, resource and */
    const char *object_resource; /* name; NULL = every governed object */
    const char *object_name;
    const char *webhook;       /* the webhook's name, whose annotations are read;
                                * NULL = "validate.driftgate.io" */
    const char *baseline_ns;   /* where baseline ConfigMaps are believed;
                                * NULL = "driftgate-system" */
    const dg_policy_t *pol;    /* which kinds are governed; required */
} dg_timeline_opts_t;

/** Point @to at one governed object given as @spec "KIND/NAME" (e.g.
 *  "hpa/test-nginx"; the name is borrowed from @spec); @what names the
 *  input in errors ("--object"). Returns 0 or DG_EINVAL. */
DG_MUST_CHECK int dg_timeline_opts_object(dg_timeline_opts_t *to, const char *what,
                                          const char *spec, dg_err_t *err);

/* What the log has taught: owners of objects, the revision in force per
 * release, the last known baseline per object. Opaque; grows with the
 * objects and releases that match @opts, not with the log. */
typedef struct dg_timeline_state dg_timeline_state_t;

/** A new state for @opts (copied; its strings are borrowed). Returns NULL
 *  when out of memory. Free with dg_timeline_state_free(). */
dg_timeline_state_t *dg_timeline_state_new(const dg_timeline_opts_t *opts, dg_err_t *err);
void dg_timeline_state_free(dg_timeline_state_t **st);

/** Classify one audit event @ev (borrowed). Keeps ResponseComplete writes
 *  to governed objects and to the release's intent that match the
 *  options; learns object owners from every event it reads. Returns 1 with
 *  *@out filled (clear it with dg_timeline_event_clear()), 0 when the event
 *  is not kept (*@out untouched), DG_EPARSE when @ev is not an audit Event
 *  (no kind Event, stage, verb or RFC 3339 requestReceivedTimestamp), or
 *  DG_ENOMEM. */
DG_MUST_CHECK int dg_timeline_classify(dg_timeline_state_t *st, const json_t *ev,
                                       dg_timeline_event_t *out, dg_err_t *err);

/** Step two, for events in time order: fill in the owner (when the event
 *  did not name one), the revision in force, and for a change let through
 *  unjudged the variances of its stored object against the last known
 *  baseline (the last render the log recorded, corrected by driftgate's
 *  later annotations); learn baselines from renders and annotations; drop
 *  @e->stored. Returns 1 to keep @e; 0 when it belongs to another release
 *  than the one asked for, or to none that the log shows (unless the
 *  object was asked for by name); DG_ENOMEM. */
DG_MUST_CHECK int dg_timeline_resolve(dg_timeline_state_t *st, dg_timeline_event_t *e,
                                      dg_err_t *err);

/** Learn what @e teaches (the revision a render sets, the baseline it
 *  stores, the desired values driftgate named) without resolving it: for
 *  events outside the window shown, in any order (the newest fact wins).
 *  dg_timeline_resolve() calls it. Returns 0 or DG_ENOMEM. */
DG_MUST_CHECK int dg_timeline_learn(dg_timeline_state_t *st, const dg_timeline_event_t *e,
                                    dg_err_t *err);

/** The event as `driftctl timeline -o json` prints it: time, stage, verb,
 *  dryRun, user, impersonatedBy, userAgent, object {group, resource,
 *  subresource, namespace, name}, code, decision, release, revision, rule,
 *  reason, variances [{path, desired, requested (, before)}], message;
 *  values not recorded are null (a variance's desired is left out when
 *  the log does not show it). Returns a new reference, NULL when out of memory. */
json_t *dg_timeline_event_json(const dg_timeline_event_t *e);

/* ---- a whole log --------------------------------------------------------------- */

typedef struct dg_timeline dg_timeline_t; /* opaque */

/** A collector for @opts; events before @since (ns since the epoch;
 *  INT64_MIN = none) are learned from (dg_timeline_learn()), not kept. NULL when out
 *  of memory. Free with dg_timeline_free(). */
dg_timeline_t *dg_timeline_new(const dg_timeline_opts_t *opts, int64_t since, dg_err_t *err);
void dg_timeline_free(dg_timeline_t **tl);

/** Classify @ev (borrowed) and keep it when it matches. Returns 0,
 *  DG_EPARSE (not an audit event; nothing kept) or DG_ENOMEM. */
DG_MUST_CHECK int dg_timeline_add(dg_timeline_t *tl, const json_t *ev, dg_err_t *err);

/** Sort what was kept by time (then by input order), drop repeated events
 *  (the same auditID, as when a log is given twice) and resolve each.
 *  Call once, after the last dg_timeline_add(). Returns 0 or DG_ENOMEM. */
DG_MUST_CHECK int dg_timeline_finish(dg_timeline_t *tl, dg_err_t *err);

size_t dg_timeline_count(const dg_timeline_t *tl);
/** The @i-th event in time order (after dg_timeline_finish()). Borrowed. */
const dg_timeline_event_t *dg_timeline_at(const dg_timeline_t *tl, size_t i);

#endif
