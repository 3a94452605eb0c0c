/* policy/val.c: a JSON value through either of its two representations.
 * SPDX-License-Identifier: Apache-2.0 */
#include "val.h"

#include <string.h>

dg_val_iter_t dg_val_members(dg_val_t obj)
{
    dg_val_iter_t it = {obj, NULL, 0};

    if (json_is_object(obj.j))
        it.it = json_object_iter((json_t *)obj.j);
    return it;
}

bool dg_val_next(dg_val_iter_t *it, const char **key, dg_val_t *value)
{
    const dg_jnode_t *o = it->obj.n;

    if (o) {
        if (o->type != DG_JOBJECT || it->i >= o->n)
            return false;
        *key = o->v.kids[it->i].key;
        *value = dg_val_node(&o->v.kids[it->i++]);
        return true;
    }
    if (it->it == NULL)
        return false;
    *key = json_object_iter_key(it->it);
    *value = dg_val_json(json_object_iter_value(it->it));
    it->it = json_object_iter_next((json_t *)it->obj.j, it->it);
    return true;
}

static int build(dg_arena_t *a, const json_t *j, dg_jnode_t *out);

/* The kids of container @j into @out. */
static int build_kids(dg_arena_t *a, const json_t *j, dg_jnode_t *out)
{
    size_t n = json_is_array(j) ? json_array_size(j) : json_object_size(j), i = 0;
    dg_jnode_t *kids = n ? dg_arena_alloc(a, n * sizeof *kids) : NULL;
    const char *key;
    json_t *v;

    if (n && kids == NULL)
        return -1;
    out->n = (uint32_t)n;
    out->v.kids = kids;
    if (json_is_array(j)) {
        json_array_foreach(j, i, v)
            if (build(a, v, &kids[i]))
                return -1;
        return 0;
    }
    json_object_foreach((json_t *)j, key, v) {
        if (build(a, v, &kids[i]))
            return -1;
        kids[i].key = key;
        kids[i++].keylen = (uint32_t)strlen(key);
    }
    return 0;
}

static int build(dg_arena_t *a, const json_t *j, dg_jnode_t *out)
{
    *out = (dg_jnode_t){0};
    switch (json_typeof(j)) {
    case JSON_OBJECT: out->type = DG_JOBJECT; return build_kids(a, j, out);
    case JSON_ARRAY: out->type = DG_JARRAY; return build_kids(a, j, out);
    case JSON_STRING:
        out->type = DG_JSTRING;
        out->n = (uint32_t)json_string_length(j);
        out->v.s = json_string_value(j);
        return 0;
    case JSON_INTEGER: out->type = DG_JINT; out->v.i = json_integer_value(j); return 0;
    case JSON_REAL: out->type = DG_JREAL; out->v.d = json_real_value(j); return 0;
    case JSON_TRUE: out->type = DG_JTRUE; return 0;
    case JSON_FALSE: out->type = DG_JFALSE; return 0;
    default: out->type = DG_JNULL; return 0;
    }
}

/* @n bytes as the arena takes them (16-byte units). */
static size_t unit(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* What build() takes from the arena below the root. */
static size_t kids_size(const json_t *j)
{
    size_t total = 0, i;
    const char *key;
    json_t *v;

    if (json_is_array(j)) {
        json_array_foreach(j, i, v)
            total += kids_size(v);
        return total + unit(json_array_size(j) * sizeof(dg_jnode_t));
    }
    if (json_is_object(j)) {
        json_object_foreach((json_t *)j, key, v)
            total += kids_size(v);
        return total + unit(json_object_size(j) * sizeof(dg_jnode_t));
    }
    return 0;
}

size_t dg_val_nodes_size(const json_t *j)
{
    return j ? unit(sizeof(dg_jnode_t)) + kids_size(j) : 0;
}

const dg_jnode_t *dg_val_nodes(dg_arena_t *a, const json_t *j)
{
    dg_jnode_t *root = j ? dg_arena_alloc(a, sizeof *root) : NULL;

    return root && build(a, j, root) == 0 ? root : NULL;
}

json_t *dg_val_to_json(dg_val_t v)
{
    if (v.n)
        return dg_jread_to_json(v.n);
    return v.j ? json_incref((json_t *)v.j) : NULL;
}
