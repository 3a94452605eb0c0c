/* policy/policy.c: the DriftPolicy: strict parsing with file:line:col
 * errors, the built-in default (parsed from its own text: one
 * implementation), and the questions the diff and the gate ask of it.
 * SPDX-License-Identifier: Apache-2.0 */
#include "policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "want.h"
#include "yaml.h"

static const char default_text[] =
    "# The built-in DriftPolicy: what driftgate governs when no --policy is given.\n"
    "apiVersion: driftgate.io/v1alpha1\n"
    "kind: DriftPolicy\n"
    "metadata:\n"
    "  name: default\n"
    "spec:\n"
    "  excludedNamespaces: [kube-system]\n"
    "  rules:\n"
    "  - name: hpa-bounds\n"
    "    kinds: [autoscaling/HorizontalPodAutoscaler]\n"
    "    paths: [spec.minReplicas, spec.maxReplicas]\n"
    "    action: deny\n"
    "  # Retargeting an HPA frees the workload's replicas: governed too.\n"
    "  - name: hpa-target\n"
    "    kinds: [autoscaling/HorizontalPodAutoscaler]\n"
    "    paths: [spec.scaleTargetRef]\n"
    "    action: deny\n"
    "  - name: service-ports\n"
    "    kinds: [Service]\n"
    "    paths:\n"
    "    - spec.ports[*].port\n"
    "    - spec.ports[*].targetPort\n"
    "    - spec.ports[*].nodePort\n"
    "    - spec.ports[*].protocol\n"
    "    action: deny\n"
    "  - name: service-type\n"
    "    kinds: [Service]\n"
    "    paths: [spec.type]\n"
    "    action: deny\n"
    "  # Where a Service sends traffic: externalIPs (CVE-2020-8554) and selector.\n"
    "  - name: service-routing\n"
    "    kinds: [Service]\n"
    "    paths: [spec.selector, spec.externalIPs]\n"
    "    action: deny\n"
    "  - name: workload-replicas\n"
    "    kinds: [apps/Deployment, apps/StatefulSet]\n"
    "    paths: [spec.replicas]\n"
    "    action: deny\n"
    "    unlessTargetedByHPA: true\n"
    "  - name: container-image\n"
    "    kinds: [apps/Deployment, apps/StatefulSet, apps/DaemonSet]\n"
    "    paths:\n"
    "    - spec.template.spec.containers[*].image\n"
    "    - spec.template.spec.initContainers[*].image\n"
    "    action: warn\n"
    "  - name: container-resources\n"
    "    kinds: [apps/Deployment, apps/StatefulSet, apps/DaemonSet]\n"
    "    paths:\n"
    "    - spec.template.spec.containers[*].resources\n"
    "    - spec.template.spec.initContainers[*].resources\n"
    "    action: warn\n"
    "  # Who may release: set deployers (your CI or GitOps identity) so that only\n"
    "  # they may write Helm's release records or make a pending revision count.\n"
    "  # deployers:\n"
    "  #   serviceAccounts: [ci/helm-deployer]\n"
    "  exemptions:\n"
    "    # The controllers that must act on governed objects (omit 'scoped' to\n"
    "    # keep these; 'scoped: []' removes them).\n"
    "    scoped:\n"
    "    - serviceAccounts: [kube-system/horizontal-pod-autoscaler]\n"
    "      subresources: [scale]\n"
    "    - serviceAccounts: [kube-system/namespace-controller, kube-system/generic-garbage-collector]\n"
    "      operations: [DELETE]\n"
    "    - users: [system:kube-controller-manager]   # without per-controller credentials\n"
    "      operations: [DELETE]\n"
    "    - users: [system:kube-controller-manager]\n"
    "      subresources: [scale]\n"
    "  breakGlass:\n"
    "    annotation: driftgate.io/break-glass\n"
    "    expiresAnnotation: driftgate.io/break-glass-expires\n"
    "    maxDuration: 24h\n"
    "    groups: []\n";

typedef struct strs {
    char **v;
    size_t n;
} strs_t;

typedef struct rule_store {
    dg_gk_t *kinds;
    dg_path_t **paths;
} rule_store_t;

typedef struct ignore {
    dg_gk_t *kinds;
    size_t nkinds;
    strs_t namespaces, names;
    dg_path_t **paths;
    size_t npaths;
} ignore_t;

