/* tests/unit/policy/test_managed.c: who changed a live field, on the
 * managedFields a real kube-apiserver (v1.33, the e2e build) wrote after
 * `helm install` (Helm 4: server-side apply), `kubectl edit` of the HPA
 * floor, `kubectl patch` of the Service's port, type and externalIPs, and
 * `kubectl set image` (tests/fixtures/managed/live.yaml, and the same as
 * `-o json`: live.json); and on hand-made sets for the rarer keys.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "managed.h"
#include "manifest.h"
#include "support.h"

static const char *const fixtures[] = {"tests/fixtures/managed/live.yaml",
                                       "tests/fixtures/managed/live.json"};

/* Each case: the object (group/Kind/name), the path, and "manager operation
 * time", or NULL when nobody owns it. */
static const struct {
    const char *name, *group, *kind, *obj, *path, *want;
} cases[] = {
    {"the floor kubectl edit lowered", "autoscaling", "HorizontalPodAutoscaler", "test-nginx",
     "spec.minReplicas", "kubectl-edit Update 2026-12-01T20:51:51Z"},
    {"a field helm applied", "autoscaling", "HorizontalPodAutoscaler", "test-nginx",
     "spec.maxReplicas", "helm Apply 2026-12-01T20:51:50Z"},
    {"a map helm applied, owned below it", "autoscaling", "HorizontalPodAutoscaler",
     "test-nginx", "spec.scaleTargetRef", "helm Apply 2026-12-01T20:51:50Z"},
    {"a port by name, keyed by port+protocol there", "", "Service", "test-nginx",
     "spec.ports[name=http].port", "kubectl-patch Update 2026-12-01T20:51:53Z"},
    {"the type kubectl patch set", "", "Service", "test-nginx", "spec.type",
     "kubectl-patch Update 2026-12-01T20:51:53Z"},
    {"externalIPs, an atomic list", "", "Service", "test-nginx", "spec.externalIPs",
     "kubectl-patch Update 2026-12-01T20:51:53Z"},
    {"the selector helm applied", "", "Service", "test-nginx", "spec.selector",
     "helm Apply 2026-12-01T20:51:50Z"},
    {"no such port", "", "Service", "test-nginx", "spec.ports[name=https].port", NULL},
    {"an image kubectl set", "apps", "Deployment", "test-nginx",
     "spec.template.spec.containers[name=nginx].image",
     "kubectl-set Update 2026-12-01T20:51:53Z"},
    {"resources helm applied", "apps", "Deployment", "test-nginx",
     "spec.template.spec.containers[name=nginx].resources", "helm Apply 2026-12-01T20:51:50Z"},
    {"a container port by its key", "apps", "Deployment", "test-nginx",
     "spec.template.spec.containers[name=nginx].ports[name=http].containerPort",
     "helm Apply 2026-12-01T20:51:50Z"},
    {"a server default nobody set", "apps", "Deployment", "test-nginx", "spec.replicas", NULL},
};
#define NCASES (sizeof cases / sizeof cases[0])

static dg_objset_t *load(const char *path, bool keep)
{
    dg_manifest_opts_t opts = {.name = path, .keep_managed = keep};
    dg_objset_t *set = dg_objset_new();
    dg_err_t err = {0};
    size_t len;
    char *text = dg_test_read(path, &len);

    ck_assert_int_eq(dg_manifest_load(text, len, &opts, set, NULL, &err), 0);
    free(text);
    return set;
}

static void owner_is(const dg_objset_t *set, size_t i, const char *fixture)
{
    dg_objid_t id = {cases[i].group, cases[i].kind, "sandbox-nginx", cases[i].obj};
    const dg_obj_t *o = dg_objset_find(set, &id);
    json_t *mf;
    const json_t *e;
    char got[256] = "(none)";

    ck_assert_msg(o != NULL, "%s: %s: no object", fixture, cases[i].name);
    /* The tree itself never holds managedFields: it was pruned as read. */
    ck_assert_ptr_null(json_object_get(json_object_get(o->json, "metadata"), "managedFields"));
    mf = dg_managed_fields(o);
    ck_assert_msg(mf != NULL, "%s: %s: no managedFields kept", fixture, cases[i].name);
    e = dg_managed_owner(mf, o->json, cases[i].path);
    if (e)
        snprintf(got, sizeof got, "%s %s %s", json_string_value(json_object_get(e, "manager")),
                 json_string_value(json_object_get(e, "operation")),
                 json_string_value(json_object_get(e, "time")));
    ck_assert_msg(strcmp(got, cases[i].want ? cases[i].want : "(none)") == 0,
                  "%s: %s: got '%s', want '%s'", fixture, cases[i].name, got,
                  cases[i].want ? cases[i].want : "(none)");
    json_decref(mf);
}

START_TEST(test_real_owner)
{
    for (size_t f = 0; f < sizeof fixtures / sizeof fixtures[0]; f++) {
        dg_objset_t *set = load(fixtures[f], true);

        owner_is(set, (size_t)_i, fixtures[f]);
        dg_objset_free(&set);
    }
}
END_TEST

