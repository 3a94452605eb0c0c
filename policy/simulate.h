/* policy/simulate.h: the gate's answer to a proposed change, as the web
 * console's simulator asks it on both hosts: a target object, and either a
 * value at a governed path or a patch. The review is built as the API
 * server would send it (dg_review_build) and judged by dg_decide(), the one
 * verdict function (DESIGN.md: simulation is enforcement).
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

/* A proposed change. Strings and JSON borrowed. */
typedef struct dg_sim_change {
    const char *target;   /* "hpa/test-nginx" (kubectl's kind names) */
    const char *path;     /* with @value: a path without [*] ("spec.minReplicas",
                           * "spec.ports[name=http].port"); NULL with @patch */
    const json_t *value;  /* the value to set at @path */
    const json_t *patch;  /* or: a merge patch (object) or JSON patch (array) */
    const char *user;     /* the requester; NULL = "driftctl-simulate" */
    bool from_baseline;   /* change the baseline's object, not live's: replays an
                           * out-of-band change as the gate met it */
} dg_sim_change_t;

/** Judge @c against release @rel (its namespace is the request's): the
 *  UPDATE from the target as @live holds it (else, or with
 *  @c->from_baseline, as the baseline holds it) to that object with the
 *  change applied. *@out (a new reference) is {"admissionReview": the response exactly as the webhook sends it,
 *  "decision": dg_report_decision_json()}. @bases must hold @rel; @env as
 *  dg_decide() takes it. Returns 0; DG_EINVAL (a bad target, path, patch
 *  or value: @err says which), DG_ENOTFOUND (no such object),
 *  DG_ECONFLICT (a JSON patch test failed) or DG_ENOMEM. */
DG_MUST_CHECK int dg_simulate_change(const dg_release_t *rel, const dg_objset_t *live,
                                     const dg_baselines_t *bases, const dg_policy_t *pol,
                                     const dg_decide_env_t *env, const dg_sim_change_t *c,
                                     json_t **out, dg_err_t *err);

#endif