/* Who a request comes from, as policy lists name them: users, groups and
 * service accounts (kept in user-name form, system:serviceaccount:ns:name),
 * each with its description for annotations ("serviceaccount ns/name"). */
typedef struct principals {
    strs_t users, groups, sas;
    strs_t user_desc, group_desc, sa_desc;
} principals_t;

/* An exemption limited to some operations and/or subresources. */
typedef struct scoped {
    principals_t who;
    strs_t operations, subresources; /* empty = any */
} scoped_t;

struct dg_policy {
    char *name;
    dg_rule_t *rules;
    rule_store_t *store; /* what rules[i] points into */
    size_t nrules;
    ignore_t *ignores;
    size_t nignores;
    principals_t exempt, deployers;
    scoped_t *scoped;
    size_t nscoped;
    strs_t excluded;
    dg_breakglass_t bg;
    strs_t bg_groups;
    char *bg_annotation, *bg_expires;
    dg_want_t *want;     /* what of a request's object its rules read */
};

const char *dg_action_name(dg_action_t a)
{
    return a == DG_ACTION_DENY ? "deny" : a == DG_ACTION_WARN ? "warn" : "audit";
}

/* ---- freeing ------------------------------------------------------------------------- */

static void strs_free(strs_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

static void principals_free(principals_t *w)
{
    strs_free(&w->users);
    strs_free(&w->groups);
    strs_free(&w->sas);
    strs_free(&w->user_desc);
    strs_free(&w->group_desc);
    strs_free(&w->sa_desc);
}

static void paths_free(dg_path_t **p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dg_path_free(&p[i]);
    free(p);
}

void dg_policy_free(dg_policy_t **pol)
{
    dg_policy_t *p = pol ? *pol : NULL;

    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nrules; i++) {
        free((char *)p->rules[i].name);
        free(p->store[i].kinds);
        paths_free(p->store[i].paths, p->rules[i].npaths);
    }
    free(p->rules);
    free(p->store);
    for (size_t i = 0; i < p->nignores; i++) {
        free(p->ignores[i].kinds);
        strs_free(&p->ignores[i].namespaces);
        strs_free(&p->ignores[i].names);
        paths_free(p->ignores[i].paths, p->ignores[i].npaths);
    }
    free(p->ignores);
    principals_free(&p->exempt);
    principals_free(&p->deployers);
    for (size_t i = 0; i < p->nscoped; i++) {
        principals_free(&p->scoped[i].who);
        strs_free(&p->scoped[i].operations);
        strs_free(&p->scoped[i].subresources);
    }
    free(p->scoped);
    strs_free(&p->excluded);
    strs_free(&p->bg_groups);
    free(p->bg_annotation);
    free(p->bg_expires);
    free(p->name);
    dg_want_free(&p->want);
    free(p);
    *pol = NULL;
}

/* ---- parsing helpers ------------------------------------------------------------------- */

typedef struct pctx {
    const char *name;
    const dg_posmap_t *pos;
    dg_err_t *err;
    dg_policy_t *pol;
    const json_t *default_scoped; /* the built-in spec.exemptions.scoped */
} pctx_t;

/* "name:line:col: what (at where)", positioned at @key of @obj, or @obj. */
static int perr(pctx_t *c, const json_t *obj, const char *key, const char *where, const char *fmt,
                ...) DG_PRINTF(5, 6);

static int perr(pctx_t *c, const json_t *obj, const char *key, const char *where, const char *fmt,
                ...)
{
    char msg[200];
    int line = 0, col = 0;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (dg_posmap_find(c->pos, obj, key, &line, &col) != 0 && key)
        dg_posmap_find(c->pos, obj, NULL, &line, &col);
    return dg_err_at(c->err, DG_EPOLICY, c->name, line, col, "%s (at %s)", msg, where);
}

static const char *type_of(const json_t *v)
{
    return json_is_object(v)   ? "a mapping"
           : json_is_array(v)  ? "a list"
           : json_is_string(v) ? "a string"
           : json_is_number(v) ? "a number"
           : json_is_null(v)   ? "null"
                               : "a boolean";
}

/* Refuse keys of @obj not in @allowed: a typo must not silently weaken a policy. */
static int only_keys(pctx_t *c, const json_t *obj, const char *where, const char *const *allowed)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)obj, k, v) {
        const char *const *a = allowed;

        while (*a && strcmp(*a, k) != 0)
            a++;
        if (*a == NULL)
            return perr(c, obj, k, where, "unknown key '%s'", k);
    }
    return 0;
}

