/* policy/obj.c: object identity, the kind table, and dg_objset_t (a vector
 * in insertion order plus an open-addressing index by identity).
 * SPDX-License-Identifier: Apache-2.0 */
#include "obj.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "val.h"

/* ---- the kind table ------------------------------------------------------ */

/* The kinds a Helm release commonly holds. Names follow `kubectl
 * api-resources`; unknown kinds (CRDs) still work by group and Kind. */
static const dg_kindinfo_t kinds[] = {
    {"", "Service", "services", "service", "svc", true},
    {"", "ConfigMap", "configmaps", "configmap", "cm", true},
    {"", "Secret", "secrets", "secret", NULL, true},
    {"", "Pod", "pods", "pod", "po", true},
    {"", "ServiceAccount", "serviceaccounts", "serviceaccount", "sa", true},
    {"", "PersistentVolumeClaim", "persistentvolumeclaims", "persistentvolumeclaim", "pvc", true},
    {"", "Endpoints", "endpoints", "endpoints", "ep", true},
    {"", "LimitRange", "limitranges", "limitrange", "limits", true},
    {"", "ResourceQuota", "resourcequotas", "resourcequota", "quota", true},
    {"", "Namespace", "namespaces", "namespace", "ns", false},
    {"", "PersistentVolume", "persistentvolumes", "persistentvolume", "pv", false},
    {"apps", "Deployment", "deployments", "deployment", "deploy", true},
    {"apps", "StatefulSet", "statefulsets", "statefulset", "sts", true},
    {"apps", "DaemonSet", "daemonsets", "daemonset", "ds", true},
    {"apps", "ReplicaSet", "replicasets", "replicaset", "rs", true},
    {"autoscaling", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
     "horizontalpodautoscaler", "hpa", true},
    {"batch", "Job", "jobs", "job", NULL, true},
    {"batch", "CronJob", "cronjobs", "cronjob", "cj", true},
    {"networking.k8s.io", "Ingress", "ingresses", "ingress", "ing", true},
    {"networking.k8s.io", "NetworkPolicy", "networkpolicies", "networkpolicy", "netpol", true},
    {"policy", "PodDisruptionBudget", "poddisruptionbudgets", "poddisruptionbudget", "pdb", true},
    {"rbac.authorization.k8s.io", "Role", "roles", "role", NULL, true},
    {"rbac.authorization.k8s.io", "RoleBinding", "rolebindings", "rolebinding", NULL, true},
    {"rbac.authorization.k8s.io", "ClusterRole", "clusterroles", "clusterrole", NULL, false},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding", "clusterrolebindings",
     "clusterrolebinding", NULL, false},
    {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration",
     "validatingwebhookconfigurations", "validatingwebhookconfiguration", NULL, false},
    {"admissionregistration.k8s.io", "MutatingWebhookConfiguration",
     "mutatingwebhookconfigurations", "mutatingwebhookconfiguration", NULL, false},
    {"apiextensions.k8s.io", "CustomResourceDefinition", "customresourcedefinitions",
     "customresourcedefinition", "crd", false},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static bool names_kind(const dg_kindinfo_t *k, const char *name, size_t len)
{
    const char *cand[4] = {k->kind, k->resource, k->singular, k->shortname};

    for (size_t i = 0; i < 4; i++)
        if (cand[i] && strlen(cand[i]) == len && strncasecmp(cand[i], name, len) == 0)
            return true;
    return false;
}

const dg_kindinfo_t *dg_kind_lookup(const char *name)
{
    const char *slash = strchr(name, '/');
    const char *dot = strchr(name, '.');

    for (size_t i = 0; i < NKINDS; i++) {
        const dg_kindinfo_t *k = &kinds[i];

        if (slash) { /* "apps/Deployment" */
            size_t glen = (size_t)(slash - name);
            if (strlen(k->group) == glen && strncmp(k->group, name, glen) == 0 &&
                names_kind(k, slash + 1, strlen(slash + 1)))
                return k;
        } else if (dot) { /* "deployments.apps" */
            if (strcmp(k->group, dot + 1) == 0 && names_kind(k, name, (size_t)(dot - name)))
                return k;
        } else if (names_kind(k, name, strlen(name))) {
            return k;
        }
    }
    return NULL;
}

