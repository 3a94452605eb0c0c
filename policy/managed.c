/* policy/managed.c: the field manager that owns a path, from managedFields.
 * SPDX-License-Identifier: Apache-2.0 */
#include "managed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "yaml.h"

/* ---- walking a fieldsV1 set beside the live object ------------------------------------ */

/* Does the fieldsV1 key @key ("k:{...}", "v:...", "i:3") name @elem, the
 * @index-th element of its list? */
static bool names_elem(const char *key, const json_t *elem, size_t index)
{
    json_t *want, *v;
    const char *k;
    bool match;

    if (strncmp(key, "i:", 2) == 0) {
        char *end;
        unsigned long long n = strtoull(key + 2, &end, 10);

        return end != key + 2 && *end == '\0' && n == (unsigned long long)index;
    }
    if (strncmp(key, "k:", 2) != 0 && strncmp(key, "v:", 2) != 0)
        return false;
    want = json_loads(key + 2, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    if (want == NULL)
        return false;
    if (key[0] == 'v') {
        match = dg_diff_equal(want, elem);
    } else {
        /* A merge key: every member the key names, equal in the element. */
        match = json_is_object(want) && json_object_size(want) > 0;
        json_object_foreach(want, k, v) {
            if (!match)
                break;
            match = dg_diff_equal(v, json_object_get(elem, k));
        }
    }
    json_decref(want);
    return match;
}

static const json_t *elem_child(const json_t *fv, const json_t *elem, size_t index)
{
    const char *key;
    json_t *child;

    json_object_foreach((json_t *)fv, key, child) {
        if (names_elem(key, elem, index))
            return child;
    }
    return NULL;
}

/* The node of fieldsV1 set @fv at @path, walking @live beside it to know
 * which list element a [k=v] segment is; NULL when @fv does not reach it. */
static const json_t *walk(const json_t *fv, const json_t *live, const dg_path_t *path)
{
    char key[512];
    size_t index;

    for (size_t i = 0; i < dg_path_len(path) && fv; i++) {
        const dg_seg_t *s = dg_path_seg(path, i);

        if (s->kind == DG_SEG_FIELD) {
            if ((size_t)snprintf(key, sizeof key, "f:%s", s->name) >= sizeof key)
                return NULL;
            fv = json_object_get(fv, key);
            live = json_object_get(live, s->name);
        } else if (s->kind == DG_SEG_KEY) {
            live = dg_path_elem(s, live, &index);
            fv = live ? elem_child(fv, live, index) : NULL;
        } else {
            return NULL; /* [*] names no one element */
        }
    }
    return fv;
}

/* Later than @than? RFC 3339 times in UTC (the API server writes "Z")
 * order as text; an entry without a time is older than any. */
static bool later(const json_t *entry, const json_t *than)
{
    const char *a = json_string_value(json_object_get(entry, "time"));
    const char *b = than ? json_string_value(json_object_get(than, "time")) : NULL;

    if (than == NULL)
        return true;
    return a && (b == NULL || strcmp(a, b) >= 0);
}

const json_t *dg_managed_owner(const json_t *managed, const json_t *live, const char *path)
{
    dg_path_t *p = dg_path_parse(path, NULL);
    const json_t *best = NULL, *entry;
    size_t i;

    if (p == NULL)
        return NULL;
    json_array_foreach(managed, i, entry) {
        const char *type = json_string_value(json_object_get(entry, "fieldsType"));
        const json_t *fv = json_object_get(entry, "fieldsV1");

        if (type == NULL || strcmp(type, "FieldsV1") != 0 || !json_is_object(fv))
            continue;
        if (walk(fv, live, p) && later(entry, best))
            best = entry;
    }
    dg_path_free(&p);
    return best;
}

/* ---- managedFields of an object ------------------------------------------------------- */

json_t *dg_managed_fields(const dg_obj_t *o)
{
    json_t *mf = json_object_get(json_object_get(o->json, "metadata"), "managedFields");
    dg_yaml_docs_t docs;

    if (json_is_array(mf))
        return json_incref(mf);
    if (o->managed == NULL ||
        dg_yaml_parse(o->managed, o->managed_len, "managedFields", 0, 0, &docs, NULL) != 0)
        return NULL;
    mf = docs.n == 1 && json_is_array(docs.docs[0].root) ? json_incref(docs.docs[0].root) : NULL;
    dg_yaml_docs_free(&docs);
    return mf;
}

static char *dup_member(const json_t *entry, const char *key)
{
    const char *s = json_string_value(json_object_get(entry, key));

    return strdup(s ? s : "");
}

dg_changed_by_t *dg_managed_changed_by(const json_t *entry)
{
    dg_changed_by_t *c = calloc(1, sizeof *c);

    if (c == NULL)
        return NULL;
    c->manager = dup_member(entry, "manager");
    c->operation = dup_member(entry, "operation");
    c->time = dup_member(entry, "time");
    if (c->manager == NULL || c->operation == NULL || c->time == NULL)
        dg_changed_by_free(&c);
    return c;
}

int dg_managed_attribute(const dg_objset_t *live, dg_variances_t *v, dg_err_t *err)
{
    const dg_obj_t *cached = NULL;
    json_t *mf = NULL;
    int rc = 0;

    /* A diff appends an object's variances together: parse each once. */
    for (size_t i = 0; i < v->n && !rc; i++) {
        dg_variance_t *x = &v->items[i];
        const dg_obj_t *o = x->type == DG_VAR_CHANGED && x->live ? dg_objset_find(live, &x->obj)
                                                                 : NULL;
        const json_t *entry;

        if (o == NULL)
            continue;
        if (o != cached) {
            json_decref(mf);
            mf = dg_managed_fields(o);
            cached = o;
        }
        entry = mf ? dg_managed_owner(mf, o->json, x->path) : NULL;
        if (entry == NULL)
            continue;
        dg_changed_by_free(&x->changed_by);
        if ((x->changed_by = dg_managed_changed_by(entry)) == NULL)
            rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    }
    json_decref(mf);
    return rc;
}
