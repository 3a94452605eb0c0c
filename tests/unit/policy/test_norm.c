/* tests/unit/policy/test_norm.c: the API server's defaults, allocations,
 * merge keys and quantities. SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "norm.h"
#include "support.h"

static const struct {
    const char *group, *kind, *gpath, *parent; /* parent: JSON */
    const char *want;                          /* JSON, NULL = no default */
} defaults[] = {
    {"autoscaling", "HorizontalPodAutoscaler", "spec.minReplicas", "{}", "1"},
    {"autoscaling", "HorizontalPodAutoscaler", "spec.maxReplicas", "{}", NULL},
    {"apps", "Deployment", "spec.replicas", "{}", "1"},
    {"apps", "StatefulSet", "spec.replicas", "{}", "1"},
    {"", "Service", "spec.type", "{}", "\"ClusterIP\""},
    {"", "Service", "spec.ports[*].protocol", "{\"port\": 80}", "\"TCP\""},
    {"", "Service", "spec.ports[*].targetPort", "{\"port\": 80}", "80"},
    {"", "Service", "spec.ports[*].nodePort", "{\"port\": 80}", NULL},
    {"apps", "Deployment", "spec.template.spec.containers[*].imagePullPolicy",
     "{\"image\": \"nginx:1.27.3\"}", "\"IfNotPresent\""},
    {"apps", "Deployment", "spec.template.spec.containers[*].imagePullPolicy",
     "{\"image\": \"nginx\"}", "\"Always\""},
    {"apps", "Deployment", "spec.template.spec.containers[*].imagePullPolicy",
     "{\"image\": \"registry:5000/nginx:latest\"}", "\"Always\""},
    {"apps", "Deployment", "spec.template.spec.containers[*].imagePullPolicy",
     "{\"image\": \"registry:5000/nginx\"}", "\"Always\""},
    {"apps", "Deployment", "spec.template.spec.containers[*].imagePullPolicy",
     "{\"image\": \"nginx@sha256:abc\"}", "\"IfNotPresent\""},
    {"", "ConfigMap", "spec.replicas", "{}", NULL},
};

/* The parent as jansson (the CLI's baselines) and as nodes (the gate's). */
START_TEST(test_default)
{
    size_t c = (size_t)_i / 2;
    json_t *parent = dg_test_json(defaults[c].parent);
    dg_arena_t arena;
    dg_val_t p;
    json_t *got;

    dg_arena_init(&arena, 1024);
    p = _i % 2 ? dg_val_node(dg_val_nodes(&arena, parent)) : dg_val_json(parent);
    ck_assert(!dg_val_absent(p));
    got = dg_norm_default(defaults[c].group, defaults[c].kind, defaults[c].gpath, p);
    dg_arena_free(&arena);

    if (defaults[c].want == NULL) {
        ck_assert_ptr_null(got);
    } else {
        json_t *want = dg_test_json(defaults[c].want);

        ck_assert_msg(got && json_equal(got, want), "%s %s", defaults[c].kind,
                      defaults[c].gpath);
        json_decref(want);
    }
    json_decref(got);
    json_decref(parent);
}
END_TEST

static const struct {
    const char *group, *kind, *field;
    bool want;
} allocated[] = {
    {"", "Service", "clusterIP", true},   {"", "Service", "nodePort", true},
    {"", "Service", "ipFamilies", true},  {"", "Service", "port", false},
    {"apps", "Deployment", "nodePort", false},
};

START_TEST(test_allocated)
{
    ck_assert(dg_norm_server_allocated(allocated[_i].group, allocated[_i].kind,
                                       allocated[_i].field) == allocated[_i].want);
}
END_TEST

