/* tests/unit/policy/test_obj.c: identity, the kind table, dg_objset_t.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "jread.h"
#include "obj.h"
#include "support.h"

static const struct {
    const char *name;
    const char *group, *kind; /* NULL kind = unknown */
} lookups[] = {
    {"hpa", "autoscaling", "HorizontalPodAutoscaler"},
    {"HorizontalPodAutoscaler", "autoscaling", "HorizontalPodAutoscaler"},
    {"horizontalpodautoscalers", "autoscaling", "HorizontalPodAutoscaler"},
    {"svc", "", "Service"},
    {"Services", "", "Service"},
    {"deploy", "apps", "Deployment"},
    {"deployments.apps", "apps", "Deployment"},
    {"apps/Deployment", "apps", "Deployment"},
    {"sts", "apps", "StatefulSet"},
    {"cm", "", "ConfigMap"},
    {"deployments.extensions", NULL, NULL},
    {"widgets", NULL, NULL},
    {"", NULL, NULL},
};

START_TEST(test_lookup)
{
    const dg_kindinfo_t *k = dg_kind_lookup(lookups[_i].name);

    if (lookups[_i].kind == NULL) {
        ck_assert_msg(k == NULL, "%s: expected unknown", lookups[_i].name);
        return;
    }
    ck_assert_msg(k != NULL, "%s: not found", lookups[_i].name);
    ck_assert_str_eq(k->group, lookups[_i].group);
    ck_assert_str_eq(k->kind, lookups[_i].kind);
}
END_TEST

static const struct {
    const char *name;
    const char *json;
    const char *want; /* dg_objid_format, or the error message */
    int ok;
} adds[] = {
    {"hpa v2", "{\"apiVersion\":\"autoscaling/v2\",\"kind\":\"HorizontalPodAutoscaler\","
               "\"metadata\":{\"name\":\"test-nginx\"}}",
     "autoscaling/HorizontalPodAutoscaler sandbox-nginx/test-nginx", 1},
    {"explicit namespace", "{\"apiVersion\":\"v1\",\"kind\":\"Service\","
                           "\"metadata\":{\"name\":\"web\",\"namespace\":\"prod\"}}",
     "Service prod/web", 1},
    {"cluster-scoped", "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRole\","
                       "\"metadata\":{\"name\":\"reader\"}}",
     "rbac.authorization.k8s.io/ClusterRole reader", 1},
    {"crd kind takes the namespace", "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\","
                                     "\"metadata\":{\"name\":\"w\"}}",
     "example.com/Widget sandbox-nginx/w", 1},
    {"no kind", "{\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\"}}", "object has no kind", 0},
    {"no apiVersion", "{\"kind\":\"Service\",\"metadata\":{\"name\":\"x\"}}",
     "object has no apiVersion", 0},
    {"no name", "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{}}",
     "Service has no metadata.name", 0},
    {"not an object", "[1,2]", "document is not an object", 0},
};

START_TEST(test_add)
{
    dg_objset_t *set = dg_objset_new();
    dg_err_t err = {0};
    char buf[512];
    int rc = dg_objset_add(set, dg_test_json(adds[_i].json), "sandbox-nginx", "t.yaml", 3, &err);

    if (adds[_i].ok) {
        ck_assert_msg(rc == 0, "%s: %s", adds[_i].name, err.msg);
        ck_assert_str_eq(dg_objid_format(&dg_objset_at(set, 0)->id, buf, sizeof buf),
                         adds[_i].want);
        ck_assert_int_eq(dg_objset_at(set, 0)->line, 3);
    } else {
        ck_assert_int_eq(rc, DG_EINVAL);
        ck_assert_str_eq(err.msg, adds[_i].want);
        ck_assert_str_eq(err.where, "t.yaml");
        ck_assert_int_eq(err.line, 3);
    }
    dg_objset_free(&set);
    ck_assert_ptr_null(set);
}
END_TEST

/* An object's nodes: built once, kept, the same value as its json (freed
 * with the set: ASan's leak check). */
START_TEST(test_nodes)
{
    dg_objset_t *set = dg_objset_new();
    const dg_obj_t *o;
    const dg_jnode_t *n;
    json_t *back;

    ck_assert_int_eq(dg_objset_add(set, dg_test_json("{\"apiVersion\": \"v1\", \"kind\": "
                                                     "\"Service\", \"metadata\": {\"name\": "
                                                     "\"web\"}, \"spec\": {\"ports\": [{\"port\": "
                                                     "80, \"name\": \"h\\u00e9\"}], \"x\": 0.5, "
                                                     "\"y\": null, \"z\": [true, false, {}]}}"),
                                   "prod", "t.yaml", 1, NULL),
                     0);
    o = dg_objset_at(set, 0);
    n = dg_obj_nodes(o);
    ck_assert_ptr_nonnull(n);
    ck_assert_ptr_eq(dg_obj_nodes(o), n);
    back = dg_jread_to_json(n);
    ck_assert(json_equal(back, o->json));
    json_decref(back);
    dg_objset_free(&set);
}
END_TEST

