/* policy/want.c: the wants of a policy's kinds (want.h). A trie of member
 * names per kind, built once with the policy.
 * SPDX-License-Identifier: Apache-2.0 */
#include "want.h"

#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "policy.h"

struct dg_want {
    dg_jwant_t *kinds;  /* one per row of the kind table, in its order */
    dg_jwant_t ident;   /* a resource the table does not know */
};

static void node_free(dg_jwant_t *w)
{
    for (uint32_t i = 0; i < w->n; i++)
        node_free(&w->kids[i]);
    free(w->kids);
    w->kids = NULL;
    w->n = 0;
}

/* @w's member @name, added when absent; NULL when out of memory. The
 * name is borrowed (from the policy's paths, or a literal). */
static dg_jwant_t *kid(dg_jwant_t *w, const char *name, size_t len)
{
    dg_jwant_t *k;

    for (uint32_t i = 0; i < w->n; i++)
        if (w->kids[i].namelen == len && memcmp(w->kids[i].name, name, len) == 0)
            return &w->kids[i];
    k = realloc(w->kids, (w->n + 1) * sizeof *k);
    if (k == NULL)
        return NULL;
    w->kids = k;
    k = &w->kids[w->n++];
    *k = (dg_jwant_t){.name = name, .namelen = (uint32_t)len};
    return k;
}

static void whole(dg_jwant_t *w)
{
    node_free(w);
    w->whole = true;
}

/* Want @p from segment @i on below @w. */
static int add_path(dg_jwant_t *w, const dg_path_t *p, size_t i)
{
    for (; !w->whole; i++) {
        const dg_seg_t *s = i < dg_path_len(p) ? dg_path_seg(p, i) : NULL;

        if (s == NULL || s->kind != DG_SEG_FIELD) {
            whole(w); /* the end, or a list: compared whole from here */
            break;
        }
        if ((w = kid(w, s->name, s->namelen)) == NULL)
            return DG_ENOMEM;
        /* A quoted name's value is compared whole when a side lacks it. */
        if (!dg_path_plain_name(s->name))
            whole(w);
    }
    return 0;
}

/* The value at member names @names[0..n) below @w, whole. */
static int add_names(dg_jwant_t *w, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n && !w->whole; i++)
        if ((w = kid(w, names[i], strlen(names[i]))) == NULL)
            return DG_ENOMEM;
    whole(w);
    return 0;
}

/* What the gate reads of any object, governed or not (decide.c,
 * events.c, review.c): apiVersion and kind; metadata whole, its identity
 * (name, uid, resourceVersion), labels (a Helm record's "owner") and the
 * annotations looked up (Helm's release, break-glass), small beside the
 * managedFields the reader drops anyway; and spec.replicas (a Scale's, and
 * the HPA's note on a workload's). */
static int add_identity(dg_jwant_t *w)
{
    static const char *const paths[][2] = {
        {"apiVersion"}, {"kind"}, {"metadata"}, {"spec", "replicas"},
    };
    int rc = 0;

    for (size_t i = 0; !rc && i < sizeof paths / sizeof paths[0]; i++)
        rc = add_names(w, paths[i], paths[i][1] ? 2 : 1);
    return rc;
}

static int add_kind(dg_jwant_t *w, const struct dg_policy *pol, const dg_kindinfo_t *ki)
{
    int rc = add_identity(w);

    for (size_t i = 0; !rc && i < dg_policy_nrules(pol); i++) {
        const dg_rule_t *r = dg_policy_rule(pol, i);

        for (size_t p = 0; !rc && p < r->npaths && dg_rule_applies(r, ki->group, ki->kind); p++)
            rc = add_path(w, r->paths[p], 0);
    }
    return rc;
}

dg_want_t *dg_want_new(const struct dg_policy *pol)
{
    dg_want_t *w = calloc(1, sizeof *w);
    int rc;

    if (w == NULL || (w->kinds = calloc(dg_kind_count(), sizeof *w->kinds)) == NULL) {
        free(w);
        return NULL;
    }
    rc = add_identity(&w->ident);
    for (size_t i = 0; !rc && i < dg_kind_count(); i++)
        rc = add_kind(&w->kinds[i], pol, dg_kind_at(i));
    if (rc)
        dg_want_free(&w);
    return w;
}

void dg_want_free(dg_want_t **w)
{
    if (w == NULL || *w == NULL)
        return;
    for (size_t i = 0; (*w)->kinds && i < dg_kind_count(); i++)
        node_free(&(*w)->kinds[i]);
    free((*w)->kinds);
    node_free(&(*w)->ident);
    free(*w);
    *w = NULL;
}

const dg_jwant_t *dg_want_for(const dg_want_t *w, const dg_kindinfo_t *ki)
{
    return ki ? &w->kinds[ki - dg_kind_at(0)] : &w->ident;
}
