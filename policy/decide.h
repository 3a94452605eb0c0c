/* policy/decide.h: the gate's decision, one function, shared by driftgate's
 * /validate and `driftctl simulate` ("simulation is enforcement").
 * Pure: no sockets, clock, env or globals; time and the one permitted
 * side effect (re-reading a Helm release) come in through dg_decide_env_t.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_DECIDE_H
#define DG_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "baselines.h"
#include "diff.h"
#include "err.h"
#include "policy.h"
#include "review.h"

/* Labels for the outcome; also the value of the "decision" audit annotation
 * and of the metrics' decision label. */
typedef enum dg_verdict {
    DG_VERDICT_SKIP,        /* not judged: not a CREATE/UPDATE/DELETE of a governed kind */
    DG_VERDICT_NO_BASELINE, /* no owner release / no baseline */
    DG_VERDICT_EXCLUDED,    /* namespace excluded by policy */
    DG_VERDICT_ALLOW,       /* nothing introduced (maybe pre-existing drift) */
    DG_VERDICT_RECONCILE,   /* moves governed values back to the baseline */
    DG_VERDICT_WARN,        /* introduced variances, warn rules only */
    DG_VERDICT_AUDIT,       /* introduced variances, audit rules only */
    DG_VERDICT_HELM_CHANGE, /* matches a pending Helm revision */
    DG_VERDICT_EXEMPT,      /* requester exempt */
    DG_VERDICT_BREAK_GLASS, /* break-glass honoured */
    DG_VERDICT_DENY,        /* introduced a deny variance */
    DG_VERDICT_UNSYNCED     /* store not synced: fail-open or fail-closed */
} dg_verdict_t;

/** "skip", "no-baseline", "excluded", "allow", "reconcile", "warn", "audit",
 *  "helm-change", "exempt", "break-glass", "deny", "unsynced". */
const char *dg_verdict_name(dg_verdict_t v);

/* Re-read one release's Helm records from the source of truth (the Kubernetes
 * API), bounded by @timeout_ms. Called at most once per decision, only before
 * denying a change to a Helm-owned object, because the store's watch can
 * trail Helm's own write (DESIGN.md step 7). On success *@fresh is a new
 * release (ownership passes to dg_decide) or NULL if there is nothing newer.
 * A failed re-read leaves the stored judgement standing, except DG_EWAIT
 * ("this caller may not wait": a polling thread): dg_decide then returns
 * DG_EWAIT, decides nothing, and the caller judges again where it may wait. */
typedef struct dg_refresh_ops {
    int (*refresh)(void *ctx, const char *release, const char *ns, long timeout_ms,
                   dg_release_t **fresh, dg_err_t *err);
    void *ctx;
} dg_refresh_ops_t;

typedef struct dg_decide_env {
    int64_t now;                    /* Unix seconds: judges break-glass expiry */
    bool synced;                    /* has the baseline store synced? */
    bool fail_open;                 /* stance while not synced */
    const dg_refresh_ops_t *refresh;/* NULL = no re-read (offline) */
    const char *release;            /* simulate --release: owner to assume for
                                     * a plain baseline; NULL = by identity */
    const dg_objset_t *hpas;        /* the live cluster's HPAs (the store's watch,
                                     * a --live snapshot): they own the replicas of
                                     * what they target. NULL = the release's own */
} dg_decide_env_t;

typedef struct dg_decision {
    dg_verdict_t verdict;
    dg_response_t response;        /* what goes on the wire */
    dg_variances_t introduced;     /* variances this request introduces or changes */
    dg_variances_t preexisting;    /* drift it leaves untouched */
    dg_variances_t reconciled;     /* drift it moves back to the baseline */
    char *release;                 /* NULL or malloced "ns/name" of the owner */
    char skip_reason[192];         /* why a request was not judged (DG_VERDICT_SKIP);
                                    * the response carries no annotation for it */
} dg_decision_t;

void dg_decision_init(dg_decision_t *d);
void dg_decision_free(dg_decision_t *d);

/** Judge @rv against @bases under @pol, implementing every step of "The
 *  gate's decision" in DESIGN.md, and fill @out (init'd by the caller).
 *  Always produces a response for a parsed review; returns DG_ENOMEM only
 *  when out of memory (the caller then answers 500), and DG_EWAIT only
 *  when @env's refresh returned it (@out is then no decision). */
DG_MUST_CHECK int dg_decide(const dg_review_t *rv, const dg_baselines_t *bases,
                            const dg_policy_t *pol, const dg_decide_env_t *env,
                            dg_decision_t *out, dg_err_t *err);

#endif
