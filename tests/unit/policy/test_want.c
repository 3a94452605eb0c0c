/* tests/unit/policy/test_want.c: what of a request's object the review
 * reader builds under a policy (policy/want.c): every path a rule governs,
 * whole from its first list step or quoted name, the identity of every
 * kind, and nothing else.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "support.h"
#include "want.h"

/* The want at @path ("spec.template"; "" = @w) of @w, or NULL. */
static const dg_jwant_t *at(const dg_jwant_t *w, const char *path)
{
    char buf[256], *save = NULL;

    snprintf(buf, sizeof buf, "%s", path);
    for (char *name = strtok_r(buf, ".", &save); w && name; name = strtok_r(NULL, ".", &save)) {
        const dg_jwant_t *k = NULL;

        for (uint32_t i = 0; i < w->n && !k; i++)
            if (w->kids[i].namelen == strlen(name) && memcmp(w->kids[i].name, name, w->kids[i].namelen) == 0)
                k = &w->kids[i];
        w = k;
    }
    return w;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* @w's member names, sorted, comma-separated; "*" when whole. */
static const char *names(const dg_jwant_t *w)
{
    static char out[512];
    const char *v[32];
    size_t n = 0;

    ck_assert_ptr_nonnull(w);
    if (w->whole)
        return "*";
    ck_assert_uint_le(w->n, 32);
    for (uint32_t i = 0; i < w->n; i++)
        v[n++] = w->kids[i].name;
    qsort(v, n, sizeof v[0], by_name);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? "," : "", v[i]);
    return out;
}

static const dg_jwant_t *of(const dg_policy_t *pol, const char *group, const char *resource)
{
    return dg_want_for(dg_policy_want(pol), dg_kind_by_resource(group, resource));
}

START_TEST(test_default_policy)
{
    dg_policy_t *pol = dg_policy_default(NULL);
    const dg_jwant_t *hpa = of(pol, "autoscaling", "horizontalpodautoscalers");
    const dg_jwant_t *svc = of(pol, "", "services");
    const dg_jwant_t *dep = of(pol, "apps", "deployments");

    ck_assert_str_eq(names(hpa), "apiVersion,kind,metadata,spec");
    ck_assert_str_eq(names(at(hpa, "metadata")), "*");
    ck_assert_str_eq(names(at(hpa, "spec")), "maxReplicas,minReplicas,replicas,scaleTargetRef");
    ck_assert_str_eq(names(at(hpa, "spec.scaleTargetRef")), "*");
    /* A list is compared whole (merge keys, one-element pairing). */
    ck_assert_str_eq(names(at(svc, "spec")), "externalIPs,ports,replicas,selector,type");
    ck_assert_str_eq(names(at(svc, "spec.ports")), "*");
    ck_assert_str_eq(names(at(dep, "spec")), "replicas,template");
    ck_assert_str_eq(names(at(dep, "spec.template")), "spec");
    ck_assert_str_eq(names(at(dep, "spec.template.spec")), "containers,initContainers");
    ck_assert_str_eq(names(at(dep, "spec.template.spec.containers")), "*");
    /* Kinds no rule governs, and resources the table does not know: the
     * identity, labels and annotations, and a Scale's replicas. */
    ck_assert_str_eq(names(of(pol, "", "configmaps")), "apiVersion,kind,metadata,spec");
    ck_assert_str_eq(names(at(of(pol, "", "configmaps"), "spec")), "replicas");
    ck_assert_str_eq(names(of(pol, "example.com", "crontabs")), "apiVersion,kind,metadata,spec");
    ck_assert_ptr_eq(of(pol, "example.com", "crontabs"), dg_want_for(dg_policy_want(pol), NULL));
    dg_policy_free(&pol);
}
END_TEST

/* Quoted names, keyed steps, a path that covers another, a rule path
 * inside metadata: each as far as the diff can read it alone. */
START_TEST(test_paths)
{
    static const char text[] =
        "apiVersion: driftgate.io/v1alpha1\nkind: DriftPolicy\nmetadata: {name: p}\n"
        "spec:\n  rules:\n"
        "  - name: r1\n    kinds: [apps/Deployment]\n    action: deny\n"
        "    paths: [\"spec['a.b'].c\", \"spec.x[name=y].z\", spec.deep.er, spec.deep]\n"
        "  - name: r2\n    kinds: [apps/Deployment]\n    action: warn\n"
        "    paths: [\"metadata.labels['tier']\", spec.strategy.type]\n"
        "  - name: r3\n    kinds: [Service]\n    action: audit\n    paths: [spec]\n";
    dg_err_t err = {0};
    dg_policy_t *pol = dg_policy_parse(text, sizeof text - 1, "p.yaml", &err);
    const dg_jwant_t *dep;

    ck_assert_msg(pol != NULL, "%s", err.msg);
    dep = of(pol, "apps", "deployments");
    ck_assert_str_eq(names(at(dep, "spec")), "a.b,deep,replicas,strategy,x");
    ck_assert_str_eq(names(at(dep, "spec.x")), "*");
    ck_assert_str_eq(names(at(dep, "spec.deep")), "*");
    ck_assert_str_eq(names(at(dep, "spec.strategy")), "type");
    ck_assert_str_eq(names(at(dep, "metadata")), "*");
    ck_assert_str_eq(names(at(of(pol, "", "services"), "spec")), "*");
    /* The name with a dot is one member, wanted whole. */
    for (uint32_t i = 0; i < at(dep, "spec")->n; i++)
        if (strcmp(at(dep, "spec")->kids[i].name, "a.b") == 0)
            ck_assert(at(dep, "spec")->kids[i].whole);
    dg_policy_free(&pol);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/want");
    TCase *tc = tcase_create("want");

    tcase_add_test(tc, test_default_policy);
    tcase_add_test(tc, test_paths);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