static int want_object(pctx_t *c, const json_t *parent, const char *key, const json_t *v,
                       const char *where)
{
    if (json_is_object(v))
        return 0;
    return perr(c, parent, key, where, "expected a mapping, found %s", type_of(v));
}

static int strs_add(strs_t *s, const char *v)
{
    char **p = realloc(s->v, (s->n + 1) * sizeof *p);

    if (p == NULL)
        return DG_ENOMEM;
    s->v = p;
    if ((s->v[s->n] = strdup(v)) == NULL)
        return DG_ENOMEM;
    s->n++;
    return 0;
}

/* An optional list of non-empty strings at @key of @obj. */
static int str_list(pctx_t *c, const json_t *obj, const char *key, const char *where, strs_t *out)
{
    json_t *list = json_object_get(obj, key), *v;
    char at[160];
    size_t i;

    if (list == NULL || json_is_null(list))
        return 0;
    snprintf(at, sizeof at, "%s.%s", where, key);
    if (!json_is_array(list))
        return perr(c, obj, key, at, "expected a list of strings, found %s", type_of(list));
    json_array_foreach(list, i, v) {
        if (!json_is_string(v) || json_string_length(v) == 0)
            return perr(c, obj, key, at, "item %zu must be a non-empty string", i);
        if (strs_add(out, json_string_value(v)))
            return dg_err_set(c->err, DG_ENOMEM, "%s: out of memory", c->name);
    }
    return 0;
}

static int kinds_of(pctx_t *c, const json_t *obj, const char *where, dg_gk_t **kinds, size_t *n)
{
    strs_t names = {0};
    int rc = str_list(c, obj, "kinds", where, &names);

    *kinds = NULL;
    *n = 0;
    if (!rc && names.n && (*kinds = calloc(names.n, sizeof **kinds)) == NULL)
        rc = dg_err_set(c->err, DG_ENOMEM, "%s: out of memory", c->name);
    for (size_t i = 0; i < names.n && !rc; i++) {
        const dg_kindinfo_t *ki = dg_kind_lookup(names.v[i]);

        if (ki == NULL)
            rc = perr(c, obj, "kinds", where,
                      "unknown kind '%s' (use Kind, group/Kind or a kubectl name like hpa, svc)",
                      names.v[i]);
        else
            (*kinds)[(*n)++] = (dg_gk_t){ki->group, ki->kind};
    }
    strs_free(&names);
    return rc;
}

static int paths_of(pctx_t *c, const json_t *obj, const char *where, bool required,
                    dg_path_t ***paths, size_t *n)
{
    strs_t texts = {0};
    dg_err_t perr_ = {0};
    int rc = str_list(c, obj, "paths", where, &texts);

    *paths = NULL;
    *n = 0;
    if (!rc && texts.n == 0 && required)
        rc = perr(c, obj, NULL, where, "'paths' is required and must not be empty");
    if (!rc && texts.n && (*paths = calloc(texts.n, sizeof **paths)) == NULL)
        rc = dg_err_set(c->err, DG_ENOMEM, "%s: out of memory", c->name);
    for (size_t i = 0; i < texts.n && !rc; i++) {
        (*paths)[i] = dg_path_parse(texts.v[i], &perr_);
        if ((*paths)[i] == NULL)
            rc = perr(c, obj, "paths", where, "bad path: %s", perr_.msg);
        else
            (*n)++;
    }
    strs_free(&texts);
    return rc;
}

/* ---- sections -------------------------------------------------------------------------- */

static int parse_action(pctx_t *c, const json_t *r, const char *where, dg_action_t *out)
{
    const char *a = json_string_value(json_object_get(r, "action"));

    if (a == NULL)
        return perr(c, r, json_object_get(r, "action") ? "action" : NULL, where,
                    "'action' is required: deny, warn or audit");
    if (strcmp(a, "deny") == 0)
        *out = DG_ACTION_DENY;
    else if (strcmp(a, "warn") == 0)
        *out = DG_ACTION_WARN;
    else if (strcmp(a, "audit") == 0)
        *out = DG_ACTION_AUDIT;
    else
        return perr(c, r, "action", where, "action '%s' is not deny, warn or audit", a);
    return 0;
}