/* Kept only when asked, and kept through a copy into another set. */
START_TEST(test_kept_only_when_asked)
{
    dg_objset_t *plain = load(fixtures[0], false), *kept = load(fixtures[0], true);
    dg_objset_t *copy = dg_objset_new();

    for (size_t i = 0; i < dg_objset_count(plain); i++) {
        ck_assert_ptr_null(dg_objset_at(plain, i)->managed);
        ck_assert_ptr_null(dg_managed_fields(dg_objset_at(plain, i)));
        ck_assert_ptr_nonnull(dg_objset_at(kept, i)->managed);
        ck_assert_int_eq(dg_objset_add_copy(copy, dg_objset_at(kept, i), "", "copy", NULL), 0);
        ck_assert_str_eq(dg_objset_at(copy, i)->managed, dg_objset_at(kept, i)->managed);
    }
    dg_objset_free(&plain);
    dg_objset_free(&kept);
    dg_objset_free(&copy);
}
END_TEST

/* dg_managed_attribute on a diff of the fixture against the chart's render:
 * each variance says who set its live value; JSON and YAML agree. */
START_TEST(test_attribute)
{
    static const char base[] =
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: test-nginx, "
        "namespace: sandbox-nginx}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: "
        "Deployment, name: test-nginx}\n  minReplicas: 6\n  maxReplicas: 10\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: test-nginx, namespace: sandbox-nginx}\n"
        "spec:\n  type: ClusterIP\n  ports: [{name: http, port: 80, targetPort: http}]\n"
        "  selector: {app.kubernetes.io/instance: test-nginx, app.kubernetes.io/name: nginx}\n";
    dg_objset_t *b = dg_objset_new(), *live = load(fixtures[_i], true);
    dg_manifest_opts_t opts = {.name = "base"};
    dg_policy_t *pol = dg_policy_default(NULL);
    dg_variances_t v;
    dg_err_t err = {0};
    char got[1024] = "";

    dg_variances_init(&v);
    ck_assert_int_eq(dg_manifest_load(base, sizeof base - 1, &opts, b, NULL, &err), 0);
    ck_assert_int_eq(dg_diff_sets(b, live, NULL, 0, pol, &v, &err), 0);
    ck_assert_int_eq(dg_managed_attribute(live, &v, &err), 0);
    for (size_t i = 0; i < v.n; i++) {
        const dg_changed_by_t *c = v.items[i].changed_by;
        size_t used = strlen(got);

        snprintf(got + used, sizeof got - used, "%s=%s;", v.items[i].path,
                 c ? c->manager : "(none)");
    }
    ck_assert_str_eq(got, "spec.minReplicas=kubectl-edit;spec.ports[name=http].port=kubectl-patch;"
                          "spec.type=kubectl-patch;spec.externalIPs=kubectl-patch;");
    dg_variances_free(&v);
    dg_policy_free(&pol);
    dg_objset_free(&b);
    dg_objset_free(&live);
}
END_TEST

/* Hand-made sets: "v:" and "i:" keys, the latest of two owners, entries
 * that are not FieldsV1, and a path the live object does not have. */
static const struct {
    const char *name, *managed, *live, *path, *want;
} sets[] = {
    {"v: a set member, the whole value", "[{\"manager\":\"a\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:spec\":{\"f:list\":{\"v:{\\\"x\\\":1}\":{}}}}}]",
     "{\"spec\":{\"list\":[{\"x\":1}]}}", "spec.list[x=1]", "a"},
    {"i: by index", "[{\"manager\":\"a\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:spec\":"
     "{\"f:list\":{\"i:1\":{\"f:y\":{}}}}}}]",
     "{\"spec\":{\"list\":[{\"x\":0},{\"x\":1,\"y\":2}]}}", "spec.list[x=1].y", "a"},
    {"the later of two", "[{\"manager\":\"new\",\"time\":\"2026-01-02T00:00:00Z\",\"fieldsType\":"
     "\"FieldsV1\",\"fieldsV1\":{\"f:a\":{}}},{\"manager\":\"old\",\"time\":"
     "\"2026-01-01T00:00:00Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:a\":{}}}]",
     "{\"a\":1}", "a", "new"},
    {"not FieldsV1", "[{\"manager\":\"a\",\"fieldsType\":\"FieldsV2\",\"fieldsV1\":{\"f:a\":{}}}]",
     "{\"a\":1}", "a", NULL},
    {"a k: key must match every member", "[{\"manager\":\"a\",\"fieldsType\":\"FieldsV1\","
     "\"fieldsV1\":{\"f:l\":{\"k:{\\\"n\\\":\\\"x\\\",\\\"p\\\":1}\":{\"f:v\":{}}}}}]",
     "{\"l\":[{\"n\":\"x\",\"p\":2,\"v\":3}]}", "l[n=x].v", NULL},
    {"a wildcard names nothing", "[{\"manager\":\"a\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":"
     "{\"f:l\":{}}}]", "{\"l\":[{\"n\":1}]}", "l[*].n", NULL},
};

START_TEST(test_sets)
{
    json_t *managed = dg_test_json(sets[_i].managed), *live = dg_test_json(sets[_i].live);
    const json_t *e = dg_managed_owner(managed, live, sets[_i].path);
    const char *got = e ? json_string_value(json_object_get(e, "manager")) : NULL;

    ck_assert_msg((got == NULL) == (sets[_i].want == NULL) &&
                      (got == NULL || strcmp(got, sets[_i].want) == 0),
                  "%s: got %s, want %s", sets[_i].name, got ? got : "(none)",
                  sets[_i].want ? sets[_i].want : "(none)");
    json_decref(managed);
    json_decref(live);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/managed");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_real_owner, 0, NCASES);
    tcase_add_test(tc, test_kept_only_when_asked);
    tcase_add_loop_test(tc, test_attribute, 0, 2);
    tcase_add_loop_test(tc, test_sets, 0, sizeof sets / sizeof sets[0]);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
