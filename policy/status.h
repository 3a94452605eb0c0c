/* policy/status.h: a release's pipeline card, as the seed's console shows
 * it: the workflow, the source of truth (where the baseline came from, its
 * revision, chart, digest and age), the active drift signals, the scope,
 * the state, and the gate in front of it. The caller gathers the facts
 * (files, kubectl, the clock); this module decides the state and renders.
 * Pure: libc, jansson, diff.h, report.h. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_STATUS_H
#define DG_STATUS_H

#include <stdbool.h>

#include "buf.h"
#include "diff.h"
#include "err.h"
#include "report.h"

/* The workflow the card belongs to: release assurance of a Helm release. */
#define DG_STATUS_WORKFLOW "helm-release-assurance"

typedef enum dg_state {
    DG_STATE_IN_SYNC,           /* "in-sync": live matches the baseline */
    DG_STATE_VARIANCE,          /* "variance-detected" */
    DG_STATE_RECONCILE_PENDING, /* "reconcile-pending": drift, and a saved plan for it */
    DG_STATE_NO_BASELINE        /* "no-baseline": nothing says what the release should be */
} dg_state_t;

/* Where the baseline came from. Strings borrowed from the caller. */
typedef struct dg_status_source {
    const char *origin;   /* "published", "helm" or "file" */
    const char *location; /* "driftgate-system/driftgate-baseline.ns.rel",
                           * "sandbox-nginx/sh.helm.release.v1.rel.v3", a path;
                           * without a baseline: what was looked for */
    long revision;        /* 0 = unknown */
    const char *chart;    /* NULL = unknown */
    const char *digest;   /* "sha256:<hex>", NULL = unknown */
    long age;             /* seconds since it was written; < 0 = unknown */
} dg_status_source_t;

/* Verdicts about the gate, each with why in words. */
typedef enum dg_tristate { DG_UNKNOWN = 0, DG_YES, DG_NO } dg_tristate_t;

/* The admission gate in front of the release (online only). Strings
 * borrowed from the caller; NULL = not known. */
typedef struct dg_status_gate {
    bool checked;                /* false: offline, no gate looked at */
    const char *note;            /* why it could not be looked at, or NULL */
    const char *configuration;   /* the ValidatingWebhookConfiguration; NULL: none */
    const char *webhook;         /* its webhook's name */
    const char *failure_policy;  /* "Fail" or "Ignore" */
    const char *endpoint;        /* the URL, or "service ns/name:port" */
    dg_tristate_t ca_verifies;   /* does its caBundle verify driftgate's certificate? */
    const char *ca_detail;       /* why: "https://127.0.0.1:8443", "not reachable", ... */
    dg_tristate_t deployers;     /* does the gate's policy name deployers? */
    const char *deployers_detail;
} dg_status_gate_t;

typedef struct dg_status {
    const char *ns, *release;          /* the scope */
    bool has_baseline;                 /* false: state no-baseline, @source unset */
    dg_status_source_t source;
    const dg_variances_t *variances;   /* borrowed; NULL = none */
    const char *plan;                  /* a saved plan for this release, or NULL */
    dg_status_gate_t gate;
} dg_status_t;

/** The state of @s: no-baseline without one; in-sync without variances;
 *  reconcile-pending when it drifted and a plan is saved; else
 *  variance-detected. */
dg_state_t dg_status_state(const dg_status_t *s);

/** "in-sync", "variance-detected", "reconcile-pending", "no-baseline". */
const char *dg_state_name(dg_state_t st);

/** An age as kubectl prints one: "45s", "12m", "5h", "3d"; "unknown" when
 *  negative. Writes into @buf; returns it. */
const char *dg_status_age(long seconds, char *buf, size_t size);

/** Render the card of @s: DG_FMT_TABLE (the card, then the variance table
 *  as `driftctl diff` prints it) or DG_FMT_JSON ({"workflow", "scope":
 *  {"namespace","release"}, "state", "source": {"origin","location",
 *  "revision","chart","digest","age","ageSeconds"} (null without a
 *  baseline; then "reason" says what was looked for), "signals": {"total","deny","warn","audit"}, "plan", "gate"
 *  (online only), "variances": [...as diff -o json]}).
 *  Returns 0, DG_EINVAL (another format) or DG_ENOMEM. */
DG_MUST_CHECK int dg_status_render(const dg_status_t *s, dg_format_t fmt, dg_buf_t *out,
                                   dg_err_t *err);

/* ---- the consoles' context line ------------------------------------------------------- */

/* The seed's context line names the workflow an operator runs on the
 * console, an audit of a Helm release; the card's DG_STATUS_WORKFLOW names
 * what the pipeline assures. Two fields, two names, as in the seed. */
#define DG_CONTEXT_WORKFLOW "helm-release-audit"

/* What the two context lines say. Strings borrowed; NULL = "?" for the
 * scope, "unknown" for the state, "none" for the rest. */
typedef struct dg_context {
    const char *ns, *release;
    const char *state;     /* dg_state_name(), or a host's "no-cluster", ... */
    const char *shell;     /* the operator's shell's name, or the host's */
    const char *cluster;   /* the kubectl context, "offline", ... */
    const char *audited;   /* the kinds the evidence covers: "hpa,svc" */
    const char *artifact;  /* the baseline: a path or a location; its last
                            * part is shown */
} dg_context_t;

/** Append to @kinds ("hpa,svc", at most @size bytes with the NUL) the
 *  kubectl short name of @group/@kind unless it is there already: how
 *  every host spells the kinds its evidence covers. */
void dg_context_add_kind(char *kinds, size_t size, const char *group, const char *kind);

/** The two lines every console shows, the terminal's and both web hosts':
 *  "context: NS / RELEASE  workflow: helm-release-audit  state: STATE" and
 *  "shell=S cluster=C audited=KINDS artifact=FILE", into @l1 and @l2. */
void dg_context_lines(const dg_context_t *c, char *l1, size_t n1, char *l2, size_t n2);

/** The context as the consoles' /api/v1/context says it: {"namespace",
 *  "release", "workflow": DG_CONTEXT_WORKFLOW, "state", "shell", "cluster",
 *  "audited", "artifact", "lines": [l1, l2]} (dg_context_lines()).
 *  Returns a new reference, or NULL out of memory. */
json_t *dg_context_json(const dg_context_t *c);

#endif
