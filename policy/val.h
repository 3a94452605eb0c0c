/* policy/val.h: one JSON value, read the same way whether it is a jansson
 * tree (a baseline, the CLI's live objects) or the reader's nodes (a
 * request's objects, policy/jread.h). The diff walks a baseline and a live
 * object side by side through this, so a request is judged on the nodes
 * it was read into, never converted to jansson first.
 * Pure: libc, jansson. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_VAL_H
#define DG_VAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "jread.h"

/* At most one of the two is set; neither: the value is absent. Small, and
 * passed by value. */
typedef struct dg_val {
    const json_t *j;
    const dg_jnode_t *n;
} dg_val_t;

#define DG_VAL_ABSENT ((dg_val_t){NULL, NULL})

static inline dg_val_t dg_val_json(const json_t *j)
{
    return (dg_val_t){j, NULL};
}

static inline dg_val_t dg_val_node(const dg_jnode_t *n)
{
    return (dg_val_t){NULL, n};
}

static inline bool dg_val_absent(dg_val_t v)
{
    return v.j == NULL && v.n == NULL;
}

/* The readers are inline: the diff asks them several times for every
 * step of every path it walks. */

/** @v's type; DG_JNULL when @v is absent (test dg_val_absent() first
 *  where absent and null differ). */
static inline dg_jtype_t dg_val_type(dg_val_t v)
{
    static const dg_jtype_t of[] = {[JSON_OBJECT] = DG_JOBJECT, [JSON_ARRAY] = DG_JARRAY,
                                    [JSON_STRING] = DG_JSTRING, [JSON_INTEGER] = DG_JINT,
                                    [JSON_REAL] = DG_JREAL,     [JSON_TRUE] = DG_JTRUE,
                                    [JSON_FALSE] = DG_JFALSE,   [JSON_NULL] = DG_JNULL};

    return v.n ? v.n->type : v.j ? of[json_typeof(v.j)] : DG_JNULL;
}

/** Member @key of object @obj; absent when @obj is not an object or has
 *  no such member. */
static inline dg_val_t dg_val_get(dg_val_t obj, const char *key)
{
    if (obj.n)
        return dg_val_node(dg_jread_get(obj.n, key));
    return dg_val_json(obj.j ? json_object_get(obj.j, key) : NULL);
}

/** dg_val_get() of the @n bytes at @key. */
static inline dg_val_t dg_val_getn(dg_val_t obj, const char *key, size_t n)
{
    if (obj.n)
        return dg_val_node(dg_jread_getn(obj.n, key, n));
    return dg_val_json(obj.j ? json_object_getn(obj.j, key, n) : NULL);
}

/** Elements of an array, members of an object; 0 for anything else. */
static inline size_t dg_val_size(dg_val_t v)
{
    if (v.n)
        return v.n->type == DG_JARRAY || v.n->type == DG_JOBJECT ? v.n->n : 0;
    if (json_is_array(v.j))
        return json_array_size(v.j);
    return json_is_object(v.j) ? json_object_size(v.j) : 0;
}

/** Element @i of array @arr; absent when out of range or not an array. */
static inline dg_val_t dg_val_at(dg_val_t arr, size_t i)
{
    if (arr.n)
        return dg_val_node(arr.n->type == DG_JARRAY && i < arr.n->n ? &arr.n->v.kids[i] : NULL);
    return dg_val_json(json_array_get(arr.j, i));
}

/** A string's bytes and length; NULL (and *@len untouched) otherwise. */
static inline const char *dg_val_str(dg_val_t v, size_t *len)
{
    if (v.n && v.n->type == DG_JSTRING) {
        *len = v.n->n;
        return v.n->v.s;
    }
    if (json_is_string(v.j)) {
        *len = json_string_length(v.j);
        return json_string_value(v.j);
    }
    return NULL;
}

/** An integer's value: true only for DG_JINT. */
static inline bool dg_val_int(dg_val_t v, long long *out)
{
    if (v.n && v.n->type == DG_JINT)
        *out = v.n->v.i;
    else if (json_is_integer(v.j))
        *out = json_integer_value(v.j);
    else
        return false;
    return true;
}

/** A number's value (an integer converted): true for DG_JINT, DG_JREAL. */
static inline bool dg_val_number(dg_val_t v, double *out)
{
    long long i;

    if (dg_val_int(v, &i))
        *out = (double)i;
    else if (v.n && v.n->type == DG_JREAL)
        *out = v.n->v.d;
    else if (json_is_real(v.j))
        *out = json_real_value(v.j);
    else
        return false;
    return true;
}

/* The members of an object in document (insertion) order. */
typedef struct dg_val_iter {
    dg_val_t obj;
    void *it;   /* jansson's iterator */
    uint32_t i; /* the next node */
} dg_val_iter_t;

/** Start iterating the members of @obj (none when it is not an object). */
dg_val_iter_t dg_val_members(dg_val_t obj);

/** The next member: its key and value; false after the last. */
bool dg_val_next(dg_val_iter_t *it, const char **key, dg_val_t *value);

/** @j as the reader's nodes in @a, the same value member for member, in
 *  the same order: a baseline the diff reads many times is read faster
 *  so. Keys and strings are @j's own (NUL-terminated in jansson), not
 *  copies: @j must outlive the nodes and not change. NULL when @j is NULL
 *  or out of memory (@a keeps what it took). */
const dg_jnode_t *dg_val_nodes(dg_arena_t *a, const json_t *j);

/** The bytes dg_val_nodes() takes from an arena for @j: an arena first
 *  sized so holds it in one block. */
size_t dg_val_nodes_size(const json_t *j);

/** @v as a jansson tree: a new reference (shared when @v is one), or NULL
 *  when @v is absent or out of memory. */
json_t *dg_val_to_json(dg_val_t v);

#endif
