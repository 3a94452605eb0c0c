/* tests/unit/policy/test_simulate.c: a proposed change judged as the
 * webhook would judge it, on the seed's example release and live snapshot:
 * the consoles' request (a value at a path, fields and [k=v] elements, or
 * a patch), starting from live or from the baseline, a change live already
 * holds replayed on the baseline's object as `driftctl simulate` does; and
 * the changes it refuses to build.
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
    const char *body;     /* the console's request, as both hosts decode it */
    const char *want;     /* the decision, or NULL for an error */
    int code;             /* the AdmissionReview's status code (0: allowed), or the error */
    const char *message;  /* a part of the message or the error */
    bool replayed;        /* live held the change: judged on the baseline's object */
} cases[] = {
    {"floor lowered from the baseline: denied",
     "{\"object\":\"hpa/test-nginx\",\"path\":\"spec.minReplicas\",\"value\":4,\"from\":\"baseline\"}",
     "deny", 403, "desired 6, requested 4", false},
    {"floor back to the baseline from live: a reconcile",
     "{\"object\":\"hpa/test-nginx\",\"path\":\"spec.minReplicas\",\"value\":6}", "reconcile", 0,
     NULL, false},
    {"live's value again: replayed on the baseline, denied as the CLI judges it",
     "{\"object\":\"hpa/test-nginx\",\"path\":\"spec.minReplicas\",\"value\":4,\"from\":\"live\"}",
     "deny", 403, "desired 6, requested 4", true},
    {"a port by its name",
     "{\"object\":\"svc/test-nginx\",\"path\":\"spec.ports[name=http].port\",\"value\":81,"
     "\"from\":\"baseline\"}", "deny", 403, "spec.ports[name=http].port", false},
    {"a merge patch", "{\"object\":\"hpa/test-nginx\",\"patch\":{\"spec\":{\"maxReplicas\":3}},"
     "\"from\":\"baseline\"}", "deny", 403, "spec.maxReplicas", false},
    {"a pasted JSON patch",
     "{\"object\":\"hpa/test-nginx\",\"patch\":\"[{\\\"op\\\":\\\"replace\\\",\\\"path\\\":"
     "\\\"/spec/minReplicas\\\",\\\"value\\\":6}]\"}", "reconcile", 0, NULL, false},
    {"an ungoverned label, made on the way: allowed",
     "{\"object\":\"hpa/test-nginx\",\"path\":\"metadata.labels.team\",\"value\":\"sre\","
     "\"from\":\"baseline\"}", "allow", 0, NULL, false},
    {"unknown kind", "{\"object\":\"widget/x\",\"path\":\"spec.a\",\"value\":1}", NULL, DG_EINVAL,
     "unknown kind", false},
    {"no such object", "{\"object\":\"hpa/nope\",\"path\":\"spec.minReplicas\",\"value\":1}", NULL,
     DG_ENOTFOUND, "sandbox-nginx/nope", false},
    {"[*] names no one element",
     "{\"object\":\"svc/test-nginx\",\"path\":\"spec.ports[*].port\",\"value\":1}", NULL,
     DG_EINVAL, "[*]", false},
    {"no element has those keys",
     "{\"object\":\"svc/test-nginx\",\"path\":\"spec.ports[name=grpc].port\",\"value\":1}", NULL,
     DG_EINVAL, "no object holds field 'port'", false},
    {"neither a path nor a patch", "{\"object\":\"hpa/test-nginx\"}", NULL, DG_EINVAL,
     "give a path and a value", false},
    {"a bad from", "{\"object\":\"hpa/test-nginx\",\"from\":\"yesterday\"}", NULL, DG_EINVAL,
     "\"from\" is \"live\" or \"baseline\"", false},
    {"no object", "{\"path\":\"spec.minReplicas\",\"value\":1}", NULL, DG_EINVAL,
     "\"object\"", false},
    {"a failed JSON patch test",
     "{\"object\":\"hpa/test-nginx\",\"patch\":[{\"op\":\"test\",\"path\":\"/spec/minReplicas\","
     "\"value\":9}]}", NULL, DG_ECONFLICT, "test", false},
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
    json_t *body = dg_test_json(cases[_i].body), *out = NULL;
    dg_sim_request_t req;
    dg_err_t err = {0};
    const json_t *resp;
    const char *msg;
    int rc;

    dg_objset_free(&rel->objs);
    rel->objs = load("examples/release-baseline.yaml");
    ck_assert_int_eq(dg_baselines_add(bases, dg_release_ref(rel), NULL), 0);
    rc = dg_simulate_request(body, &req, &err);
    if (rc == 0)
        rc = dg_simulate_change(rel, live, bases, pol, &env, &req.change, &out, &err);
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
        ck_assert_msg(json_is_true(json_object_get(out, "replayed")) == cases[_i].replayed,
                      "%s: replayed", cases[_i].name);
        if (cases[_i].message)
            ck_assert_msg(msg && strstr(msg, cases[_i].message), "%s: '%s'", cases[_i].name,
                          msg ? msg : "(none)");
    }
    dg_simulate_request_free(&req);
    json_decref(out);
    json_decref(body);
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
