/* webhook/gate.h: driftgate's configuration and the state its parts share.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_GATE_H
#define DG_GATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "decide.h"
#include "decisions.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "store.h"
#include "timelines.h"

/* 8 MiB: an UPDATE carries object and oldObject, up to ~3 MiB each. */
#define DG_GATE_DEFAULT_MAX_BODY ((size_t)8 << 20)

typedef struct dg_gate_cfg {
    const char *listen;         /* the webhook: "[host]:port"; ":8443" = every address */
    const char *metrics_listen; /* /metrics, plain HTTP; "" = off */
    const char *console_listen; /* the console and /api/v1, plain HTTP; "" = off */
    const char *tls_cert, *tls_key, *client_ca;
    const char *client_names;   /* comma list: the client certificate names allowed */
    const char *policy_file;    /* NULL = built-in policy */
    const char *baseline_dir;   /* NULL = none */
    const char *kubeconfig;     /* NULL and !in_cluster = no Kubernetes source */
    bool in_cluster;
    bool helm_secrets;          /* read Helm's Secret driver records (needs RBAC) */
    const char *baseline_ns;    /* the one namespace whose baseline ConfigMaps are
                                 * believed; NULL = driftgate's own (see kube.c) */
    const char *webhook_name;
    bool fail_open;
    size_t max_body;
    size_t max_inflight_body;   /* body bytes held across every connection */
    unsigned max_conns_per_ip;
    unsigned request_timeout_s; /* cap on one request, and idle/stalled connections */
    unsigned shutdown_delay_s;  /* SIGTERM: /readyz fails, serving goes on this long */
    unsigned reread_budget_ms;  /* the whole re-read before a denial */
    unsigned threads;
    unsigned audit_interval_s;
    unsigned dir_poll_s;
    size_t helm_record_max;     /* a Helm record's data.release; 0 = default */
    size_t helm_release_max;    /* a Helm release inflated; 0 = default */
    bool events;                /* post Kubernetes Events (with a Kubernetes source) */
    unsigned events_qps, events_burst; /* their token bucket */
} dg_gate_cfg_t;

typedef struct dg_kube dg_kube_t; /* kube.h */
typedef struct dg_tls dg_tls_t;   /* tls.h */
struct dg_events;                 /* events.h */
struct dg_drift;                  /* drift.h */

/* One gate: everything a running driftgate keeps is reached from here, so
 * two gates in one process (tests) share nothing. */
typedef struct dg_gate {
    const dg_gate_cfg_t *cfg;
    dg_log_t *log;                   /* owned; made first, freed last: the rest log to it */
    dg_metrics_t *metrics;           /* owned; made next, freed before @log: the rest count in it */
    dg_store_t *store;
    dg_policy_t *policy;
    const dg_refresh_ops_t *refresh; /* the Kubernetes source's re-read, or NULL */
    dg_decisions_t *decisions;       /* the recent decision records, or NULL: not kept */
    dg_timelines_t *timelines;       /* what POST /audit was sent, or NULL: not kept */
    dg_kube_t *kube;                 /* owned: the Kubernetes source, or NULL: none */
    dg_tls_t *tls;                   /* owned: the serving certificate; NULL in tests */
    /* The Event poster, or NULL: none posted. Atomic: it starts after the
     * audit thread that reads it. */
    struct dg_events *_Atomic events;
    struct dg_drift *drift;          /* the audit's episodes, or NULL: no audit */
    atomic_long inflight;            /* requests received and not yet completed */
    atomic_size_t inflight_body;     /* their body bytes, against max_inflight_body */
    atomic_bool draining;            /* SIGTERM received: /readyz fails */
} dg_gate_t;

#endif