static int parse_rule(pctx_t *c, const json_t *r, size_t i)
{
    static const char *const keys[] = {"name", "kinds", "paths", "action", "unlessTargetedByHPA",
                                       NULL};
    dg_policy_t *p = c->pol;
    dg_rule_t *rule = &p->rules[i];
    json_t *hpa = json_object_get(r, "unlessTargetedByHPA");
    const char *name = json_string_value(json_object_get(r, "name"));
    char where[64];
    int rc;

    snprintf(where, sizeof where, "spec.rules[%zu]", i);
    if ((rc = only_keys(c, r, where, keys)) != 0)
        return rc;
    if (name == NULL || name[0] == '\0')
        return perr(c, r, NULL, where, "'name' is required");
    for (size_t j = 0; j < i; j++)
        if (strcmp(p->rules[j].name, name) == 0)
            return perr(c, r, "name", where, "duplicate rule name '%s'", name);
    if (hpa && !json_is_boolean(hpa))
        return perr(c, r, "unlessTargetedByHPA", where, "expected true or false");
    if ((rule->name = strdup(name)) == NULL)
        return dg_err_set(c->err, DG_ENOMEM, "%s: out of memory", c->name);
    p->nrules = i + 1; /* from here on, freed with the policy */
    rule->unless_hpa = json_is_true(hpa);
    if ((rc = kinds_of(c, r, where, &p->store[i].kinds, &rule->nkinds)) ||
        (rc = paths_of(c, r, where, true, &p->store[i].paths, &rule->npaths)) ||
        (rc = parse_action(c, r, where, &rule->action)))
        return rc;
    if (rule->nkinds == 0)
        return perr(c, r, NULL, where, "'kinds' is required and must not be empty");
    rule->kinds = p->store[i].kinds;
    rule->paths = p->store[i].paths;
    return 0;
}

static int parse_rules(pctx_t *c, const json_t *spec)
{
    json_t *rules = json_object_get(spec, "rules"), *r;
    size_t i;
    int rc;

    if (!json_is_array(rules) || json_array_size(rules) == 0)
        return perr(c, spec, rules ? "rules" : NULL, "spec.rules",
                    "a policy needs at least one rule in spec.rules");
    c->pol->rules = calloc(json_array_size(rules), sizeof *c->pol->rules);
    c->pol->store = calloc(json_array_size(rules), sizeof *c->pol->store);
    if (c->pol->rules == NULL || c->pol->store == NULL)
        return dg_err_set(c->err, DG_ENOMEM, "%s: out of memory", c->name);
    json_array_foreach(rules, i, r) {
        if (!json_is_object(r)) {
            char where[64];

            snprintf(where, sizeof where, "spec.rules[%zu]", i);
            return perr(c, rules, NULL, where, "expected a mapping, found %s", type_of(r));
        }
        if ((rc = parse_rule(c, r, i)) != 0)
            return rc;
    }
    return 0;
}

static int parse_ignores(pctx_t *c, const json_t *spec)
{
    static const char *const keys[] = {"kinds", "namespaces", "names", "paths", NULL};
    json_t *list = json_object_get(spec, "ignore"), *ig;
    char where[64];
    size_t i;
    int rc;

    if (list == NULL || json_is_null(list))
        return 0;
    if (!json_is_array(list))
        return perr(c, spec, "ignore", "spec.ignore", "expected a list, found %s", type_of(list));
    if ((c->pol->ignores = calloc(json_array_size(list) + 1, sizeof *c->pol->ignores)) == NULL)
        return dg_err_set(c->err, DG_ENOMEM, "%s: out of memory", c->name);
    json_array_foreach(list, i, ig) {
        ignore_t *x = &c->pol->ignores[i];

        snprintf(where, sizeof where, "spec.ignore[%zu]", i);
        if (!json_is_object(ig))
            return perr(c, list, NULL, where, "expected a mapping, found %s", type_of(ig));
        c->pol->nignores = i + 1;
        if ((rc = only_keys(c, ig, where, keys)) ||
            (rc = kinds_of(c, ig, where, &x->kinds, &x->nkinds)) ||
            (rc = str_list(c, ig, "namespaces", where, &x->namespaces)) ||
            (rc = str_list(c, ig, "names", where, &x->names)) ||
            (rc = paths_of(c, ig, where, true, &x->paths, &x->npaths)))
            return rc;
    }
    return 0;
}

