/* policy/diff.c: variances. For each rule that applies to an object, walk
 * its path patterns over the baseline and the live object side by side,
 * matching list elements by merge key, and compare what the paths reach.
 * SPDX-License-Identifier: Apache-2.0 */
#include "diff.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "norm.h"
#include "path.h"

void dg_variances_init(dg_variances_t *v)
{
    memset(v, 0, sizeof *v);
}

static void variance_clear(dg_variance_t *x)
{
    free((char *)x->obj.group); /* and the other strings: one block */
    json_decref(x->desired);
    json_decref(x->live);
    dg_changed_by_free(&x->changed_by);
}

void dg_changed_by_free(dg_changed_by_t **c)
{
    if (c == NULL || *c == NULL)
        return;
    free((*c)->manager);
    free((*c)->operation);
    free((*c)->time);
    free(*c);
    *c = NULL;
}

void dg_variances_free(dg_variances_t *v)
{
    for (size_t i = 0; i < v->n; i++)
        variance_clear(&v->items[i]);
    free(v->items);
    dg_variances_init(v);
}

/* ---- equality ---------------------------------------------------------------- */

static bool equal(dg_val_t a, dg_val_t b, bool quantities);

/* Two objects of nodes: members are looked up with their keys' lengths,
 * and first at the same place (objects written by one program list their
 * keys in one order). */
static bool equal_nodes(const dg_jnode_t *a, const dg_jnode_t *b, bool quantities)
{
    for (uint32_t i = 0; i < a->n; i++) {
        const dg_jnode_t *x = &a->v.kids[i], *y = &b->v.kids[i];

        if (y->keylen != x->keylen || memcmp(y->key, x->key, x->keylen) != 0)
            y = dg_jread_getn(b, x->key, x->keylen);
        if (!equal(dg_val_node(x), dg_val_node(y), quantities))
            return false;
    }
    return true;
}

static bool equal_objects(dg_val_t a, dg_val_t b, bool quantities)
{
    dg_val_iter_t it = dg_val_members(a);
    const char *k;
    dg_val_t v;

    if (dg_val_size(a) != dg_val_size(b))
        return false;
    if (a.n && b.n)
        return equal_nodes(a.n, b.n, quantities);
    while (dg_val_next(&it, &k, &v))
        if (!equal(v, dg_val_get(b, k), quantities))
            return false;
    return true;
}

static bool is_number(dg_jtype_t t)
{
    return t == DG_JINT || t == DG_JREAL;
}

static bool equal(dg_val_t a, dg_val_t b, bool quantities)
{
    dg_jtype_t ta = dg_val_type(a), tb = dg_val_type(b);
    const char *s, *t;
    size_t n = 0, m = 0;
    long long i, k;
    double x, y;

    if (dg_val_absent(a) || dg_val_absent(b))
        return dg_val_absent(a) && dg_val_absent(b);
    if (quantities && dg_norm_quantity_equal(a, b))
        return true;
    /* Numbers by value: two integers exactly, else as doubles (6 == 6.0). */
    if (is_number(ta) && is_number(tb)) {
        if (ta == DG_JINT && tb == DG_JINT)
            return dg_val_int(a, &i) && dg_val_int(b, &k) && i == k;
        return dg_val_number(a, &x) && dg_val_number(b, &y) && x == y;
    }
    if (ta != tb)
        return false;
    switch (ta) {
    case DG_JOBJECT:
        return equal_objects(a, b, quantities);
    case DG_JARRAY:
        if (dg_val_size(a) != dg_val_size(b))
            return false;
        for (size_t e = 0; e < dg_val_size(a); e++)
            if (!equal(dg_val_at(a, e), dg_val_at(b, e), quantities))
                return false;
        return true;
    case DG_JSTRING:
        s = dg_val_str(a, &n);
        t = dg_val_str(b, &m);
        return n == m && memcmp(s, t, n) == 0;
    default:
        return true; /* true, false, null: same type, same value */
    }
}

bool dg_diff_equal(const json_t *a, const json_t *b)
{
    return equal(dg_val_json(a), dg_val_json(b), false);
}

bool dg_diff_equal_val(dg_val_t a, dg_val_t b)
{
    return equal(a, b, false);
}

/* ---- emitting --------------------------------------------------------------- */

