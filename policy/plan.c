/* policy/plan.c: the reconcile plan. Variances become JSON patches against
 * the live object: concrete paths (spec.ports[name=http].port) are turned
 * into JSON pointers (/spec/ports/0/port) by finding each list element in
 * the live object by its merge key, exactly as the diff matched it.
 * SPDX-License-Identifier: Apache-2.0 */
#include "plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "managed.h"
#include "norm.h"
#include "patch.h"
#include "path.h"
#include "report.h"
#include "review.h"

#define HELM_RELEASE_NAME "meta.helm.sh/release-name"
#define HELM_RELEASE_NS "meta.helm.sh/release-namespace"

void dg_plan_init(dg_plan_t *p)
{
    memset(p, 0, sizeof *p);
}

static void op_clear(dg_plan_op_t *op)
{
    free((char *)op->obj.group);
    free((char *)op->obj.kind);
    free((char *)op->obj.ns);
    free((char *)op->obj.name);
    free(op->resource_version);
    json_decref(op->patch);
    json_decref(op->object);
    dg_variances_free(&op->variances);
    free(op->message);
    json_decref(op->warnings);
}

void dg_plan_free(dg_plan_t *p)
{
    for (size_t i = 0; i < p->n; i++)
        op_clear(&p->ops[i]);
    free(p->ops);
    for (size_t i = 0; i < p->nrules; i++)
        free(p->rules[i]);
    free(p->rules);
    free(p->release);
    free(p->ns);
    free(p->digest);
    dg_plan_init(p);
}

const char *dg_plan_action_name(dg_plan_action_t a)
{
    return a == DG_PLAN_CREATE ? "create" : a == DG_PLAN_APPLY ? "apply" : "patch";
}

size_t dg_plan_count(const dg_plan_t *plan, dg_plan_action_t action)
{
    size_t n = 0;

    for (size_t i = 0; i < plan->n; i++)
        n += plan->ops[i].action == action;
    return n;
}

size_t dg_plan_nvariances(const dg_plan_t *plan)
{
    size_t n = 0;

    for (size_t i = 0; i < plan->n; i++)
        n += plan->ops[i].variances.n;
    return n;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* A new operation on @id at the end of @p; NULL when out of memory. */
static dg_plan_op_t *add_op(dg_plan_t *p, const dg_objid_t *id, dg_plan_action_t action)
{
    dg_plan_op_t *op;

    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4;
        dg_plan_op_t *ops = realloc(p->ops, cap * sizeof *ops);

        if (ops == NULL)
            return NULL;
        p->ops = ops;
        p->cap = cap;
    }
    op = &p->ops[p->n];
    memset(op, 0, sizeof *op);
    dg_variances_init(&op->variances);
    op->action = action;
    op->obj.group = strdup(id->group);
    op->obj.kind = strdup(id->kind);
    op->obj.ns = strdup(id->ns);
    op->obj.name = strdup(id->name);
    if (!op->obj.group || !op->obj.kind || !op->obj.ns || !op->obj.name) {
        op_clear(op);
        return NULL;
    }
    p->n++;
    return op;
}

/* ---- choosing the drift: --only ------------------------------------------------ */

typedef struct only {
    const dg_plan_opts_t *o;
    dg_path_t **pats; /* one per o->only: NULL for a rule name */
} only_t;

static bool is_rule(const dg_policy_t *pol, const char *name)
{
    for (size_t i = 0; i < dg_policy_nrules(pol); i++)
        if (strcmp(dg_policy_rule(pol, i)->name, name) == 0)
            return true;
    return false;
}