static int describe_all(strs_t *out, const strs_t *in, const char *prefix)
{
    char buf[512];

    for (size_t i = 0; i < in->n; i++) {
        snprintf(buf, sizeof buf, "%s %s", prefix, in->v[i]);
        if (strs_add(out, buf))
            return DG_ENOMEM;
    }
    return 0;
}

/* users, groups and serviceAccounts (namespace/name) of @obj into @w. */
static int parse_principals(pctx_t *c, const json_t *obj, const char *where, principals_t *w)
{
    strs_t sas = {0};
    char buf[512];
    int rc;

    if ((rc = str_list(c, obj, "users", where, &w->users)) ||
        (rc = str_list(c, obj, "groups", where, &w->groups)) ||
        (rc = str_list(c, obj, "serviceAccounts", where, &sas)))
        goto out;
    for (size_t i = 0; i < sas.n && !rc; i++) {
        char *slash = strchr(sas.v[i], '/');

        if (slash == NULL || slash == sas.v[i] || slash[1] == '\0' || strchr(slash + 1, '/')) {
            rc = perr(c, obj, "serviceAccounts", where, "'%s' is not namespace/name", sas.v[i]);
            break;
        }
        *slash = '\0';
        snprintf(buf, sizeof buf, "system:serviceaccount:%s:%s", sas.v[i], slash + 1);
        rc = strs_add(&w->sas, buf);
        snprintf(buf, sizeof buf, "serviceaccount %s/%s", sas.v[i], slash + 1);
        if (!rc)
            rc = strs_add(&w->sa_desc, buf);
    }
    if (!rc && (describe_all(&w->user_desc, &w->users, "user") ||
                describe_all(&w->group_desc, &w->groups, "group")))
        rc = DG_ENOMEM;
    if (rc == DG_ENOMEM)
        dg_err_set(c->err, DG_ENOMEM, "%s: out of memory", c->name);
out:
    strs_free(&sas);
    return rc;
}

static int parse_scoped_one(pctx_t *c, const json_t *e, const char *where, scoped_t *x)
{
    static const char *const keys[] = {"users", "groups", "serviceAccounts", "operations",
                                       "subresources", NULL};
    static const char *const ops[] = {"CREATE", "UPDATE", "DELETE", NULL};
    int rc;

    if (!json_is_object(e))
        return perr(c, e, NULL, where, "expected a mapping, found %s", type_of(e));
    if ((rc = only_keys(c, e, where, keys)) || (rc = parse_principals(c, e, where, &x->who)) ||
        (rc = str_list(c, e, "operations", where, &x->operations)) ||
        (rc = str_list(c, e, "subresources", where, &x->subresources)))
        return rc;
    if (x->who.users.n + x->who.groups.n + x->who.sas.n == 0)
        return perr(c, e, NULL, where, "an exemption names at least one user, group or serviceAccount");
    for (size_t i = 0; i < x->operations.n; i++) {
        const char *const *o = ops;

        while (*o && strcmp(*o, x->operations.v[i]) != 0)
            o++;
        if (*o == NULL)
            return perr(c, e, "operations", where, "operation '%s' is not CREATE, UPDATE or DELETE",
                        x->operations.v[i]);
    }
    return 0;
}

/* spec.exemptions.scoped: a list of exemptions limited to operations and
 * subresources. Absent: the built-in ones (the controllers that must act on
 * governed objects), so a custom policy does not stop autoscaling or
 * namespace deletion by leaving them out. */
static int parse_scoped(pctx_t *c, const json_t *ex)
{
    const json_t *list = json_object_get(ex, "scoped"), *e;
    char where[64];
    size_t i;
    int rc;

    if (list == NULL)
        list = c->default_scoped;
    if (list == NULL || json_is_null(list))
        return 0;
    if (!json_is_array(list))
        return perr(c, ex, "scoped", "spec.exemptions.scoped", "expected a list, found %s",
                    type_of(list));
    if ((c->pol->scoped = calloc(json_array_size(list) + 1, sizeof *c->pol->scoped)) == NULL)
        return dg_err_set(c->err, DG_ENOMEM, "%s: out of memory", c->name);
    json_array_foreach(list, i, e) {
        snprintf(where, sizeof where, "spec.exemptions.scoped[%zu]", i);
        c->pol->nscoped = i + 1;
        if ((rc = parse_scoped_one(c, e, where, &c->pol->scoped[i])) != 0)
            return rc;
    }
    return 0;
}

