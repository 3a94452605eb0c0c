/* tests/unit/policy/test_kevent.c: Event notes, bodies, aggregation,
 * signatures and the trust check on Events read back.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kevent.h"
#include "support.h"

#define SEC 1000000000LL
#define T0 (1764630000LL * SEC) /* 2025-12-01T23:00:00Z */

/* The key driftgate would derive from this serving key file. */
static void serving_key(uint8_t key[DG_KEVENT_KEY_LEN])
{
    static const char pem[] = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n"
                              "-----END PRIVATE KEY-----\n";

    ck_assert_int_eq(dg_kevent_sign_key(pem, sizeof pem - 1, key), 0);
}

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
#define WHEN "\"eventTime\":\"2025-12-01T23:00:00.000000Z\","
#define OURS(inst, reason, ns, rns) \
    "{" WHEN "\"reportingController\":\"driftgate.io/driftgate\",\"reportingInstance\":\"" inst "\"," \
    "\"reason\":\"" reason "\",\"metadata\":{\"namespace\":\"" ns "\"" MF "}," \
    "\"regarding\":{\"kind\":\"Service\",\"name\":\"s\",\"namespace\":\"" rns "\"}}"

/* Each Event is signed with the test key before the check: the filters
 * still refuse what they refused, with a valid signature. */
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
     "{" WHEN "\"reportingController\":\"kubelet\",\"reportingInstance\":\"dg\",\"reason\":\"DriftDenied\","
     "\"metadata\":{\"namespace\":\"ns\"" MF "},\"regarding\":{\"kind\":\"Service\",\"name\":\"s\"}}",
     NULL, false, false},
    /* The field manager decides nothing: forged at will, and dropped by
     * the API server when the Event is patched through core/v1. */
    {"written by another manager, signed",
     "{" WHEN "\"reportingController\":\"driftgate.io/driftgate\",\"reportingInstance\":\"dg\",\"reason\":\"DriftDenied\","
     "\"metadata\":{\"namespace\":\"ns\",\"managedFields\":[{\"manager\":\"kubectl\"}]},"
     "\"regarding\":{\"kind\":\"Service\",\"name\":\"s\"}}", NULL, false, true},
    {"no instance",
     "{" WHEN "\"reportingController\":\"driftgate.io/driftgate\",\"reason\":\"DriftDenied\","
     "\"metadata\":{\"namespace\":\"ns\"" MF "},\"regarding\":{\"kind\":\"Service\",\"name\":\"s\"}}",
     NULL, false, false},
    {"not an object", "[1]", NULL, false, false},
};

START_TEST(test_trusted)
{
    json_t *ev = dg_test_json(trust_cases[_i].event);
    uint8_t key[DG_KEVENT_KEY_LEN];

    serving_key(key);
    if (json_is_object(ev))
        ck_assert_msg(dg_kevent_sign(ev, key, NULL) == 0, "%s: not signed", trust_cases[_i].name);
    ck_assert_msg(dg_kevent_trusted(ev, trust_cases[_i].prefix, trust_cases[_i].exact, key) ==
                      trust_cases[_i].trusted, "%s", trust_cases[_i].name);
    json_decref(ev);
}
END_TEST

/* What a namespace editor can write: every field the filters check right
 * (controller, instance, and the field manager once checked), no
 * signature. Not believed. */
START_TEST(test_unsigned_not_trusted)
{
    json_t *ev = dg_test_json(OURS("driftgate-5d8f-abcde", "DriftDenied", "ns", "ns"));
    uint8_t key[DG_KEVENT_KEY_LEN];

    serving_key(key);
    ck_assert(!dg_kevent_trusted(ev, "driftgate-", false, key));
    ck_assert_int_eq(dg_kevent_sign(ev, key, NULL), 0);
    ck_assert(dg_kevent_trusted(ev, "driftgate-", false, key));
    json_decref(ev);
}
END_TEST

