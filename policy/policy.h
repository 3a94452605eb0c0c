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
    long max_duration_s;            /* an expiry further ahead is refused; default 24h */
} dg_breakglass_t;

/* Who sends a request and what it does, as exemptions are scoped. */
typedef struct dg_requester {
    const char *user;               /* "system:serviceaccount:ns:name" for a service account */
    const char *const *groups;
    size_t ngroups;
    const char *operation;          /* "CREATE", "UPDATE", "DELETE" */
    const char *subresource;        /* "" or "scale" */
} dg_requester_t;

typedef struct dg_policy dg_policy_t; /* opaque; immutable once built */

/** Parse a DriftPolicy (YAML or JSON; format in the README) named @name.
 *  Every error is "name:line:col: what is wrong (key 'spec.rules[2].path')".
 *  Returns a new policy (free with dg_policy_free()) or NULL with @err set
 *  (DG_EPOLICY, DG_EPARSE, DG_ETOOBIG, DG_ENOMEM). */
dg_policy_t *dg_policy_parse(const char *data, size_t len, const char *name, dg_err_t *err);

/** The built-in policy: HPA spec.minReplicas/maxReplicas and
 *  scaleTargetRef deny; Service spec.ports[*].{port,targetPort,nodePort,
 *  protocol}, spec.type, spec.selector and spec.externalIPs deny;
 *  Deployment/StatefulSet spec.replicas deny unless an HPA targets it;
 *  container image and resources warn; kube-system excluded; the HPA
 *  controller exempt on scale, the namespace controller and garbage
 *  collector on DELETE; break-glass expiries at most 24h ahead.
 *  Returns NULL only when out of memory. */
dg_policy_t *dg_policy_default(dg_err_t *err);

/** The DriftPolicy text of the built-in policy (for `driftctl policy default`). Static. */
const char *dg_policy_default_text(void);

void dg_policy_free(dg_policy_t **pol);

const char *dg_policy_name(const dg_policy_t *pol);
size_t dg_policy_nrules(const dg_policy_t *pol);

/** What of a request's object the decision reads under @pol, per kind
 *  (policy/want.h): made with the policy, so they never disagree. */
const struct dg_want *dg_policy_want(const dg_policy_t *pol);
const dg_rule_t *dg_policy_rule(const dg_policy_t *pol, size_t i); /* borrowed */

/** Does @rule apply to objects of this group and kind? */
bool dg_rule_applies(const dg_rule_t *rule, const char *group, const char *kind);

/** Does any rule govern this group and kind? */
bool dg_policy_governs(const dg_policy_t *pol, const char *group, const char *kind);

/** Is concrete path @path of object @id ignored by an ignore rule? */
bool dg_policy_ignores(const dg_policy_t *pol, const dg_objid_t *id, const char *path);

/** Is namespace @ns excluded from judgement? */
bool dg_policy_ns_excluded(const dg_policy_t *pol, const char *ns);

/** Is the requester exempt from this request's judgement? Exemptions
 *  (spec.exemptions users, groups, serviceAccounts) cover every operation;
 *  spec.exemptions.scoped entries only their operations and subresources
 *  (by default the HPA controller on scale, the namespace controller and the
 *  garbage collector on DELETE). Service accounts are matched in their
 *  user-name form. Returns a description borrowed from @pol ("user alice",
 *  "group system:masters", "serviceaccount kube-system/hpa"), or NULL. */
const char *dg_policy_exempt(const dg_policy_t *pol, const dg_requester_t *rq);

/** Does the policy name deployers (spec.deployers)? Without them anyone
 *  who can write Helm's release records can release. */
bool dg_policy_has_deployers(const dg_policy_t *pol);

/** Is the requester a deployer? Its description (borrowed), or NULL. */
const char *dg_policy_deployer(const dg_policy_t *pol, const dg_requester_t *rq);

const dg_breakglass_t *dg_policy_breakglass(const dg_policy_t *pol); /* borrowed */

#endif
