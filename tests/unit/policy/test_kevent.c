/* tests/unit/policy/test_kevent.c: Event notes, bodies, aggregation and
 * the trust check on Events read back. SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kevent.h"
#include "support.h"

#define SEC 1000000000LL
#define T0 (1764630000LL * SEC) /* 2025-12-01T23:00:00Z */

static dg_kevent_t denial(void)
{
    dg_kevent_t e = {.api_version = "autoscaling/v2", .kind = "HorizontalPodAutoscaler",
                     .ns = "sandbox-nginx", .name = "test-nginx", .uid = "u-1",
                     .resource_version = "42", .group = "autoscaling",
                     .resource = "horizontalpodautoscalers", .path = "spec.minReplicas",
                     .desired = "6", .value = "4", .value_label = "requested", .user = "jane",
                     .release = "sandbox-nginx/test-nginx",
                     .variances = "spec.minReplicas: 6 -> 4", .rule = "hpa-floor"};

    ck_assert_int_eq(dg_kevent_for_decision("deny", &e), 0);
    return e;
}

static const struct {
    const char *name, *verdict, *reason, *action;
    bool warning;
} decision_cases[] = {
    {"deny", "deny", "DriftDenied", "Deny", true},
    {"break-glass", "break-glass", "DriftBreakGlass", "BreakGlass", true},
    {"reconcile", "reconcile", "DriftReconciled", "Reconcile", false},
    {"allow posts none", "allow", NULL, NULL, false},
    {"warn posts none", "warn", NULL, NULL, false},
};

START_TEST(test_for_decision)
{
    dg_kevent_t e = {0};
    int rc = dg_kevent_for_decision(decision_cases[_i].verdict, &e);

    if (decision_cases[_i].reason == NULL) {
        ck_assert_msg(rc == -1, "%s", decision_cases[_i].name);
        return;
    }
    ck_assert_msg(rc == 0, "%s", decision_cases[_i].name);
    ck_assert_str_eq(e.reason, decision_cases[_i].reason);
    ck_assert_str_eq(e.action, decision_cases[_i].action);
    ck_assert(e.warning == decision_cases[_i].warning);
}
END_TEST

START_TEST(test_note)
{
    dg_kevent_t e = denial();
    char note[DG_KEVENT_NOTE_MAX], big[4000];

    dg_kevent_note(&e, note, sizeof note);
    ck_assert_str_eq(note, "HorizontalPodAutoscaler test-nginx spec.minReplicas: desired 6, "
                           "requested 4 by jane (release sandbox-nginx/test-nginx)");
    e.more = 2;
    e.user = NULL;
    e.value_label = "live";
    dg_kevent_note(&e, note, sizeof note);
    ck_assert_str_eq(note, "HorizontalPodAutoscaler test-nginx spec.minReplicas: desired 6, "
                           "live 4 (+2 more) (release sandbox-nginx/test-nginx)");
    /* Hostile lengths: never past the API server's 1 kB. */
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    e.name = e.path = e.desired = e.value = e.user = e.release = big;
    dg_kevent_note(&e, note, sizeof note);
    ck_assert_uint_lt(strlen(note), DG_KEVENT_NOTE_MAX);
    /* A value cut inside a UTF-8 sequence still makes a note the Event takes. */
    e = denial();
    {
        char val[200];
        json_t *ev;

        val[0] = 'x'; /* then 60 euro signs: the cut at 120 bytes splits one */
        for (int i = 0; i < 60; i++)
            memcpy(val + 1 + 3 * i, "\xe2\x82\xac", 3);
        val[181] = '\0';
        e.value = val;
        dg_kevent_note(&e, note, sizeof note);
        ev = dg_kevent_json(&e, note, "x.1", "i", T0);
        ck_assert_msg(ev != NULL, "note refused: %s", note);
        ck_assert_ptr_nonnull(strstr(note, "requested x\xe2\x82\xac"));
        ck_assert_ptr_nonnull(strstr(note, "\xe2\x82\xac?? by jane"));
        json_decref(ev);
    }
}
END_TEST

START_TEST(test_key)
{
    dg_kevent_t a = denial(), b = denial();

    ck_assert(dg_kevent_key(&a, "n") == dg_kevent_key(&b, "n"));
    ck_assert(dg_kevent_key(&a, "n") != dg_kevent_key(&b, "m"));
    b.uid = "u-2"; /* a recreated object is another */
    ck_assert(dg_kevent_key(&a, "n") != dg_kevent_key(&b, "n"));
    b = denial();
    b.reason = "DriftReconciled";
    ck_assert(dg_kevent_key(&a, "n") != dg_kevent_key(&b, "n"));
}
END_TEST

