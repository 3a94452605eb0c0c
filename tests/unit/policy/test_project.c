/* tests/unit/policy/test_project.c: a request's object cut to what the
 * decision reads, never less.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "project.h"
#include "support.h"

/* @text projected as an object of @group/@kind under @pol, compared with
 * @want (both as compact JSON with sorted keys). */
static void check(const dg_policy_t *pol, const char *group, const char *kind, const char *text,
                  const char *want)
{
    dg_arena_t a;
    dg_err_t err = {0};
    const dg_jnode_t *n;
    json_t *got, *exp = json_loads(want, 0, NULL);
    char *g, *e;

    dg_arena_init(&a, 4096);
    n = dg_jread_parse(&a, text, strlen(text), DG_JSON_PRUNE_SERVER, "t", &err);
    ck_assert_msg(n != NULL, "%s", err.msg);
    ck_assert_ptr_nonnull(exp);
    got = dg_project(n, pol, group, kind);
    ck_assert_ptr_nonnull(got);
    g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
    e = json_dumps(exp, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(g, e);
    free(g);
    free(e);
    json_decref(got);
    json_decref(exp);
    dg_arena_free(&a);
}

static dg_policy_t *policy(const char *text)
{
    dg_err_t err = {0};
    dg_policy_t *p = text ? dg_policy_parse(text, strlen(text), "p.yaml", &err) : dg_policy_default(&err);

    ck_assert_msg(p != NULL, "%s", err.msg);
    return p;
}

/* An HPA: its governed bounds and target, identity, and the annotations
 * that name its release; labels, uid, status, managedFields never built. */
START_TEST(test_hpa)
{
    dg_policy_t *p = policy(NULL);

    check(p, "autoscaling", "HorizontalPodAutoscaler",
          "{\"apiVersion\":\"autoscaling/v2\",\"kind\":\"HorizontalPodAutoscaler\","
          "\"metadata\":{\"name\":\"web\",\"namespace\":\"ns\",\"uid\":\"u\","
          "\"labels\":{\"a\":\"b\"},\"annotations\":{\"meta.helm.sh/release-name\":\"r\","
          "\"meta.helm.sh/release-namespace\":\"ns\",\"other\":\"x\","
          "\"driftgate.io/break-glass\":\"INC-1\"},\"managedFields\":[{\"manager\":\"m\"}]},"
          "\"spec\":{\"minReplicas\":4,\"maxReplicas\":10,\"metrics\":[{\"type\":\"Resource\"}],"
          "\"scaleTargetRef\":{\"kind\":\"Deployment\",\"name\":\"web\"}},"
          "\"status\":{\"currentReplicas\":4}}",
          "{\"apiVersion\":\"autoscaling/v2\",\"kind\":\"HorizontalPodAutoscaler\","
          "\"metadata\":{\"name\":\"web\",\"namespace\":\"ns\",\"annotations\":{"
          "\"meta.helm.sh/release-name\":\"r\",\"meta.helm.sh/release-namespace\":\"ns\","
          "\"driftgate.io/break-glass\":\"INC-1\"}},"
          "\"spec\":{\"minReplicas\":4,\"maxReplicas\":10,"
          "\"scaleTargetRef\":{\"kind\":\"Deployment\",\"name\":\"web\"}}}");
    dg_policy_free(&p);
}
END_TEST

/* A path into a list keeps the list whole (its elements pair by merge
 * key); spec.replicas is kept for every kind (an HPA may own it). */
START_TEST(test_lists_whole)
{
    dg_policy_t *p = policy(NULL);

    check(p, "apps", "Deployment",
          "{\"kind\":\"Deployment\",\"spec\":{\"replicas\":3,\"selector\":{\"x\":1},"
          "\"template\":{\"metadata\":{\"labels\":{}},\"spec\":{\"containers\":[{\"name\":\"c\","
          "\"image\":\"i\",\"env\":[]}],\"volumes\":[]}}}}",
          "{\"kind\":\"Deployment\",\"spec\":{\"replicas\":3,\"template\":{\"spec\":"
          "{\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"env\":[]}]}}}}");
    check(p, "", "ConfigMap", "{\"kind\":\"ConfigMap\",\"data\":{\"a\":\"b\"}}",
          "{\"kind\":\"ConfigMap\"}");
    dg_policy_free(&p);
}
END_TEST

/* A value of another type where the path wants fields is kept as it is,
 * so the diff sees it; so is anything under a path the policy names
 * whole, and the policy's own break-glass annotations. */
START_TEST(test_odd_shapes)
{
    dg_policy_t *p = policy("apiVersion: driftgate.io/v1alpha1\nkind: DriftPolicy\n"
                            "metadata: {name: t}\nspec:\n  rules:\n"
                            "  - name: r\n    kinds: [Service]\n    action: deny\n"
                            "    paths: ['spec.ports[*].port', metadata.labels.tier]\n"
                            "  breakGlass: {annotation: ex.io/bg, expiresAnnotation: ex.io/until}\n");

    check(p, "", "Service",
          "{\"spec\":\"not an object\",\"metadata\":{\"labels\":{\"tier\":\"web\",\"x\":\"y\"},"
          "\"annotations\":{\"ex.io/bg\":\"why\",\"ex.io/until\":\"t\",\"driftgate.io/break-glass\":\"no\"}}}",
          "{\"spec\":\"not an object\",\"metadata\":{\"labels\":{\"tier\":\"web\"},"
          "\"annotations\":{\"ex.io/bg\":\"why\",\"ex.io/until\":\"t\"}}}");
    dg_policy_free(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/project");
    TCase *tc = tcase_create("project");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_hpa);
    tcase_add_test(tc, test_lists_whole);
    tcase_add_test(tc, test_odd_shapes);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
