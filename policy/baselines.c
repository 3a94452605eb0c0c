/* policy/baselines.c: releases indexed by the identity of every object
 * they render, so an incoming object finds its owner in O(1).
 * SPDX-License-Identifier: Apache-2.0 */
#include "baselines.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *dg_release_name_of(const dg_objset_t *set)
{
    const char *found = NULL;

    for (size_t i = 0; i < dg_objset_count(set); i++) {
        json_t *meta = json_object_get(dg_objset_at(set, i)->json, "metadata");
        const char *r = json_string_value(json_object_get(
            json_object_get(meta, "annotations"), "meta.helm.sh/release-name"));

        if (r == NULL)
            r = json_string_value(
                json_object_get(json_object_get(meta, "labels"), "app.kubernetes.io/instance"));
        if (r == NULL)
            continue;
        if (found && strcmp(found, r) != 0)
            return NULL;
        found = r;
    }
    return found;
}

const char *dg_release_chart_of(const dg_objset_t *set)
{
    for (size_t i = 0; i < dg_objset_count(set); i++) {
        json_t *l = json_object_get(json_object_get(dg_objset_at(set, i)->json, "metadata"),
                                    "labels");
        const char *c = json_string_value(json_object_get(l, "helm.sh/chart"));

        if (c)
            return c;
    }
    return NULL;
}

int dg_release_note(dg_release_t *rel, const char *text)
{
    size_t have = rel->note ? strlen(rel->note) : 0;
    char *n = realloc(rel->note, have + strlen(text) + 3);

    if (n == NULL)
        return DG_ENOMEM;
    snprintf(n + have, strlen(text) + 3, "%s%s", have ? "; " : "", text);
    rel->note = n;
    return 0;
}

long dg_release_confine(dg_release_t *rel)
{
    dg_objset_t *kept = dg_objset_new();
    char first[256] = "";
    long dropped = 0;

    if (kept == NULL)
        return -1;
    for (size_t i = 0; i < dg_objset_count(rel->objs); i++) {
        const dg_obj_t *o = dg_objset_at(rel->objs, i);

        if (strcmp(o->id.ns, rel->ns) == 0) {
            if (dg_objset_add_copy(kept, o, rel->ns, "confined", NULL)) {
                dg_objset_free(&kept);
                return -1;
            }
        } else if (dropped++ == 0) {
            dg_objid_format(&o->id, first, sizeof first);
        }
    }
    if (dropped == 0) {
        dg_objset_free(&kept);
        return 0;
    }
    dg_objset_free(&rel->objs);
    rel->objs = kept;
    {
        char msg[512];

        snprintf(msg, sizeof msg, "%ld object%s outside namespace %s dropped (%s%s)", dropped,
                 dropped == 1 ? "" : "s", rel->ns, first, dropped > 1 ? ", ..." : "");
        if (dg_release_note(rel, msg))
            return -1;
    }
    return dropped;
}

dg_release_t *dg_release_new(const char *name, const char *ns)
{
    dg_release_t *r = calloc(1, sizeof *r);

    if (r == NULL)
        return NULL;
    r->name = strdup(name);
    r->ns = strdup(ns);
    r->objs = dg_objset_new();
    r->refs = 1;
    if (r->name == NULL || r->ns == NULL || r->objs == NULL)
        dg_release_free(&r);
    return r;
}

dg_release_t *dg_release_ref(dg_release_t *rel)
{
    if (rel)
        rel->refs++;
    return rel;
}

void dg_release_free(dg_release_t **rel)
{
    dg_release_t *r = rel ? *rel : NULL;

    if (r == NULL)
        return;
    *rel = NULL;
    if (--r->refs > 0)
        return;
    free(r->name);
    free(r->ns);
    free(r->chart);
    free(r->source);
    free(r->digest);
    free(r->pending_status);
    free(r->note);
    dg_objset_free(&r->objs);
    dg_objset_free(&r->pending);
    free(r);
}

/* The index maps identity -> (release, object): an open-addressing table
 * keyed by FNV-1a of the identity, rebuilt whenever a release is replaced
 * (baseline sets are rebuilt by the store, never mutated under a reader). */
typedef struct slot {
    const dg_obj_t *obj;
    size_t rel; /* index into releases */
} slot_t;

struct dg_baselines {
    dg_release_t **rels;
    size_t n, cap;
    slot_t *slots;
    size_t nslots, used;
    dg_conflict_t *conflicts;
    size_t nconflicts, capconflicts;
};

dg_baselines_t *dg_baselines_new(void)
{
    return calloc(1, sizeof(dg_baselines_t));
}

void dg_baselines_free(dg_baselines_t **set)
{
    dg_baselines_t *s = set ? *set : NULL;

    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++)
        dg_release_free(&s->rels[i]);
    free(s->rels);
    free(s->slots);
    free(s->conflicts);
    free(s);
    *set = NULL;
}

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return (h ^ 0xff) * 0x100000001b3ULL; /* separator: ("ab","c") != ("a","bc") */
}

static uint64_t id_hash(const dg_objid_t *id)
{
    return fnv(fnv(fnv(fnv(0xcbf29ce484222325ULL, id->group), id->kind), id->ns), id->name);
}

static slot_t *probe(const dg_baselines_t *s, const dg_objid_t *id)
{
    size_t mask = s->nslots - 1, i = (size_t)id_hash(id) & mask;

    while (s->slots[i].obj && !dg_objid_equal(&s->slots[i].obj->id, id))
        i = (i + 1) & mask;
    return &s->slots[i];
}