size_t dg_kind_count(void)
{
    return NKINDS;
}

const dg_kindinfo_t *dg_kind_at(size_t i)
{
    return i < NKINDS ? &kinds[i] : NULL;
}

const dg_kindinfo_t *dg_kind_by_resource(const char *group, const char *resource)
{
    /* The first letters first: asked on every request, of a table of ~30. */
    for (size_t i = 0; i < NKINDS; i++)
        if (kinds[i].resource[0] == resource[0] && strcmp(kinds[i].resource, resource) == 0 &&
            strcmp(kinds[i].group, group) == 0)
            return &kinds[i];
    return NULL;
}

const dg_kindinfo_t *dg_kind_by_kind(const char *group, const char *kind)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (kinds[i].kind[0] == kind[0] && strcmp(kinds[i].kind, kind) == 0 &&
            strcmp(kinds[i].group, group) == 0)
            return &kinds[i];
    return NULL;
}

/* ---- identity ------------------------------------------------------------ */

const char *dg_obj_group_of(const char *api_version, char *out, size_t size)
{
    const char *slash = strchr(api_version, '/');
    size_t n = slash ? (size_t)(slash - api_version) : 0;

    if (n >= size)
        n = size - 1;
    memcpy(out, api_version, n);
    out[n] = '\0';
    return out;
}

/* "kind/name" with @kind in lower case. */
static const char *lower_join(const char *kind, const char *name, char *out, size_t size)
{
    char lower[64];
    size_t i;

    for (i = 0; kind[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)(kind[i] >= 'A' && kind[i] <= 'Z' ? kind[i] + 32 : kind[i]);
    lower[i] = '\0';
    return dg_strjoin(out, size, lower, "/", name);
}

const char *dg_kind_short(const dg_kindinfo_t *k, const char *name, char *out, size_t size)
{
    if (k->shortname)
        return dg_strjoin(out, size, k->shortname, "/", name);
    return lower_join(k->kind, name, out, size);
}

const char *dg_objid_short(const dg_objid_t *id, char *out, size_t size)
{
    const dg_kindinfo_t *k = dg_kind_by_kind(id->group, id->kind);

    return k ? dg_kind_short(k, id->name, out, size) : lower_join(id->kind, id->name, out, size);
}

const char *dg_objid_format(const dg_objid_t *id, char *out, size_t size)
{
    snprintf(out, size, "%s%s%s %s%s%s", id->group, id->group[0] ? "/" : "", id->kind,
             id->ns, id->ns[0] ? "/" : "", id->name);
    return out;
}

bool dg_objid_equal(const dg_objid_t *a, const dg_objid_t *b)
{
    return strcmp(a->name, b->name) == 0 && strcmp(a->kind, b->kind) == 0 &&
           strcmp(a->ns, b->ns) == 0 && strcmp(a->group, b->group) == 0;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    /* FNV-1a, with a separator so ("ab","c") and ("a","bc") differ. */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull;
}

static uint64_t hash_id(const dg_objid_t *id)
{
    uint64_t h = 14695981039346656037ull;

    h = hash_str(h, id->group);
    h = hash_str(h, id->kind);
    h = hash_str(h, id->ns);
    return hash_str(h, id->name);
}

/* ---- dg_objset_t --------------------------------------------------------- */

struct dg_objset {
    dg_obj_t *objs; /* insertion order */
    size_t n, cap;
    size_t *slots;  /* index + 1 into objs; 0 = empty. Power-of-two size. */
    size_t nslots;
};

/* An object's nodes, in one arena block of just their size. */
struct dg_obj_nodes {
    dg_arena_t arena;
    const dg_jnode_t *root;
};

static void nodes_free(struct dg_obj_nodes *n)
{
    if (n == NULL)
        return;
    dg_arena_free(&n->arena);
    free(n);
}

dg_objset_t *dg_objset_new(void)
{
    return calloc(1, sizeof(dg_objset_t));
}

void dg_objset_free(dg_objset_t **set)
{
    dg_objset_t *s = set ? *set : NULL;

    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        json_decref(s->objs[i].json);
        free((char *)s->objs[i].id.group); /* one block holds all four strings */
        free(s->objs[i].managed);
        nodes_free(atomic_load(&s->objs[i].nodes));
    }
    free(s->objs);
    free(s->slots);
    free(s);
    *set = NULL;
}