static int grow(dg_variances_t *v)
{
    size_t cap;
    dg_variance_t *p;

    if (v->n < v->cap)
        return 0;
    cap = v->cap ? v->cap * 2 : 8;
    p = realloc(v->items, cap * sizeof *p);
    if (p == NULL)
        return DG_ENOMEM;
    v->items = p;
    v->cap = cap;
    return 0;
}

static dg_changed_by_t *changed_by_copy(const dg_changed_by_t *c)
{
    dg_changed_by_t *x = calloc(1, sizeof *x);

    if (x && (!(x->manager = strdup(c->manager)) || !(x->operation = strdup(c->operation)) ||
              !(x->time = strdup(c->time))))
        dg_changed_by_free(&x);
    return x;
}

/* The identity's strings and the path of @from into one block, in @x
 * (group first: freeing it frees them all). */
static int strings_copy(dg_variance_t *x, const dg_variance_t *from)
{
    const char *src[] = {from->obj.group, from->obj.kind, from->obj.ns, from->obj.name,
                         from->path};
    size_t len[5], total = 0;
    char *p;

    for (size_t i = 0; i < 5; i++)
        total += (len[i] = strlen(src[i])) + 1;
    if ((p = malloc(total)) == NULL)
        return DG_ENOMEM;
    for (size_t i = 0; i < 5; i++) {
        memcpy(p, src[i], len[i] + 1);
        src[i] = p;
        p += len[i] + 1;
    }
    x->obj = (dg_objid_t){src[0], src[1], src[2], src[3]};
    x->path = (char *)src[4];
    return 0;
}

int dg_variances_push(dg_variances_t *v, const dg_variance_t *from)
{
    dg_variance_t *x;

    if (grow(v))
        return DG_ENOMEM;
    x = &v->items[v->n];
    memset(x, 0, sizeof *x);
    if (strings_copy(x, from))
        return DG_ENOMEM;
    /* Copies, not references: the values may live in objects other threads share. */
    x->desired = from->desired ? json_deep_copy(from->desired) : NULL;
    x->live = from->live ? json_deep_copy(from->live) : NULL;
    x->type = from->type;
    x->rule = from->rule;
    x->action = from->action;
    x->changed_by = from->changed_by ? changed_by_copy(from->changed_by) : NULL;
    if ((from->desired && !x->desired) || (from->live && !x->live) ||
        (from->changed_by && !x->changed_by)) {
        variance_clear(x);
        return DG_ENOMEM;
    }
    v->n++;
    return 0;
}

/* A value the variance keeps: nodes (a request's, a baseline's) are
 * converted here, once it differs; a jansson tree is copied (it may be
 * shared). */
static json_t *keep(dg_val_t v)
{
    return v.n ? dg_jread_to_json(v.n) : json_deep_copy(v.j);
}

static int emit(dg_variances_t *out, const dg_objid_t *id, const char *path, dg_val_t desired,
                dg_val_t live, dg_vartype_t type, const dg_rule_t *rule)
{
    dg_variance_t x = {*id, (char *)path, NULL, NULL, type, rule->name, rule->action, NULL};
    dg_variance_t *last;

    if (dg_variances_push(out, &x))
        return DG_ENOMEM;
    last = &out->items[out->n - 1];
    if ((!dg_val_absent(desired) && (last->desired = keep(desired)) == NULL) ||
        (!dg_val_absent(live) && (last->live = keep(live)) == NULL)) {
        variance_clear(last);
        out->n--;
        return DG_ENOMEM;
    }
    return 0;
}

/* ---- the walk --------------------------------------------------------------- */

/* One step of the path walked so far: a field, an element by its merge
 * keys, or the one element of two unkeyed one-element lists. The path's
 * text is rendered from the steps only when it is needed (a variance, a
 * default): most walks find nothing. */
typedef struct step {
    const char *field;        /* a field; else an element */
    size_t nkeys;             /* 0: "[*]" */
    const char *const *keys;
    const char *const *vals;
    size_t cap;               /* the key text is cut to cap - 1 bytes, as
                               * the fixed buffers it was once printed to did */
} step_t;

/* Both sides are read through dg_val_t: a request's object and its
 * baseline as nodes (dg_obj_nodes()), the CLI's as jansson. */
