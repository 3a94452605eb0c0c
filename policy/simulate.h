/* policy/simulate.h: the gate's answer to a proposed change: the one
 * implementation behind `driftctl simulate`, the terminal console's
 * `simulate` and the web console's simulator on both hosts. A target
 * object and a change (values at governed paths, a patch, or the whole
 * object) become the UPDATE the API server would send (dg_review_build),
 * judged by dg_decide(), the one verdict function (DESIGN.md: simulation
 * is enforcement).
 * Pure: libc, jansson, review.h, decide.h, patch.h, path.h, report.h.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_SIMULATE_H
#define DG_SIMULATE_H

#include <jansson.h>
#include <stdbool.h>

#include "baselines.h"
#include "decide.h"
#include "err.h"
#include "obj.h"
#include "policy.h"
#include "review.h"

/* Which object the change is made to. */
typedef enum dg_sim_from {
    DG_SIM_FROM_LIVE = 0, /* live's (the baseline's when live has none); a
                           * change live already holds is replayed on the
                           * baseline's object */
    DG_SIM_FROM_BASELINE  /* the baseline's: an out-of-band change as the
                           * gate met it */
} dg_sim_from_t;

/* One governed path and the value to put there. Borrowed. */
typedef struct dg_sim_set {
    const char *path;     /* "spec.minReplicas", "spec.ports[name=http].port" */
    const json_t *value;
} dg_sim_set_t;

/* A proposed change: exactly one of @sets, @patch and @object. Strings and
 * JSON borrowed. */
typedef struct dg_sim_change {
    const char *target;        /* "hpa/test-nginx" (kubectl's kind names) */
    const dg_sim_set_t *sets;  /* applied in order */
    size_t nsets;
    const json_t *patch;       /* a merge patch (object), or with @json_patch */
    bool json_patch;           /* @patch is a JSON patch (RFC 6902 array) */
    const json_t *object;      /* the complete proposed object */
    const char *subresource;   /* NULL, or "scale": judged as an autoscaling/v1
                                * Scale, as the API server sends /scale */
    const char *user;          /* the requester; NULL = "driftctl-simulate" */
    const char *const *groups; /* its groups */
    size_t ngroups;
    bool dry_run;              /* mark the request dryRun (same answer) */
    dg_sim_from_t from;
} dg_sim_change_t;

/* What dg_simulate_review() built. */
typedef struct dg_sim_result {
    dg_review_t *rv;  /* the UPDATE; free with dg_review_free() */
    bool replayed;    /* live already held the change: judged on the baseline's */
    char note[320];   /* when @replayed, that in words; else "" */
} dg_sim_result_t;

/** Build the UPDATE that makes change @c to its target in release @rel
 *  (its namespace is the request's), from the object as @live (may be
 *  NULL) or the baseline holds it per @c->from. Fills @res (rv owned by the
 *  caller). Returns 0; DG_EINVAL (a bad target, path, patch, value or
 *  subresource: @err says which), DG_ENOTFOUND (no such object),
 *  DG_ECONFLICT (a JSON patch test failed) or DG_ENOMEM. */
DG_MUST_CHECK int dg_simulate_review(const dg_release_t *rel, const dg_objset_t *live,
                                     const dg_sim_change_t *c, dg_sim_result_t *res,
                                     dg_err_t *err);

/** dg_simulate_review(), judged by dg_decide() against @bases (which must
 *  hold @rel) and @pol with @env. *@out (a new reference) is
 *  {"admissionReview": the response exactly as the webhook sends it,
 *  "decision": dg_report_decision_json(), "replayed": bool, "note": the
 *  replay in words, when replayed}. Returns what dg_simulate_review() and
 *  dg_decide() return. */
DG_MUST_CHECK int dg_simulate_change(const dg_release_t *rel, const dg_objset_t *live,
                                     const dg_baselines_t *bases, const dg_policy_t *pol,
                                     const dg_decide_env_t *env, const dg_sim_change_t *c,
                                     json_t **out, dg_err_t *err);

/* A console's POST /api/v1/simulate body, decoded (both hosts): {"object":
 * "hpa/test-nginx", "path": P, "value": V | "patch": object, array or its
 * text, "from": "live"|"baseline", "user": U}. Keep it in place: @change
 * points into it. */
typedef struct dg_sim_request {
    dg_sim_change_t change; /* borrows from the body and from @set, @parsed */
    dg_sim_set_t set;
    json_t *parsed;         /* a patch pasted as text, parsed; NULL or owned */
} dg_sim_request_t;

/** Decode @body (borrowed: valid while @req is used) into @req. A patch
 *  given as text is parsed with policy/json.c's depth and node limits.
 *  Returns 0, DG_EINVAL or DG_EPARSE (@err names the field), DG_ENOMEM.
 *  Free with dg_simulate_request_free() either way. */
DG_MUST_CHECK int dg_simulate_request(const json_t *body, dg_sim_request_t *req,
                                      dg_err_t *err);

void dg_simulate_request_free(dg_sim_request_t *req);

#endif
