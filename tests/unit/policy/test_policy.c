/* tests/unit/policy/test_policy.c: the DriftPolicy: the built-in default,
 * a full policy, and refusals with file:line:col.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "support.h"

START_TEST(test_default)
{
    dg_policy_t *p = dg_policy_default(NULL);
    static const struct {
        const char *name, *group, *kind;
        dg_action_t action;
        bool unless_hpa;
        size_t npaths;
    } want[] = {
        {"hpa-bounds", "autoscaling", "HorizontalPodAutoscaler", DG_ACTION_DENY, false, 2},
        {"hpa-target", "autoscaling", "HorizontalPodAutoscaler", DG_ACTION_DENY, false, 1},
        {"service-ports", "", "Service", DG_ACTION_DENY, false, 4},
        {"service-type", "", "Service", DG_ACTION_DENY, false, 1},
        {"service-routing", "", "Service", DG_ACTION_DENY, false, 2},
        {"workload-replicas", "apps", "StatefulSet", DG_ACTION_DENY, true, 1},
        {"container-image", "apps", "Deployment", DG_ACTION_WARN, false, 2},
        {"container-resources", "apps", "DaemonSet", DG_ACTION_WARN, false, 2},
    };

    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(dg_policy_name(p), "default");
    ck_assert_uint_eq(dg_policy_nrules(p), 8);
    for (size_t i = 0; i < 8; i++) {
        const dg_rule_t *r = dg_policy_rule(p, i);

        ck_assert_str_eq(r->name, want[i].name);
        ck_assert(dg_rule_applies(r, want[i].group, want[i].kind));
        ck_assert_int_eq(r->action, want[i].action);
        ck_assert(r->unless_hpa == want[i].unless_hpa);
        ck_assert_uint_eq(r->npaths, want[i].npaths);
    }
    ck_assert(dg_policy_ns_excluded(p, "kube-system"));
    ck_assert(!dg_policy_ns_excluded(p, "sandbox-nginx"));
    ck_assert(!dg_policy_governs(p, "", "ConfigMap"));
    ck_assert_uint_eq(dg_policy_breakglass(p)->ngroups, 0); /* nobody by default */
    ck_assert_str_eq(dg_policy_breakglass(p)->annotation, "driftgate.io/break-glass");
    dg_policy_free(&p);
    ck_assert_ptr_null(p);
}
END_TEST

/* The example policy: exemptions, ignore rules and break-glass. */
START_TEST(test_example)
{
    size_t len;
    char *text = dg_test_read("examples/policy.yaml", &len);
    dg_err_t err = {0};
    dg_policy_t *p = dg_policy_parse(text, len, "examples/policy.yaml", &err);
    dg_objid_t svc = {"", "Service", "sandbox-nginx", "test-nginx"};
    const char *flux[] = {"system:authenticated"};

    ck_assert_msg(p != NULL, "%s", err.msg);
    ck_assert_str_eq(dg_policy_name(p), "sandbox");
    ck_assert(dg_policy_ignores(p, &svc, "metadata.labels['app.kubernetes.io/version']"));
    ck_assert(!dg_policy_ignores(p, &svc, "spec.type"));
    ck_assert(!dg_policy_ignores(p, &svc, ""));
    ck_assert_str_eq(dg_policy_exempt(p, &(dg_requester_t){"system:serviceaccount:flux-system:helm-controller",
                                                          flux, 1, "UPDATE", ""}),
                     "serviceaccount flux-system/helm-controller");
    ck_assert_ptr_null(dg_policy_exempt(p, &(dg_requester_t){"kubernetes-admin", flux, 1, "UPDATE", ""}));
    /* It lists no scoped exemptions: the built-in ones still apply. */
    ck_assert_str_eq(dg_policy_exempt(p, &(dg_requester_t){"system:serviceaccount:kube-system:"
                                                          "horizontal-pod-autoscaler",
                                                          flux, 1, "UPDATE", "scale"}),
                     "serviceaccount kube-system/horizontal-pod-autoscaler");
    ck_assert_int_eq(dg_policy_breakglass(p)->max_duration_s, 24 * 3600);
    ck_assert(!dg_policy_has_deployers(p));
    ck_assert_uint_eq(dg_policy_breakglass(p)->ngroups, 1);
    ck_assert_str_eq(dg_policy_breakglass(p)->groups[0], "sre-oncall");
    dg_policy_free(&p);
    free(text);
}
END_TEST

