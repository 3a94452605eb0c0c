/* policy/kevent.h: the Kubernetes Events driftgate posts on the object it
 * judged or audited (events.k8s.io/v1): the note, the Event body, the
 * aggregation of repeats (client-go's event recorder: the same regarding
 * object, reason and note within a window is one Event whose series counts
 * them), the signature driftgate puts on each (HMAC-SHA256, libcrypto) and
 * the trust check on Events read back. Pure: no clock (times are passed
 * in), no I/O (the key's bytes are passed in); depends on jansson,
 * libcrypto, buf.h, err.h.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_KEVENT_H
#define DG_KEVENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define DG_KEVENT_CONTROLLER "driftgate.io/driftgate"
/* The userAgent of a timeline entry rebuilt from an Event: not the API
 * server's record of the request, and told apart by this. */
#define DG_KEVENT_USER_AGENT "driftgate/event"
#define DG_KEVENT_NOTE_MAX 1024   /* the API server refuses a longer note */
#define DG_KEVENT_ANN_MAX 1024    /* each driftgate.io/ annotation kept on an Event */
#define DG_KEVENT_FIELD_MAX 253   /* names, namespaces, users */
/* The annotation that carries an Event's signature: "v1:" and the
 * unpadded base64url HMAC-SHA256 of its canonical form. */
#define DG_KEVENT_SIG_ANNOTATION "driftgate.io/signature"
#define DG_KEVENT_KEY_LEN 32      /* the signing key: a SHA-256 */

/* One Event to post. Strings are borrowed; NULL or "" = not known. */
typedef struct dg_kevent {
    const char *reason;          /* DriftDenied, DriftBreakGlass, DriftReconciled,
                                  * DriftDetected, DriftResolved */
    const char *action;          /* Deny, BreakGlass, Reconcile, Audit */
    bool warning;                /* type Warning, else Normal */
    /* regarding */
    const char *api_version, *kind, *ns, *name, *uid, *resource_version;
    const char *group, *resource; /* for the timeline rebuilt from it */
    /* what the note names */
    const char *path, *desired, *value; /* value: requested or live */
    const char *value_label;     /* "requested" or "live" */
    const char *user, *release;  /* release "ns/name" */
    size_t more;                 /* further variances not named in the note */
    const char *decision;        /* driftgate's decision ("deny", ...), or NULL */
    const char *variances;       /* the decision's variances annotation, or NULL */
    const char *reconciled;      /* the decision's reconciled annotation, or NULL */
    const char *rule;
} dg_kevent_t;

/** Reason and action from @verdict_name ("deny", "break-glass",
 *  "reconcile"): 0 and *@e's reason/action/warning set, or -1 when that
 *  decision posts no Event. */
int dg_kevent_for_decision(const char *verdict_name, dg_kevent_t *e);

/** The note, at most DG_KEVENT_NOTE_MAX-1 bytes, into @out:
 *  "hpa test-nginx spec.minReplicas: desired 6, requested 4 by jane
 *  (release sandbox-nginx/test-nginx)". */
void dg_kevent_note(const dg_kevent_t *e, char *out, size_t size);

/** The aggregation key of @e with note @note: regarding (kind, namespace,
 *  name, uid), reason and note, hashed (FNV-1a, 64 bits). */
uint64_t dg_kevent_key(const dg_kevent_t *e, const char *note);

/** The Event to POST: events.k8s.io/v1, named @name in @e's namespace
 *  ("default" for a cluster-scoped object), eventTime @now_ns, the
 *  reporting controller and @instance, and driftgate.io/ annotations that
 *  let a restarted driftgate rebuild its timeline. New reference, or NULL
 *  when out of memory. */
json_t *dg_kevent_json(const dg_kevent_t *e, const char *note, const char *name,
                       const char *instance, int64_t now_ns);

/** The merge patch of an Event's series: {"series":{"count","lastObservedTime"}}. */
json_t *dg_kevent_series_patch(long count, int64_t last_ns);

/** "2026-12-01T23:00:00.123456Z" (MicroTime) into @out (at least 32 bytes). */
void dg_kevent_microtime(int64_t ns, char *out, size_t size);

/* ---- aggregation ------------------------------------------------------------------ */

typedef enum { DG_KEVENT_CREATE, DG_KEVENT_PATCH } dg_kevent_op_t;

typedef struct dg_kevent_agg dg_kevent_agg_t; /* opaque; not thread-safe */

/** Remember at most @cap Events (the least recently seen forgotten first),
 *  each aggregating repeats within @window_ns of its last. NULL when out
 *  of memory. */
