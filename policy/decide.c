/* policy/decide.c: the gate's decision (DESIGN.md "The gate's decision"),
 * one function shared by driftgate and `driftctl simulate`.
 * Pure: no clock (env->now), no I/O except through env->refresh.
 * SPDX-License-Identifier: Apache-2.0 */
#include "decide.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jwrite.h"
#include "rfc3339.h"

/* The annotations Helm 3+ stamps on what it manages. */
#define HELM_RELEASE_NAME "meta.helm.sh/release-name"
#define HELM_RELEASE_NS "meta.helm.sh/release-namespace"

/* status.message is shown by kubectl in full; keep it readable. */
#define DENY_MSG_MAX 1024
#define MSG_MAX 512
/* A value longer than this is cut in messages, warnings and annotations. */
#define VALUE_SHOW_MAX 64
/* The variances annotations are capped well under the 1024-byte value cap
 * so the trailer "(+N more)" always fits. */
#define ANNOT_LIST_MAX 900

const char *dg_verdict_name(dg_verdict_t v)
{
    static const char *const names[] = {
        "skip",        "no-baseline", "excluded", "allow",       "reconcile", "warn",
        "audit",       "helm-change", "exempt",   "break-glass", "deny",      "unsynced",
    };

    if ((unsigned)v < sizeof names / sizeof names[0])
        return names[v];
    return "unknown";
}

void dg_decision_init(dg_decision_t *d)
{
    memset(d, 0, sizeof *d);
    d->verdict = DG_VERDICT_SKIP;
    dg_response_init(&d->response);
    dg_variances_init(&d->introduced);
    dg_variances_init(&d->preexisting);
    dg_variances_init(&d->reconciled);
}

void dg_decision_free(dg_decision_t *d)
{
    if (d == NULL)
        return;
    dg_response_free(&d->response);
    dg_variances_free(&d->introduced);
    dg_variances_free(&d->preexisting);
    dg_variances_free(&d->reconciled);
    free(d->release);
    d->release = NULL;
}

/* ---- the judgement's state ----------------------------------------------- */

typedef struct judge {
    const dg_review_t *rv;
    const dg_policy_t *pol;
    const dg_decide_env_t *env;
    dg_decision_t *out;
    const dg_kindinfo_t *ki;
    dg_objid_t id;
    char shortid[192];   /* "hpa/test-nginx" */
    dg_requester_t rq;   /* who asks, and for what */
    bool deleting;       /* a DELETE: every governed value goes */
    const dg_jnode_t *body; /* whose metadata speaks for the request: the
                          * new object, or the stored one for a DELETE */
    const dg_jnode_t *annotations; /* body's metadata.annotations, or NULL */
    bool scale;          /* the scale subresource: only spec.replicas */
    dg_val_t live;       /* the object as judged (a workload for scale) */
    dg_val_t old;        /* the old object as judged; absent if none */
    json_t *scaled[2];   /* live and old built here for scale; owned */
    const dg_release_t *rel;
    char relname[512];   /* "ns/name" */
    char bg_refusal[256];/* why break-glass was not honoured, "" if n/a */
    char helm_refusal[256];/* why a Helm revision was not honoured, "" if n/a */
} judge_t;

static void judge_drop_objects(judge_t *j)
{
    for (int i = 0; i < 2; i++) {
        json_decref(j->scaled[i]);
        j->scaled[i] = NULL;
    }
    j->live = j->old = DG_VAL_ABSENT;
}

/* Annotation @key of the request's object, if it is a string. */
static const char *annotation(const judge_t *j, const char *key)
{
    const dg_jnode_t *a = dg_jread_get(j->annotations, key);

    return a && a->type == DG_JSTRING ? a->v.s : NULL;
}

static dg_response_t *resp(judge_t *j)
{
    return &j->out->response;
}

/* ---- rendering ----------------------------------------------------------- */

/* A value as people read it: strings bare, the rest compact JSON, absent
 * as "(none)"; cut at VALUE_SHOW_MAX. */
static void show(const json_t *v, char *buf, size_t size)
{
    char *dump = NULL;
    const char *text = "?";
    dg_buf_t scalar;
    size_t n;

    /* The common case, written in place: at most 20 digits, never cut. */
    if (json_is_integer(v) && size >= DG_INT_TEXT) {
        dg_int_text(buf, json_integer_value(v));
        return;
    }
    dg_buf_init(&scalar, 0);
    if (v == NULL)
        text = "(none)";
    else if (json_is_string(v))
        text = json_string_value(v);
    else if (json_is_object(v) || json_is_array(v))
        text = (dump = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS)) ? dump : "?";
    else if (dg_jwrite_value(&scalar, v, 0) == 0) /* json_dumps' text, a tenth of its cost */
        text = scalar.data;
    n = strlen(text);
    if (n >= size)
        n = size - 1;
    memcpy(buf, text, n);
    buf[n] = '\0';
    free(dump);
    dg_buf_free(&scalar);
    if (n > VALUE_SHOW_MAX && size > VALUE_SHOW_MAX)
        memcpy(buf + VALUE_SHOW_MAX - 3, "...", 4);
}

