/* policy/val.c: a JSON value through either of its two representations.
 * SPDX-License-Identifier: Apache-2.0 */
#include "val.h"

#include <string.h>

dg_jtype_t dg_val_type(dg_val_t v)
{
    if (v.n)
        return v.n->type;
    switch (v.j ? json_typeof(v.j) : JSON_NULL) {
    case JSON_OBJECT: return DG_JOBJECT;
    case JSON_ARRAY: return DG_JARRAY;
    case JSON_STRING: return DG_JSTRING;
    case JSON_INTEGER: return DG_JINT;
    case JSON_REAL: return DG_JREAL;
    case JSON_TRUE: return DG_JTRUE;
    case JSON_FALSE: return DG_JFALSE;
    case JSON_NULL: break;
    }
    return DG_JNULL;
}

dg_val_t dg_val_get(dg_val_t obj, const char *key)
{
    if (obj.n)
        return dg_val_node(dg_jread_get(obj.n, key));
    return dg_val_json(obj.j ? json_object_get(obj.j, key) : NULL);
}

size_t dg_val_size(dg_val_t v)
{
    if (v.n)
        return v.n->type == DG_JARRAY || v.n->type == DG_JOBJECT ? v.n->n : 0;
    if (json_is_array(v.j))
        return json_array_size(v.j);
    return json_is_object(v.j) ? json_object_size(v.j) : 0;
}

dg_val_t dg_val_at(dg_val_t arr, size_t i)
{
    if (arr.n)
        return dg_val_node(arr.n->type == DG_JARRAY && i < arr.n->n ? &arr.n->v.kids[i] : NULL);
    return dg_val_json(json_array_get(arr.j, i));
}

const char *dg_val_str(dg_val_t v, size_t *len)
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

bool dg_val_int(dg_val_t v, long long *out)
{
    if (v.n && v.n->type == DG_JINT)
        *out = v.n->v.i;
    else if (json_is_integer(v.j))
        *out = json_integer_value(v.j);
    else
        return false;
    return true;
}

bool dg_val_number(dg_val_t v, double *out)
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

json_t *dg_val_to_json(dg_val_t v)
{
    if (v.n)
        return dg_jread_to_json(v.n);
    return v.j ? json_incref((json_t *)v.j) : NULL;
}