START_TEST(test_json)
{
    dg_kevent_t e = denial();
    json_t *ev = dg_kevent_json(&e, "the note", "test-nginx.00ab", "driftgate-7f9c", T0 + 123456789);
    json_t *want = dg_test_json(
        "{\"apiVersion\":\"events.k8s.io/v1\",\"kind\":\"Event\","
        "\"metadata\":{\"name\":\"test-nginx.00ab\",\"namespace\":\"sandbox-nginx\","
        "\"annotations\":{\"driftgate.io/decision\":\"deny\","
        "\"driftgate.io/release\":\"sandbox-nginx/test-nginx\",\"driftgate.io/user\":\"jane\","
        "\"driftgate.io/rule\":\"hpa-floor\",\"driftgate.io/variances\":\"spec.minReplicas: 6 -> 4\","
        "\"driftgate.io/group\":\"autoscaling\",\"driftgate.io/resource\":\"horizontalpodautoscalers\"}},"
        "\"eventTime\":\"2025-12-01T23:00:00.123456Z\","
        "\"reportingController\":\"driftgate.io/driftgate\",\"reportingInstance\":\"driftgate-7f9c\","
        "\"action\":\"Deny\",\"reason\":\"DriftDenied\",\"type\":\"Warning\",\"note\":\"the note\","
        "\"regarding\":{\"apiVersion\":\"autoscaling/v2\",\"kind\":\"HorizontalPodAutoscaler\","
        "\"namespace\":\"sandbox-nginx\",\"name\":\"test-nginx\",\"uid\":\"u-1\",\"resourceVersion\":\"42\"}}");
    json_t *patch = dg_kevent_series_patch(17, T0 + 5 * SEC);
    json_t *want_patch = dg_test_json(
        "{\"series\":{\"count\":17,\"lastObservedTime\":\"2025-12-01T23:00:05.000000Z\"}}");

    ck_assert_msg(json_equal(ev, want), "%s", json_dumps(ev, JSON_COMPACT));
    ck_assert(json_equal(patch, want_patch));
    json_decref(ev);
    json_decref(want);
    json_decref(patch);
    json_decref(want_patch);
    /* Cluster-scoped: the Event goes to "default", regarding has no namespace. */
    e.ns = NULL;
    ev = dg_kevent_json(&e, "n", "x.1", "i", T0);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(ev, "metadata"), "namespace")),
                     "default");
    ck_assert_ptr_null(json_object_get(json_object_get(ev, "regarding"), "namespace"));
    json_decref(ev);
}
END_TEST

/* client-go's aggregation: one Event per key and window, its series counting. */
START_TEST(test_aggregation)
{
    dg_kevent_agg_t *a = dg_kevent_agg_new(2, 600 * SEC);
    char name[254], first[254];
    long count;

    ck_assert_int_eq(dg_kevent_agg_observe(a, 1, "Test-Nginx", 1, T0, name, &count), DG_KEVENT_CREATE);
    ck_assert_int_eq(count, 1);
    ck_assert_msg(strncmp(name, "test-nginx.", 11) == 0 && strlen(name) == 27, "%s", name);
    strcpy(first, name);
    ck_assert_int_eq(dg_kevent_agg_observe(a, 1, "test-nginx", 998, T0 + SEC, name, &count),
                     DG_KEVENT_PATCH);
    ck_assert_int_eq(count, 999);
    ck_assert_str_eq(name, first);
    /* past the window after the last: a new Event */
    ck_assert_int_eq(dg_kevent_agg_observe(a, 1, "test-nginx", 1, T0 + 602 * SEC, name, &count),
                     DG_KEVENT_CREATE);
    ck_assert_str_ne(name, first);
    /* bounded: the least recently seen is forgotten */
    ck_assert_int_eq(dg_kevent_agg_observe(a, 2, "b", 1, T0 + 603 * SEC, name, &count), DG_KEVENT_CREATE);
    ck_assert_int_eq(dg_kevent_agg_observe(a, 1, "a", 1, T0 + 604 * SEC, name, &count), DG_KEVENT_PATCH);
    ck_assert_int_eq(dg_kevent_agg_observe(a, 3, "c", 1, T0 + 605 * SEC, name, &count), DG_KEVENT_CREATE);
    ck_assert_int_eq(dg_kevent_agg_observe(a, 2, "b", 1, T0 + 606 * SEC, name, &count), DG_KEVENT_CREATE);
    /* a failed post is forgotten: the next one creates */
    dg_kevent_agg_forget(a, 2);
    ck_assert_int_eq(dg_kevent_agg_observe(a, 2, "b", 1, T0 + 607 * SEC, name, &count), DG_KEVENT_CREATE);
    dg_kevent_agg_free(&a);
    ck_assert_ptr_null(a);
}
END_TEST

#define MF ",\"managedFields\":[{\"manager\":\"driftgate\",\"operation\":\"Update\"}]"
#define OURS(inst, reason, ns, rns) \
    "{\"reportingController\":\"driftgate.io/driftgate\",\"reportingInstance\":\"" inst "\"," \
    "\"reason\":\"" reason "\",\"metadata\":{\"namespace\":\"" ns "\"" MF "}," \
    "\"regarding\":{\"kind\":\"Service\",\"name\":\"s\",\"namespace\":\"" rns "\"}}"