/* Two values as people read them, side by side: when their JSON types
 * differ, a string is shown quoted, so that 6 against "6" does not read
 * as "desired 6, requested 6". */
static bool same_type(const json_t *a, const json_t *b)
{
    return json_typeof(a) == json_typeof(b) || (json_is_number(a) && json_is_number(b)) ||
           (json_is_boolean(a) && json_is_boolean(b));
}

static void show_pair(const json_t *a, const json_t *b, char *abuf, char *bbuf, size_t size)
{
    bool quote = a && b && !same_type(a, b);

    show(a, abuf, size);
    show(b, bbuf, size);
    for (int i = 0; i < 2 && quote; i++) {
        const json_t *v = i ? b : a;
        char *buf = i ? bbuf : abuf;
        dg_buf_t q;

        dg_buf_init(&q, 0);
        if (json_is_string(v) &&
            dg_jwrite_strn(&q, json_string_value(v), json_string_length(v)) == 0) {
            snprintf(buf, size, "%s", q.data);
            if (strlen(buf) > VALUE_SHOW_MAX && size > VALUE_SHOW_MAX)
                memcpy(buf + VALUE_SHOW_MAX - 3, "...", 4);
        }
        dg_buf_free(&q);
    }
}

/* Warnings have 120 characters: drop the pod-template prefix that every
 * container path shares. */
static const char *short_path(const char *path)
{
    static const char prefix[] = "spec.template.spec.";

    if (strncmp(path, prefix, sizeof prefix - 1) == 0 && path[sizeof prefix - 1] != '\0')
        return path + sizeof prefix - 1;
    return path;
}

/* "path: a -> b; ..." for @v, with (from, to) chosen by @old_first. */
static int list_variances(dg_buf_t *b, const dg_variances_t *v, int mode)
{
    char from[VALUE_SHOW_MAX + 8], to[VALUE_SHOW_MAX + 8];
    int rc = 0;

    for (size_t i = 0; i < v->n && !rc; i++) {
        const dg_variance_t *x = &v->items[i];

        if (b->len > ANNOT_LIST_MAX)
            return dg_buf_printf(b, " (+%zu more)", v->n - i);
        if (x->type == DG_VAR_MISSING) {
            rc = dg_buf_cat(b, b->len ? "; " : "", "(object): rendered -> deleted");
            continue;
        }
        /* mode 0: desired -> requested; mode 1: previous live -> desired. */
        show_pair(mode == 0 ? x->desired : x->live, mode == 0 ? x->live : x->desired, from, to,
                  sizeof from);
        rc = dg_buf_cat(b, b->len ? "; " : "", x->path, ": ", from, " -> ", to);
    }
    return rc;
}

/* Annotation @key: the list of @v, written in @text (emptied first). */
static int annotate_list(judge_t *j, dg_buf_t *text, const char *key, const dg_variances_t *v,
                         int mode)
{
    int rc;

    if (v->n == 0)
        return 0;
    dg_buf_reset(text);
    rc = list_variances(text, v, mode);
    return rc ? rc : dg_response_annotate_str(resp(j), key, text->data ? text->data : "");
}

static int add_rules(dg_buf_t *b, const dg_variances_t *v)
{
    int rc = 0;

    for (size_t i = 0; i < v->n && !rc; i++) {
        const char *r = v->items[i].rule ? v->items[i].rule : "";
        size_t n = strlen(r);
        const char *p = b->data;
        bool seen = false;

        /* Each name once: look for it between commas. */
        while (p && *p && !seen) {
            const char *c = strchr(p, ',');
            size_t len = c ? (size_t)(c - p) : strlen(p);

            seen = len == n && strncmp(p, r, n) == 0;
            p = c ? c + 1 : NULL;
        }
        if (!seen && n)
            rc = dg_buf_cat(b, b->len ? "," : "", r);
    }
    return rc;
}

/* decision, release, rule, variances, reconciled, preexisting; the texts
 * put together in one buffer in turn. */
static int annotate_judged(judge_t *j)
{
    dg_decision_t *d = j->out;
    dg_buf_t text;
    int rc;

    rc = dg_response_annotate_str(resp(j), "decision", dg_verdict_name(d->verdict));
    if (!rc)
        rc = dg_response_annotate_str(resp(j), "release", j->relname);
    dg_buf_init(&text, 0);
    if (!rc)
        rc = add_rules(&text, &d->introduced);
    if (!rc)
        rc = add_rules(&text, &d->reconciled);
    if (!rc)
        rc = add_rules(&text, &d->preexisting);
    if (!rc && text.len)
        rc = dg_response_annotate_str(resp(j), "rule", text.data);
    if (!rc)
        rc = annotate_list(j, &text, "variances", &d->introduced, 0);
    if (!rc)
        rc = annotate_list(j, &text, "reconciled", &d->reconciled, 1);
    if (!rc)
        rc = annotate_list(j, &text, "preexisting", &d->preexisting, 0);
    dg_buf_free(&text);
    return rc;
}

