/* tests/unit/policy/test_simulate.c: a proposed change judged as the
 * webhook would judge it, on the seed's example release and live snapshot:
 * a value at a path (fields and [k=v] elements) or a patch, starting from
 * live or from the baseline; and the changes it refuses to build.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "baselines.h"
#include "decide.h"
#include "manifest.h"
#include "simulate.h"
#include "support.h"

static const struct {
    const char *name;
    const char *target, *path, *value, *patch; /* value and patch: JSON text */
    bool from_baseline;
    const char *want;     /* the decision, or NULL for an error */
    int code;             /* the AdmissionReview's status code (0: allowed), or the error */
    const char *message;  /* a part of the message or the error */
} cases[] = {
    {"floor lowered from the baseline: denied", "hpa/test-nginx", "spec.minReplicas", "4", NULL,
     true, "deny", 403, "desired 6, requested 4"},
    {"floor back to the baseline from live: a reconcile", "hpa/test-nginx", "spec.minReplicas",
     "6", NULL, false, "reconcile", 0, NULL},
    {"live value again: allowed, the drift already there", "hpa/test-nginx", "spec.minReplicas",
     "4", NULL, false, "allow", 0, NULL},
    {"a port by its name", "svc/test-nginx", "spec.ports[name=http].port", "81", NULL, true,
     "deny", 403, "spec.ports[name=http].port"},
    {"a merge patch", "hpa/test-nginx", NULL, NULL, "{\"spec\":{\"maxReplicas\":3}}", true,
     "deny", 403, "spec.maxReplicas"},
    {"a JSON patch", "hpa/test-nginx", NULL, NULL,
     "[{\"op\":\"replace\",\"path\":\"/spec/minReplicas\",\"value\":6}]", false, "reconcile", 0,
     NULL},
    {"an ungoverned label: allowed", "hpa/test-nginx", "metadata.labels.team", "\"sre\"", NULL,
     true, "allow", 0, NULL},
    {"unknown kind", "widget/x", "spec.a", "1", NULL, false, NULL, DG_EINVAL, "unknown kind"},
    {"no such object", "hpa/nope", "spec.minReplicas", "1", NULL, false, NULL, DG_ENOTFOUND,
     "hpa"},
    {"[*] names no one element", "svc/test-nginx", "spec.ports[*].port", "1", NULL, false, NULL,
     DG_EINVAL, "[*]"},
    {"no element has those keys", "svc/test-nginx", "spec.ports[name=grpc].port", "1", NULL,
     false, NULL, DG_EINVAL, "no list element"},
    {"neither a path nor a patch", "hpa/test-nginx", NULL, NULL, NULL, false, NULL, DG_EINVAL,
     "give a path and a value"},
    {"a failed JSON patch test", "hpa/test-nginx", NULL, NULL,
     "[{\"op\":\"test\",\"path\":\"/spec/minReplicas\",\"value\":9}]", false, NULL, DG_ECONFLICT,
     "test"},
};

static dg_objset_t *load(const char *rel)
{
    dg_manifest_opts_t opts = {.name = rel, .default_ns = "sandbox-nginx"};
    dg_objset_t *set = dg_objset_new();
    dg_err_t err = {0};
    size_t len;
    char *text = dg_test_read(rel, &len);

    ck_assert_msg(dg_manifest_load(text, len, &opts, set, NULL, &err) == 0, "%s", err.msg);
    free(text);
    return set;
}

START_TEST(test_change)
{
    dg_release_t *rel = dg_release_new("test-nginx", "sandbox-nginx");
    dg_baselines_t *bases = dg_baselines_new();
    dg_objset_t *live = load("examples/live-snapshot.yaml");
    dg_policy_t *pol = dg_policy_default(NULL);
    dg_decide_env_t env = {.now = 1764000000, .synced = true};
    json_t *value = cases[_i].value ? dg_test_json(cases[_i].value) : NULL;
    json_t *patch = cases[_i].patch ? dg_test_json(cases[_i].patch) : NULL, *out = NULL;
    dg_sim_change_t c = {cases[_i].target, cases[_i].path, value, patch, NULL,
                         cases[_i].from_baseline};
    dg_err_t err = {0};
    const json_t *resp;
    const char *msg;
    int rc;

    dg_objset_free(&rel->objs);
    rel->objs = load("examples/release-baseline.yaml");
    ck_assert_int_eq(dg_baselines_add(bases, dg_release_ref(rel), NULL), 0);
    rc = dg_simulate_change(rel, live, bases, pol, &env, &c, &out, &err);
    if (cases[_i].want == NULL) {
        ck_assert_msg(rc == cases[_i].code, "%s: rc %d (%s), want %d", cases[_i].name, rc, err.msg,
                      cases[_i].code);
        ck_assert_msg(strstr(err.msg, cases[_i].message), "%s: '%s'", cases[_i].name, err.msg);
    } else {
        ck_assert_msg(rc == 0, "%s: %s", cases[_i].name, err.msg);
        resp = json_object_get(json_object_get(out, "admissionReview"), "response");
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(out, "decision"),
                                                           "decision")), cases[_i].want);
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(resp, "status"),
                                                            "code")), cases[_i].code);
        ck_assert(json_is_true(json_object_get(resp, "allowed")) == (cases[_i].code == 0));
        msg = json_string_value(json_object_get(json_object_get(resp, "status"), "message"));
        if (cases[_i].message)
            ck_assert_msg(msg && strstr(msg, cases[_i].message), "%s: '%s'", cases[_i].name,
                          msg ? msg : "(none)");
    }
    json_decref(out);
    json_decref(value);
    json_decref(patch);
    dg_policy_free(&pol);
    dg_objset_free(&live);
    dg_baselines_free(&bases);
    dg_release_free(&rel);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/simulate");
    TCase *tc = tcase_create("change");

    tcase_add_loop_test(tc, test_change, 0, sizeof cases / sizeof cases[0]);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