static int parse_exemptions(pctx_t *c, const json_t *spec)
{
    static const char *const keys[] = {"users", "groups", "serviceAccounts", "scoped", NULL};
    const json_t *ex = json_object_get(spec, "exemptions");
    int rc;

    if (ex != NULL && !json_is_null(ex) &&
        ((rc = want_object(c, spec, "exemptions", ex, "spec.exemptions")) ||
         (rc = only_keys(c, ex, "spec.exemptions", keys)) ||
         (rc = parse_principals(c, ex, "spec.exemptions", &c->pol->exempt))))
        return rc;
    return parse_scoped(c, json_is_object(ex) ? ex : NULL);
}

static int parse_deployers(pctx_t *c, const json_t *spec)
{
    static const char *const keys[] = {"users", "groups", "serviceAccounts", NULL};
    const json_t *d = json_object_get(spec, "deployers");
    principals_t *w = &c->pol->deployers;
    int rc;

    if (d == NULL || json_is_null(d))
        return 0;
    if ((rc = want_object(c, spec, "deployers", d, "spec.deployers")) ||
        (rc = only_keys(c, d, "spec.deployers", keys)) ||
        (rc = parse_principals(c, d, "spec.deployers", w)))
        return rc;
    if (w->users.n + w->groups.n + w->sas.n == 0)
        return perr(c, d, NULL, "spec.deployers",
                    "deployers names no user, group or serviceAccount (omit it to let anyone "
                    "who can write Helm's records release)");
    return 0;
}

static int opt_string(pctx_t *c, const json_t *obj, const char *key, const char *where,
                      const char *dflt, char **out)
{
    json_t *v = json_object_get(obj, key);

    if (v && !json_is_null(v) && (!json_is_string(v) || json_string_length(v) == 0))
        return perr(c, obj, key, where, "'%s' must be a non-empty string", key);
    *out = strdup(v && json_is_string(v) ? json_string_value(v) : dflt);
    return *out ? 0 : dg_err_set(c->err, DG_ENOMEM, "%s: out of memory", c->name);
}

/* "24h", "90m", "1h30m", "3600s": a positive Go-style duration in seconds. */
static long parse_duration(const char *s)
{
    long total = 0;

    if (s == NULL || *s == '\0')
        return -1;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10), unit;

        if (end == s || v < 0 || v > 10L * 365 * 86400)
            return -1;
        unit = *end == 'h' ? 3600 : *end == 'm' ? 60 : *end == 's' ? 1 : 0;
        if (unit == 0)
            return -1;
        total += v * unit;
        s = end + 1;
    }
    return total > 0 ? total : -1;
}

static int parse_max_duration(pctx_t *c, const json_t *bg)
{
    const json_t *v = json_object_get(bg, "maxDuration");

    c->pol->bg.max_duration_s = 24 * 3600;
    if (v == NULL || json_is_null(v))
        return 0;
    c->pol->bg.max_duration_s = json_is_string(v) ? parse_duration(json_string_value(v)) : -1;
    if (c->pol->bg.max_duration_s <= 0)
        return perr(c, bg, "maxDuration", "spec.breakGlass.maxDuration",
                    "expected a duration such as 24h, 90m or 1h30m");
    return 0;
}

static int parse_breakglass(pctx_t *c, const json_t *spec)
{
    static const char *const keys[] = {"annotation", "expiresAnnotation", "maxDuration", "groups",
                                       NULL};
    const json_t *bg = json_object_get(spec, "breakGlass");
    dg_policy_t *p = c->pol;
    int rc = 0;

    if (bg && !json_is_null(bg) &&
        ((rc = want_object(c, spec, "breakGlass", bg, "spec.breakGlass")) ||
         (rc = only_keys(c, bg, "spec.breakGlass", keys)) ||
         (rc = str_list(c, bg, "groups", "spec.breakGlass", &p->bg_groups))))
        return rc;
    if ((rc = opt_string(c, bg, "annotation", "spec.breakGlass", "driftgate.io/break-glass",
                         &p->bg_annotation)) ||
        (rc = opt_string(c, bg, "expiresAnnotation", "spec.breakGlass",
                         "driftgate.io/break-glass-expires", &p->bg_expires)))
        return rc;
    p->bg = (dg_breakglass_t){p->bg_annotation, p->bg_expires, p->bg_groups.n,
                              (const char *const *)p->bg_groups.v, 0};
    return parse_max_duration(c, bg);
}