/* One warning per variance of @v with an action in [min, max]:
 * "driftgate: <obj> <path><verb>: desired X, <noun> Y", within 120 chars. */
static int warn_each(judge_t *j, const dg_variances_t *v, dg_action_t min_action,
                     dg_action_t max_action, const char *verb, const char *noun)
{
    char want[VALUE_SHOW_MAX + 8], got[VALUE_SHOW_MAX + 8];
    dg_buf_t text;
    int rc = 0;

    dg_buf_init(&text, 0);
    for (size_t i = 0; i < v->n && !rc; i++) {
        const dg_variance_t *x = &v->items[i];

        if (x->action < min_action || x->action > max_action)
            continue;
        dg_buf_reset(&text);
        if (x->type == DG_VAR_MISSING) {
            rc = dg_buf_cat(&text, "driftgate: ", j->shortid, " is deleted; release ",
                            j->relname, " renders it");
        } else {
            show_pair(x->desired, x->live, want, got, sizeof want);
            rc = dg_buf_cat(&text, "driftgate: ", j->shortid, " ", short_path(x->path), verb,
                            ": desired ", want, ", ", noun, " ", got);
        }
        if (!rc)
            rc = dg_response_warn_str(resp(j), text.data);
    }
    dg_buf_free(&text);
    return rc;
}

/* ---- steps --------------------------------------------------------------- */

static int set_status(judge_t *j, int code, const char *reason, char *message)
{
    dg_response_t *r = resp(j);

    r->allowed = false;
    r->code = code;
    r->reason = reason;
    free(r->message);
    r->message = message;
    return r->message ? 0 : DG_ENOMEM;
}

static bool op_is(const judge_t *j, const char *op)
{
    return strcmp(j->rv->operation, op) == 0;
}

/* Step 1: which requests are judged at all. Anything else, a future
 * operation included, is allowed untouched; @why says which rule let it by
 * (the decision record shows it). */
static bool judged(judge_t *j, char *why, size_t size)
{
    const dg_review_t *rv = j->rv;

    if (!op_is(j, "CREATE") && !op_is(j, "UPDATE") && !op_is(j, "DELETE")) {
        snprintf(why, size, "operation %s is not judged", rv->operation);
        return false;
    }
    j->deleting = op_is(j, "DELETE");
    if (!j->deleting && rv->object == NULL) {
        snprintf(why, size, "%s request carries no object", rv->operation);
        return false;
    }
    /* The kind comes from request.resource, never from the body. */
    j->ki = rv->ki;
    if (j->ki == NULL || !dg_policy_governs(j->pol, j->ki->group, j->ki->kind)) {
        snprintf(why, size, "%s%s%s is not governed by policy %s", rv->resource,
                 rv->group[0] ? "." : "", rv->group, dg_policy_name(j->pol));
        return false;
    }
    if (rv->subresource[0] == '\0')
        return true;
    j->scale = op_is(j, "UPDATE") && strcmp(rv->subresource, "scale") == 0 &&
               strcmp(j->ki->group, "apps") == 0 &&
               (strcmp(j->ki->kind, "Deployment") == 0 || strcmp(j->ki->kind, "StatefulSet") == 0);
    if (!j->scale)
        snprintf(why, size, "%s of subresource %s is not judged", rv->operation, rv->subresource);
    return j->scale;
}

/* Step 10: the store has not synced; nothing can be judged. */
static int unsynced(judge_t *j)
{
    const char *ex = dg_policy_exempt(j->pol, &j->rq);
    char *msg;
    int rc;

    if (ex) {
        j->out->verdict = DG_VERDICT_EXEMPT;
        resp(j)->allowed = true;
        rc = dg_response_annotate_str(resp(j), "decision", "exempt");
        return rc ? rc : dg_response_annotate_str(resp(j), "exempt", ex);
    }
    j->out->verdict = DG_VERDICT_UNSYNCED;
    rc = dg_response_annotate_str(resp(j), "decision", "unsynced");
    if (rc)
        return rc;
    if (j->env->fail_open) {
        resp(j)->allowed = true;
        return dg_response_warn(resp(j),
                                "driftgate: baselines not yet synced; change not checked (fail-open)");
    }
    msg = malloc(MSG_MAX);
    if (msg == NULL)
        return DG_ENOMEM;
    snprintf(msg, MSG_MAX,
             "driftgate: baselines not yet synced; cannot check %s against its release "
             "(fail-closed). Retry shortly.",
             j->shortid);
    return set_status(j, 503, "ServiceUnavailable", msg);
}

static const dg_release_t *find_named(const dg_baselines_t *bases, const char *name,
                                      const char *ns)
{
    const dg_release_t *any = NULL;

    for (size_t i = 0; i < dg_baselines_count(bases); i++) {
        const dg_release_t *r = dg_baselines_at(bases, i);

        if (strcmp(r->name, name) != 0)
            continue;
        if (strcmp(r->ns, ns) == 0)
            return r;
        if (any == NULL)
            any = r;
    }
    return any;
}

