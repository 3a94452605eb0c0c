/* policy/plan.h: the reconcile plan of a release. Per drifted object, one
 * RFC 6902 JSON patch that restores its governed values and nothing else:
 * a `test` of each live value it changes (and of the merge keys of each list
 * element it addresses by index), then the replace/add/remove. A governed
 * object live lacks is created from the baseline. The plan's JSON form is
 * what `driftctl reconcile --out` saves and `--apply FILE` reads back; each
 * operation is judged by dg_decide() exactly as driftgate will judge the
 * request that carries it.
 * Pure: libc, jansson. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_PLAN_H
#define DG_PLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "baselines.h"
#include "decide.h"
#include "diff.h"
#include "err.h"
#include "obj.h"
#include "policy.h"

typedef enum dg_plan_action {
    DG_PLAN_PATCH,  /* kubectl patch --type=json */
    DG_PLAN_CREATE, /* kubectl create: the object is missing */
    DG_PLAN_APPLY   /* kubectl apply --server-side of the whole baseline object
                     * (--strategy apply, the seed's path) */
} dg_plan_action_t;

/* What judging an operation found. */
typedef enum dg_plan_state {
    DG_PLAN_UNJUDGED,
    DG_PLAN_ALLOWED,  /* the gate answers reconcile or allow */
    DG_PLAN_REFUSED,  /* any other answer: the plan stops there */
    DG_PLAN_CONFLICT  /* live is not what the plan was made against: a test
                       * fails, or an object to create exists */
} dg_plan_state_t;

typedef struct dg_plan_op {
    dg_objid_t obj;            /* strings malloced */
    dg_plan_action_t action;
    char *resource_version;    /* NULL or malloced: the live object's, when planned */
    json_t *patch;             /* DG_PLAN_PATCH: the JSON patch (array); owned. Also
                                * DG_PLAN_APPLY on an object live has: the governed
                                * values it restores, to judge it offline */
    json_t *object;            /* DG_PLAN_CREATE, DG_PLAN_APPLY: the object to create
                                * or apply; owned */
    dg_variances_t variances;  /* the drift it restores */
    /* Filled by dg_plan_judge(). */
    dg_plan_state_t state;
    dg_verdict_t verdict;      /* the gate's decision, when judged */
    char *message;             /* NULL or malloced: the refusal or the conflict */
    json_t *warnings;          /* NULL or owned array of strings: the gate's warnings */
} dg_plan_op_t;

typedef struct dg_plan {
    char *release, *ns;        /* malloced */
    long revision;             /* 0 = unknown */
    char *digest;              /* NULL or malloced "sha256:<hex>": the baseline planned against */
    dg_plan_op_t *ops;         /* malloced array */
    size_t n, cap;
    char **rules;              /* rule names a read plan's variances borrow; malloced */
    size_t nrules;
} dg_plan_t;

void dg_plan_init(dg_plan_t *p);

/** Free everything @p owns; leaves it empty (dg_plan_init() state). */
void dg_plan_free(dg_plan_t *p);

/* Which drift to restore. */
typedef struct dg_plan_opts {
    const char *const *only; /* rule names or path patterns; NULL/0 = all drift */
    size_t nonly;
    bool server_side_apply;  /* every operation a DG_PLAN_APPLY of the baseline object */
} dg_plan_opts_t;

/** Plan the reconcile of @v (variances of @live against @rel's baseline,
 *  as dg_diff_sets() finds them) into @out (init'd by the caller): one
 *  operation per object, in @v's order. With opts->only, a variance is
 *  restored when its rule is one of them or a path among them covers its
 *  path (spec.ports covers spec.ports[name=http].port); each must be a rule
 *  of @pol or a path. A created object carries Helm's
 *  meta.helm.sh/release-name and -namespace annotations, as Helm's own
 *  objects do, so the release keeps owning it. All arguments are borrowed.
 *  Returns 0, DG_EINVAL (an --only that is neither, a live list element a
 *  path cannot address) or DG_ENOMEM. */
DG_MUST_CHECK int dg_plan_build(const dg_release_t *rel, const dg_objset_t *live,
                                const dg_variances_t *v, const dg_policy_t *pol,
                                const dg_plan_opts_t *opts, dg_plan_t *out, dg_err_t *err);

/* Who the requests come from, as the API server will name them. */
typedef struct dg_plan_requester {
    const char *user;          /* e.g. the kubeconfig user, from kubectl auth whoami */
    const char *const *groups;
    size_t ngroups;
    const char *field_manager; /* "driftctl-reconcile" */
} dg_plan_requester_t;

