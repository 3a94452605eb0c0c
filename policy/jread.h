/* policy/jread.h: the JSON reader (RFC 8259), one pass over the bytes into
 * lightweight nodes in a dg_arena_t: no allocation per value, no jansson.
 * Strict (UTF-8 checked, duplicate keys refused: two parsers reading
 * different values of one key is how a review smuggles an object past a
 * webhook), bounded (depth, values), and able to skip, still checking
 * their syntax, the subtrees the API server owns and driftgate never
 * judges, which are most of a large review's bytes. dg_json_parse() builds
 * jansson trees from these nodes where a caller needs jansson.
 * Pure: libc, jansson (for the conversion). SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_JREAD_H
#define DG_JREAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "err.h"

/* Drop metadata.managedFields, and the status of every object that has
 * said its kind before it (the same rule as DG_YAML_PRUNE_SERVER). */
#define DG_JSON_PRUNE_SERVER 0x1u

/* The body is an AdmissionReview (policy/review.c alone reads with this):
 * drop the members of the top-level "request" object that nothing in
 * driftgate reads, requestKind, requestResource, requestSubResource and
 * options (what the API server was first asked, and the create/update
 * options). Like managedFields, they are read for their syntax (and UTF-8,
 * and depth) and never built: their values do not count towards
 * DG_JSON_MAX_NODES, and keys inside them are not compared (nothing reads
 * them, so two readers cannot disagree on them); a second one of the four
 * is still refused as a duplicate key of the request.
 * Only these four, and only there: everything the decision reads (uid,
 * kind, resource, subResource, name, namespace, operation, userInfo,
 * object, oldObject, dryRun) is built, object and oldObject as far as
 * dg_jread_parse_review()'s choice says. Not part of DG_JSON_PRUNE_SERVER,
 * which reads any object: a custom resource may have a top-level
 * "request" whose options are its own.
 * A pruned member's key is still a key of its object: a second one is
 * refused as a duplicate, whatever the rule that pruned it. */
#define DG_JSON_PRUNE_REVIEW 0x2u

/* Nesting deeper than this is refused, so a hostile body cannot exhaust the
 * stack (Kubernetes objects nest a few dozen levels). */
#define DG_JSON_MAX_DEPTH 400

/* More values than this are refused: a body of 8 MiB of "[]," would
 * otherwise become hundreds of MiB of tree. Two objects of etcd's 1.5 MiB
 * limit hold ~100k values at most in practice. */
#define DG_JSON_MAX_NODES 250000

typedef enum dg_jtype {
    DG_JNULL,
    DG_JFALSE,
    DG_JTRUE,
    DG_JINT,
    DG_JREAL,
    DG_JSTRING,
    DG_JARRAY,
    DG_JOBJECT
} dg_jtype_t;

/* One value. Members of an object and elements of an array are contiguous
 * (kids[0..n)), in document order; a member's key is on the member. */
typedef struct dg_jnode dg_jnode_t;
struct dg_jnode {
    dg_jtype_t type;
    uint32_t n;        /* DG_JSTRING: bytes; DG_JARRAY/DG_JOBJECT: kids */
    uint32_t keylen;   /* bytes of @key */
    const char *key;   /* object member: NUL-terminated key; else NULL */
    union {
        const char *s;      /* DG_JSTRING: NUL-terminated (may hold no NUL:
                             * \u0000 is refused), valid UTF-8 */
        long long i;        /* DG_JINT */
        double d;           /* DG_JREAL */
        dg_jnode_t *kids;   /* DG_JARRAY, DG_JOBJECT */
    } v;
};

/** Parse @len bytes holding exactly one JSON value into @a. @flags:
 *  DG_JSON_PRUNE_SERVER, DG_JSON_PRUNE_REVIEW, both or 0. Returns the root (in @a: valid until @a is
 *  reset), or NULL with @err set (DG_EPARSE with @name, the 1-based line
 *  and column and the problem, or DG_ENOMEM). */
const dg_jnode_t *dg_jread_parse(dg_arena_t *a, const char *data, size_t len, unsigned flags,
                                 const char *name, dg_err_t *err);

/* What of a value to build: the members of an object named by @kids, each
 * as its own want says; a member not named is checked for its syntax and
 * skipped, as managedFields are. @whole (or no want at all): the value
 * whole. Where a want names members and the value is not an object (an
 * array, a scalar), the value is built whole. */
typedef struct dg_jwant dg_jwant_t;
struct dg_jwant {
    const char *name;  /* a member's name (unused at the root) */
    uint32_t namelen;
    uint32_t n;        /* named members */
    dg_jwant_t *kids;
    bool whole;
};

/* With DG_JSON_PRUNE_REVIEW: the want of request.object and
 * request.oldObject, chosen from request.resource's value (as read, any
 * type) once it has been read; NULL: whole. Members read before
 * request.resource (no API server writes them so) are built whole. */
typedef const dg_jwant_t *(*dg_jwant_pick_t)(void *ctx, const dg_jnode_t *resource);

/** dg_jread_parse() of an AdmissionReview (@flags holds
 *  DG_JSON_PRUNE_REVIEW) whose object and oldObject are built as
 *  @pick(@ctx, request.resource) wants. */
const dg_jnode_t *dg_jread_parse_review(dg_arena_t *a, const char *data, size_t len,
                                        unsigned flags, dg_jwant_pick_t pick, void *ctx,
                                        const char *name, dg_err_t *err);

/** Member @key of object @obj (linear: the objects read by name are small),
 *  or NULL when @obj is NULL, not an object, or has no such member. */
const dg_jnode_t *dg_jread_get(const dg_jnode_t *obj, const char *key);

/** dg_jread_get() of the @n bytes at @key (a key known with its length).
 *  Inline: with a literal key, the compares are a load or two. */
static inline const dg_jnode_t *dg_jread_getn(const dg_jnode_t *obj, const char *key, size_t n)
{
    if (obj == NULL || obj->type != DG_JOBJECT)
        return NULL;
    /* The first byte first: most members differ there, and a call to
     * memcmp costs more than the keys it compares. */
    for (uint32_t i = 0; i < obj->n; i++) {
        const dg_jnode_t *k = &obj->v.kids[i];

        if (k->keylen == n && k->key[0] == key[0] && memcmp(k->key, key, n) == 0)
            return k;
    }
    return NULL;
}

/** dg_jread_get() of a literal key. */
#define DG_JREAD_GET(obj, lit) dg_jread_getn((obj), lit, sizeof lit - 1)

/** "an object", "a string", "a number", ... for messages. */
const char *dg_jread_type_name(const dg_jnode_t *j);

/** @j as a jansson tree. Returns a new reference, or NULL (out of memory). */
json_t *dg_jread_to_json(const dg_jnode_t *j);

/** Where the value at @path ("request.userInfo.groups[2]") starts in @len
 *  bytes of JSON text: see dg_json_locate(). */
int dg_jread_locate(const char *data, size_t len, const char *path, int *line, int *col);

#endif