static int add_conflict(dg_baselines_t *s, const dg_obj_t *o, size_t first, size_t second)
{
    if (s->nconflicts == s->capconflicts) {
        size_t cap = s->capconflicts ? s->capconflicts * 2 : 4;
        dg_conflict_t *p = realloc(s->conflicts, cap * sizeof *p);

        if (p == NULL)
            return DG_ENOMEM;
        s->conflicts = p;
        s->capconflicts = cap;
    }
    s->conflicts[s->nconflicts++] = (dg_conflict_t){&o->id, s->rels[first], s->rels[second]};
    return 0;
}

/* The first claimant holds the slot; a second is recorded as a conflict,
 * which dg_baselines_owner() settles by the object's own annotation. */
static int index_release(dg_baselines_t *s, size_t r)
{
    const dg_objset_t *objs = s->rels[r]->objs;

    for (size_t i = 0; i < dg_objset_count(objs); i++) {
        const dg_obj_t *o = dg_objset_at(objs, i);
        slot_t *sl = probe(s, &o->id);

        if (sl->obj == NULL) {
            sl->obj = o;
            sl->rel = r;
            s->used++;
        } else if (add_conflict(s, o, sl->rel, r) != 0) {
            return DG_ENOMEM;
        }
    }
    return 0;
}

static int reindex(dg_baselines_t *s)
{
    size_t total = 0, nslots = 16;
    slot_t *slots;

    for (size_t i = 0; i < s->n; i++)
        total += dg_objset_count(s->rels[i]->objs);
    while (nslots < total * 2)
        nslots *= 2;
    slots = calloc(nslots, sizeof *slots);
    if (slots == NULL)
        return DG_ENOMEM;
    free(s->slots);
    s->slots = slots;
    s->nslots = nslots;
    s->used = 0;
    s->nconflicts = 0;
    for (size_t i = 0; i < s->n; i++)
        if (index_release(s, i) != 0)
            return DG_ENOMEM;
    return 0;
}

static long find_index(const dg_baselines_t *s, const char *name, const char *ns)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->rels[i]->name, name) == 0 && strcmp(s->rels[i]->ns, ns) == 0)
            return (long)i;
    return -1;
}

static int append(dg_baselines_t *s, dg_release_t *rel)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        dg_release_t **p = realloc(s->rels, cap * sizeof *p);

        if (p == NULL)
            return DG_ENOMEM;
        s->rels = p;
        s->cap = cap;
    }
    s->rels[s->n++] = rel;
    return 0;
}

int dg_baselines_add(dg_baselines_t *set, dg_release_t *rel, dg_err_t *err)
{
    long at = find_index(set, rel->name, rel->ns);
    size_t total = 0;

    if (at >= 0) {
        if (rel->origin < set->rels[at]->origin) {
            dg_release_free(&rel); /* a published baseline outranks Helm's record */
            return 0;
        }
        dg_release_free(&set->rels[at]);
        set->rels[at] = rel;
        if (reindex(set) != 0)
            return dg_err_set(err, DG_ENOMEM, "out of memory indexing release %s", rel->name);
        return 0;
    }
    if (append(set, rel) != 0) {
        dg_err_set(err, DG_ENOMEM, "out of memory adding release %s", rel->name);
        dg_release_free(&rel);
        return DG_ENOMEM;
    }
    total = set->used + dg_objset_count(rel->objs);
    if (set->nslots == 0 || total * 2 > set->nslots) {
        if (reindex(set) != 0)
            return dg_err_set(err, DG_ENOMEM, "out of memory indexing release %s", rel->name);
        return 0;
    }
    if (index_release(set, set->n - 1) != 0)
        return dg_err_set(err, DG_ENOMEM, "out of memory indexing release %s", rel->name);
    return 0;
}

size_t dg_baselines_count(const dg_baselines_t *set)
{
    return set ? set->n : 0;
}

const dg_release_t *dg_baselines_at(const dg_baselines_t *set, size_t i)
{
    return set && i < set->n ? set->rels[i] : NULL;
}

const dg_release_t *dg_baselines_find(const dg_baselines_t *set, const char *name,
                                      const char *ns)
{
    long at = set ? find_index(set, name, ns) : -1;

    return at >= 0 ? set->rels[at] : NULL;
}

const dg_release_t *dg_baselines_owner(const dg_baselines_t *set, const dg_objid_t *id,
                                       const char *named, const dg_obj_t **obj)
{
    const dg_release_t *rel;
    const slot_t *sl;

    if (set == NULL || set->nslots == 0)
        return NULL;
    sl = probe(set, id);
    if (sl->obj == NULL)
        return NULL;
    rel = set->rels[sl->rel];
    if (obj)
        *obj = sl->obj;
    /* Conflicts are rare: a scan of them only when the slot's owner is not
     * the release the object names. */
    for (size_t i = 0; named && strcmp(rel->name, named) != 0 && i < set->nconflicts; i++) {
        const dg_conflict_t *c = &set->conflicts[i];

        if (c->first == rel && strcmp(c->second->name, named) == 0 &&
            dg_objid_equal(c->id, id)) {
            if (obj)
                *obj = dg_objset_find(c->second->objs, id);
            return c->second;
        }
    }
    return rel;
}

size_t dg_baselines_nconflicts(const dg_baselines_t *set)
{
    return set ? set->nconflicts : 0;
}

const dg_conflict_t *dg_baselines_conflict(const dg_baselines_t *set, size_t i)
{
    return set && i < set->nconflicts ? &set->conflicts[i] : NULL;
}