#define HEAD "apiVersion: driftgate.io/v1alpha1\nkind: DriftPolicy\nmetadata: {name: p}\n"
#define RULE "  - name: r\n    kinds: [hpa]\n    paths: [spec.minReplicas]\n    action: deny\n"

static const struct {
    const char *text;
    const char *want_user, *want_group; /* exempt descriptions to check, or NULL */
} valid[] = {
    {HEAD "spec:\n  rules:\n" RULE "  exemptions:\n    users: [alice]\n    groups: [system:masters]\n",
     "user alice", "group system:masters"},
    {HEAD "spec:\n  rules:\n  - name: svc\n    kinds: [svc, services, Service]\n"
          "    paths: [\"spec.ports[name=http].port\"]\n    action: audit\n",
     NULL, NULL},
    {"{\"apiVersion\": \"driftgate.io/v1alpha1\", \"kind\": \"DriftPolicy\", \"spec\": {\"rules\": "
     "[{\"name\": \"r\", \"kinds\": [\"deployments.apps\"], \"paths\": [\"spec.replicas\"], "
     "\"action\": \"warn\"}]}}",
     NULL, NULL},
};

/* Scoped exemptions hold only for their operations and subresources;
 * deployers are who may release; the default keeps controllers working. */
START_TEST(test_scoped_and_deployers)
{
    static const char text[] =
        HEAD "spec:\n  rules:\n" RULE
        "  deployers:\n    serviceAccounts: [ci/helm]\n    groups: [release-managers]\n"
        "  exemptions:\n    scoped:\n    - users: [gc]\n      operations: [DELETE]\n"
        "  breakGlass:\n    maxDuration: 1h30m\n";
    const char *none[] = {"system:authenticated"}, *rm[] = {"release-managers"};
    dg_err_t err = {0};
    dg_policy_t *p = dg_policy_parse(text, sizeof text - 1, "s.yaml", &err), *d;

    ck_assert_msg(p != NULL, "%s", err.msg);
    ck_assert_str_eq(dg_policy_exempt(p, &(dg_requester_t){"gc", none, 1, "DELETE", ""}), "user gc");
    ck_assert_ptr_null(dg_policy_exempt(p, &(dg_requester_t){"gc", none, 1, "UPDATE", ""}));
    /* scoped: [...] replaces the built-in list */
    ck_assert_ptr_null(dg_policy_exempt(
        p, &(dg_requester_t){"system:serviceaccount:kube-system:horizontal-pod-autoscaler", none, 1,
                             "UPDATE", "scale"}));
    ck_assert(dg_policy_has_deployers(p));
    ck_assert_str_eq(dg_policy_deployer(p, &(dg_requester_t){"system:serviceaccount:ci:helm", none, 1,
                                                             "UPDATE", ""}),
                     "serviceaccount ci/helm");
    ck_assert_str_eq(dg_policy_deployer(p, &(dg_requester_t){"eve", rm, 1, "UPDATE", ""}),
                     "group release-managers");
    ck_assert_ptr_null(dg_policy_deployer(p, &(dg_requester_t){"eve", none, 1, "UPDATE", ""}));
    ck_assert_int_eq(dg_policy_breakglass(p)->max_duration_s, 5400);
    dg_policy_free(&p);
    d = dg_policy_default(&err);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(dg_policy_exempt(d, &(dg_requester_t){"system:serviceaccount:kube-system:"
                                                          "namespace-controller",
                                                          none, 1, "DELETE", ""}),
                     "serviceaccount kube-system/namespace-controller");
    ck_assert_ptr_null(dg_policy_exempt(d, &(dg_requester_t){"system:serviceaccount:kube-system:"
                                                            "namespace-controller",
                                                            none, 1, "UPDATE", ""}));
    ck_assert_ptr_null(dg_policy_exempt(d, &(dg_requester_t){"system:serviceaccount:kube-system:"
                                                            "horizontal-pod-autoscaler",
                                                            none, 1, "UPDATE", ""}));
    dg_policy_free(&d);
}
END_TEST

