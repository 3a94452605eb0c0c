/* webhook/metrics.h: driftgate's Prometheus metrics, lock-free counters
 * updated on the request path and rendered in text format on scrape. One
 * dg_metrics_t per gate, owned by dg_gate_t; every part that counts is
 * handed it when it is made. Every function takes a non-NULL @m.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_METRICS_H
#define DG_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "decide.h"

typedef struct dg_metrics dg_metrics_t; /* opaque */

/** Every counter and gauge at zero, no watch slot taken. Returns NULL when
 *  out of memory; caller frees with dg_metrics_free(). */
dg_metrics_t *dg_metrics_new(void);

/** Free @m (NULL is fine) and set it to NULL. Nothing may count into it
 *  any more: free it after everything it was handed to. */
void dg_metrics_free(dg_metrics_t **m);

/** Count one judged request: its verdict, the code answered (200, 403,
 *  503) and the handler's latency in nanoseconds. */
void dg_metrics_decision(dg_metrics_t *m, dg_verdict_t v, int code, uint64_t ns);

/** Count one request refused at the HTTP layer (400, 404, 405, 413, 415...). */
void dg_metrics_rejected(dg_metrics_t *m, int http_code);

/* What became of a denial's re-read. */
typedef enum dg_reread_outcome {
    DG_REREAD_MADE,       /* this request read the API */
    DG_REREAD_SHARED,     /* it took the answer of a read another request made */
    DG_REREAD_UNANSWERED, /* its budget ran out first: the stored judgement stands */
} dg_reread_outcome_t;

void dg_metrics_reread(dg_metrics_t *m, dg_reread_outcome_t what);

void dg_metrics_set_baselines(dg_metrics_t *m, long n);
void dg_metrics_set_variances(dg_metrics_t *m, long n);
void dg_metrics_set_synced(dg_metrics_t *m, int synced);
/* Baseline ConfigMaps outside the baseline namespace, ignored (DESIGN.md "Trust"). */
void dg_metrics_set_untrusted(dg_metrics_t *m, long n);
/* Baseline ConfigMaps of a release that has another, enforced instead. */
void dg_metrics_set_shadowed(dg_metrics_t *m, long n);
/* Objects claimed by two releases. */
void dg_metrics_set_conflicts(dg_metrics_t *m, long n);

/* Requests driftgate makes to the Kubernetes API, by verb; each page of a
 * paginated LIST is one. */
typedef enum dg_kube_verb {
    DG_KUBE_GET, DG_KUBE_LIST, DG_KUBE_WATCH, DG_KUBE_CREATE, DG_KUBE_PATCH, DG_KUBE_NVERBS
} dg_kube_verb_t;
void dg_metrics_kube_request(dg_metrics_t *m, dg_kube_verb_t verb);
/* One that failed: no answer, or not 200. */
void dg_metrics_kube_error(dg_metrics_t *m, dg_kube_verb_t verb);

#define DG_METRICS_MAX_WATCHES 8

/** A watch by @name (a static string, e.g. "helm-secrets"), for its
 *  metrics; the same name gets the same slot. Returns the slot, or -1 when
 *  every slot is taken (its metrics are then not kept). */
int dg_metrics_watch_register(dg_metrics_t *m, const char *name);
/** Slot @w heard from the API server now: an event, a bookmark, or the
 *  end of a list. driftgate_watch_last_event_age_seconds grows from here. */
void dg_metrics_watch_event(dg_metrics_t *m, int w);
/** Slot @w began a full list (the first, or a relist). */
void dg_metrics_watch_list(dg_metrics_t *m, int w);

/* Governed objects the continuous audit could not read (403, 5xx, timeout):
 * their last result is kept, never reported as in sync. */
void dg_metrics_set_audit_unread(dg_metrics_t *m, long n);
/* Helm release records held (superseded ones are never fetched), and of
 * them those skipped: they did not decode, or were too big. */
void dg_metrics_set_helm_records(dg_metrics_t *m, long held, long skipped);
/* One Helm release record decoded (inflated and parsed). */
void dg_metrics_helm_decoded(dg_metrics_t *m);

/** Render everything, plus @cert_expiry_s (seconds until the serving
 *  certificate expires) and @log_dropped (the gate's dg_log_dropped()),
 *  into @out. Returns 0 or DG_ENOMEM. */
int dg_metrics_render(dg_metrics_t *m, dg_buf_t *out, double cert_expiry_s,
                      unsigned long long log_dropped);

#endif