const dg_jnode_t *dg_obj_nodes(const dg_obj_t *o)
{
    /* A cache on a const object: the nodes say nothing @o's json does not. */
    _Atomic(struct dg_obj_nodes *) *slot = (_Atomic(struct dg_obj_nodes *) *)&o->nodes;
    struct dg_obj_nodes *n = atomic_load_explicit(slot, memory_order_acquire), *mine;

    if (n)
        return n->root;
    if ((mine = malloc(sizeof *mine)) == NULL)
        return NULL;
    dg_arena_init(&mine->arena, dg_val_nodes_size(o->json));
    if ((mine->root = dg_val_nodes(&mine->arena, o->json)) == NULL) {
        nodes_free(mine);
        return NULL;
    }
    /* Another thread may have built them meanwhile: keep the first. */
    if (!atomic_compare_exchange_strong_explicit(slot, &n, mine, memory_order_acq_rel,
                                                 memory_order_acquire)) {
        nodes_free(mine);
        return n->root;
    }
    return mine->root;
}

size_t dg_objset_count(const dg_objset_t *set)
{
    return set ? set->n : 0;
}

const dg_obj_t *dg_objset_at(const dg_objset_t *set, size_t i)
{
    DG_ASSERT(i < set->n);
    return &set->objs[i];
}

/* Slot for @id: where it is, or the empty slot where it would go. */
static size_t *find_slot(const dg_objset_t *s, const dg_objid_t *id)
{
    size_t mask = s->nslots - 1;
    size_t i = (size_t)hash_id(id) & mask;

    for (;;) {
        size_t *slot = &s->slots[i];
        if (*slot == 0 || dg_objid_equal(&s->objs[*slot - 1].id, id))
            return slot;
        i = (i + 1) & mask;
    }
}

const dg_obj_t *dg_objset_find(const dg_objset_t *set, const dg_objid_t *id)
{
    size_t *slot;

    if (set == NULL || set->nslots == 0)
        return NULL;
    slot = find_slot(set, id);
    return *slot ? &set->objs[*slot - 1] : NULL;
}

/* Keep the table at most half full, so probes stay short. */
static int grow_index(dg_objset_t *s)
{
    size_t nslots = s->nslots ? s->nslots * 2 : 64;
    size_t *old = s->slots;

    if ((s->n + 1) * 2 <= s->nslots)
        return 0;
    s->slots = calloc(nslots, sizeof *s->slots);
    if (s->slots == NULL) {
        s->slots = old;
        return DG_ENOMEM;
    }
    s->nslots = nslots;
    for (size_t i = 0; i < s->n; i++)
        *find_slot(s, &s->objs[i].id) = i + 1;
    free(old);
    return 0;
}