typedef struct walk {
    const dg_objid_t *id;
    const dg_rule_t *rule;
    const dg_policy_t *pol;
    const dg_path_t *pat;
    dg_variances_t *out;
    size_t first;     /* this object's first variance in @out (dedup) */
    step_t steps[DG_PATH_MAX_SEGS];
    size_t depth;
    dg_buf_t text;    /* a path rendered from the steps */
    bool quantities;  /* under a resources field: compare as quantities */
} walk_t;

/* The concrete path ("spec.ports[name=http].port"), or with @generic the
 * same with every element as [*] ("spec.ports[*].port"), in w->text. */
static int render(walk_t *w, bool generic)
{
    int rc = 0;

    w->text.len = 0;
    for (size_t i = 0; i < w->depth && !rc; i++) {
        const step_t *st = &w->steps[i];
        size_t start = w->text.len;

        if (st->field)
            rc = dg_path_buf_field(&w->text, st->field);
        else if (generic || st->nkeys == 0)
            rc = dg_buf_puts(&w->text, "[*]");
        else if ((rc = dg_path_buf_key(&w->text, st->nkeys, st->keys, st->vals)) == 0 &&
                 w->text.len - start >= st->cap) {
            w->text.len = start + st->cap - 1;
            w->text.data[w->text.len] = '\0';
        }
    }
    return rc ? rc : dg_buf_append(&w->text, "", 0);
}

static int walk(walk_t *w, size_t seg, dg_val_t b, dg_val_t l, dg_val_t bparent,
                const char *field);

/* One variance per concrete path: a second rule reaching it only raises
 * the action. */
static int record(walk_t *w, dg_val_t b, dg_val_t l)
{
    int rc = render(w, false);
    const char *path = w->text.data ? w->text.data : "";

    for (size_t i = w->first; i < w->out->n && !rc; i++) {
        dg_variance_t *x = &w->out->items[i];

        if (strcmp(x->path, path) == 0) {
            if (w->rule->action > x->action) {
                x->action = w->rule->action;
                x->rule = w->rule->name;
            }
            return 0;
        }
    }
    if (rc || dg_policy_ignores(w->pol, w->id, path))
        return rc;
    return emit(w->out, w->id, path, b, l, DG_VAR_CHANGED, w->rule);
}

static bool empty_or_absent(dg_val_t v)
{
    dg_jtype_t t = dg_val_type(v);

    return t == DG_JNULL || ((t == DG_JOBJECT || t == DG_JARRAY) && dg_val_size(v) == 0);
}

static int leaf(walk_t *w, dg_val_t b, dg_val_t l, dg_val_t bparent, const char *field)
{
    json_t *dflt = NULL;
    int rc;

    if (dg_val_absent(b) && dg_val_absent(l))
        return 0;
    if (dg_val_absent(b) && field && dg_val_type(bparent) == DG_JOBJECT) {
        if ((rc = render(w, true)) != 0)
            return rc;
        b = dg_val_json(dflt = dg_norm_default(w->id->group, w->id->kind, w->text.data, bparent));
    }
    if (dg_val_absent(b) && field && dg_norm_server_allocated(w->id->group, w->id->kind, field))
        return 0; /* left to the server to allocate: whatever it chose is intended */
    /* The API server prints `resources: {}` for a field the render left out. */
    if (empty_or_absent(b) && empty_or_absent(l))
        rc = 0;
    else
        rc = equal(b, l, w->quantities) ? 0 : record(w, b, l);
    json_decref(dflt);
    return rc;
}

/* Step @st into a field or element; step_out() undoes it. */
static bool step_in(walk_t *w, const char *field, const step_t *st)
{
    bool q = w->quantities;

    if (field && field[0] == 'r' && strcmp(field, "resources") == 0) /* most fields are not */
        w->quantities = true;
    w->steps[w->depth++] = *st;
    return q;
}

static void step_out(walk_t *w, bool q)
{
    w->depth--;
    w->quantities = q;
}

/* Walk on from @seg with step @st taken. */
static int enter(walk_t *w, size_t seg, dg_val_t b, dg_val_t l, dg_val_t bparent,
                 const char *field, const step_t *st)
{
    bool q = step_in(w, field, st);
    int rc;

    /* An element on one side only is one variance, not one per field (a
     * field written quoted is taken as an element, as it always was). */
    rc = (dg_val_absent(b) || dg_val_absent(l)) &&
                 (st->field == NULL || !dg_path_plain_name(st->field))
             ? leaf(w, b, l, DG_VAL_ABSENT, NULL)
             : walk(w, seg + 1, b, l, bparent, field);
    step_out(w, q);
    return rc;
}