static int only_init(only_t *s, const dg_plan_opts_t *o, const dg_policy_t *pol, dg_err_t *err)
{
    s->o = o;
    s->pats = o && o->nonly ? calloc(o->nonly, sizeof *s->pats) : NULL;
    if (o && o->nonly && s->pats == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    for (size_t i = 0; o && i < o->nonly; i++) {
        dg_err_t why = {0};

        if (is_rule(pol, o->only[i]))
            continue;
        if ((s->pats[i] = dg_path_parse(o->only[i], &why)) == NULL)
            return dg_err_set(err, why.code == DG_ENOMEM ? DG_ENOMEM : DG_EINVAL,
                              "'%s' is neither a rule of policy %s nor a path: %s", o->only[i],
                              dg_policy_name(pol), why.msg);
    }
    return 0;
}

static void only_free(only_t *s)
{
    for (size_t i = 0; s->pats && i < s->o->nonly; i++)
        dg_path_free(&s->pats[i]);
    free(s->pats);
}

static bool selected(const only_t *s, const dg_variance_t *x)
{
    dg_path_t *concrete;
    bool hit = false;

    if (s->o == NULL || s->o->nonly == 0)
        return true;
    concrete = x->path[0] ? dg_path_parse(x->path, NULL) : NULL;
    for (size_t i = 0; i < s->o->nonly && !hit; i++)
        hit = s->pats[i] ? concrete && dg_path_covers(s->pats[i], concrete)
                         : strcmp(s->o->only[i], x->rule) == 0;
    dg_path_free(&concrete);
    return hit;
}

/* ---- from a concrete path to a JSON pointer ----------------------------------- */

/* The ops of one object's patch, kept apart so that every test runs first
 * (against the object as planned), then the changes, then the removals of
 * list elements, highest index first, so no index shifts under a later op. */
typedef struct patch {
    json_t *tests, *changes;
    struct removal {
        char *list; /* pointer of the list */
        long index;
    } *removals;
    size_t nremovals;
} patch_t;

/* Where a path leads in the live object. */
typedef struct where {
    dg_buf_t ptr;      /* pointer to the deepest value live has on the path */
    size_t have;       /* segments live has; the path's length when it has them all */
    json_t *val;       /* the value at ptr */
    size_t list_len;   /* ptr's length before the last element index, when the path
                        * ends at a list element; else 0 */
    long index;        /* that element's index, else -1 */
} where_t;

static int add_test(patch_t *p, const char *ptr, json_t *val)
{
    size_t i;
    json_t *t;

    json_array_foreach(p->tests, i, t) {
        if (strcmp(json_string_value(json_object_get(t, "path")), ptr) == 0)
            return 0; /* two variances in one element: one test of its key */
    }
    return json_array_append_new(p->tests, json_pack("{s:s, s:s, s:O}", "op", "test", "path",
                                                     ptr, "value", val))
               ? DG_ENOMEM
               : 0;
}

/* The index of the element of @arr that segment @s names, or -1 when live
 * has none; -2 when the element cannot be addressed ([*] over several). */
static long element(const json_t *arr, const char *field, const dg_seg_t *s)
{
    size_t i;
    json_t *e;

    if (s->kind == DG_SEG_ALL) /* the diff pairs unkeyed lists only when both hold one */
        return json_array_size(arr) == 1 ? 0 : -2;
    json_array_foreach(arr, i, e) {
        bool all = true;

        for (size_t k = 0; k < s->nkeys && all; k++)
            all = dg_norm_key_matches(field, dg_val_json(e), s->keys[k], s->vals[k]);
        if (all)
            return (long)i;
    }
    return -1;
}

/* Test the merge keys of an element addressed by index: if the list was
 * reordered since, the index points at another element and the test fails. */
static int test_keys(patch_t *p, dg_buf_t *ptr, const json_t *elem, const dg_seg_t *s)
{
    size_t len = ptr->len;
    int rc = 0;

    for (size_t k = 0; k < s->nkeys && !rc; k++) {
        json_t *v = json_object_get(elem, s->keys[k]);

        if (v == NULL) /* a defaulted key (protocol): nothing to test */
            continue;
        rc = dg_patch_ptr_field(ptr, s->keys[k]);
        if (!rc)
            rc = add_test(p, ptr->data, v);
        ptr->len = len;
        ptr->data[len] = '\0';
    }
    return rc;
}

static int resolve(const dg_path_t *path, json_t *live, patch_t *p, where_t *w,
                   const char *shown, dg_err_t *err)
{
    const char *field = "";
    json_t *cur = live;
    size_t i;
    int rc = 0;

    w->index = -1;
    for (i = 0; i < dg_path_len(path) && !rc; i++) {
        const dg_seg_t *s = dg_path_seg(path, i);
        json_t *next;
        long idx;

        if (s->kind == DG_SEG_FIELD) {
            if ((next = json_object_get(cur, s->name)) == NULL)
                break;
            rc = dg_patch_ptr_field(&w->ptr, s->name);
            field = s->name;
            cur = next;
            continue;
        }
        if (!json_is_array(cur) || (idx = element(cur, field, s)) == -1)
            break;
        if (idx == -2)
            return dg_err_set(err, DG_EINVAL, "%s: %s: the live list holds several elements "
                              "without merge keys; none can be addressed",
                              shown, dg_path_text(path));
        w->list_len = w->ptr.len;
        w->index = idx;
        cur = json_array_get(cur, (size_t)idx);
        rc = dg_buf_printf(&w->ptr, "/%ld", idx);
        /* An element that is itself the value is tested whole, keys and all. */
        if (!rc && s->kind == DG_SEG_KEY && i + 1 < dg_path_len(path))
            rc = test_keys(p, &w->ptr, cur, s);
    }
    if (rc)
        return dg_err_set(err, DG_ENOMEM, "out of memory planning %s", shown);
    w->have = i;
    w->val = cur;
    if (i < dg_path_len(path) || dg_path_seg(path, i - 1)->kind == DG_SEG_FIELD)
        w->list_len = 0, w->index = -1; /* the path does not end at an element live has */
    return 0;
}

/* @desired as the value to add at segment @from: wrapped in the objects
 * and lists that the segments after it name and live lacks. */
static json_t *wrap(const dg_path_t *path, size_t from, const json_t *desired)
{
    json_t *v = json_deep_copy(desired);

    for (size_t i = dg_path_len(path); v && i-- > from + 1;) {
        const dg_seg_t *s = dg_path_seg(path, i);
        json_t *outer = s->kind == DG_SEG_FIELD ? json_object() : json_array();

        if (outer && (s->kind == DG_SEG_FIELD ? json_object_set_new(outer, s->name, v)
                                              : json_array_append_new(outer, v)) == 0)
            v = outer;
        else {
            json_decref(outer);
            v = NULL;
        }
    }
    return v;
}

static int add_change(patch_t *p, const char *op, const char *ptr, json_t *val /* stolen */)
{
    json_t *o = val ? json_pack("{s:s, s:s, s:o}", "op", op, "path", ptr, "value", val)
                    : json_pack("{s:s, s:s}", "op", op, "path", ptr);

    return o && json_array_append_new(p->changes, o) == 0 ? 0 : DG_ENOMEM;
}

static int add_removal(patch_t *p, const where_t *w)
{
    struct removal *r = realloc(p->removals, (p->nremovals + 1) * sizeof *r);

    if (r == NULL)
        return DG_ENOMEM;
    p->removals = r;
    r[p->nremovals].list = strndup(w->ptr.data, w->list_len);
    r[p->nremovals].index = w->index;
    return r[p->nremovals++].list ? 0 : DG_ENOMEM;
}

/* One variance: test what live holds there, then put the baseline back. */
static int plan_variance(const dg_variance_t *x, json_t *live, patch_t *p, const char *shown,
                         dg_err_t *err)
{
    dg_path_t *path = dg_path_parse(x->path, err);
    where_t w = {.index = -1};
    const dg_seg_t *s;
    int rc;

    if (path == NULL)
        return err && err->code ? err->code : DG_EINVAL;
    dg_buf_init(&w.ptr, 0);
    rc = resolve(path, live, p, &w, shown, err);
    if (rc)
        goto out;
    if (w.have == dg_path_len(path)) {
        rc = add_test(p, w.ptr.data ? w.ptr.data : "", w.val);
        if (!rc && x->desired)
            rc = add_change(p, "replace", w.ptr.data, json_deep_copy(x->desired));
        else if (!rc)
            rc = w.index >= 0 ? add_removal(p, &w) : add_change(p, "remove", w.ptr.data, NULL);
    } else if (x->desired) {
        /* Live lacks it from segment w.have on: add it there (no test: RFC
         * 6902 cannot test that a value is absent). */
        s = dg_path_seg(path, w.have);
        rc = s->kind == DG_SEG_FIELD ? dg_patch_ptr_field(&w.ptr, s->name)
                                     : dg_buf_puts(&w.ptr, "/-");
        if (!rc)
            rc = add_change(p, "add", w.ptr.data, wrap(path, w.have, x->desired));
    }
    if (rc)
        rc = dg_err_set(err, rc, "out of memory planning %s", shown);
out:
    dg_buf_free(&w.ptr);
    dg_path_free(&path);
    return rc;
}

static int by_list_then_index_down(const void *a, const void *b)
{
    const struct removal *x = a, *y = b;
    int c = strcmp(x->list, y->list);

    return c ? c : (x->index < y->index) - (x->index > y->index);
}

/* tests, changes, removals: one array. */
static json_t *finish_patch(patch_t *p)
{
    json_t *all = json_array();
    int rc = all ? json_array_extend(all, p->tests) || json_array_extend(all, p->changes) : -1;
    char ptr[1100];

    if (p->nremovals) /* qsort() wants a non-null base even for none */
        qsort(p->removals, p->nremovals, sizeof *p->removals, by_list_then_index_down);
    for (size_t i = 0; i < p->nremovals && !rc; i++) {
        snprintf(ptr, sizeof ptr, "%s/%ld", p->removals[i].list, p->removals[i].index);
        rc = json_array_append_new(all, json_pack("{s:s, s:s}", "op", "remove", "path", ptr));
    }
    if (rc) {
        json_decref(all);
        return NULL;
    }
    return all;
}

static int plan_patch(dg_plan_op_t *op, const dg_obj_t *live, dg_err_t *err)
{
    patch_t p = {json_array(), json_array(), NULL, 0};
    json_t *rv = json_object_get(json_object_get(live->json, "metadata"), "resourceVersion");
    char shown[256];
    int rc = p.tests && p.changes ? 0 : DG_ENOMEM;

    dg_objid_short(&op->obj, shown, sizeof shown);
    for (size_t i = 0; i < op->variances.n && !rc; i++)
        rc = plan_variance(&op->variances.items[i], live->json, &p, shown, err);
    if (!rc && (op->patch = finish_patch(&p)) == NULL)
        rc = DG_ENOMEM;
    if (!rc && json_is_string(rv) && (op->resource_version = strdup(json_string_value(rv))) == NULL)
        rc = DG_ENOMEM;
    json_decref(p.tests);
    json_decref(p.changes);
    for (size_t i = 0; i < p.nremovals; i++)
        free(p.removals[i].list);
    free(p.removals);
    return rc == DG_ENOMEM ? dg_err_set(err, rc, "out of memory planning %s", shown) : rc;
}

/* The baseline object as Helm would create it: in its namespace, and
 * annotated with its release, or the next `helm upgrade` refuses to adopt
 * an object it did not create ("invalid ownership metadata"). */
static int plan_create(dg_plan_op_t *op, const dg_obj_t *base, const dg_release_t *rel)
{
    json_t *o = json_deep_copy(base->json), *meta, *ann;

    if (o == NULL)
        return DG_ENOMEM;
    op->object = o;
    meta = json_object_get(o, "metadata");
    if (!json_is_object(meta))
        json_object_set_new(o, "metadata", meta = json_object());
    if (base->id.ns[0])
        json_object_set_new(meta, "namespace", json_string(base->id.ns));
    ann = json_object_get(meta, "annotations");
    if (!json_is_object(ann))
        json_object_set_new(meta, "annotations", ann = json_object());
    if (ann == NULL || json_object_set_new(ann, HELM_RELEASE_NAME, json_string(rel->name)) ||
        json_object_set_new(ann, HELM_RELEASE_NS, json_string(rel->ns)))
        return DG_ENOMEM;
    return 0;
}

static dg_plan_op_t *op_for(dg_plan_t *p, const dg_variance_t *x, bool ssa)
{
    dg_plan_op_t *last = p->n ? &p->ops[p->n - 1] : NULL;

    /* The diff gives each object's variances together. */
    if (last && dg_objid_equal(&last->obj, &x->obj))
        return last;
    return add_op(p, &x->obj, ssa                        ? DG_PLAN_APPLY
                              : x->type == DG_VAR_MISSING ? DG_PLAN_CREATE
                                                          : DG_PLAN_PATCH);
}

static int plan_release(dg_plan_t *out, const dg_release_t *rel)
{
    out->release = strdup(rel->name);
    out->ns = strdup(rel->ns);
    out->revision = rel->revision;
    out->digest = dup_or_null(rel->digest);
    return out->release && out->ns && (out->digest || !rel->digest) ? 0 : DG_ENOMEM;
}

int dg_plan_build(const dg_release_t *rel, const dg_objset_t *live, const dg_variances_t *v,
                  const dg_policy_t *pol, const dg_plan_opts_t *opts, dg_plan_t *out,
                  dg_err_t *err)
{
    only_t only = {0};
    int rc = only_init(&only, opts, pol, err);

    if (!rc && plan_release(out, rel))
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    for (size_t i = 0; i < v->n && !rc; i++) {
        const dg_variance_t *x = &v->items[i];
        dg_plan_op_t *op;

        if (!selected(&only, x))
            continue;
        if ((op = op_for(out, x, opts && opts->server_side_apply)) == NULL ||
            dg_variances_push(&op->variances, x))
            rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < out->n && !rc; i++) {
        dg_plan_op_t *op = &out->ops[i];
        const dg_obj_t *b = dg_objset_find(rel->objs, &op->obj);
        const dg_obj_t *l = live ? dg_objset_find(live, &op->obj) : NULL;

        if (b == NULL)
            rc = dg_err_set(err, DG_EINVAL, "a drifted object the baseline lacks");
        else if (op->action != DG_PLAN_PATCH && plan_create(op, b, rel))
            rc = dg_err_set(err, DG_ENOMEM, "out of memory");
        else if (op->action == DG_PLAN_PATCH && l == NULL)
            rc = dg_err_set(err, DG_EINVAL, "a drifted object live lacks");
        else if (op->action != DG_PLAN_CREATE && l)
            rc = plan_patch(op, l, err);
    }
    only_free(&only);
    return rc;
}

/* ---- judging ------------------------------------------------------------------- */

static int set_text(char **dst, const char *fmt, ...) DG_PRINTF(2, 3);

static int set_text(char **dst, const char *fmt, ...)
{
    char buf[1200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    free(*dst);
    *dst = strdup(buf);
    return *dst ? 0 : DG_ENOMEM;
}

/* What the object will be once the operation is applied: NULL with the
 * op marked CONFLICT when live is not what it was planned against. */
static int proposed(dg_plan_op_t *op, const dg_obj_t *lo, json_t **obj, dg_err_t *err)
{
    char shown[256];
    dg_err_t why = {0};
    int rc;

    *obj = NULL;
    dg_objid_short(&op->obj, shown, sizeof shown);
    if (op->action == DG_PLAN_CREATE && lo) {
        op->state = DG_PLAN_CONFLICT;
        return set_text(&op->message, "it exists now; %s is left as it is", shown);
    }
    if (op->patch == NULL) { /* a create, or an apply that creates */
        *obj = json_incref(op->object);
        return 0;
    }
    if (lo == NULL) {
        op->state = DG_PLAN_CONFLICT;
        return set_text(&op->message, "it is gone; %s cannot be patched", shown);
    }
    rc = dg_patch_json(lo->json, op->patch, obj, &why);
    if (rc == DG_ENOMEM)
        return dg_err_set(err, rc, "out of memory judging %s", shown);
    if (rc) { /* a test fails, or a path no longer leads anywhere: it changed */
        op->state = DG_PLAN_CONFLICT;
        return set_text(&op->message, "it changed since the plan: %s", why.msg);
    }
    return 0;
}

/* A change to an object that exists must move governed values back (a
 * reconcile): a saved plan edited to change something else gets "allow"
 * from the gate, and is refused here. Creating a missing object is an
 * "allow" (a CREATE is an UPDATE from nothing). */
static bool acceptable(dg_verdict_t v, bool creates)
{
    return v == DG_VERDICT_RECONCILE || (creates && v == DG_VERDICT_ALLOW);
}

static int record(dg_plan_op_t *op, const dg_decision_t *d, bool creates)
{
    const dg_response_t *r = &d->response;

    op->verdict = d->verdict;
    op->state = acceptable(d->verdict, creates) ? DG_PLAN_ALLOWED : DG_PLAN_REFUSED;
    json_decref(op->warnings);
    if ((op->warnings = json_array()) == NULL)
        return DG_ENOMEM;
    for (size_t i = 0; i < r->nwarnings; i++)
        if (json_array_append_new(op->warnings, json_string(r->warnings[i])))
            return DG_ENOMEM;
    free(op->message);
    op->message = NULL;
    if (op->state != DG_PLAN_REFUSED)
        return 0;
    if (r->message)
        return set_text(&op->message, "%s", r->message);
    if (d->verdict == DG_VERDICT_ALLOW)
        return set_text(&op->message, "it moves no governed value back to the baseline, so it "
                                      "is no reconcile");
    return set_text(&op->message, "driftgate answers %s", dg_verdict_name(d->verdict));
}

int dg_plan_judge_object(dg_plan_op_t *op, const json_t *object, const json_t *old,
                         const dg_baselines_t *bases, const dg_policy_t *pol,
                         const dg_decide_env_t *env, const dg_plan_requester_t *who,
                         dg_err_t *err)
{
    const dg_kindinfo_t *ki = dg_kind_by_kind(op->obj.group, op->obj.kind);
    const char *api = json_string_value(json_object_get(object, "apiVersion"));
    const char *slash = api ? strchr(api, '/') : NULL;
    dg_review_t *rv;
    dg_decision_t d;
    int rc;

    if (ki == NULL)
        return dg_err_set(err, DG_EINVAL, "%s: no request can be built for kind %s",
                          op->obj.name, op->obj.kind);
    rv = dg_review_build(&(dg_review_req_t){.operation = old ? "UPDATE" : "CREATE", .ki = ki,
                                            .version = slash ? slash + 1 : api ? api : "v1",
                                            .ns = op->obj.ns, .name = op->obj.name,
                                            .user = who->user, .groups = who->groups,
                                            .ngroups = who->ngroups,
                                            .field_manager = who->field_manager,
                                            .object = object, .old_object = old},
                         err);
    if (rv == NULL)
        return err && err->code ? err->code : DG_EINVAL;
    dg_decision_init(&d);
    rc = dg_decide(rv, bases, pol, env, &d, err);
    if (!rc && record(op, &d, old == NULL))
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    dg_decision_free(&d);
    dg_review_free(&rv);
    return rc;
}

static int judge_op(dg_plan_op_t *op, const dg_objset_t *live, const dg_baselines_t *bases,
                    const dg_policy_t *pol, const dg_decide_env_t *env,
                    const dg_plan_requester_t *who, dg_err_t *err)
{
    const dg_obj_t *lo = dg_objset_find(live, &op->obj);
    json_t *obj = NULL;
    int rc = proposed(op, lo, &obj, err);

    if (!rc && obj)
        rc = dg_plan_judge_object(op, obj, lo ? lo->json : NULL, bases, pol, env, who, err);
    json_decref(obj);
    return rc;
}

int dg_plan_judge(dg_plan_t *plan, const dg_objset_t *live, const dg_baselines_t *bases,
                  const dg_policy_t *pol, const dg_decide_env_t *env,
                  const dg_plan_requester_t *who, dg_err_t *err)
{
    int rc = 0;

    for (size_t i = 0; i < plan->n && !rc; i++)
        rc = judge_op(&plan->ops[i], live, bases, pol, env, who, err);
    return rc;
}

int dg_plan_release(const dg_release_t *rel, const dg_plan_live_t *live, const dg_policy_t *pol,
                    const dg_plan_opts_t *opts, dg_variances_t *drift, dg_plan_t *out,
                    dg_err_t *err)
{
    dg_variances_t own, *v = drift ? drift : &own;
    int rc;

    if (drift == NULL)
        dg_variances_init(&own);
    rc = dg_diff_sets(rel->objs, live->objs, live->covered, live->ncovered, pol, v, err);
    /* Who changed each value the plan puts back, when live says. */
    if (!rc)
        rc = dg_managed_attribute(live->objs, v, err);
    if (!rc)
        rc = dg_plan_build(rel, live->objs, v, pol, opts, out, err);
    if (drift == NULL)
        dg_variances_free(&own);
    return rc;
}

/* The live HPAs own the replicas of what they target, as the store's watch
 * tells driftgate: when live covers HPAs, judge with them (diff does too). */
static bool covers_hpas(const dg_plan_live_t *live)
{
    for (size_t i = 0; i < live->ncovered; i++)
        if (strcmp(live->covered[i].kind, "HorizontalPodAutoscaler") == 0)
            return true;
    for (size_t i = 0; live->covered == NULL && i < dg_objset_count(live->objs); i++)
        if (strcmp(dg_objset_at(live->objs, i)->id.kind, "HorizontalPodAutoscaler") == 0)
            return true;
    return false;
}

int dg_plan_judge_live(dg_plan_t *plan, const dg_plan_live_t *live, const dg_baselines_t *bases,
                       const dg_policy_t *pol, int64_t now, const dg_plan_requester_t *who,
                       dg_decide_env_t *env, dg_err_t *err)
{
    *env = (dg_decide_env_t){.now = now, .synced = true,
                             .hpas = covers_hpas(live) ? live->objs : NULL};
    return dg_plan_judge(plan, live->objs, bases, pol, env, who, err);
}

/* ---- JSON ---------------------------------------------------------------------- */

static json_t *op_json(const dg_plan_op_t *op)
{
    json_t *o = json_pack("{s:{s:s, s:s, s:s, s:s}, s:s?, s:s}", "object", "group",
                          op->obj.group, "kind", op->obj.kind, "namespace", op->obj.ns, "name",
                          op->obj.name, "resourceVersion", op->resource_version, "action",
                          dg_plan_action_name(op->action));
    json_t *v = dg_report_variances_json(&op->variances);

    if (o == NULL || v == NULL) {
        json_decref(o);
        json_decref(v);
        return NULL;
    }
    if (!json_object_get(o, "resourceVersion"))
        json_object_set_new(o, "resourceVersion", json_null());
    if (op->patch)
        json_object_set(o, "patch", op->patch);
    if (op->object)
        json_object_set(o, "manifest", op->object);
    json_object_set_new(o, "variances", v);
    if (op->state == DG_PLAN_ALLOWED || op->state == DG_PLAN_REFUSED)
        json_object_set_new(o, "decision", json_string(dg_verdict_name(op->verdict)));
    if (op->state == DG_PLAN_CONFLICT)
        json_object_set_new(o, "decision", json_string("conflict"));
    if (op->message)
        json_object_set_new(o, "message", json_string(op->message));
    return o;
}

json_t *dg_plan_json(const dg_plan_t *plan)
{
    json_t *ops = json_array(), *doc;

    for (size_t i = 0; ops && i < plan->n; i++)
        if (json_array_append_new(ops, op_json(&plan->ops[i]))) {
            json_decref(ops);
            return NULL;
        }
    doc = json_pack("{s:{s:s, s:s, s:I, s:s?}, s:o, s:{s:I, s:I, s:I, s:I, s:I}}", "release",
                    "namespace", plan->ns, "name", plan->release, "revision",
                    (json_int_t)plan->revision, "digest", plan->digest, "operations", ops,
                    "summary", "operations", (json_int_t)plan->n, "patch",
                    (json_int_t)dg_plan_count(plan, DG_PLAN_PATCH), "create",
                    (json_int_t)dg_plan_count(plan, DG_PLAN_CREATE), "apply",
                    (json_int_t)dg_plan_count(plan, DG_PLAN_APPLY), "variances",
                    (json_int_t)dg_plan_nvariances(plan));
    if (doc && !json_object_get(json_object_get(doc, "release"), "digest"))
        json_object_set_new(json_object_get(doc, "release"), "digest", json_null());
    return doc;
}

/* ---- reading a saved plan ---------------------------------------------------------- */

typedef struct reader {
    const char *where;
    dg_plan_t *plan;
    dg_err_t *err;
} reader_t;

static int bad(reader_t *r, const char *member, const char *what)
{
    return dg_err_at(r->err, DG_EINVAL, r->where, 0, 0, "%s %s", member, what);
}

/* A string member of @o, or NULL after recording the error. */
static const char *str_of(reader_t *r, const json_t *o, const char *key, const char *member)
{
    const char *s = json_string_value(json_object_get(o, key));
    char m[160];

    if (s == NULL) {
        snprintf(m, sizeof m, "%s.%s", member, key);
        bad(r, m, "is not a string");
    }
    return s;
}

/* A rule name the plan owns, for variances read back. */
static const char *own_rule(reader_t *r, const char *name)
{
    char **rules;

    for (size_t i = 0; i < r->plan->nrules; i++)
        if (strcmp(r->plan->rules[i], name) == 0)
            return r->plan->rules[i];
    rules = realloc(r->plan->rules, (r->plan->nrules + 1) * sizeof *rules);
    if (rules == NULL)
        return NULL;
    r->plan->rules = rules;
    return (rules[r->plan->nrules] = strdup(name)) ? rules[r->plan->nrules++] : NULL;
}

static int read_variance(reader_t *r, dg_plan_op_t *op, const json_t *x, const char *member)
{
    const char *path = str_of(r, x, "path", member), *rule = str_of(r, x, "rule", member);
    const char *type = str_of(r, x, "type", member), *action = str_of(r, x, "action", member);
    json_t *desired = json_object_get(x, "desired"), *live = json_object_get(x, "live");
    dg_variance_t v = {op->obj, (char *)path, json_is_null(desired) ? NULL : desired,
                       json_is_null(live) ? NULL : live, DG_VAR_CHANGED, NULL, DG_ACTION_DENY, NULL};

    if (!path || !rule || !type || !action)
        return DG_EINVAL;
    v.type = strcmp(type, "missing") == 0 ? DG_VAR_MISSING : DG_VAR_CHANGED;
    v.action = strcmp(action, "audit") == 0  ? DG_ACTION_AUDIT
               : strcmp(action, "warn") == 0 ? DG_ACTION_WARN
                                             : DG_ACTION_DENY;
    if ((v.rule = own_rule(r, rule)) == NULL || dg_variances_push(&op->variances, &v))
        return dg_err_set(r->err, DG_ENOMEM, "out of memory");
    return 0;
}

static bool is_json_patch(const json_t *p)
{
    const json_t *x;
    size_t i;

    if (!json_is_array(p))
        return false;
    json_array_foreach(p, i, x) {
        if (!json_is_string(json_object_get(x, "op")) || !json_is_string(json_object_get(x, "path")))
            return false;
    }
    return true;
}

static int read_op(reader_t *r, const json_t *o, size_t i)
{
    char m[64];
    const json_t *id = json_object_get(o, "object"), *x;
    const char *action, *rv;
    dg_objid_t oid;
    dg_plan_op_t *op;
    size_t k;
    int rc = 0;

    snprintf(m, sizeof m, "operations[%zu]", i);
    if (!json_is_object(o) || !json_is_object(id))
        return bad(r, m, "is not an operation with an \"object\"");
    snprintf(m, sizeof m, "operations[%zu].object", i);
    oid = (dg_objid_t){str_of(r, id, "group", m), str_of(r, id, "kind", m),
                       str_of(r, id, "namespace", m), str_of(r, id, "name", m)};
    snprintf(m, sizeof m, "operations[%zu]", i);
    if (!oid.group || !oid.kind || !oid.ns || !oid.name || !(action = str_of(r, o, "action", m)))
        return DG_EINVAL;
    if (strcmp(action, "patch") != 0 && strcmp(action, "create") != 0 &&
        strcmp(action, "apply") != 0)
        return bad(r, strcat(m, ".action"), "is not \"patch\", \"create\" or \"apply\"");
    if ((op = add_op(r->plan, &oid, action[0] == 'c'   ? DG_PLAN_CREATE
                                    : action[0] == 'a' ? DG_PLAN_APPLY
                                                       : DG_PLAN_PATCH)) == NULL)
        return dg_err_set(r->err, DG_ENOMEM, "out of memory");
    rv = json_string_value(json_object_get(o, "resourceVersion"));
    if (rv && (op->resource_version = strdup(rv)) == NULL)
        return dg_err_set(r->err, DG_ENOMEM, "out of memory");
    op->patch = json_incref(json_object_get(o, "patch"));
    op->object = json_incref(json_object_get(o, "manifest"));
    if ((op->patch || op->action == DG_PLAN_PATCH) && !is_json_patch(op->patch))
        return bad(r, strcat(m, ".patch"), "is not a JSON patch (an array of {op, path})");
    if ((op->object || op->action != DG_PLAN_PATCH) && !json_is_object(op->object))
        return bad(r, strcat(m, ".manifest"), "is not an object");
    if (!json_is_array(json_object_get(o, "variances")))
        return bad(r, strcat(m, ".variances"), "is not an array");
    json_array_foreach(json_object_get(o, "variances"), k, x) {
        char vm[96];

        snprintf(vm, sizeof vm, "operations[%zu].variances[%zu]", i, k);
        if ((rc = read_variance(r, op, x, vm)) != 0)
            return rc;
    }
    return 0;
}

int dg_plan_parse(const char *data, size_t len, const char *where, dg_plan_t *out, dg_err_t *err)
{
    reader_t r = {where, out, err};
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, 0, &jerr), *rel, *ops, *o;
    const char *name, *ns, *digest;
    size_t i;
    int rc = 0;

    if (doc == NULL)
        return dg_err_at(err, DG_EPARSE, where, jerr.line, jerr.column, "not a plan: %s",
                         jerr.text);
    rel = json_object_get(doc, "release");
    ops = json_object_get(doc, "operations");
    if (!json_is_object(rel) || !json_is_array(ops)) {
        rc = bad(&r, "the document", "is not a reconcile plan (no \"release\" and \"operations\")");
        goto out;
    }
    name = str_of(&r, rel, "name", "release");
    ns = str_of(&r, rel, "namespace", "release");
    digest = json_string_value(json_object_get(rel, "digest"));
    if (!name || !ns) {
        rc = DG_EINVAL;
        goto out;
    }
    out->release = strdup(name);
    out->ns = strdup(ns);
    out->digest = dup_or_null(digest);
    out->revision = (long)json_integer_value(json_object_get(rel, "revision"));
    if (!out->release || !out->ns || (digest && !out->digest))
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    json_array_foreach(ops, i, o) {
        if (rc || (rc = read_op(&r, o, i)) != 0)
            break;
    }
out:
    json_decref(doc);
    return rc;
}
