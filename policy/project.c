/* policy/project.c: a request's object, reduced to what the decision
 * reads. Each wanted path is taken by its leading fields ("spec.template.
 * spec.containers" of "spec.template.spec.containers[*].image"); members
 * are built on the way, and the value at the end whole.
 * SPDX-License-Identifier: Apache-2.0 */
#include "project.h"

#include <stdbool.h>
#include <string.h>

#include "path.h"

/* Prefixes longer than this keep the value at this depth whole: keeping
 * more than a decision reads is always safe, keeping less never is. */
#define DEPTH 16
#define MAX_PREFIXES 128

typedef struct prefix {
    const char *names[DEPTH];
    size_t n; /* 0: the whole object */
} prefix_t;

typedef struct wants {
    prefix_t p[MAX_PREFIXES];
    size_t n;
    bool whole; /* too many to list: keep everything */
} wants_t;

static void want(wants_t *w, size_t n, const char *const *names)
{
    if (w->n == MAX_PREFIXES) {
        w->whole = true;
        return;
    }
    w->p[w->n].n = n > DEPTH ? DEPTH : n;
    memcpy(w->p[w->n].names, names, w->p[w->n].n * sizeof *names);
    w->n++;
}

static void want_path(wants_t *w, const dg_path_t *path)
{
    const char *names[DEPTH];
    size_t n = 0;

    while (n < dg_path_len(path) && n < DEPTH && dg_path_seg(path, n)->kind == DG_SEG_FIELD) {
        names[n] = dg_path_seg(path, n)->name;
        n++;
    }
    if (n == 0)
        w->whole = true; /* a path into the object as a list: nothing to cut */
    else
        want(w, n, names);
}

static void want_annotation(wants_t *w, const char *key)
{
    const char *names[] = {"metadata", "annotations", key};

    if (key)
        want(w, 3, names);
}

/* What dg_decide reads of every object besides its rules' paths: the
 * identity, the annotations that name its Helm release and ask for
 * break-glass, and the replicas an HPA may own. (Labels and uid are read
 * from the nodes: a Helm record's owner label, an Event's uid.) */
static void want_always(wants_t *w, const dg_policy_t *pol)
{
    static const char *const fields[][2] = {{"apiVersion"}, {"kind"}, {"metadata", "name"},
                                            {"metadata", "namespace"}, {"spec", "replicas"}};
    const dg_breakglass_t *bg = dg_policy_breakglass(pol);

    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        want(w, fields[i][1] ? 2 : 1, fields[i]);
    want_annotation(w, DG_HELM_RELEASE_NAME);
    want_annotation(w, DG_HELM_RELEASE_NS);
    if (bg) {
        want_annotation(w, bg->annotation);
        want_annotation(w, bg->expires_annotation);
    }
}

/* Members of @o named at @depth by the prefixes @idx[0..n). */
static json_t *project(const dg_jnode_t *o, const wants_t *w, const size_t *idx, size_t n,
                       size_t depth)
{
    json_t *out = json_object();

    for (uint32_t i = 0; out && i < o->n; i++) {
        const dg_jnode_t *k = &o->v.kids[i];
        size_t sub[MAX_PREFIXES], m = 0;
        bool whole = false;
        json_t *v;

        for (size_t j = 0; j < n; j++) {
            const prefix_t *p = &w->p[idx[j]];

            if (strcmp(p->names[depth], k->key) != 0)
                continue;
            if (depth + 1 == p->n)
                whole = true;
            else
                sub[m++] = idx[j];
        }
        if (!whole && m == 0)
            continue;
        /* Not an object where the path wants fields: kept as it is, so
         * the diff sees the type it has. */
        v = whole || k->type != DG_JOBJECT ? dg_jread_to_json(k) : project(k, w, sub, m, depth + 1);
        if (v == NULL || json_object_set_new_nocheck(out, k->key, v) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

json_t *dg_project(const dg_jnode_t *obj, const dg_policy_t *pol, const char *group,
                   const char *kind)
{
    wants_t w; /* not zeroed: 17 KB, of which a few entries are used */
    size_t idx[MAX_PREFIXES];

    w.n = 0;
    w.whole = false;
    want_always(&w, pol);
    for (size_t i = 0; i < dg_policy_nrules(pol); i++) {
        const dg_rule_t *r = dg_policy_rule(pol, i);

        for (size_t p = 0; dg_rule_applies(r, group, kind) && p < r->npaths; p++)
            want_path(&w, r->paths[p]);
    }
    if (w.whole || obj->type != DG_JOBJECT)
        return dg_jread_to_json(obj);
    for (size_t i = 0; i < w.n; i++)
        idx[i] = i;
    return project(obj, &w, idx, w.n, 0);
}