/* ---- signatures ------------------------------------------------------------------ */

/* A denial's Event as driftgate posts it, signed with the test key. */
static json_t *signed_denial(void)
{
    dg_kevent_t e = denial();
    json_t *ev = dg_kevent_json(&e, "the note", "test-nginx.00ab", "driftgate-7f9c-abcde", T0);
    uint8_t key[DG_KEVENT_KEY_LEN];

    serving_key(key);
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(dg_kevent_sign(ev, key, NULL), 0);
    return ev;
}

/* One change to a signed Event: in @obj ("metadata", "regarding",
 * "annotations" = metadata.annotations, NULL = the top level), @key set to
 * the JSON @value, or deleted when @value is NULL. */
static const struct {
    const char *name, *obj, *key, *value;
    bool wrong_key, verifies;
} sig_cases[] = {
    {"as posted", NULL, NULL, NULL, false, true},
    {"series patched (repeats, or anyone with patch)", NULL, "series",
     "{\"count\":99,\"lastObservedTime\":\"2099-01-01T00:00:00.000000Z\"}", false, true},
    {"the same eventTime written another way", NULL, "eventTime", "\"2025-12-01T23:00:00Z\"", false, true},
    {"set by the API server: metadata.uid", "metadata", "uid", "\"e-1\"", false, true},
    {"another annotation added", "annotations", "example.com/x", "\"y\"", false, true},
    {"wrong key", NULL, NULL, NULL, true, false},
    {"signature missing", "annotations", DG_KEVENT_SIG_ANNOTATION, NULL, false, false},
    {"signature of another scheme", "annotations", DG_KEVENT_SIG_ANNOTATION, "\"v2:AAAA\"", false, false},
    {"signature malformed", "annotations", DG_KEVENT_SIG_ANNOTATION, "\"v1:AAAA\"", false, false},
    {"signature not a string", "annotations", DG_KEVENT_SIG_ANNOTATION, "1", false, false},
    {"note", NULL, "note", "\"the note, edited\"", false, false},
    {"reason", NULL, "reason", "\"DriftReconciled\"", false, false},
    {"type", NULL, "type", "\"Normal\"", false, false},
    {"action", NULL, "action", "\"Reconcile\"", false, false},
    {"eventTime", NULL, "eventTime", "\"2025-12-01T23:00:01.000000Z\"", false, false},
    {"eventTime removed", NULL, "eventTime", NULL, false, false},
    {"reportingController", NULL, "reportingController", "\"driftgate.io/other\"", false, false},
    {"reportingInstance", NULL, "reportingInstance", "\"driftgate-7f9c-zzzzz\"", false, false},
    {"metadata.name", "metadata", "name", "\"test-nginx.00ac\"", false, false},
    {"metadata.namespace", "metadata", "namespace", "\"tenant-b\"", false, false},
    {"regarding.apiVersion", "regarding", "apiVersion", "\"autoscaling/v1\"", false, false},
    {"regarding.kind", "regarding", "kind", "\"Deployment\"", false, false},
    {"regarding.namespace", "regarding", "namespace", "\"tenant-b\"", false, false},
    {"regarding.name", "regarding", "name", "\"other\"", false, false},
    {"regarding.uid", "regarding", "uid", "\"u-2\"", false, false},
    {"regarding.uid removed", "regarding", "uid", NULL, false, false},
    {"a covered field not a string", NULL, "note", "42", false, false},
    {"decision", "annotations", "driftgate.io/decision", "\"reconcile\"", false, false},
    {"decision removed", "annotations", "driftgate.io/decision", NULL, false, false},
    {"release", "annotations", "driftgate.io/release", "\"tenant-b/x\"", false, false},
    {"user", "annotations", "driftgate.io/user", "\"mallory\"", false, false},
    {"rule", "annotations", "driftgate.io/rule", "\"other\"", false, false},
    {"variances", "annotations", "driftgate.io/variances", "\"spec.minReplicas: 6 -> 1\"", false, false},
    {"reconciled added", "annotations", "driftgate.io/reconciled", "\"x\"", false, false},
    {"group", "annotations", "driftgate.io/group", "\"apps\"", false, false},
    {"resource", "annotations", "driftgate.io/resource", "\"deployments\"", false, false},
};