/* Step 2: the owner release and its baseline object; NULL when none. */
static const dg_obj_t *find_owner(judge_t *j, const dg_baselines_t *bases,
                                  const dg_release_t **rel)
{
    const dg_obj_t *base = NULL;

    *rel = NULL;
    if (j->env->release && j->env->release[0]) {
        *rel = find_named(bases, j->env->release, j->id.ns);
        base = *rel ? dg_objset_find((*rel)->objs, &j->id) : NULL;
    } else {
        /* Two releases claiming one object: the one the object names wins. */
        *rel = dg_baselines_owner(bases, &j->id, annotation(j, HELM_RELEASE_NAME), &base);
    }
    return base;
}

static int no_baseline(judge_t *j, const dg_release_t *rel)
{
    int rc;

    j->out->verdict = DG_VERDICT_NO_BASELINE;
    resp(j)->allowed = true;
    rc = dg_response_annotate_str(resp(j), "decision", "no-baseline");
    if (rc)
        return rc;
    if (j->id.name[0] == '\0')
        return dg_response_annotate_str(resp(j), "reason", "request names no object");
    if (rel)
        return dg_response_annotate(resp(j), "reason", "release %s/%s holds no %s", rel->ns,
                                    rel->name, j->shortid);
    if (j->env->release && j->env->release[0])
        return dg_response_annotate(resp(j), "reason", "release %s is not loaded",
                                    j->env->release);
    return dg_response_annotate(resp(j), "reason", "no baseline holds %s in namespace %s",
                                j->shortid, j->id.ns[0] ? j->id.ns : "(cluster)");
}

/* Helm 3+ stamps the release on what it manages; when present it must
 * agree with the identity index, or someone re-homed the object. */
static int check_helm_owner(judge_t *j)
{
    const char *name = annotation(j, HELM_RELEASE_NAME);
    const char *ns = annotation(j, HELM_RELEASE_NS);

    if ((name == NULL || strcmp(name, j->rel->name) == 0) &&
        (ns == NULL || strcmp(ns, j->rel->ns) == 0))
        return 0;
    return dg_response_annotate(resp(j), "owner-mismatch",
                                "object says release %s/%s; baseline index says %s",
                                ns ? ns : j->rel->ns, name ? name : j->rel->name, j->relname);
}

/* The scale subresource carries an autoscaling/v1 Scale: judge it as the
 * baseline workload with the Scale's spec.replicas, so only the replicas
 * rules can see a difference (and unless_hpa still applies). */
static json_t *scale_as_workload(const json_t *base, const dg_jnode_t *scale)
{
    const dg_jnode_t *replicas = DG_JREAD_GET(DG_JREAD_GET(scale, "spec"), "replicas");
    json_t *w, *spec;

    if (replicas == NULL || (replicas->type != DG_JINT && replicas->type != DG_JREAL))
        return NULL;
    w = json_deep_copy(base);
    spec = json_object_get(w, "spec");
    if (w == NULL || !json_is_object(spec) ||
        json_object_set_new(spec, "replicas", dg_jread_to_json(replicas)) != 0) {
        json_decref(w);
        return NULL;
    }
    return w;
}

/* ---- variances: introduced, pre-existing, reconciled ---------------------- */

static const dg_variance_t *find_path(const dg_variances_t *v, const char *path)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->items[i].path, path) == 0)
            return &v->items[i];
    return NULL;
}

/* Move *@x into @dst by value (its owned parts go with it). */
static int take(dg_variances_t *dst, dg_variance_t *x)
{
    if (dst->n == dst->cap) {
        size_t cap = dst->cap ? dst->cap * 2 : 4;
        dg_variance_t *p = realloc(dst->items, cap * sizeof *p);

        if (p == NULL)
            return DG_ENOMEM;
        dst->items = p;
        dst->cap = cap;
    }
    dst->items[dst->n++] = *x;
    memset(x, 0, sizeof *x);
    return 0;
}

static int sort_variances(judge_t *j, dg_variances_t *vnew, dg_variances_t *vold)
{
    dg_decision_t *d = j->out;
    dg_variances_t keep;
    int rc = 0;

    dg_variances_init(&keep);
    for (size_t i = 0; i < vnew->n && !rc; i++) {
        dg_variance_t *x = &vnew->items[i];
        const dg_variance_t *o = !dg_val_absent(j->old) ? find_path(vold, x->path) : NULL;

        /* Untouched: the old object already had this very value. */
        if (o && dg_diff_equal(o->live, x->live))
            rc = take(&d->preexisting, x);
        else
            rc = take(&d->introduced, x);
    }
    if (!rc)
        vnew->n = 0;
    for (size_t i = 0; i < vold->n && !rc; i++) {
        dg_variance_t *o = &vold->items[i];

        /* Drift the old object had and the new one does not: reconciled. */
        rc = find_path(&d->introduced, o->path) || find_path(&d->preexisting, o->path)
                 ? take(&keep, o)
                 : take(&d->reconciled, o);
    }
    if (!rc)
        vold->n = 0;
    dg_variances_free(&keep);
    return rc;
}

