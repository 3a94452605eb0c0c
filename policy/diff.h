/* policy/diff.h: variances between a baseline and live objects.
 * A variance is one governed path whose live value differs from the
 * baseline, or a governed object missing from live. Lists are matched by
 * merge key, never by index; server-owned fields are ignored; API defaults
 * are applied to the baseline so a default is never drift; 6 == 6.0 but
 * "80" != 80. Pure: libc, jansson. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_DIFF_H
#define DG_DIFF_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"
#include "obj.h"
#include "policy.h"
#include "val.h"

typedef enum dg_vartype {
    DG_VAR_CHANGED, /* the value at @path differs */
    DG_VAR_MISSING  /* the whole object is absent from live */
} dg_vartype_t;

/* Who last set a live value: the field manager of the live object's
 * metadata.managedFields entry that owns its path (policy/managed.h). */
typedef struct dg_changed_by {
    char *manager;   /* malloced: "kubectl-edit", "helm", ... */
    char *operation; /* malloced: "Update" or "Apply" */
    char *time;      /* malloced RFC 3339, or "" when the entry has none */
} dg_changed_by_t;

typedef struct dg_variance {
    dg_objid_t obj;     /* strings owned by the variance: one malloced
                         * block with @path, at obj.group */
    char *path;         /* concrete path, "spec.ports[name=http].port";
                         * "" for DG_VAR_MISSING */
    json_t *desired;    /* new reference; NULL = absent from the baseline */
    json_t *live;       /* new reference; NULL = absent from live */
    dg_vartype_t type;
    const char *rule;   /* borrowed from the policy */
    dg_action_t action;
    dg_changed_by_t *changed_by; /* NULL (unknown), or malloced with its
                                  * strings: dg_managed_attribute() sets it */
} dg_variance_t;

typedef struct dg_variances {
    dg_variance_t *items; /* malloced array */
    size_t n, cap;
} dg_variances_t;

void dg_variances_init(dg_variances_t *v);

/** Free every variance and the array; leaves @v empty and reusable. */
void dg_variances_free(dg_variances_t *v);

/** Append a copy of @x to @v: strings and values copied, the rule name
 *  still borrowed from its policy. Returns 0 or DG_ENOMEM (@v unchanged). */
DG_MUST_CHECK int dg_variances_push(dg_variances_t *v, const dg_variance_t *x);
/** Free @c and its strings; sets *@c to NULL. NULL-safe. */
void dg_changed_by_free(dg_changed_by_t **c);

/** Variances of @live against baseline object @base under @pol, appended to
 *  @out in rule order then path order. @live NULL means the object is
 *  missing (one DG_VAR_MISSING variance if its kind is governed).
 *  @hpas holds the HorizontalPodAutoscalers that own replicas: the live
 *  cluster's when known, else the release's baseline (other objects in it
 *  are ignored). A field the render left out that live holds as an empty
 *  map or list (`resources: {}`) is not a variance.
 *  Objects in namespaces the policy excludes give no variances.
 *  Returns 0 or DG_ENOMEM. */
DG_MUST_CHECK int dg_diff_object(const dg_obj_t *base, const json_t *live,
                                 const dg_objset_t *hpas, const dg_policy_t *pol,
                                 dg_variances_t *out, dg_err_t *err);

/** dg_diff_object() of a live value read through dg_val_t: a request's
 *  nodes are compared without building jansson of them; only a value
 *  that differs is converted, into its variance. */
DG_MUST_CHECK int dg_diff_val(const dg_obj_t *base, dg_val_t live, const dg_objset_t *hpas,
                              const dg_policy_t *pol, dg_variances_t *out, dg_err_t *err);

/** dg_diff_val() of a request's object (@live, into @out) and its
 *  oldObject (@old, into @out_old) at once: the same variances as two
 *  calls, the baseline's side of every path walked once for both. */
DG_MUST_CHECK int dg_diff_pair(const dg_obj_t *base, dg_val_t live, dg_val_t old,
                               const dg_objset_t *hpas, const dg_policy_t *pol,
                               dg_variances_t *out, dg_variances_t *out_old, dg_err_t *err);

/** Variances of a whole live snapshot against a baseline. An object absent
 *  from @live is reported missing only when its kind is covered: listed in
 *  @covered (@ncovered entries), or, when @covered is NULL, present in @live.
 *  Replicas belong to the HPAs of @live when it covers HPAs, else to those
 *  of @base.
 *  Returns 0 or DG_ENOMEM. */
DG_MUST_CHECK int dg_diff_sets(const dg_objset_t *base, const dg_objset_t *live,
                               const dg_gk_t *covered, size_t ncovered,
                               const dg_policy_t *pol, dg_variances_t *out, dg_err_t *err);

/** The HorizontalPodAutoscaler of @hpas whose scaleTargetRef is @id (so it
 *  owns @id's spec.replicas), or NULL. Borrowed from @hpas. */
const dg_obj_t *dg_diff_hpa_of(const dg_objset_t *hpas, const dg_objid_t *id);

/** Deep equality as drift sees it: numbers by value (6 == 6.0), strings
 *  exactly ("80" != 80), objects by keys, arrays in order; resource
 *  quantities ("500m" vs "0.5") are not special here (see dg_norm). */
bool dg_diff_equal(const json_t *a, const json_t *b);

/** dg_diff_equal() of two values read through dg_val_t (either side a
 *  jansson tree or the reader's nodes); absent equals only absent. */
bool dg_diff_equal_val(dg_val_t a, dg_val_t b);

#endif