static int walk_field(walk_t *w, size_t seg, const dg_seg_t *s, dg_val_t b, dg_val_t l)
{
    step_t st = {.field = s->name};

    return enter(w, seg, dg_val_getn(b, s->name, s->namelen), dg_val_getn(l, s->name, s->namelen),
                 b, s->name, &st);
}

static dg_val_t find_keyed(dg_val_t arr, const char *field, const dg_mergekey_t *k)
{
    for (size_t i = 0; i < dg_val_size(arr); i++) {
        dg_val_t e = dg_val_at(arr, i);
        bool all = true;

        for (size_t j = 0; j < k->n && all; j++)
            all = dg_norm_key_matches(field, e, k->names[j], k->vals[j]);
        if (all)
            return e;
    }
    return DG_VAL_ABSENT;
}

/* Can every element of @a be matched by a merge key? */
static bool keyed_list(const char *field, dg_val_t a)
{
    dg_mergekey_t k;

    for (size_t i = 0; i < dg_val_size(a); i++) {
        dg_norm_merge_key(field, dg_val_at(a, i), &k);
        if (k.n == 0)
            return false;
    }
    return true;
}

/* An element's step, by merge key @k (@vals: room for its values). */
static step_t keyed_step(const dg_mergekey_t *k, const char **vals)
{
    for (size_t j = 0; j < k->n; j++)
        vals[j] = k->vals[j];
    return (step_t){NULL, k->n, k->names, vals, 2 * DG_NORM_KEY_LEN + 32};
}

/* [*]: pair elements by merge key (never by index), baseline first, then
 * live elements the baseline lacks. Lists without merge keys are compared
 * whole, except one-element lists, which pair with each other. */
static int walk_all(walk_t *w, size_t seg, const char *field, dg_val_t b, dg_val_t l)
{
    dg_val_t ba = dg_val_type(b) == DG_JARRAY ? b : DG_VAL_ABSENT;
    dg_val_t la = dg_val_type(l) == DG_JARRAY ? l : DG_VAL_ABSENT;
    const char *vals[DG_NORM_MAX_KEYS];
    dg_mergekey_t k;
    step_t st;
    int rc = 0;

    if (!keyed_list(field, ba) || !keyed_list(field, la)) {
        st = (step_t){0};
        if (dg_val_size(ba) == 1 && dg_val_size(la) == 1)
            return enter(w, seg, dg_val_at(ba, 0), dg_val_at(la, 0), DG_VAL_ABSENT, NULL, &st);
        return leaf(w, b, l, DG_VAL_ABSENT, NULL);
    }
    for (size_t i = 0; i < dg_val_size(ba) && !rc; i++) {
        dg_val_t e = dg_val_at(ba, i);

        dg_norm_merge_key(field, e, &k);
        st = keyed_step(&k, vals);
        rc = enter(w, seg, e, find_keyed(la, field, &k), e, NULL, &st);
    }
    for (size_t i = 0; i < dg_val_size(la) && !rc; i++) {
        dg_val_t e = dg_val_at(la, i);

        dg_norm_merge_key(field, e, &k);
        if (!dg_val_absent(find_keyed(ba, field, &k)))
            continue;
        st = keyed_step(&k, vals);
        rc = enter(w, seg, DG_VAL_ABSENT, e, DG_VAL_ABSENT, NULL, &st);
    }
    return rc;
}

/* [k=v]: the one element with those keys on each side. */
static int walk_key(walk_t *w, size_t seg, const char *field, const dg_seg_t *s, dg_val_t b,
                    dg_val_t l)
{
    step_t st = {NULL, s->nkeys, s->keys, s->vals, 512};
    dg_mergekey_t k = {0};

    if (s->nkeys > DG_NORM_MAX_KEYS)
        return 0; /* no list element has more merge keys than that */
    k.n = s->nkeys;
    for (size_t j = 0; j < s->nkeys; j++) {
        k.names[j] = s->keys[j];
        snprintf(k.vals[j], DG_NORM_KEY_LEN, "%s", s->vals[j]);
    }
    b = dg_val_type(b) == DG_JARRAY ? find_keyed(b, field, &k) : DG_VAL_ABSENT;
    l = dg_val_type(l) == DG_JARRAY ? find_keyed(l, field, &k) : DG_VAL_ABSENT;
    return enter(w, seg, b, l, b, NULL, &st);
}

