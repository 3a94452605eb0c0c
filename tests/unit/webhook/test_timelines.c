/* tests/unit/webhook/test_timelines.c: the live timelines of POST /audit:
 * the last N events of each release are kept, the release written to
 * longest ago is dropped for a new one, a body that is not an EventList
 * keeps nothing, and what is kept renders as driftctl timeline would.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "kevent.h"
#include "support.h"
#include "timelines.h"

/* The e2e audit log as an EventList, every "sandbox-nginx" renamed @ns:
 * the same releases' history in another namespace; @only_ns: just the
 * lines about that namespace (its releases test-nginx and broken). */
static json_t *event_list(const char *ns, bool only_ns)
{
    size_t len;
    char *log = dg_test_read("tests/fixtures/timeline/e2e-audit.log", &len), *line, *save;
    char *text = malloc(len * 2 + 64);
    json_t *items = json_array();

    ck_assert_ptr_nonnull(text);
    for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (only_ns && strstr(line, "sandbox-nginx") == NULL)
            continue;
        text[0] = '\0';
        for (char *q = line; *q;) {
            if (strncmp(q, "sandbox-nginx", 13) == 0) {
                strcat(text, ns);
                q += 13;
            } else {
                strncat(text, q++, 1);
            }
        }
        json_array_append_new(items, dg_test_json(text));
    }
    free(text);
    free(log);
    return json_pack("{s:s, s:s, s:o}", "kind", "EventList", "apiVersion", "audit.k8s.io/v1",
                     "items", items);
}

static dg_timelines_t *store(dg_policy_t **pol, size_t per_release, size_t releases)
{
    dg_timeline_opts_t to = {0};

    *pol = dg_policy_default(NULL);
    ck_assert_ptr_nonnull(*pol);
    to.pol = *pol;
    return dg_timelines_new(&to, per_release, releases, NULL);
}

START_TEST(test_bounded_per_release)
{
    dg_policy_t *pol;
    dg_timelines_t *t = store(&pol, 4, 8);
    json_t *a = event_list("sandbox-nginx", false);
    size_t skipped = 0;

    ck_assert_int_eq(dg_timelines_add(t, a, &skipped, NULL), 0);
    ck_assert_uint_eq(skipped, 0);
    ck_assert_uint_eq(dg_timelines_count(t, "sandbox-nginx", "test-nginx"), 4);
    ck_assert_uint_eq(dg_timelines_count(t, "sandbox-nginx", "nope"), 0);
    json_decref(a);
    dg_timelines_free(&t);
    dg_policy_free(&pol);
}
END_TEST

START_TEST(test_oldest_release_evicted)
{
    dg_policy_t *pol;
    dg_timelines_t *t = store(&pol, 1000, 4); /* two namespaces' two releases */
    json_t *a = event_list("sandbox-a", true), *b = event_list("sandbox-b", true),
           *c = event_list("sandbox-c", true);
    size_t n;

    ck_assert_int_eq(dg_timelines_add(t, a, NULL, NULL), 0);
    n = dg_timelines_count(t, "sandbox-a", "test-nginx");
    ck_assert_uint_gt(n, 5);
    ck_assert_int_eq(dg_timelines_add(t, b, NULL, NULL), 0);
    ck_assert_uint_eq(dg_timelines_count(t, "sandbox-b", "test-nginx"), n);
    ck_assert_int_eq(dg_timelines_add(t, c, NULL, NULL), 0);
    ck_assert_uint_eq(dg_timelines_count(t, "sandbox-a", "test-nginx"), 0);
    ck_assert_uint_eq(dg_timelines_count(t, "sandbox-b", "test-nginx"), n);
    ck_assert_uint_eq(dg_timelines_count(t, "sandbox-c", "test-nginx"), n);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    dg_timelines_free(&t);
    dg_policy_free(&pol);
}
END_TEST

START_TEST(test_not_an_event_list)
{
    dg_policy_t *pol;
    dg_timelines_t *t = store(&pol, 10, 2);
    json_t *bad = dg_test_json("{\"kind\":\"AdmissionReview\",\"items\":[]}");
    json_t *mixed = dg_test_json("{\"kind\":\"EventList\",\"items\":[1,{\"kind\":\"Event\"}]}");
    dg_err_t err = {0};
    size_t skipped = 0;

    ck_assert_int_eq(dg_timelines_add(t, bad, NULL, &err), DG_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.msg, "EventList"));
    ck_assert_int_eq(dg_timelines_add(t, mixed, &skipped, NULL), 0);
    ck_assert_uint_eq(skipped, 2);
    json_decref(bad);
    json_decref(mixed);
    dg_timelines_free(&t);
    dg_policy_free(&pol);
}
END_TEST