/* Step 9: a workload's replicas belong to the HPAs that target it in the
 * live cluster when those are known, else to the release's own. */
static const dg_objset_t *hpa_scope(const judge_t *j, const dg_release_t *rel)
{
    return j->env->hpas ? j->env->hpas : rel->objs;
}

/* Step 3: variances of object and oldObject against @base of @rel. */
static int classify(judge_t *j, const dg_release_t *rel, const dg_obj_t *base, dg_err_t *err)
{
    dg_variances_t vnew, vold;
    int rc;

    dg_variances_free(&j->out->introduced);
    dg_variances_free(&j->out->preexisting);
    dg_variances_free(&j->out->reconciled);
    judge_drop_objects(j);
    if (j->scale) {
        j->scaled[0] = scale_as_workload(base->json, j->rv->object);
        j->scaled[1] = j->rv->old_object ? scale_as_workload(base->json, j->rv->old_object) : NULL;
        if (j->scaled[0] == NULL) /* no replicas in the Scale: it asks for nothing */
            j->scaled[0] = json_deep_copy(base->json);
        if (j->scaled[0] == NULL)
            return dg_err_set(err, DG_ENOMEM, "out of memory judging %s", j->shortid);
        j->live = dg_val_json(j->scaled[0]);
        j->old = dg_val_json(j->scaled[1]);
    } else if (!j->deleting) {
        /* A DELETE leaves both absent: one "missing" variance stands for
         * every value. On CREATE, old is absent: an UPDATE from nothing. */
        j->live = dg_val_node(j->rv->object);
        j->old = dg_val_node(j->rv->old_object);
    }
    dg_variances_init(&vnew);
    dg_variances_init(&vold);
    if (dg_val_absent(j->old))
        rc = dg_diff_val(base, j->live, hpa_scope(j, rel), j->pol, &vnew, err);
    else
        rc = dg_diff_pair(base, j->live, j->old, hpa_scope(j, rel), j->pol, &vnew, &vold, err);
    if (!rc)
        rc = sort_variances(j, &vnew, &vold);
    dg_variances_free(&vnew);
    dg_variances_free(&vold);
    return rc;
}

static dg_action_t max_action(const dg_variances_t *v)
{
    dg_action_t a = DG_ACTION_AUDIT;

    for (size_t i = 0; i < v->n; i++)
        if (v->items[i].action > a)
            a = v->items[i].action;
    return a;
}

/* Step 7: does every introduced value equal the pending Helm revision's?
 * Judged with the same diff, so defaults and merge keys agree. */
static int matches_pending(judge_t *j, const dg_release_t *rel, bool *match, dg_err_t *err)
{
    const dg_obj_t *pobj;
    dg_variances_t vp;
    int rc;

    *match = false;
    if (rel->pending == NULL || j->out->introduced.n == 0)
        return 0;
    pobj = dg_objset_find(rel->pending, &j->id);
    /* An upgrade deletes what the new revision drops; an uninstall, all. */
    if (j->deleting || pobj == NULL) {
        *match = j->deleting && pobj == NULL;
        return 0;
    }
    dg_variances_init(&vp);
    rc = dg_diff_val(pobj, j->live, rel->pending, j->pol, &vp, err);
    if (!rc) {
        *match = true;
        for (size_t i = 0; i < j->out->introduced.n && *match; i++)
            *match = find_path(&vp, j->out->introduced.items[i].path) == NULL;
    }
    dg_variances_free(&vp);
    return rc;
}

/* Step 8, break-glass: the object's annotation, a break-glass group, and an
 * expiry that is valid, in the future and at most maxDuration ahead. */
static bool break_glass(judge_t *j, const char **reason)
{
    const dg_breakglass_t *bg = dg_policy_breakglass(j->pol);
    const char *exp;
    int64_t t;
    bool member = false;

    *reason = bg && bg->annotation ? annotation(j, bg->annotation) : NULL;
    if (*reason == NULL || (*reason)[0] == '\0')
        return false;
    for (size_t g = 0; g < bg->ngroups && !member; g++)
        for (size_t i = 0; i < j->rv->ngroups && !member; i++)
            member = strcmp(bg->groups[g], j->rv->groups[i]) == 0;
    if (!member) {
        snprintf(j->bg_refusal, sizeof j->bg_refusal,
                 "break-glass not honoured: %s is not in a break-glass group",
                 j->rv->user[0] ? j->rv->user : "the requester");
        return false;
    }
    exp = bg->expires_annotation ? annotation(j, bg->expires_annotation) : NULL;
    /* Without an expiry, break-glass would be honoured forever. */
    if (exp == NULL) {
        snprintf(j->bg_refusal, sizeof j->bg_refusal,
                 "break-glass not honoured: it needs an expiry in %.60s",
                 bg->expires_annotation ? bg->expires_annotation : "its expires annotation");
        return false;
    }
    if (dg_rfc3339_parse(exp, &t, NULL) != 0) {
        snprintf(j->bg_refusal, sizeof j->bg_refusal,
                 "break-glass not honoured: %s \"%.40s\" is not an RFC 3339 time",
                 bg->expires_annotation, exp);
        return false;
    }
    if (t <= j->env->now) {
        snprintf(j->bg_refusal, sizeof j->bg_refusal,
                 "break-glass not honoured: it expired at %.40s", exp);
        return false;
    }
    if (t - j->env->now > bg->max_duration_s) {
        snprintf(j->bg_refusal, sizeof j->bg_refusal,
                 "break-glass not honoured: expiry %.40s is more than %ldh%02ldm ahead", exp,
                 bg->max_duration_s / 3600, bg->max_duration_s % 3600 / 60);
        return false;
    }
    return true;
}