static const char *str_member(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* One allocation holding "group\0kind\0ns\0name\0"; @id points into it. */
static int make_id(const char *group, const char *kind, const char *ns, const char *name,
                   dg_objid_t *id)
{
    size_t lg = strlen(group) + 1, lk = strlen(kind) + 1, ln = strlen(ns) + 1;
    char *p = malloc(lg + lk + ln + strlen(name) + 1);

    if (p == NULL)
        return DG_ENOMEM;
    id->group = memcpy(p, group, lg);
    id->kind = memcpy(p + lg, kind, lk);
    id->ns = memcpy(p + lg + lk, ns, ln);
    id->name = strcpy(p + lg + lk + ln, name);
    return 0;
}

static int identify(const json_t *json, const char *default_ns, const char *where, int line,
                    char *group, size_t gsize, dg_objid_t *id, dg_err_t *err)
{
    const json_t *meta = json_object_get(json, "metadata");
    const char *api = str_member(json, "apiVersion");
    const dg_kindinfo_t *k;

    if (!json_is_object(json))
        return dg_err_at(err, DG_EINVAL, where, line, 0, "document is not an object");
    if (!*api)
        return dg_err_at(err, DG_EINVAL, where, line, 0, "object has no apiVersion");
    id->kind = str_member(json, "kind");
    if (!*id->kind)
        return dg_err_at(err, DG_EINVAL, where, line, 0, "object has no kind");
    id->name = str_member(meta, "name");
    if (!*id->name)
        return dg_err_at(err, DG_EINVAL, where, line, 0, "%s has no metadata.name", id->kind);
    id->group = dg_obj_group_of(api, group, gsize);
    id->ns = str_member(meta, "namespace");
    k = dg_kind_by_kind(id->group, id->kind);
    if (k && !k->namespaced)
        id->ns = "";
    else if (!*id->ns)
        id->ns = default_ns ? default_ns : "";
    return 0;
}

int dg_objset_add(dg_objset_t *set, json_t *json, const char *default_ns, const char *where,
                  int line, dg_err_t *err)
{
    char group[256], desc[768];
    dg_objid_t id;
    const dg_obj_t *dup;
    int rc;

    rc = identify(json, default_ns, where, line, group, sizeof group, &id, err);
    if (rc)
        goto fail;
    dup = dg_objset_find(set, &id);
    if (dup) {
        rc = dg_err_at(err, DG_EINVAL, where, line, 0,
                       "duplicate object %s (first defined at line %d)",
                       dg_objid_format(&id, desc, sizeof desc), dup->line);
        goto fail;
    }
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 16;
        dg_obj_t *objs = realloc(set->objs, cap * sizeof *objs);
        if (objs == NULL)
            goto nomem;
        set->objs = objs;
        set->cap = cap;
    }
    if (grow_index(set))
        goto nomem;
    rc = make_id(id.group, id.kind, id.ns, id.name, &set->objs[set->n].id);
    if (rc)
        goto nomem;
    set->objs[set->n].json = json;
    set->objs[set->n].line = line;
    set->objs[set->n].managed = NULL;
    set->objs[set->n].managed_len = 0;
    atomic_init(&set->objs[set->n].nodes, NULL);
    *find_slot(set, &set->objs[set->n].id) = set->n + 1;
    set->n++;
    return 0;
nomem:
    rc = dg_err_set(err, DG_ENOMEM, "out of memory adding an object");
fail:
    json_decref(json);
    return rc;
}

int dg_objset_keep_managed(dg_objset_t *set, size_t i, const char *text, size_t len)
{
    char *copy = malloc(len + 1);

    DG_ASSERT(i < set->n);
    if (copy == NULL)
        return DG_ENOMEM;
    memcpy(copy, text, len);
    copy[len] = '\0';
    free(set->objs[i].managed);
    set->objs[i].managed = copy;
    set->objs[i].managed_len = len;
    return 0;
}

int dg_objset_add_copy(dg_objset_t *set, const dg_obj_t *o, const char *default_ns,
                       const char *where, dg_err_t *err)
{
    int rc = dg_objset_add(set, json_incref(o->json), default_ns, where, o->line, err);

    if (rc || o->managed == NULL)
        return rc;
    if (dg_objset_keep_managed(set, set->n - 1, o->managed, o->managed_len))
        return dg_err_set(err, DG_ENOMEM, "out of memory adding an object");
    return 0;
}