static int walk(walk_t *w, size_t seg, dg_val_t b, dg_val_t l, dg_val_t bparent,
                const char *field)
{
    const dg_seg_t *s;

    if (seg == dg_path_len(w->pat))
        return leaf(w, b, l, bparent, field);
    if (dg_val_absent(b) && dg_val_absent(l))
        return 0;
    s = dg_path_seg(w->pat, seg);
    switch (s->kind) {
    case DG_SEG_FIELD:
        return walk_field(w, seg, s, b, l);
    case DG_SEG_ALL:
        return walk_all(w, seg, field ? field : "", b, l);
    case DG_SEG_KEY:
        return walk_key(w, seg, field ? field : "", s, b, l);
    }
    return 0;
}

/* The live sides judged against one baseline object: a request's object
 * and its oldObject, or one live object. */
#define SIDES 2

typedef struct sides {
    size_t n;
    dg_val_t live[SIDES];
    dg_variances_t *out[SIDES];
} sides_t;

/* Every side walked from @seg. While all of them are present and the path
 * goes on by field, the baseline's step is taken once for all (the
 * object's and oldObject's walks share it); from a list step or an absent
 * value on, each side walks on alone. */
static int walk_sides(walk_t *w, size_t n, size_t seg, dg_val_t b, const dg_val_t *l,
                      dg_val_t bparent, const char *field)
{
    const dg_seg_t *s = seg < dg_path_len(w->pat) ? dg_path_seg(w->pat, seg) : NULL;
    bool shared = n > 1 && !dg_val_absent(b) && s && s->kind == DG_SEG_FIELD, q[SIDES];
    dg_val_t c[SIDES], bc;
    step_t st = {.field = s ? s->name : NULL};
    int rc = 0;

    for (size_t i = 0; i < n && shared; i++)
        shared = !dg_val_absent(l[i]);
    if (!shared) {
        for (size_t i = 0; i < n && !rc; i++)
            rc = walk(&w[i], seg, b, l[i], bparent, field);
        return rc;
    }
    bc = dg_val_getn(b, s->name, s->namelen);
    for (size_t i = 0; i < n; i++) {
        c[i] = dg_val_getn(l[i], s->name, s->namelen);
        shared = shared && !dg_val_absent(c[i]);
    }
    if (dg_val_absent(bc) || !shared) { /* enter() decides, side by side */
        for (size_t i = 0; i < n && !rc; i++)
            rc = enter(&w[i], seg, bc, c[i], b, s->name, &st);
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        q[i] = step_in(&w[i], s->name, &st);
    rc = walk_sides(w, n, seg + 1, bc, c, b, s->name);
    for (size_t i = 0; i < n; i++)
        step_out(&w[i], q[i]);
    return rc;
}

/* ---- objects ------------------------------------------------------------------ */

/* Where to look for an HPA that scales an object: the release's objects
 * (scanned), or an index of HPA targets built once for a whole snapshot. */
typedef struct scope {
    const dg_objset_t *base_set;
    dg_objset_t *targets; /* NULL: scan base_set */
} scope_t;

static json_t *target_ref(const dg_obj_t *hpa)
{
    json_t *ref = json_object_get(json_object_get(hpa->json, "spec"), "scaleTargetRef");
    const char *kind = json_string_value(json_object_get(ref, "kind"));
    const char *name = json_string_value(json_object_get(ref, "name"));
    const char *api = json_string_value(json_object_get(ref, "apiVersion"));

    if (strcmp(hpa->id.kind, "HorizontalPodAutoscaler") != 0 || !kind || !name)
        return NULL;
    return json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", api ? api : "apps/v1", "kind", kind,
                     "metadata", "name", name, "namespace", hpa->id.ns);
}

/* Does an HPA in the scope scale @id? Then it owns spec.replicas. */
static bool hpa_targets(const scope_t *sc, const dg_objid_t *id)
{
    if (sc->targets)
        return dg_objset_find(sc->targets, id) != NULL;
    return dg_diff_hpa_of(sc->base_set, id) != NULL;
}