/* "driftgate: hpa/x spec.minReplicas is governed by release ns/rel (rule r):
 *  desired 6, requested 4. Change it through Helm, or see driftctl diff." */
static int deny(judge_t *j)
{
    const dg_variances_t *v = &j->out->introduced;
    char want[VALUE_SHOW_MAX + 8], got[VALUE_SHOW_MAX + 8];
    size_t ndeny = 0, shown = 0;
    dg_buf_t b;
    int rc = 0;

    for (size_t i = 0; i < v->n; i++)
        ndeny += v->items[i].action == DG_ACTION_DENY;
    dg_buf_init(&b, 0);
    rc = ndeny == 1 ? dg_buf_cat(&b, "driftgate: ", j->shortid, " ")
                    : dg_buf_cat(&b, "driftgate: ", j->shortid, " is governed by release ",
                                 j->relname, ": ");
    for (size_t i = 0; i < v->n && !rc; i++) {
        const dg_variance_t *x = &v->items[i];

        if (x->action != DG_ACTION_DENY)
            continue;
        if (b.len > DENY_MSG_MAX - 300) {
            rc = dg_buf_printf(&b, "; and %zu more", ndeny - shown);
            break;
        }
        show_pair(x->desired, x->live, want, got, sizeof want);
        if (x->type == DG_VAR_MISSING)
            rc = dg_buf_cat(&b, "is governed by release ", j->relname, " (rule ", x->rule,
                            "): deleting it removes every governed value");
        else if (ndeny == 1)
            rc = dg_buf_cat(&b, x->path, " is governed by release ", j->relname, " (rule ",
                            x->rule, "): desired ", want, ", requested ", got);
        else
            rc = dg_buf_cat(&b, shown ? "; " : "", x->path, " (rule ", x->rule, "): desired ",
                            want, ", requested ", got);
        shown++;
    }
    if (!rc)
        rc = dg_buf_cat(&b, ". Change ", ndeny == 1 ? "it" : "them",
                        " through Helm, or see driftctl diff.");
    for (int i = 0; i < 2 && !rc; i++) {
        const char *why = i ? j->bg_refusal : j->helm_refusal;

        if (why[0])
            rc = dg_buf_cat(&b, " (", why, ".)");
    }
    j->out->verdict = DG_VERDICT_DENY;
    if (!rc)
        rc = set_status(j, 403, "Forbidden", dg_buf_take(&b));
    dg_buf_free(&b);
    if (!rc && (j->helm_refusal[0] || j->bg_refusal[0]))
        rc = dg_response_annotate(resp(j), "reason", "%s%s%s", j->helm_refusal,
                                  j->helm_refusal[0] && j->bg_refusal[0] ? "; " : "",
                                  j->bg_refusal);
    return rc;
}

/* Step 7's "subject to deployers": with deployers named, a pending revision
 * is believed only for them, since anyone else who could write a record
 * would otherwise release whatever they liked. */
static bool helm_honoured(judge_t *j)
{
    if (!dg_policy_has_deployers(j->pol) || dg_policy_deployer(j->pol, &j->rq))
        return true;
    snprintf(j->helm_refusal, sizeof j->helm_refusal,
             "the pending Helm revision is honoured only for deployers, and %.80s is not one",
             j->rv->user[0] ? j->rv->user : "the requester");
    return false;
}

static int helm_change(judge_t *j, const dg_release_t *rel)
{
    const char *who = dg_policy_deployer(j->pol, &j->rq);
    int rc;

    j->out->verdict = DG_VERDICT_HELM_CHANGE;
    rc = dg_response_annotate(resp(j), "reason", "matches %s revision %ld",
                              rel->pending_status ? rel->pending_status : "pending",
                              rel->pending_revision);
    return rc || who == NULL ? rc : dg_response_annotate_str(resp(j), "deployer", who);
}

static dg_val_t replicas_of(const dg_jnode_t *obj)
{
    return dg_val_node(DG_JREAD_GET(DG_JREAD_GET(obj, "spec"), "replicas"));
}

/* An allowed change of replicas that an HPA owns (step 9) says why it was
 * allowed: otherwise a scale looks waved through. */
