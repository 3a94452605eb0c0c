/* policy/obj.h: object identity (group, kind, namespace, name), the table of
 * kinds driftgate knows (kubectl resource names and short names), and
 * dg_objset_t, an ordered set of objects indexed by identity.
 * Pure: libc, jansson, err.h. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_OBJ_H
#define DG_OBJ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Identity of an object. The API version is deliberately not part of it:
 * autoscaling/v1 and autoscaling/v2 name the same HPA. "" = core group or
 * cluster-scoped namespace. */
typedef struct dg_objid {
    const char *group; /* "" for the core group */
    const char *kind;
    const char *ns;    /* "" for cluster-scoped objects */
    const char *name;
} dg_objid_t;

/* A kind driftgate can name: from kubectl's resource names. */
typedef struct dg_kindinfo {
    const char *group;     /* "" = core */
    const char *kind;      /* "HorizontalPodAutoscaler" */
    const char *resource;  /* "horizontalpodautoscalers" (plural) */
    const char *singular;  /* "horizontalpodautoscaler" */
    const char *shortname; /* "hpa", or NULL */
    bool namespaced;
} dg_kindinfo_t;

/** Look a kind up by any name kubectl accepts: Kind, plural, singular or
 *  short name, case-insensitive, optionally qualified "plural.group"
 *  ("deployments.apps") or "group/Kind" ("apps/Deployment").
 *  Returns a static entry, or NULL if unknown. */
const dg_kindinfo_t *dg_kind_lookup(const char *name);

/** The entry for an API group and resource plural (as an AdmissionReview's
 *  request.resource names it), or NULL. */
const dg_kindinfo_t *dg_kind_by_resource(const char *group, const char *resource);

/** The number of kinds in the table, and its @i-th row (NULL past the
 *  end): rows are in one array, so a row's index is its distance from
 *  dg_kind_at(0). */
size_t dg_kind_count(void);
const dg_kindinfo_t *dg_kind_at(size_t i);

/** The entry for an API group and Kind, or NULL. */
const dg_kindinfo_t *dg_kind_by_kind(const char *group, const char *kind);

/** The group part of an apiVersion: "apps/v1" -> "apps", "v1" -> "".
 *  Writes at most @size bytes including the NUL; returns @out. */
const char *dg_obj_group_of(const char *api_version, char *out, size_t size);

/** Short display form "hpa/test-nginx" (kind's short name, or lower-case kind)
 *  into @out. Returns @out. */
const char *dg_objid_short(const dg_objid_t *id, char *out, size_t size);

/** The same for @name of kind @k, a row of the kind table (its kind's own
 *  row, so the table is not searched again). Returns @out. */
const char *dg_kind_short(const dg_kindinfo_t *k, const char *name, char *out, size_t size);

/** Full display form "autoscaling/HorizontalPodAutoscaler sandbox-nginx/test-nginx"
 *  into @out. Returns @out. */
const char *dg_objid_format(const dg_objid_t *id, char *out, size_t size);

/** True when both identities are equal (all four parts). */
bool dg_objid_equal(const dg_objid_t *a, const dg_objid_t *b);

/* One object of a set. */
typedef struct dg_obj {
    json_t *json;    /* owned reference */
    dg_objid_t id;   /* strings owned by the set */
    int line;        /* 1-based line of its document in its source; 0 = unknown */
    char *managed;   /* NULL, or owned by the set: the text of its
                      * metadata.managedFields as read (YAML or JSON), left
                      * unparsed until someone asks who changed a field
                      * (policy/managed.h), which is rare and per drifted object */
    size_t managed_len;
    _Atomic(struct dg_obj_nodes *) nodes; /* NULL until dg_obj_nodes() */
} dg_obj_t;

typedef struct dg_objset dg_objset_t; /* opaque */

/** New empty set. Returns NULL when out of memory. Free with dg_objset_free(). */
dg_objset_t *dg_objset_new(void);

/** Free the set and its objects; sets *@set to NULL. NULL-safe. */
void dg_objset_free(dg_objset_t **set);

/** @o's json as the reader's nodes (policy/val.h), built the first time a
 *  request is judged against @o and kept with it until its set is freed:
 *  the diff reads nodes several times faster than jansson, and a store's
 *  objects never judged cost no memory for them. Threads may ask at once
 *  (one build is kept). NULL when out of memory (then read @o->json). */
const struct dg_jnode *dg_obj_nodes(const dg_obj_t *o);

/** Add @json, stealing the reference (also on failure). Its identity is read
 *  from apiVersion, kind, metadata.namespace (@default_ns when absent and the
 *  kind is namespaced or unknown) and metadata.name. @where and @line name the
 *  source for errors. A second object with the same identity is an error.
 *  Returns 0, DG_EINVAL (not an object, no kind/name, duplicate) or DG_ENOMEM. */
DG_MUST_CHECK int dg_objset_add(dg_objset_t *set, json_t *json, const char *default_ns,
                                const char *where, int line, dg_err_t *err);

/** Keep @len bytes of @text as the @i-th object's unparsed managedFields
 *  (copied; replaces any kept before). Returns 0 or DG_ENOMEM. */
DG_MUST_CHECK int dg_objset_keep_managed(dg_objset_t *set, size_t i, const char *text,
                                         size_t len);

/** dg_objset_add() of an object of another set (@o: its json, a new
 *  reference taken; its line; its kept managedFields, copied), objects
 *  without a namespace taking @default_ns. Returns as dg_objset_add(). */
DG_MUST_CHECK int dg_objset_add_copy(dg_objset_t *set, const dg_obj_t *o, const char *default_ns,
                                     const char *where, dg_err_t *err);

size_t dg_objset_count(const dg_objset_t *set);

/** The @i-th object in insertion order. Borrowed: valid while @set lives. */
const dg_obj_t *dg_objset_at(const dg_objset_t *set, size_t i);

/** The object with identity @id, or NULL. Borrowed. */
const dg_obj_t *dg_objset_find(const dg_objset_t *set, const dg_objid_t *id);

#endif
