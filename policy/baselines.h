/* policy/baselines.h: the set of release baselines the gate judges against,
 * indexed by object identity. Built by driftctl from files and by driftgate's
 * store from ConfigMaps / Helm records; immutable once handed to dg_decide().
 * Pure: libc, jansson. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_BASELINES_H
#define DG_BASELINES_H

#include <stddef.h>

#include "err.h"
#include "obj.h"

typedef enum dg_relsrc {
    DG_RELSRC_HELM = 0,     /* Helm's release record (latest deployed) */
    DG_RELSRC_PUBLISHED = 1 /* baseline ConfigMap from driftctl publish: wins */
} dg_relsrc_t;

typedef struct dg_release {
    char *name;             /* malloced */
    char *ns;               /* malloced: the release namespace */
    long revision;          /* 0 = unknown */
    char *chart;            /* NULL or malloced, "nginx-0.1.0" */
    char *source;           /* NULL or malloced: helm-template, git:..., file:... */
    char *digest;           /* NULL or malloced: "sha256:<hex>" */
    dg_relsrc_t origin;
    dg_objset_t *objs;      /* owned: the baseline objects */
    dg_objset_t *pending;   /* NULL or owned: a pending-* Helm revision's objects */
    char *pending_status;   /* NULL or malloced: "pending-upgrade" etc. */
    long pending_revision;
    char *note;             /* NULL or malloced: what its source could not
                             * believe (objects dropped, a broken update kept
                             * out); shown in /api/v1/releases and logs */
    _Atomic long refs;      /* driftgate shares a release between snapshots */
} dg_release_t;

/** The release @set's objects say they belong to (Helm's
 *  meta.helm.sh/release-name annotation, else the app.kubernetes.io/instance
 *  label), when they all agree; else NULL. */
const char *dg_release_name_of(const dg_objset_t *set);

/** The chart that rendered @set's objects: the first helm.sh/chart label
 *  (every chart `helm create` makes sets it), else NULL. Borrowed. */
const char *dg_release_chart_of(const dg_objset_t *set);

/** Drop from @rel every object outside its namespace: a baseline governs
 *  only its release's namespace, whoever wrote it (DESIGN.md "Trust"), so a
 *  release in one namespace cannot claim another's objects. What was
 *  dropped is said in rel->note. Call before the release is shared.
 *  Returns the number dropped, or -1 when out of memory. */
long dg_release_confine(dg_release_t *rel);

/** Append @text to rel->note ("; " between). Returns 0 or DG_ENOMEM. */
int dg_release_note(dg_release_t *rel, const char *text);

/** New release named @name in @ns with an empty object set and one
 *  reference. NULL on ENOMEM. */
dg_release_t *dg_release_new(const char *name, const char *ns);

/** Take another reference (a release is immutable once shared). Returns @rel. */
dg_release_t *dg_release_ref(dg_release_t *rel);

/** Drop a reference; the last one frees the release and everything it
 *  owns. Sets *@rel to NULL. NULL-safe. */
void dg_release_free(dg_release_t **rel);

typedef struct dg_baselines dg_baselines_t; /* opaque */

dg_baselines_t *dg_baselines_new(void);
void dg_baselines_free(dg_baselines_t **set);

/** Add @rel (stolen, also on failure). A release already present under the
 *  same name and namespace is replaced if @rel's origin has equal or higher
 *  precedence (published > helm), else @rel is dropped. Every object is
 *  indexed by identity; an object claimed by two releases is a conflict
 *  (dg_baselines_conflict()), resolved per request by the object's own
 *  meta.helm.sh/release-name (dg_baselines_owner()).
 *  Returns 0 or DG_ENOMEM. */
DG_MUST_CHECK int dg_baselines_add(dg_baselines_t *set, dg_release_t *rel, dg_err_t *err);

size_t dg_baselines_count(const dg_baselines_t *set);
const dg_release_t *dg_baselines_at(const dg_baselines_t *set, size_t i); /* borrowed */

/** The release @name in @ns, or NULL. Borrowed. */
const dg_release_t *dg_baselines_find(const dg_baselines_t *set, const char *name,
                                      const char *ns);

/** The release whose baseline holds an object with identity @id, or NULL.
 *  When two releases (of the object's namespace) claim it, the one named
 *  @named (the object's meta.helm.sh/release-name; NULL = none) wins, else
 *  the first added. When found and @obj is not NULL, *@obj is that baseline
 *  object. Borrowed. */
const dg_release_t *dg_baselines_owner(const dg_baselines_t *set, const dg_objid_t *id,
                                       const char *named, const dg_obj_t **obj);

/* One object claimed by two releases. */
typedef struct dg_conflict {
    const dg_objid_t *id;                 /* borrowed from the set */
    const dg_release_t *first, *second;   /* first claimant, the other */
} dg_conflict_t;

size_t dg_baselines_nconflicts(const dg_baselines_t *set);
const dg_conflict_t *dg_baselines_conflict(const dg_baselines_t *set, size_t i); /* borrowed */

#endif