START_TEST(test_signature)
{
    json_t *ev = signed_denial(), *o = ev;
    uint8_t key[DG_KEVENT_KEY_LEN];

    serving_key(key);
    if (sig_cases[_i].wrong_key)
        ck_assert_int_eq(dg_kevent_sign_key("another key", 11, key), 0);
    if (sig_cases[_i].obj && strcmp(sig_cases[_i].obj, "annotations") == 0)
        o = json_object_get(json_object_get(ev, "metadata"), "annotations");
    else if (sig_cases[_i].obj)
        o = json_object_get(ev, sig_cases[_i].obj);
    if (sig_cases[_i].key && sig_cases[_i].value)
        json_object_set_new(o, sig_cases[_i].key, dg_test_json(sig_cases[_i].value));
    else if (sig_cases[_i].key)
        json_object_del(o, sig_cases[_i].key);
    ck_assert_msg(dg_kevent_verify(ev, key) == sig_cases[_i].verifies, "%s", sig_cases[_i].name);
    json_decref(ev);
}
END_TEST

/* The canonical form is the contract between driftgate versions: an Event
 * signed by one verifies under the next only while this text is the same. */
START_TEST(test_canonical)
{
    json_t *ev = dg_test_json(
        "{\"metadata\":{\"name\":\"s.1\",\"namespace\":\"default\",\"annotations\":"
        "{\"driftgate.io/decision\":\"deny\",\"driftgate.io/resource\":\"services\"}},"
        "\"eventTime\":\"2025-12-01T23:00:00.5Z\",\"reportingController\":\"driftgate.io/driftgate\","
        "\"reportingInstance\":\"dg\",\"reason\":\"DriftDenied\",\"note\":\"n\",\"type\":\"Warning\","
        "\"action\":\"Deny\",\"regarding\":{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"name\":\"s\","
        "\"namespace\":\"\"},\"series\":{\"count\":3}}");
    dg_buf_t c;

    dg_buf_init(&c, 0);
    ck_assert_int_eq(dg_kevent_canonical(ev, &c, NULL), 0);
    ck_assert_str_eq(c.data, "driftgate.io/events/v1\n"
                             "metadata.namespace=7:default\nmetadata.name=3:s.1\n"
                             "regarding.apiVersion=2:v1\nregarding.kind=7:Service\n"
                             "regarding.namespace=0:\nregarding.name=1:s\nregarding.uid=0:\n"
                             "reason=11:DriftDenied\nnote=1:n\ntype=7:Warning\naction=4:Deny\n"
                             "reportingController=22:driftgate.io/driftgate\nreportingInstance=2:dg\n"
                             "driftgate.io/decision=4:deny\ndriftgate.io/release=0:\n"
                             "driftgate.io/user=0:\ndriftgate.io/rule=0:\ndriftgate.io/variances=0:\n"
                             "driftgate.io/reconciled=0:\ndriftgate.io/group=0:\n"
                             "driftgate.io/resource=8:services\neventTime=1764630000500000000\n");
    dg_buf_free(&c);
    /* An eventTime that is not a time: no canonical form, no signature. */
    json_object_set_new(ev, "eventTime", json_string("yesterday"));
    dg_buf_init(&c, 0);
    ck_assert_int_eq(dg_kevent_canonical(ev, &c, NULL), DG_EPARSE);
    dg_buf_free(&c);
    json_decref(ev);
}
END_TEST