/** Judge every operation of @plan as driftgate will judge the request that
 *  carries it: for a patch, the UPDATE whose oldObject is the object of
 *  @live and whose object is that with the patch applied; for a create, the
 *  CREATE of the object. Sets each op's state, verdict, message and
 *  warnings: ALLOWED for a reconcile (a create: allow); REFUSED for anything
 *  else, with the gate's message (a change that moves nothing back, as an
 *  edited saved plan may, is "allow" and refused too); CONFLICT when a test
 *  fails against @live, the
 *  object to patch is gone, or the object to create exists. @bases, @pol
 *  and @env are as dg_decide() takes them. Returns 0 (whatever the
 *  verdicts), or DG_EINVAL / DG_ENOMEM. */
DG_MUST_CHECK int dg_plan_judge(dg_plan_t *plan, const dg_objset_t *live,
                                const dg_baselines_t *bases, const dg_policy_t *pol,
                                const dg_decide_env_t *env, const dg_plan_requester_t *who,
                                dg_err_t *err);

/* Live state as read for one release: the objects, and the kinds the read
 * covered (NULL: the kinds it holds), as dg_diff_sets() takes them. */
typedef struct dg_plan_live {
    const dg_objset_t *objs;
    const dg_gk_t *covered;
    size_t ncovered;
} dg_plan_live_t;

/* The field manager and requester a reconcile names when it cannot ask
 * the API server who it is: driftctl's, and driftgate's console's. */
#define DG_PLAN_FIELD_MANAGER "driftctl-reconcile"

/** The reconcile of @rel against @live as `driftctl reconcile` plans it,
 *  on both console hosts: the drift (dg_diff_sets()), who changed each
 *  value (dg_managed_attribute()) into @drift (init'd; NULL: not kept),
 *  and the plan (dg_plan_build(), @opts) into @out (init'd). Returns 0, or
 *  as those. */
DG_MUST_CHECK int dg_plan_release(const dg_release_t *rel, const dg_plan_live_t *live,
                                  const dg_policy_t *pol, const dg_plan_opts_t *opts,
                                  dg_variances_t *drift, dg_plan_t *out, dg_err_t *err);

/** Judge @plan against @live with dg_plan_judge() in the environment a
 *  reconcile meets, written to *@env: @now, synced, and the live HPAs
 *  (owners of their targets' replicas) when @live covers HPAs. Returns as
 *  dg_plan_judge(). */
DG_MUST_CHECK int dg_plan_judge_live(dg_plan_t *plan, const dg_plan_live_t *live,
                                     const dg_baselines_t *bases, const dg_policy_t *pol,
                                     int64_t now, const dg_plan_requester_t *who,
                                     dg_decide_env_t *env, dg_err_t *err);

/** Judge @op as driftgate will judge the request that stores @object over
 *  @old (NULL: a CREATE): what a server-side apply's dry run returned, for
 *  DG_PLAN_APPLY. Sets the op's state, verdict, message and warnings as
 *  dg_plan_judge() does. Returns 0, DG_EINVAL or DG_ENOMEM. */
DG_MUST_CHECK int dg_plan_judge_object(dg_plan_op_t *op, const json_t *object, const json_t *old,
                                       const dg_baselines_t *bases, const dg_policy_t *pol,
                                       const dg_decide_env_t *env,
                                       const dg_plan_requester_t *who, dg_err_t *err);

/** "patch", "create", "apply". */
const char *dg_plan_action_name(dg_plan_action_t a);

/** Counts for summaries. */
size_t dg_plan_count(const dg_plan_t *plan, dg_plan_action_t action);
size_t dg_plan_nvariances(const dg_plan_t *plan);

/** The plan as JSON: {"release":{namespace,name,revision,digest},
 *  "operations":[{object:{group,kind,namespace,name}, resourceVersion,
 *  action: "patch"|"create"|"apply", patch (a patch; an apply's governed
 *  values) and manifest (a create's or an apply's object),
 *  variances, decision (once judged; and message when not allowed)}],
 *  "summary":{operations,patch,create,variances}}. Returns a new
 *  reference, NULL when out of memory. */
json_t *dg_plan_json(const dg_plan_t *plan);

/** Read a plan saved from dg_plan_json() (@len bytes named @where) into
 *  @out (init'd by the caller). Judgements in the file are not read: a plan
 *  is judged again before it is applied. Errors name @where, the line and
 *  column of JSON syntax errors, and the member at fault
 *  ("operations[1].patch is not an array"). Returns 0, DG_EPARSE, DG_EINVAL
 *  or DG_ENOMEM. */
DG_MUST_CHECK int dg_plan_parse(const char *data, size_t len, const char *where,
                                dg_plan_t *out, dg_err_t *err);

#endif