static int parse_doc(pctx_t *c, const json_t *doc)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", NULL};
    static const char *const spec_keys[] = {"rules",      "ignore",     "exemptions",
                                            "deployers",  "breakGlass", "excludedNamespaces",
                                            NULL};
    const char *api = json_string_value(json_object_get(doc, "apiVersion"));
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    const char *name = json_string_value(json_object_get(json_object_get(doc, "metadata"), "name"));
    const json_t *spec = json_object_get(doc, "spec");
    int rc;

    if (!json_is_object(doc))
        return perr(c, doc, NULL, "(document)", "expected a DriftPolicy mapping, found %s",
                    type_of(doc));
    if ((rc = only_keys(c, doc, "(document)", top)) != 0)
        return rc;
    if (api == NULL || strcmp(api, "driftgate.io/v1alpha1") != 0)
        return perr(c, doc, "apiVersion", "apiVersion", "apiVersion must be driftgate.io/v1alpha1");
    if (kind == NULL || strcmp(kind, "DriftPolicy") != 0)
        return perr(c, doc, "kind", "kind", "kind must be DriftPolicy");
    if ((c->pol->name = strdup(name ? name : "unnamed")) == NULL)
        return dg_err_set(c->err, DG_ENOMEM, "%s: out of memory", c->name);
    if (spec == NULL)
        return perr(c, doc, NULL, "spec", "'spec' is required");
    if ((rc = want_object(c, doc, "spec", spec, "spec")) ||
        (rc = only_keys(c, spec, "spec", spec_keys)) || (rc = parse_rules(c, spec)) ||
        (rc = parse_ignores(c, spec)) || (rc = parse_exemptions(c, spec)) ||
        (rc = parse_deployers(c, spec)) ||
        (rc = parse_breakglass(c, spec)) ||
        (rc = str_list(c, spec, "excludedNamespaces", "spec", &c->pol->excluded)))
        return rc;
    return 0;
}

dg_policy_t *dg_policy_parse(const char *data, size_t len, const char *name, dg_err_t *err)
{
    dg_yaml_docs_t docs, defaults = {0};
    pctx_t c = {.name = name ? name : "<policy>", .err = err};
    int rc;

    /* The built-in scoped exemptions, for a policy that does not list its own. */
    if (data != default_text &&
        dg_yaml_parse(default_text, sizeof default_text - 1, "<built-in policy>", 0, 0, &defaults,
                      err) != 0)
        return NULL;
    if (defaults.n == 1)
        c.default_scoped = json_object_get(
            json_object_get(json_object_get(defaults.docs[0].root, "spec"), "exemptions"), "scoped");
    if (dg_yaml_parse(data, len, c.name, 16 << 20, DG_YAML_POSITIONS, &docs, err) != 0) {
        dg_yaml_docs_free(&defaults);
        return NULL;
    }
    c.pos = docs.pos;
    if (docs.n != 1) {
        dg_err_at(err, DG_EPOLICY, c.name, docs.n ? docs.docs[1].line : 1, 1,
                  "expected exactly one DriftPolicy document, found %zu", docs.n);
        dg_yaml_docs_free(&docs);
        dg_yaml_docs_free(&defaults);
        return NULL;
    }
    c.pol = calloc(1, sizeof *c.pol);
    rc = c.pol ? parse_doc(&c, docs.docs[0].root)
               : dg_err_set(err, DG_ENOMEM, "%s: out of memory", c.name);
    dg_yaml_docs_free(&docs);
    dg_yaml_docs_free(&defaults);
    if (!rc && (c.pol->want = dg_want_new(c.pol)) == NULL)
        rc = dg_err_set(err, DG_ENOMEM, "%s: out of memory", c.name);
    if (rc)
        dg_policy_free(&c.pol);
    return c.pol;
}

dg_policy_t *dg_policy_default(dg_err_t *err)
{
    return dg_policy_parse(default_text, sizeof default_text - 1, "<built-in policy>", err);
}

const char *dg_policy_default_text(void)
{
    return default_text;
}

/* ---- questions ------------------------------------------------------------------------- */

const char *dg_policy_name(const dg_policy_t *pol)
{
    return pol->name;
}

const struct dg_want *dg_policy_want(const dg_policy_t *pol)
{
    return pol->want;
}

size_t dg_policy_nrules(const dg_policy_t *pol)
{
    return pol->nrules;
}