START_TEST(test_valid)
{
    dg_err_t err = {0};
    dg_policy_t *p = dg_policy_parse(valid[_i].text, strlen(valid[_i].text), "v.yaml", &err);
    const char *groups[] = {"system:masters"};

    ck_assert_msg(p != NULL, "%s:%d:%d: %s", err.where, err.line, err.col, err.msg);
    if (valid[_i].want_user)
        ck_assert_str_eq(dg_policy_exempt(p, &(dg_requester_t){"alice", NULL, 0, "UPDATE", ""}),
                         valid[_i].want_user);
    if (valid[_i].want_group)
        ck_assert_str_eq(dg_policy_exempt(p, &(dg_requester_t){"bob", groups, 1, "UPDATE", ""}),
                         valid[_i].want_group);
    dg_policy_free(&p);
}
END_TEST

static const struct {
    const char *text;
    int line, col;
    const char *msg;
} invalid[] = {
    {"apiVersion: v1\nkind: DriftPolicy\nspec: {}\n", 1, 1, "apiVersion must be driftgate.io/v1alpha1"},
    {HEAD "spec:\n  rules: []\n", 5, 3, "at least one rule"},
    {HEAD "spec:\n  rules:\n  - name: r\n    kinds: [hpa]\n    paths: [spec.minReplicas]\n"
          "    action: block\n",
     9, 5, "action 'block' is not deny, warn or audit"},
    {HEAD "spec:\n  rules:\n  - name: r\n    kinds: [gizmo]\n    paths: [a]\n    action: deny\n", 7, 5,
     "unknown kind 'gizmo'"},
    {HEAD "spec:\n  rules:\n  - name: r\n    kinds: [hpa]\n    paths: [\"spec.ports[0]\"]\n"
          "    action: deny\n",
     8, 5, "bad path: list indexes are not allowed"},
    {HEAD "spec:\n  rules:\n" RULE RULE, 10, 5, "duplicate rule name 'r'"},
    {HEAD "spec:\n  rules:\n" RULE "    acton: warn\n", 10, 5, "unknown key 'acton'"},
    {HEAD "spec:\n  rules:\n" RULE "  exemptions:\n    serviceAccounts: [just-a-name]\n", 11, 5,
     "'just-a-name' is not namespace/name"},
    {HEAD "spec:\n  rules:\n" RULE "  breakGlass:\n    groups: sre\n", 11, 5,
     "expected a list of strings"},
    {HEAD "spec:\n  rules:\n  - name: r\n    paths: [a]\n    action: deny\n", 6, 5,
     "'kinds' is required"},
    {HEAD "spec:\n  rules:\n" RULE "  ignore:\n  - kinds: [svc]\n", 11, 5, "'paths' is required"},
    {HEAD "spec:\n  rules:\n" RULE "---\n" HEAD, 11, 1, "exactly one DriftPolicy"},
    {HEAD "spec:\n  rules:\n    - name: [\n", 7, 1, "did not find expected node content"},
    {HEAD "spec:\n  rules:\n" RULE "  breakGlass:\n    maxDuration: forever\n", 11, 5,
     "expected a duration such as 24h"},
    {HEAD "spec:\n  rules:\n" RULE "  deployers: {}\n", 10, 14, "deployers names no user"},
    {HEAD "spec:\n  rules:\n" RULE "  exemptions:\n    scoped:\n    - users: [a]\n"
          "      operations: [PATCH]\n",
     13, 7, "operation 'PATCH' is not CREATE, UPDATE or DELETE"},
};

START_TEST(test_invalid)
{
    dg_err_t err = {0};
    dg_policy_t *p = dg_policy_parse(invalid[_i].text, strlen(invalid[_i].text), "bad.yaml", &err);

    ck_assert_ptr_null(p);
    ck_assert_str_eq(err.where, "bad.yaml");
    ck_assert_msg(strstr(err.msg, invalid[_i].msg), "case %d: got '%s'", _i, err.msg);
    ck_assert_msg(err.line == invalid[_i].line && err.col == invalid[_i].col,
                  "case %d: at %d:%d, want %d:%d (%s)", _i, err.line, err.col, invalid[_i].line,
                  invalid[_i].col, err.msg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/policy");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_default);
    tcase_add_test(tc, test_example);
    tcase_add_test(tc, test_scoped_and_deployers);
    tcase_add_loop_test(tc, test_valid, 0, sizeof valid / sizeof valid[0]);
    tcase_add_loop_test(tc, test_invalid, 0, sizeof invalid / sizeof invalid[0]);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