const dg_obj_t *dg_diff_hpa_of(const dg_objset_t *hpas, const dg_objid_t *id)
{
    for (size_t i = 0; i < dg_objset_count(hpas); i++) {
        const dg_obj_t *h = dg_objset_at(hpas, i);
        json_t *ref = json_object_get(json_object_get(h->json, "spec"), "scaleTargetRef");
        const char *kind = json_string_value(json_object_get(ref, "kind"));
        const char *name = json_string_value(json_object_get(ref, "name"));
        const char *api = json_string_value(json_object_get(ref, "apiVersion"));
        char group[128];

        if (strcmp(h->id.kind, "HorizontalPodAutoscaler") == 0 && kind && name &&
            strcmp(kind, id->kind) == 0 && strcmp(name, id->name) == 0 &&
            strcmp(h->id.ns, id->ns) == 0 &&
            strcmp(dg_obj_group_of(api ? api : "apps/v1", group, sizeof group), id->group) == 0)
            return h;
    }
    return NULL;
}

/* The identities every HPA of @set scales, as a set: one pass, not one per
 * workload (10,000 objects would make that quadratic). */
static dg_objset_t *hpa_target_index(const dg_objset_t *set)
{
    dg_objset_t *targets = dg_objset_new();

    for (size_t i = 0; targets && i < dg_objset_count(set); i++) {
        json_t *ref = target_ref(dg_objset_at(set, i));

        /* Two HPAs on one workload: the second add fails as a duplicate; fine. */
        if (ref && dg_objset_add(targets, ref, "", "hpa-targets", 0, NULL) == DG_ENOMEM) {
            dg_objset_free(&targets);
            return NULL;
        }
    }
    return targets;
}

/* A baseline object read as the live side is: a request's nodes against
 * the baseline's nodes (built on first use), jansson against jansson. */
static dg_val_t baseline(const dg_obj_t *o, const sides_t *sd)
{
    const dg_jnode_t *n = sd->live[0].n ? dg_obj_nodes(o) : NULL;

    return n ? dg_val_node(n) : dg_val_json(o->json);
}

static int diff_rule(const dg_obj_t *base, const sides_t *sd, const scope_t *sc,
                     const dg_policy_t *pol, const dg_rule_t *rule, const size_t *first)
{
    walk_t w[SIDES];
    size_t before[SIDES];
    int rc = 0;

    /* Not zeroed whole: the steps are written before they are read. */
    for (size_t i = 0; i < sd->n; i++) {
        w[i].id = &base->id;
        w[i].rule = rule;
        w[i].pol = pol;
        w[i].out = sd->out[i];
        w[i].first = first[i];
        w[i].depth = 0;
        w[i].quantities = false;
        dg_buf_init(&w[i].text, 0);
        before[i] = sd->out[i]->n;
    }
    for (size_t p = 0; p < rule->npaths && !rc; p++) {
        for (size_t i = 0; i < sd->n; i++)
            w[i].pat = rule->paths[p];
        rc = walk_sides(w, sd->n, 0, baseline(base, sd), sd->live, DG_VAL_ABSENT, NULL);
    }
    for (size_t i = 0; i < sd->n; i++) {
        dg_variances_t *out = sd->out[i];

        dg_buf_free(&w[i].text);
        /* Checked only once something differs: drift is rare, HPAs are many. */
        if (!rc && rule->unless_hpa && out->n > before[i] && hpa_targets(sc, &base->id)) {
            for (size_t v = before[i]; v < out->n; v++)
                variance_clear(&out->items[v]);
            out->n = before[i];
        }
    }
    return rc;
}

static int diff_missing(const dg_obj_t *base, const dg_policy_t *pol, dg_variances_t *out)
{
    const dg_rule_t *worst = NULL;

    for (size_t i = 0; i < dg_policy_nrules(pol); i++) {
        const dg_rule_t *r = dg_policy_rule(pol, i);

        if (dg_rule_applies(r, base->id.group, base->id.kind) &&
            (worst == NULL || r->action > worst->action))
            worst = r;
    }
    return worst ? emit(out, &base->id, "", DG_VAL_ABSENT, DG_VAL_ABSENT, DG_VAR_MISSING, worst) : 0;
}

/* The sides' variances against @base: one "missing" for an absent side,
 * the rules' walks for the others (together). */