static int hpa_reason(judge_t *j, const dg_release_t *rel)
{
    const dg_obj_t *hpa;
    char name[192];

    if (j->deleting || j->rv->old_object == NULL ||
        dg_diff_equal_val(replicas_of(j->rv->object), replicas_of(j->rv->old_object)) ||
        (hpa = dg_diff_hpa_of(hpa_scope(j, rel), &j->id)) == NULL)
        return 0;
    dg_objid_short(&hpa->id, name, sizeof name);
    return dg_response_annotate(resp(j), "reason",
                                "spec.replicas belongs to %s, which scales %s; the policy "
                                "leaves it to the autoscaler",
                                name, j->shortid);
}

/* Steps 4 to 8 once the variances are known. Sets the verdict; returns
 * DG_VERDICT_DENY in *@verdict when it would deny. */
static int outcome(judge_t *j, const dg_release_t *rel, dg_err_t *err)
{
    dg_decision_t *d = j->out;
    const char *ex, *bgr = NULL;
    bool pending = false;
    int rc;

    if (d->introduced.n == 0) {
        d->verdict = d->reconciled.n ? DG_VERDICT_RECONCILE : DG_VERDICT_ALLOW;
        return d->verdict == DG_VERDICT_ALLOW ? hpa_reason(j, rel) : 0;
    }
    j->helm_refusal[0] = '\0';
    rc = matches_pending(j, rel, &pending, err);
    if (rc)
        return rc;
    if (pending && helm_honoured(j))
        return helm_change(j, rel);
    switch (max_action(&d->introduced)) {
    case DG_ACTION_AUDIT:
        d->verdict = DG_VERDICT_AUDIT;
        return 0;
    case DG_ACTION_WARN:
        d->verdict = DG_VERDICT_WARN;
        return 0;
    case DG_ACTION_DENY:
        break;
    }
    ex = dg_policy_exempt(j->pol, &j->rq);
    if (ex) {
        d->verdict = DG_VERDICT_EXEMPT;
        return dg_response_annotate_str(resp(j), "exempt", ex);
    }
    j->bg_refusal[0] = '\0';
    if (break_glass(j, &bgr)) {
        d->verdict = DG_VERDICT_BREAK_GLASS;
        rc = dg_response_annotate_str(resp(j), "break-glass-reason", bgr);
        if (!rc)
            rc = dg_response_annotate_str(resp(j), "break-glass-user", j->rv->user);
        return rc ? rc
                  : dg_response_warn(resp(j),
                                     "driftgate: break-glass by %s (%s): %s drifts from release "
                                     "%s; restore it through Helm",
                                     j->rv->user, bgr, j->shortid, rel->name);
    }
    d->verdict = DG_VERDICT_DENY;
    return 0;
}

/* Step 7's race: the store's watch can trail Helm's write, so re-read a
 * Helm-owned release once before denying, and judge again against it. */
static int refresh_and_rejudge(judge_t *j, dg_release_t **fresh, dg_err_t *err)
{
    const dg_refresh_ops_t *ops = j->env->refresh;
    const dg_obj_t *base;
    dg_err_t ignored = {0};
    int rc;

    if (j->rel->origin != DG_RELSRC_HELM || ops == NULL || ops->refresh == NULL)
        return 0;
    rc = ops->refresh(ops->ctx, j->rel->name, j->rel->ns, j->rv->timeout_ms, fresh, &ignored);
    if (rc == DG_EWAIT)
        return rc; /* not a decision: the caller judges again where it may wait */
    /* A failed re-read leaves the stored judgement standing. */
    if (rc != 0 || *fresh == NULL)
        return 0;
    base = dg_objset_find((*fresh)->objs, &j->id);
    if (base == NULL)
        return 0;
    rc = classify(j, *fresh, base, err);
    if (!rc)
        rc = outcome(j, *fresh, err);
    return rc;
}

static int finish(judge_t *j)
{
    dg_decision_t *d = j->out;
    int rc = 0;

    resp(j)->allowed = d->verdict != DG_VERDICT_DENY;
    if (d->verdict == DG_VERDICT_DENY)
        rc = deny(j);
    /* Warnings come from each variance's rule, whatever the verdict (an
     * exempt or break-glass change still drifts); a denial's message already
     * names its deny paths; audit rules only annotate. */
    if (!rc)
        rc = warn_each(j, &d->introduced, DG_ACTION_WARN,
                       d->verdict == DG_VERDICT_DENY ? DG_ACTION_WARN : DG_ACTION_DENY, "",
                       "requested");
    if (!rc && d->verdict != DG_VERDICT_DENY)
        rc = warn_each(j, &d->preexisting, DG_ACTION_WARN, DG_ACTION_DENY, " already drifts",
                       "live");
    if (!rc)
        rc = annotate_judged(j);
    return rc;
}