dg_kevent_agg_t *dg_kevent_agg_new(size_t cap, int64_t window_ns);
void dg_kevent_agg_free(dg_kevent_agg_t **a);

/** @n more occurrences of @key at @now_ns. Returns DG_KEVENT_PATCH with
 *  the Event's @name and its total *@count when an Event for @key was
 *  created within the window; else DG_KEVENT_CREATE with a fresh name
 *  ("<@obj_name>.<16 hex>", at most 253 characters) and *@count = @n.
 *  @name needs 254 bytes. */
dg_kevent_op_t dg_kevent_agg_observe(dg_kevent_agg_t *a, uint64_t key, const char *obj_name,
                                     long n, int64_t now_ns, char *name, long *count);

/** The POST or PATCH for @key failed: forget it, so the next occurrence
 *  creates an Event again. */
void dg_kevent_agg_forget(dg_kevent_agg_t *a, uint64_t key);

/* ---- signing ---------------------------------------------------------------------- */

/** The Events signing key from @secret (the serving TLS private key
 *  file's bytes, which only driftgate's own namespace can read):
 *  SHA-256("driftgate.io/events/v1" || @secret). Returns 0, or DG_ENOMEM
 *  (then @key is not a key: do not sign or verify with it). */
DG_MUST_CHECK int dg_kevent_sign_key(const void *secret, size_t len,
                                     uint8_t key[DG_KEVENT_KEY_LEN]);

/** Append the canonical form of @ev (borrowed) to @out: the fields the
 *  rebuild on start reads that never change after the Event is created
 *  (see kevent.c for which, and why not its series). Returns 0, DG_EPARSE
 *  when a covered field is not a string (or eventTime not a time), or
 *  DG_ENOMEM. */
DG_MUST_CHECK int dg_kevent_canonical(const json_t *ev, dg_buf_t *out, dg_err_t *err);

/** Sign @ev (its metadata.name set): set DG_KEVENT_SIG_ANNOTATION to the
 *  signature of its canonical form under @key. Returns 0, DG_EPARSE or
 *  DG_ENOMEM (then @ev is unsigned). */
DG_MUST_CHECK int dg_kevent_sign(json_t *ev, const uint8_t key[DG_KEVENT_KEY_LEN], dg_err_t *err);

/** Does @ev (borrowed) carry a valid signature under @key? Compared in
 *  constant time. False for a missing, malformed or wrong signature. */
bool dg_kevent_verify(const json_t *ev, const uint8_t key[DG_KEVENT_KEY_LEN]);

/* ---- reading Events back --------------------------------------------------------------- */

/** The reportingInstance prefix a restarted driftgate believes, from its
 *  own pod name @own: a Deployment's pods are "<name>-<replicaset
 *  hash>-<pod suffix>", so "driftgate-7f9c4d5b8-x2x9z" gives "driftgate-";
 *  a name without two dashes is believed only as itself (@exact set). */
void dg_kevent_instance_prefix(const char *own, char *out, size_t size, bool *exact);

/** Is @ev (an events.k8s.io/v1 Event, borrowed, as listed: managedFields
 *  kept) one driftgate may believe on restart? It carries a valid
 *  signature under @key (dg_kevent_verify()): that is what proves driftgate
 *  wrote it, since anyone who may create Events in a namespace can forge
 *  every other field there (the field manager too). Checked first, as
 *  cheap filters: its reportingController is DG_KEVENT_CONTROLLER, its
 *  reportingInstance starts with @prefix (is @prefix when @exact; NULL =
 *  any) and is at most 128 characters, its reason one driftgate posts, its
 *  regarding namespace the Event's own, and its fields within bounds. */
bool dg_kevent_trusted(const json_t *ev, const char *prefix, bool exact,
                       const uint8_t key[DG_KEVENT_KEY_LEN]);

/** The audit.k8s.io/v1 Event that @ev (trusted) stands for, so that the
 *  timeline classifier files it as it would the API server's record of the
 *  same request: objectRef from regarding and the driftgate.io/group and
 *  resource annotations; the decision, release, rule, variances and
 *  reconciled annotations under @webhook's name; the user; the time its
 *  series was last observed, kept between its eventTime and @now_ns (the
 *  series is not signed), or its eventTime; userAgent
 *  DG_KEVENT_USER_AGENT. NULL when it cannot stand for one (no decision,
 *  no resource, no eventTime) or out of memory. New reference. */
json_t *dg_kevent_to_audit(const json_t *ev, const char *webhook, int64_t now_ns);

#endif