START_TEST(test_renders_as_driftctl)
{
    dg_policy_t *pol;
    dg_timelines_t *t = store(&pol, 1000, 2);
    json_t *a = event_list("sandbox-nginx", false), *got, *want, *ev;
    size_t i;
    char *expect = dg_test_read("tests/fixtures/timeline/expect-test-nginx.json", NULL);
    dg_buf_t out;
    dg_err_t err = {0};

    dg_buf_init(&out, 0);
    json_array_foreach(json_object_get(a, "items"), i, ev)
        json_object_del(ev, "kind"); /* as the API server sends them */
    ck_assert_int_eq(dg_timelines_add(t, a, NULL, NULL), 0);
    ck_assert_int_eq(dg_timelines_render(t, "sandbox-nginx", "test-nginx", NULL, DG_FMT_JSON,
                                         &out, &err), 0);
    got = dg_test_json(out.data);
    want = dg_test_json(expect);
    ck_assert(json_equal(json_object_get(got, "events"), json_object_get(want, "events")));
    ck_assert_int_eq(dg_timelines_render(t, "sandbox-nginx", "test-nginx", "widget/x",
                                         DG_FMT_JSON, &out, &err), DG_EINVAL);
    json_decref(got);
    json_decref(want);
    json_decref(a);
    free(expect);
    dg_buf_free(&out);
    dg_timelines_free(&t);
    dg_policy_free(&pol);
}
END_TEST

/* A restarted driftgate's timeline, from the Event it posted for a denial:
 * classified like the API server's record of the request, told apart by
 * its userAgent. */
START_TEST(test_rebuilt_from_event)
{
    dg_policy_t *pol;
    dg_timelines_t *t = store(&pol, 16, 8);
    dg_kevent_t e = {.api_version = "autoscaling/v2", .kind = "HorizontalPodAutoscaler",
                     .ns = "sandbox-nginx", .name = "test-nginx", .uid = "u-1",
                     .group = "autoscaling", .resource = "horizontalpodautoscalers",
                     .path = "spec.minReplicas", .desired = "6", .value = "4", .user = "jane",
                     .release = "sandbox-nginx/test-nginx", .variances = "spec.minReplicas: 6 -> 4",
                     .rule = "hpa-bounds"};
    json_t *ev, *au, *list, *got, *want;
    dg_buf_t out;
    size_t skipped = 0;

    ck_assert_int_eq(dg_kevent_for_decision("deny", &e), 0);
    ev = dg_kevent_json(&e, "note", "test-nginx.1", "driftgate-5d-x", 1764630000LL * 1000000000);
    json_object_set_new(json_object_get(ev, "metadata"), "uid", json_string("ev-uid"));
    au = dg_kevent_to_audit(ev, "validate.driftgate.io", INT64_MAX);
    ck_assert_ptr_nonnull(au);
    list = json_pack("{s:s, s:s, s:[o]}", "kind", "EventList", "apiVersion", "audit.k8s.io/v1",
                     "items", au);
    ck_assert_int_eq(dg_timelines_add(t, list, &skipped, NULL), 0);
    ck_assert_uint_eq(skipped, 0);
    ck_assert_uint_eq(dg_timelines_count(t, "sandbox-nginx", "test-nginx"), 1);
    dg_buf_init(&out, 0);
    ck_assert_int_eq(dg_timelines_render(t, "sandbox-nginx", "test-nginx", NULL, DG_FMT_JSON, &out, NULL), 0);
    got = dg_test_json(out.data);
    want = dg_test_json("{\"time\":\"2025-12-01T23:00:00.000000Z\",\"stage\":\"out-of-band-mutation\","
                        "\"user\":\"jane\",\"userAgent\":\"driftgate/event\",\"code\":403,\"decision\":\"deny\","
                        "\"release\":\"sandbox-nginx/test-nginx\",\"rule\":\"hpa-bounds\","
                        "\"variances\":[{\"path\":\"spec.minReplicas\",\"desired\":6,\"requested\":4}]}");
    {
        json_t *e0 = json_array_get(json_object_get(got, "events"), 0);
        const char *k;
        json_t *v;

        ck_assert_ptr_nonnull(e0);
        json_object_foreach(want, k, v)
            ck_assert_msg(json_equal(json_object_get(e0, k), v), "%s: %s", k,
                          json_dumps(e0, JSON_COMPACT));
    }
    json_decref(got);
    json_decref(want);
    json_decref(list);
    json_decref(ev);
    dg_buf_free(&out);
    dg_timelines_free(&t);
    dg_policy_free(&pol);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook/timelines");
    TCase *tc = tcase_create("timelines");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bounded_per_release);
    tcase_add_test(tc, test_oldest_release_evicted);
    tcase_add_test(tc, test_not_an_event_list);
    tcase_add_test(tc, test_renders_as_driftctl);
    tcase_add_test(tc, test_rebuilt_from_event);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