const dg_rule_t *dg_policy_rule(const dg_policy_t *pol, size_t i)
{
    return i < pol->nrules ? &pol->rules[i] : NULL;
}

/* Asked for every rule at every object judged: the first letter of the
 * kind turns most away before a strcmp. */
static bool gk_in(const dg_gk_t *kinds, size_t n, const char *group, const char *kind)
{
    for (size_t i = 0; i < n; i++)
        if (kinds[i].kind[0] == kind[0] && strcmp(kinds[i].kind, kind) == 0 &&
            strcmp(kinds[i].group, group) == 0)
            return true;
    return false;
}

bool dg_rule_applies(const dg_rule_t *rule, const char *group, const char *kind)
{
    return gk_in(rule->kinds, rule->nkinds, group, kind);
}

bool dg_policy_governs(const dg_policy_t *pol, const char *group, const char *kind)
{
    for (size_t i = 0; i < pol->nrules; i++)
        if (dg_rule_applies(&pol->rules[i], group, kind))
            return true;
    return false;
}

static bool in_strs(const strs_t *s, const char *v)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], v) == 0)
            return true;
    return false;
}

/* "legacy-*" matches every name starting "legacy-". */
static bool name_matches(const strs_t *globs, const char *name)
{
    for (size_t i = 0; i < globs->n; i++) {
        size_t n = strlen(globs->v[i]);

        if (n && globs->v[i][n - 1] == '*' ? strncmp(globs->v[i], name, n - 1) == 0
                                           : strcmp(globs->v[i], name) == 0)
            return true;
    }
    return false;
}

bool dg_policy_ignores(const dg_policy_t *pol, const dg_objid_t *id, const char *path)
{
    dg_path_t *concrete = NULL;
    bool hit = false;

    for (size_t i = 0; i < pol->nignores && !hit; i++) {
        const ignore_t *x = &pol->ignores[i];

        if ((x->nkinds && !gk_in(x->kinds, x->nkinds, id->group, id->kind)) ||
            (x->namespaces.n && !in_strs(&x->namespaces, id->ns)) ||
            (x->names.n && !name_matches(&x->names, id->name)))
            continue;
        if (concrete == NULL && (concrete = dg_path_parse(path, NULL)) == NULL)
            return false; /* "" (a missing object) is never ignored by a path */
        for (size_t j = 0; j < x->npaths && !hit; j++)
            hit = dg_path_covers(x->paths[j], concrete);
    }
    dg_path_free(&concrete);
    return hit;
}

bool dg_policy_ns_excluded(const dg_policy_t *pol, const char *ns)
{
    return in_strs(&pol->excluded, ns);
}

static const char *principal_match(const principals_t *w, const dg_requester_t *rq)
{
    for (size_t i = 0; rq->user && i < w->users.n; i++)
        if (strcmp(w->users.v[i], rq->user) == 0)
            return w->user_desc.v[i];
    for (size_t i = 0; rq->user && i < w->sas.n; i++)
        if (strcmp(w->sas.v[i], rq->user) == 0)
            return w->sa_desc.v[i];
    for (size_t i = 0; i < w->groups.n; i++)
        for (size_t g = 0; g < rq->ngroups; g++)
            if (strcmp(w->groups.v[i], rq->groups[g]) == 0)
                return w->group_desc.v[i];
    return NULL;
}

static bool scope_fits(const strs_t *allowed, const char *v)
{
    return allowed->n == 0 || (v && in_strs(allowed, v));
}

const char *dg_policy_exempt(const dg_policy_t *pol, const dg_requester_t *rq)
{
    const char *who = principal_match(&pol->exempt, rq);

    for (size_t i = 0; who == NULL && i < pol->nscoped; i++) {
        const scoped_t *x = &pol->scoped[i];

        if (scope_fits(&x->operations, rq->operation) &&
            scope_fits(&x->subresources, rq->subresource))
            who = principal_match(&x->who, rq);
    }
    return who;
}

bool dg_policy_has_deployers(const dg_policy_t *pol)
{
    const principals_t *w = &pol->deployers;

    return w->users.n + w->groups.n + w->sas.n > 0;
}

const char *dg_policy_deployer(const dg_policy_t *pol, const dg_requester_t *rq)
{
    return principal_match(&pol->deployers, rq);
}

const dg_breakglass_t *dg_policy_breakglass(const dg_policy_t *pol)
{
    return &pol->bg;
}
