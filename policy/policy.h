/* policy/policy.h: the DriftPolicy: which paths of which kinds are governed
 * and how (deny|warn|audit), what is ignored, who is exempt, break-glass, and
 * excluded namespaces; plus the built-in default policy.
 * Pure: libc, jansson, libyaml (via manifest.h). SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_POLICY_H
#define DG_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "obj.h"
#include "path.h"

/* Ordered by severity: a larger value wins when several rules apply. */
typedef enum dg_action {
    DG_ACTION_AUDIT = 0,
    DG_ACTION_WARN = 1,
    DG_ACTION_DENY = 2
} dg_action_t;

/** "audit", "warn", "deny". */
const char *dg_action_name(dg_action_t a);

/* A group and kind, as rules name them ("" = core group). */
typedef struct dg_gk {
    const char *group;
    const char *kind;
} dg_gk_t;

typedef struct dg_rule {
    const char *name;         /* unique within the policy */
    size_t nkinds;
    const dg_gk_t *kinds;
    size_t npaths;
    dg_path_t *const *paths;  /* patterns; may hold [*] */
    dg_action_t action;
    bool unless_hpa;          /* not a variance while an HPA in the baseline
                               * targets the object (spec.replicas) */
} dg_rule_t;

typedef struct dg_breakglass {
    const char *annotation;         /* default "driftgate.io/break-glass" */
    const char *expires_annotation; /* default "driftgate.io/break-glass-expires" */
    size_t ngroups;                 /* 0 = break-glass honoured for nobody */
    const char *const *groups;
} dg_breakglass_t;

typedef struct dg_policy dg_policy_t; /* opaque; immutable once built */

/** Parse a DriftPolicy (YAML or JSON; format in the README) named @name.
 *  Every error is "name:line:col: what is wrong (key 'spec.rules[2].path')".
 *  Returns a new policy (free with dg_policy_free()) or NULL with @err set
 *  (DG_EPOLICY, DG_EPARSE, DG_ETOOBIG, DG_ENOMEM). */
dg_policy_t *dg_policy_parse(const char *data, size_t len, const char *name, dg_err_t *err);

/** The built-in policy: HPA spec.minReplicas/maxReplicas deny; Service
 *  spec.ports[*].{port,targetPort,nodePort,protocol} and spec.type deny;
 *  Deployment/StatefulSet spec.replicas deny unless an HPA targets it;
 *  container image and resources warn; kube-system excluded.
 *  Returns NULL only when out of memory. */
dg_policy_t *dg_policy_default(dg_err_t *err);

/** The DriftPolicy text of the built-in policy (for `driftctl policy default`). Static. */
const char *dg_policy_default_text(void);

void dg_policy_free(dg_policy_t **pol);

const char *dg_policy_name(const dg_policy_t *pol);
size_t dg_policy_nrules(const dg_policy_t *pol);
const dg_rule_t *dg_policy_rule(const dg_policy_t *pol, size_t i); /* borrowed */

/** Does @rule apply to objects of this group and kind? */
bool dg_rule_applies(const dg_rule_t *rule, const char *group, const char *kind);

/** Does any rule govern this group and kind? */
bool dg_policy_governs(const dg_policy_t *pol, const char *group, const char *kind);

/** Is concrete path @path of object @id ignored by an ignore rule? */
bool dg_policy_ignores(const dg_policy_t *pol, const dg_objid_t *id, const char *path);

/** Is namespace @ns excluded from judgement? */
bool dg_policy_ns_excluded(const dg_policy_t *pol, const char *ns);

/** Is the requester exempt? Service accounts are matched in their user-name
 *  form system:serviceaccount:<ns>:<name>. Returns a static-lifetime
 *  description borrowed from @pol ("user alice", "group system:masters",
 *  "serviceaccount kube-system/hpa"), or NULL when not exempt. */
const char *dg_policy_exempt(const dg_policy_t *pol, const char *user,
                             const char *const *groups, size_t ngroups);

const dg_breakglass_t *dg_policy_breakglass(const dg_policy_t *pol); /* borrowed */

#endif