/* Steps 2 to 9 for a request that is judged. */
static int judge_owned(judge_t *j, const dg_baselines_t *bases, dg_err_t *err)
{
    const dg_release_t *rel = NULL;
    const dg_obj_t *base;
    dg_release_t *fresh = NULL;
    int rc;

    base = j->id.name[0] ? find_owner(j, bases, &rel) : NULL;
    if (base == NULL)
        return no_baseline(j, rel);
    j->rel = rel;
    dg_strjoin(j->relname, sizeof j->relname, rel->ns, "/", rel->name);
    j->out->release = strdup(j->relname);
    if (j->out->release == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory judging %s", j->shortid);
    rc = check_helm_owner(j);
    if (!rc)
        rc = classify(j, rel, base, err);
    if (!rc)
        rc = outcome(j, rel, err);
    if (!rc && j->out->verdict == DG_VERDICT_DENY)
        rc = refresh_and_rejudge(j, &fresh, err);
    if (!rc)
        rc = finish(j);
    judge_drop_objects(j);
    dg_release_free(&fresh);
    return rc;
}

/* ---- Helm's release records --------------------------------------------- */

static bool helm_labelled(const dg_jnode_t *obj)
{
    const dg_jnode_t *owner =
        DG_JREAD_GET(DG_JREAD_GET(DG_JREAD_GET(obj, "metadata"), "labels"), "owner");

    return owner && owner->type == DG_JSTRING && strcmp(owner->v.s, "helm") == 0;
}

/* A write of a ConfigMap or Secret labelled owner=helm (either side of it:
 * relabelling one in or out counts), judged only when deployers are named. */
static bool helm_record(const judge_t *j)
{
    const dg_review_t *rv = j->rv;

    return dg_policy_has_deployers(j->pol) && rv->group[0] == '\0' && rv->subresource[0] == '\0' &&
           (strcmp(rv->resource, "configmaps") == 0 || strcmp(rv->resource, "secrets") == 0) &&
           (op_is(j, "CREATE") || op_is(j, "UPDATE") || op_is(j, "DELETE")) &&
           (helm_labelled(rv->object) || helm_labelled(rv->old_object));
}

/* Who may write Helm's records is who may release (DESIGN.md "Trust"). */
static int judge_record(judge_t *j)
{
    const char *who = dg_policy_deployer(j->pol, &j->rq);
    const char *ex = who ? NULL : dg_policy_exempt(j->pol, &j->rq);
    char *msg;
    int rc;

    j->out->verdict = who ? DG_VERDICT_ALLOW : ex ? DG_VERDICT_EXEMPT : DG_VERDICT_DENY;
    rc = dg_response_annotate_str(resp(j), "decision", dg_verdict_name(j->out->verdict));
    if (!rc && (who || ex))
        return dg_response_annotate_str(resp(j), who ? "deployer" : "exempt", who ? who : ex);
    if (!rc)
        rc = dg_response_annotate_str(resp(j), "reason",
                                      "helm release record written by a non-deployer");
    if (rc)
        return rc;
    if ((msg = malloc(MSG_MAX)) == NULL)
        return DG_ENOMEM;
    snprintf(msg, MSG_MAX,
             "driftgate: %s %s/%s is a Helm release record (label owner=helm); only the policy's "
             "deployers may write one, and %s is not one. Release through your deployment "
             "pipeline.",
             strcmp(j->rv->resource, "secrets") == 0 ? "secret" : "configmap", j->rv->ns,
             j->rv->name, j->rv->user[0] ? j->rv->user : "the requester");
    return set_status(j, 403, "Forbidden", msg);
}

int dg_decide(const dg_review_t *rv, const dg_baselines_t *bases, const dg_policy_t *pol,
              const dg_decide_env_t *env, dg_decision_t *out, dg_err_t *err)
{
    judge_t j;
    int rc;

    memset(&j, 0, sizeof j);
    j.rv = rv;
    j.pol = pol;
    j.env = env;
    j.out = out;
    out->verdict = DG_VERDICT_SKIP;
    out->response.allowed = true;
    j.rq = (dg_requester_t){rv->user, rv->groups, rv->ngroups, rv->operation, rv->subresource};
    if (helm_record(&j) && !dg_policy_ns_excluded(pol, rv->ns))
        return judge_record(&j);
    if (!judged(&j, out->skip_reason, sizeof out->skip_reason))
        return 0; /* step 1: untouched, no annotations */
    j.id.group = j.ki->group;
    j.id.kind = j.ki->kind;
    j.id.ns = rv->ns;
    j.id.name = rv->name;
    dg_kind_short(j.ki, rv->name, j.shortid, sizeof j.shortid);
    if (dg_policy_ns_excluded(pol, rv->ns)) {
        out->verdict = DG_VERDICT_EXCLUDED;
        rc = dg_response_annotate_str(&out->response, "decision", "excluded");
        return rc ? rc
                  : dg_response_annotate(&out->response, "reason",
                                         "namespace %s is excluded by policy %s", rv->ns,
                                         dg_policy_name(pol));
    }
    j.body = rv->object ? rv->object : rv->old_object;
    j.annotations = DG_JREAD_GET(DG_JREAD_GET(j.body, "metadata"), "annotations");
    rc = env->synced ? judge_owned(&j, bases, err) : unsynced(&j);
    if (rc == DG_ENOMEM)
        dg_err_set(err, DG_ENOMEM, "out of memory judging %s", j.shortid);
    return rc;
}
