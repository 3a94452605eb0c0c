/* tests/unit/policy/test_status.c: a release's state, its age as kubectl
 * prints one, and the card as JSON and as a table.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "support.h"

/* One variance of the HPA floor, with or without who changed it. */
static void one_variance(dg_variances_t *v, bool with_owner)
{
    dg_variance_t from = {{"autoscaling", "HorizontalPodAutoscaler", "sandbox-nginx", "test-nginx"},
                          "spec.minReplicas", json_integer(6), json_integer(4), DG_VAR_CHANGED,
                          "hpa-bounds", DG_ACTION_DENY, NULL};
    dg_variance_t *x;

    dg_variances_init(v);
    ck_assert_int_eq(dg_variances_push(v, &from), 0);
    json_decref(from.desired);
    json_decref(from.live);
    x = &v->items[0];
    if (with_owner) {
        x->changed_by = calloc(1, sizeof *x->changed_by);
        x->changed_by->manager = strdup("kubectl-edit");
        x->changed_by->operation = strdup("Update");
        x->changed_by->time = strdup("2026-11-24T10:02:11Z");
    }
}

static const struct {
    const char *name;
    bool baseline, drift, plan;
    const char *want;
} states[] = {
    {"nothing to judge against", false, false, false, "no-baseline"},
    {"no drift", true, false, false, "in-sync"},
    {"a plan but no drift (stale)", true, false, true, "in-sync"},
    {"drift", true, true, false, "variance-detected"},
    {"drift and a saved plan", true, true, true, "reconcile-pending"},
};

START_TEST(test_state)
{
    dg_variances_t v;
    dg_status_t s = {.ns = "sandbox-nginx", .release = "test-nginx"};

    one_variance(&v, false);
    s.has_baseline = states[_i].baseline;
    s.variances = states[_i].drift ? &v : NULL;
    s.plan = states[_i].plan ? "plan.json" : NULL;
    ck_assert_msg(strcmp(dg_state_name(dg_status_state(&s)), states[_i].want) == 0, "%s: %s",
                  states[_i].name, dg_state_name(dg_status_state(&s)));
    dg_variances_free(&v);
}
END_TEST

static const struct {
    long s;
    const char *want;
} ages[] = {{-1, "unknown"}, {0, "0s"}, {119, "119s"}, {120, "2m"}, {7199, "119m"},
            {7200, "2h"}, {172799, "47h"}, {172800, "2d"}};

START_TEST(test_age)
{
    char buf[32];

    ck_assert_str_eq(dg_status_age(ages[_i].s, buf, sizeof buf), ages[_i].want);
}
END_TEST

START_TEST(test_json)
{
    dg_variances_t v;
    dg_status_t s = {.ns = "sandbox-nginx", .release = "test-nginx", .has_baseline = true,
                     .source = {"published", "driftgate-system/driftgate-baseline.sandbox-nginx.test-nginx",
                                5, "nginx-0.1.0", "sha256:ab", 300},
                     .plan = "plan.json",
                     .gate = {.checked = true, .configuration = "driftgate",
                              .webhook = "validate.driftgate.io", .failure_policy = "Ignore",
                              .endpoint = "https://127.0.0.1:8443/validate",
                              .ca_verifies = DG_YES, .ca_detail = "https://127.0.0.1:8443",
                              .deployers = DG_UNKNOWN, .deployers_detail = "policy not readable"}};
    dg_buf_t out;
    dg_err_t err = {0};
    json_t *got, *want;

    one_variance(&v, true);
    s.variances = &v;
    dg_buf_init(&out, 0);
    ck_assert_int_eq(dg_status_render(&s, DG_FMT_JSON, &out, &err), 0);
    got = dg_test_json(out.data);
    want = dg_test_json(
        "{\"workflow\": \"helm-release-assurance\", \"scope\": {\"namespace\": \"sandbox-nginx\","
        " \"release\": \"test-nginx\"}, \"state\": \"reconcile-pending\", \"source\": {\"origin\":"
        " \"published\", \"location\": \"driftgate-system/driftgate-baseline.sandbox-nginx."
        "test-nginx\", \"revision\": 5, \"chart\": \"nginx-0.1.0\", \"digest\": \"sha256:ab\","
        " \"age\": \"5m\", \"ageSeconds\": 300}, \"signals\": {\"total\": 1, \"deny\": 1, \"warn\":"
        " 0, \"audit\": 0}, \"plan\": \"plan.json\", \"gate\": {\"configuration\": \"driftgate\","
        " \"webhook\": \"validate.driftgate.io\", \"failurePolicy\": \"Ignore\", \"endpoint\":"
        " \"https://127.0.0.1:8443/validate\", \"caBundle\": {\"verifies\": true, \"detail\":"
        " \"https://127.0.0.1:8443\"}, \"deployers\": {\"configured\": null, \"detail\":"
        " \"policy not readable\"}}, \"variances\": [{\"object\": {\"group\": \"autoscaling\","
        " \"kind\": \"HorizontalPodAutoscaler\", \"namespace\": \"sandbox-nginx\", \"name\":"
        " \"test-nginx\"}, \"path\": \"spec.minReplicas\", \"desired\": 6, \"live\": 4, \"type\":"
        " \"changed\", \"rule\": \"hpa-bounds\", \"action\": \"deny\", \"changedBy\": {\"manager\":"
        " \"kubectl-edit\", \"operation\": \"Update\", \"time\": \"2026-11-24T10:02:11Z\"}}]}");
    ck_assert_msg(json_equal(got, want), "%s", out.data);
    json_decref(got);
    json_decref(want);
    dg_buf_free(&out);
    dg_variances_free(&v);
}
END_TEST

START_TEST(test_table)
{
    dg_variances_t v;
    dg_status_t s = {.ns = "sandbox-nginx", .release = "test-nginx", .has_baseline = true,
                     .source = {"file", "release-baseline.yaml", 0, "nginx-0.1.0", NULL, -1}};
    dg_buf_t out;
    dg_err_t err = {0};

    one_variance(&v, true);
    s.variances = &v;
    dg_buf_init(&out, 0);
    ck_assert_int_eq(dg_status_render(&s, DG_FMT_TABLE, &out, &err), 0);
    ck_assert_msg(strstr(out.data, "Workflow:         helm-release-assurance\n"
                                   "Scope:            sandbox-nginx / test-nginx\n"
                                   "Source of truth:  file release-baseline.yaml\n"
                                   "                  revision unknown, chart nginx-0.1.0, digest "
                                   "unknown, age unknown\n"
                                   "Drift signals:    1 active (1 deny, 0 warn, 0 audit)\n"
                                   "State:            variance-detected\n\n"
                                   "OBJECT") == out.data,
                  "%s", out.data);
    ck_assert_ptr_nonnull(strstr(out.data, "kubectl-edit  Update  2026-11-24T10:02:11Z"));
    ck_assert_ptr_null(strstr(out.data, "Gate:")); /* offline: no gate looked at */
    ck_assert_int_eq(dg_status_render(&s, DG_FMT_SARIF, &out, &err), DG_EINVAL);
    dg_buf_free(&out);
    dg_variances_free(&v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/status");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_state, 0, sizeof states / sizeof states[0]);
    tcase_add_loop_test(tc, test_age, 0, sizeof ages / sizeof ages[0]);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_table);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