static int diff_object(const dg_obj_t *base, const sides_t *sd, const scope_t *sc,
                       const dg_policy_t *pol, dg_err_t *err)
{
    sides_t present = {0};
    size_t first[SIDES];
    char shown[256];
    int rc = 0;

    if (dg_policy_ns_excluded(pol, base->id.ns))
        return 0;
    for (size_t i = 0; i < sd->n && !rc; i++) {
        if (dg_val_absent(sd->live[i])) {
            rc = diff_missing(base, pol, sd->out[i]);
            continue;
        }
        first[present.n] = sd->out[i]->n;
        present.live[present.n] = sd->live[i];
        present.out[present.n++] = sd->out[i];
    }
    for (size_t i = 0; present.n && i < dg_policy_nrules(pol) && !rc; i++) {
        const dg_rule_t *r = dg_policy_rule(pol, i);

        if (dg_rule_applies(r, base->id.group, base->id.kind))
            rc = diff_rule(base, &present, sc, pol, r, first);
    }
    if (rc)
        return dg_err_set(err, rc, "out of memory comparing %s",
                          dg_objid_format(&base->id, shown, sizeof shown));
    return 0;
}

int dg_diff_val(const dg_obj_t *base, dg_val_t live, const dg_objset_t *hpas,
                const dg_policy_t *pol, dg_variances_t *out, dg_err_t *err)
{
    scope_t sc = {hpas, NULL};
    sides_t sd = {1, {live}, {out}};

    return diff_object(base, &sd, &sc, pol, err);
}

int dg_diff_pair(const dg_obj_t *base, dg_val_t live, dg_val_t old, const dg_objset_t *hpas,
                 const dg_policy_t *pol, dg_variances_t *out, dg_variances_t *out_old,
                 dg_err_t *err)
{
    scope_t sc = {hpas, NULL};
    sides_t sd = {2, {live, old}, {out, out_old}};

    return diff_object(base, &sd, &sc, pol, err);
}

int dg_diff_object(const dg_obj_t *base, const json_t *live, const dg_objset_t *hpas,
                   const dg_policy_t *pol, dg_variances_t *out, dg_err_t *err)
{
    return dg_diff_val(base, dg_val_json(live), hpas, pol, out, err);
}

/* The kinds a snapshot covers when --kinds does not say: those it holds. */
static bool covers(const dg_gk_t *covered, size_t ncovered, const dg_objset_t *live,
                   const dg_objid_t *id)
{
    if (covered == NULL) {
        for (size_t i = 0; i < dg_objset_count(live); i++) {
            const dg_obj_t *o = dg_objset_at(live, i);

            if (strcmp(o->id.kind, id->kind) == 0 && strcmp(o->id.group, id->group) == 0)
                return true;
        }
        return false;
    }
    for (size_t i = 0; i < ncovered; i++)
        if (strcmp(covered[i].kind, id->kind) == 0 && strcmp(covered[i].group, id->group) == 0)
            return true;
    return false;
}

int dg_diff_sets(const dg_objset_t *base, const dg_objset_t *live, const dg_gk_t *covered,
                 size_t ncovered, const dg_policy_t *pol, dg_variances_t *out, dg_err_t *err)
{
    static const dg_objid_t hpa = {"autoscaling", "HorizontalPodAutoscaler", "", ""};
    /* The snapshot's HPAs own replicas when it shows them: one the release
     * does not render (KEDA, another chart) counts, a deleted one does not. */
    const dg_objset_t *hpas = covers(covered, ncovered, live, &hpa) ? live : base;
    scope_t sc = {hpas, hpa_target_index(hpas)};
    int rc = sc.targets ? 0 : dg_err_set(err, DG_ENOMEM, "out of memory indexing HPAs");

    for (size_t i = 0; i < dg_objset_count(base) && !rc; i++) {
        const dg_obj_t *b = dg_objset_at(base, i);
        const dg_obj_t *l = dg_objset_find(live, &b->id);
        sides_t sd = {1, {dg_val_json(l ? l->json : NULL)}, {out}};

        if (!dg_policy_governs(pol, b->id.group, b->id.kind) ||
            (l == NULL && !covers(covered, ncovered, live, &b->id)))
            continue;
        rc = diff_object(b, &sd, &sc, pol, err);
    }
    dg_objset_free(&sc.targets);
    return rc;
}