/* What a signature looks like; another serving key gives another. */
START_TEST(test_sign_format)
{
    json_t *ev = signed_denial();
    const char *sig = json_string_value(json_object_get(
        json_object_get(json_object_get(ev, "metadata"), "annotations"), DG_KEVENT_SIG_ANNOTATION));
    uint8_t a[DG_KEVENT_KEY_LEN], b[DG_KEVENT_KEY_LEN];
    char first[64];

    ck_assert_ptr_nonnull(sig);
    ck_assert_uint_eq(strlen(sig), 3 + 43);
    ck_assert(strncmp(sig, "v1:", 3) == 0);
    ck_assert_uint_eq(strspn(sig + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
    snprintf(first, sizeof first, "%s", sig);
    /* Signed again (a retried POST): the same signature, replaced. */
    serving_key(a);
    ck_assert_int_eq(dg_kevent_sign(ev, a, NULL), 0);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(ev, "metadata"),
                                                                       "annotations"),
                                                       DG_KEVENT_SIG_ANNOTATION)), first);
    ck_assert(dg_kevent_verify(ev, a));
    /* Another serving key (a rotation): another signing key. */
    ck_assert_int_eq(dg_kevent_sign_key("k2", 2, b), 0);
    ck_assert(memcmp(a, b, sizeof a) != 0);
    ck_assert(!dg_kevent_verify(ev, b));
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
    au = dg_kevent_to_audit(ev, "validate.driftgate.io", T0 + 60 * SEC);
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
    ck_assert_ptr_null(dg_kevent_to_audit(ev, "validate.driftgate.io", T0 + 60 * SEC));
    json_decref(ev);
}
END_TEST

/* The time a decision is filed at: series.lastObservedTime is not signed
 * (anyone who may patch the Event moves it), so it is kept between the
 * signed eventTime (23:00:00 here) and the rebuild's now. */
static const struct {
    const char *name, *last;
    int64_t now;
    const char *want;
} when_cases[] = {
    {"no series: eventTime", NULL, T0 + 60 * SEC, "2025-12-01T23:00:00.000000Z"},
    {"the last repeat", "2025-12-01T23:00:09.000000Z", T0 + 60 * SEC, "2025-12-01T23:00:09.000000Z"},
    {"before eventTime: eventTime", "2025-12-01T22:00:00.000000Z", T0 + 60 * SEC,
     "2025-12-01T23:00:00.000000Z"},
    {"in the future: now", "2099-01-01T00:00:00.000000Z", T0 + 60 * SEC, "2025-12-01T23:01:00.000000Z"},
    {"not a time: eventTime", "soon", T0 + 60 * SEC, "2025-12-01T23:00:00.000000Z"},
    {"eventTime ahead of this clock: eventTime", "2025-12-01T23:00:09.000000Z", T0 - SEC,
     "2025-12-01T23:00:00.000000Z"},
};

START_TEST(test_to_audit_time)
{
    dg_kevent_t e = denial();
    json_t *ev = dg_kevent_json(&e, "n", "test-nginx.1", "dg", T0), *au;
    const char *got;

    if (when_cases[_i].last)
        json_object_set_new(ev, "series", json_pack("{s:i, s:s}", "count", 2, "lastObservedTime",
                                                    when_cases[_i].last));
    au = dg_kevent_to_audit(ev, "validate.driftgate.io", when_cases[_i].now);
    ck_assert_ptr_nonnull(au);
    got = json_string_value(json_object_get(au, "requestReceivedTimestamp"));
    ck_assert_msg(strcmp(got, when_cases[_i].want) == 0, "%s: %s", when_cases[_i].name, got);
    json_decref(au);
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
    tcase_add_loop_test(tc, test_to_audit_time, 0, sizeof when_cases / sizeof when_cases[0]);
    tcase_add_test(tc, test_unsigned_not_trusted);
    tcase_add_loop_test(tc, test_signature, 0, sizeof sig_cases / sizeof sig_cases[0]);
    tcase_add_test(tc, test_canonical);
    tcase_add_test(tc, test_sign_format);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