START_TEST(test_duplicate)
{
    const char *hpa = "{\"apiVersion\":\"autoscaling/v1\",\"kind\":\"HorizontalPodAutoscaler\","
                      "\"metadata\":{\"name\":\"a\"}}";
    const char *hpa2 = "{\"apiVersion\":\"autoscaling/v2\",\"kind\":\"HorizontalPodAutoscaler\","
                       "\"metadata\":{\"name\":\"a\",\"namespace\":\"ns\"}}";
    dg_objset_t *set = dg_objset_new();
    dg_err_t err = {0};

    ck_assert_int_eq(dg_objset_add(set, dg_test_json(hpa), "ns", "b.yaml", 1, &err), 0);
    /* The version is not identity: v1 and v2 name the same HPA. */
    ck_assert_int_eq(dg_objset_add(set, dg_test_json(hpa2), "ns", "b.yaml", 9, &err), DG_EINVAL);
    ck_assert_str_eq(err.msg, "duplicate object autoscaling/HorizontalPodAutoscaler ns/a "
                              "(first defined at line 1)");
    ck_assert_int_eq(dg_objset_count(set), 1);
    dg_objset_free(&set);
}
END_TEST

/* Many objects: the index must find every one and nothing else. */
START_TEST(test_many)
{
    dg_objset_t *set = dg_objset_new();
    dg_err_t err = {0};
    char name[32];

    for (int i = 0; i < 5000; i++) {
        json_t *o = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
                              "metadata", "name", (snprintf(name, sizeof name, "cm-%d", i), name));
        ck_assert_int_eq(dg_objset_add(set, o, "ns", "gen", i + 1, &err), 0);
    }
    for (int i = 0; i < 5000; i++) {
        dg_objid_t id = {"", "ConfigMap", "ns", name};
        snprintf(name, sizeof name, "cm-%d", i);
        ck_assert_int_eq(dg_objset_find(set, &id)->line, i + 1);
    }
    dg_objid_t none = {"", "ConfigMap", "other", "cm-1"};
    ck_assert_ptr_null(dg_objset_find(set, &none));
    dg_objset_free(&set);
}
END_TEST

START_TEST(test_short)
{
    dg_objid_t hpa = {"autoscaling", "HorizontalPodAutoscaler", "ns", "web"};
    dg_objid_t w = {"example.com", "Widget", "ns", "w"};
    char buf[128];

    ck_assert_str_eq(dg_objid_short(&hpa, buf, sizeof buf), "hpa/web");
    ck_assert_str_eq(dg_objid_short(&w, buf, sizeof buf), "widget/w");
    /* Cut as snprintf cuts "%s/%s", at every size. */
    for (size_t size = 0; size < 12; size++) {
        char want[16], got[16];

        memset(got, '#', sizeof got);
        snprintf(want, sizeof want, "%s", "hpa/web");
        if (size)
            want[size - 1 < 7 ? size - 1 : 7] = '\0';
        ck_assert_ptr_eq(dg_objid_short(&hpa, got, size), got);
        if (size)
            ck_assert_str_eq(got, want);
        ck_assert_int_eq(got[size < 9 ? size : 9], '#'); /* nothing past it */
    }
    /* From the kind's row, as from its identity: with a short name, and
     * without one (lower case). */
    static const char *const rows[][2] = {{"autoscaling", "HorizontalPodAutoscaler"},
                                          {"", "Secret"},
                                          {"apps", "Deployment"},
                                          {"admissionregistration.k8s.io",
                                           "ValidatingWebhookConfiguration"}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const dg_kindinfo_t *k = dg_kind_by_kind(rows[i][0], rows[i][1]);
        dg_objid_t id = {rows[i][0], rows[i][1], "ns", "web"};
        char want[128];

        ck_assert_ptr_nonnull(k);
        ck_assert_str_eq(dg_kind_short(k, "web", buf, sizeof buf),
                         dg_objid_short(&id, want, sizeof want));
    }
    ck_assert_str_eq(buf, "validatingwebhookconfiguration/web");
    ck_assert_str_eq(dg_obj_group_of("apps/v1", buf, sizeof buf), "apps");
    ck_assert_str_eq(dg_obj_group_of("v1", buf, sizeof buf), "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/obj");
    TCase *tc = tcase_create("obj");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_lookup, 0, sizeof lookups / sizeof lookups[0]);
    tcase_add_loop_test(tc, test_add, 0, sizeof adds / sizeof adds[0]);
    tcase_add_test(tc, test_nodes);
    tcase_add_test(tc, test_duplicate);
    tcase_add_test(tc, test_many);
    tcase_add_test(tc, test_short);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