static const struct {
    const char *field, *elem;
    size_t n;
    const char *text; /* "k=v,k=v" */
} keys[] = {
    {"ports", "{\"name\": \"http\", \"port\": 80}", 1, "name=http"},
    {"ports", "{\"port\": 80}", 2, "port=80,protocol=TCP"},
    {"ports", "{\"port\": 53, \"protocol\": \"UDP\"}", 2, "port=53,protocol=UDP"},
    {"ports", "{\"containerPort\": 8080}", 2, "containerPort=8080,protocol=TCP"},
    {"containers", "{\"name\": \"nginx\", \"image\": \"nginx\"}", 1, "name=nginx"},
    {"args", "\"--verbose\"", 0, ""},
    {"tolerations", "{\"key\": \"a\"}", 0, ""},
};

/* @text as the reader's nodes in @a. */
static dg_val_t nodes(dg_arena_t *a, const char *text)
{
    dg_err_t err = {0};
    const dg_jnode_t *n = dg_jread_parse(a, text, strlen(text), 0, "t", &err);

    ck_assert_msg(n != NULL, "%s", err.msg);
    return dg_val_node(n);
}

/* Each element twice: as jansson (a baseline) and as nodes (a request). */
START_TEST(test_merge_key)
{
    size_t c = (size_t)_i / 2;
    json_t *json = dg_test_json(keys[c].elem);
    dg_arena_t a;
    dg_val_t elem;
    dg_mergekey_t k;
    char text[256] = "";

    dg_arena_init(&a, 4096);
    elem = _i % 2 ? nodes(&a, keys[c].elem) : dg_val_json(json);
    dg_norm_merge_key(keys[c].field, elem, &k);
    ck_assert_uint_eq(k.n, keys[c].n);
    for (size_t j = 0; j < k.n; j++) {
        strcat(text, j ? "," : "");
        strcat(text, k.names[j]);
        strcat(text, "=");
        strcat(text, k.vals[j]);
        ck_assert(dg_norm_key_matches(keys[c].field, elem, k.names[j], k.vals[j]));
    }
    ck_assert_str_eq(text, keys[c].text);
    json_decref(json);
    dg_arena_free(&a);
}
END_TEST

static const struct {
    const char *a, *b;
    bool equal;
} quantities[] = {
    {"\"500m\"", "\"0.5\"", true},   {"\"1\"", "1", true},         {"\"1Gi\"", "\"1024Mi\"", true},
    {"\"1G\"", "\"1000M\"", true},   {"\"100m\"", "\"0.1\"", true}, {"\"1e3\"", "\"1k\"", true},
    {"\"128Mi\"", "\"128M\"", false}, {"\"250m\"", "\"0.5\"", false}, {"\"abc\"", "\"abc\"", false},
    {"\"\"", "0", false},           {"\"1Ki\"", "1024", true},
};

START_TEST(test_quantity)
{
    json_t *a = dg_test_json(quantities[_i].a), *b = dg_test_json(quantities[_i].b);
    dg_arena_t arena;

    dg_arena_init(&arena, 4096);
    ck_assert_msg(dg_norm_quantity_equal(dg_val_json(a), dg_val_json(b)) == quantities[_i].equal,
                  "%s vs %s", quantities[_i].a, quantities[_i].b);
    ck_assert(dg_norm_quantity_equal(nodes(&arena, quantities[_i].a), dg_val_json(b)) ==
              quantities[_i].equal);
    ck_assert(dg_norm_quantity_equal(dg_val_json(a), nodes(&arena, quantities[_i].b)) ==
              quantities[_i].equal);
    dg_arena_free(&arena);
    json_decref(a);
    json_decref(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/norm");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_default, 0, 2 * (sizeof defaults / sizeof defaults[0]));
    tcase_add_loop_test(tc, test_allocated, 0, sizeof allocated / sizeof allocated[0]);
    tcase_add_loop_test(tc, test_merge_key, 0, 2 * (sizeof keys / sizeof keys[0]));
    tcase_add_loop_test(tc, test_quantity, 0, sizeof quantities / sizeof quantities[0]);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