static const struct {
    const char *name, *event, *prefix;
    bool exact, trusted;
} trust_cases[] = {
    {"ours", OURS("driftgate-5d8f-abcde", "DriftDenied", "ns", "ns"), "driftgate-", false, true},
    {"any instance", OURS("dg", "DriftResolved", "ns", "ns"), NULL, false, true},
    {"another deployment", OURS("evil-5d8f-abcde", "DriftDenied", "ns", "ns"), "driftgate-", false, false},
    {"exact instance", OURS("dg", "DriftDenied", "ns", "ns"), "dg", true, true},
    {"exact, longer", OURS("dg2", "DriftDenied", "ns", "ns"), "dg", true, false},
    {"a reason we never post", OURS("dg", "Pwned", "ns", "ns"), NULL, false, false},
    {"about another namespace", OURS("dg", "DriftDenied", "tenant", "prod"), NULL, false, false},
    {"another controller",
     "{\"reportingController\":\"kubelet\",\"reportingInstance\":\"dg\",\"reason\":\"DriftDenied\","
     "\"metadata\":{\"namespace\":\"ns\"" MF "},\"regarding\":{\"kind\":\"Service\",\"name\":\"s\"}}",
     NULL, false, false},
    {"written by another manager",
     "{\"reportingController\":\"driftgate.io/driftgate\",\"reportingInstance\":\"dg\",\"reason\":\"DriftDenied\","
     "\"metadata\":{\"namespace\":\"ns\",\"managedFields\":[{\"manager\":\"kubectl\"}]},"
     "\"regarding\":{\"kind\":\"Service\",\"name\":\"s\"}}", NULL, false, false},
    {"no instance",
     "{\"reportingController\":\"driftgate.io/driftgate\",\"reason\":\"DriftDenied\","
     "\"metadata\":{\"namespace\":\"ns\"" MF "},\"regarding\":{\"kind\":\"Service\",\"name\":\"s\"}}",
     NULL, false, false},
    {"not an object", "[1]", NULL, false, false},
};

START_TEST(test_trusted)
{
    json_t *ev = dg_test_json(trust_cases[_i].event);

    ck_assert_msg(dg_kevent_trusted(ev, trust_cases[_i].prefix, trust_cases[_i].exact) ==
                      trust_cases[_i].trusted, "%s", trust_cases[_i].name);
    json_decref(ev);
}
END_TEST

static const struct {
    const char *own, *prefix;
    bool exact;
} prefix_cases[] = {
    {"driftgate-7f9c4d5b8-x2x9z", "driftgate-", false},
    {"my-drift-gate-7f9c4d5b8-x2x9z", "my-drift-gate-", false},
    {"laptop", "laptop", true},
    {"host-1", "host-1", true},
    {"", "", true},
};

START_TEST(test_instance_prefix)
{
    char out[256];
    bool exact;

    dg_kevent_instance_prefix(prefix_cases[_i].own, out, sizeof out, &exact);
    ck_assert_msg(strcmp(out, prefix_cases[_i].prefix) == 0 && exact == prefix_cases[_i].exact,
                  "%s: %s %d", prefix_cases[_i].own, out, exact);
}
END_TEST

/* An Event read back stands for the audit event of the decision. */
START_TEST(test_to_audit)
{
    dg_kevent_t e = denial();
    json_t *ev = dg_kevent_json(&e, "n", "test-nginx.1", "dg", T0), *au;

    json_object_set_new(ev, "series", dg_test_json("{\"count\":9,\"lastObservedTime\":\"2025-12-01T23:00:09.000000Z\"}"));
    au = dg_kevent_to_audit(ev, "validate.driftgate.io");
    ck_assert_ptr_nonnull(au);
    ck_assert_str_eq(json_string_value(json_object_get(au, "requestReceivedTimestamp")),
                     "2025-12-01T23:00:09.000000Z");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(au, "objectRef"), "resource")),
                     "horizontalpodautoscalers");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(au, "annotations"),
                                                       "validate.driftgate.io/decision")), "deny");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(au, "user"), "username")), "jane");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(au, "responseStatus"), "code")), 403);
    ck_assert_str_eq(json_string_value(json_object_get(au, "userAgent")), DG_KEVENT_USER_AGENT);
    json_decref(au);
    /* no decision (an audit finding): nothing to stand for */
    json_object_del(json_object_get(json_object_get(ev, "metadata"), "annotations"), "driftgate.io/decision");
    ck_assert_ptr_null(dg_kevent_to_audit(ev, "validate.driftgate.io"));
    json_decref(ev);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/kevent");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_for_decision, 0, sizeof decision_cases / sizeof decision_cases[0]);
    tcase_add_test(tc, test_note);
    tcase_add_test(tc, test_key);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_aggregation);
    tcase_add_loop_test(tc, test_trusted, 0, sizeof trust_cases / sizeof trust_cases[0]);
    tcase_add_loop_test(tc, test_instance_prefix, 0, sizeof prefix_cases / sizeof prefix_cases[0]);
    tcase_add_test(tc, test_to_audit);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
