/* policy/val.c: a JSON value through either of its two representations.
 * SPDX-License-Identifier: Apache-2.0 */
#include "val.h"

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
