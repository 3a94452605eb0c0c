/* tests/unit/policy/test_episode.c: drift episodes across audit passes.
 * SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "episode.h"
#include "support.h"

#define T0 1764630000LL /* 2025-12-01T23:00:00Z */

static bool all_read(void *ctx, const char *release, const char *object)
{
    (void)ctx, (void)release;
    return strcmp(object, "unread") != 0;
}

static long rev;
static long revision(void *ctx, const char *release)
{
    (void)ctx, (void)release;
    return rev;
}

static int nended;
static void ended(void *ctx, const dg_episode_t *ep)
{
    (void)ctx, (void)ep;
    nended++;
}

static dg_episode_t *see(dg_episodes_t *e, const char *object, const char *path, const char *by,
                         int64_t hold, int64_t now, bool *is_new)
{
    dg_episode_obs_t o = {"ns/rel", object, path, rev, by, hold};

    return dg_episodes_observe(e, &o, now, is_new);
}

/* Started at first sight, last seen each pass, ended reconciled. */
START_TEST(test_lifecycle)
{
    dg_episodes_t *e = dg_episodes_new(10, 4);
    dg_episode_t *ep;
    bool is_new;
    json_t *j, *want;

    rev = 3;
    nended = 0;
    dg_episodes_begin(e);
    ep = see(e, "hpa/x", "spec.minReplicas", "kubectl-edit", 0, T0, &is_new);
    ck_assert(is_new);
    dg_episodes_end_pass(e, T0, all_read, revision, ended, NULL);
    dg_episodes_begin(e);
    ep = see(e, "hpa/x", "spec.minReplicas", NULL, 0, T0 + 60, &is_new);
    ck_assert(!is_new);
    dg_episodes_end_pass(e, T0 + 60, all_read, revision, ended, NULL);
    j = dg_episode_json(ep, T0 + 90);
    want = dg_test_json("{\"started\":\"2025-12-01T23:00:00Z\",\"startedFrom\":\"first-seen\","
                        "\"lastSeen\":\"2025-12-01T23:01:00Z\",\"ageSeconds\":90,"
                        "\"changedBy\":\"kubectl-edit\",\"changedByFrom\":\"field-manager\","
                        "\"revision\":3,\"hold\":null,\"ended\":null,\"endedBy\":null}");
    ck_assert_msg(json_equal(j, want), "%s", json_dumps(j, JSON_COMPACT));
    json_decref(j);
    json_decref(want);
    j = dg_episodes_oldest(e);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "ns/rel")), T0);
    json_decref(j);
    /* gone from the next pass: reconciled */
    dg_episodes_begin(e);
    dg_episodes_end_pass(e, T0 + 120, all_read, revision, ended, NULL);
    ck_assert_int_eq(nended, 1);
    ck_assert_uint_eq(dg_episodes_open(e), 0);
    j = dg_episodes_ended_json(e, T0 + 130);
    ck_assert_uint_eq(json_array_size(j), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "endedBy")), "reconciled");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(j, 0), "ageSeconds")), 120);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "path")), "spec.minReplicas");
    json_decref(j);
    j = dg_episodes_oldest(e);
    ck_assert_uint_eq(json_object_size(j), 0);
    json_decref(j);
    dg_episodes_free(&e);
}
END_TEST

/* A new revision makes the live value the desired one: adopted. An object
 * not read keeps its episode open. */
START_TEST(test_adopted_and_unread)
{
    dg_episodes_t *e = dg_episodes_new(10, 4);
    bool is_new;
    json_t *j;

    rev = 3;
    dg_episodes_begin(e);
    see(e, "svc/y", "spec.ports[name=http].port", NULL, 0, T0, &is_new);
    see(e, "unread", "spec.replicas", NULL, 0, T0, &is_new);
    dg_episodes_end_pass(e, T0, all_read, revision, NULL, NULL);
    rev = 4;
    dg_episodes_begin(e);
    dg_episodes_end_pass(e, T0 + 60, all_read, revision, NULL, NULL);
    ck_assert_uint_eq(dg_episodes_open(e), 1);
    ck_assert_ptr_nonnull(dg_episodes_find(e, "ns/rel", "unread", "spec.replicas"));
    j = dg_episodes_ended_json(e, T0 + 60);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "endedBy")), "adopted");
    json_decref(j);
    dg_episodes_free(&e);
}
END_TEST

/* The audit log's write moves the start back, once, and names the user. */
START_TEST(test_cause)
{
    dg_episodes_t *e = dg_episodes_new(10, 4);
    dg_episode_t *ep;
    bool is_new;
    json_t *j;

    rev = 1;
    dg_episodes_begin(e);
    ep = see(e, "hpa/x", "spec.maxReplicas", NULL, 0, T0, &is_new);
    ck_assert_int_eq(dg_episodes_cause(ep, T0 + 5, "jane"), 0); /* after first seen: ignored */
    ck_assert(!ep->started_from_audit);
    ck_assert_int_eq(dg_episodes_cause(ep, T0 - 40, "jane"), 0);
    j = dg_episode_json(ep, T0);
    ck_assert_str_eq(json_string_value(json_object_get(j, "startedFrom")), "audit-event");
    ck_assert_str_eq(json_string_value(json_object_get(j, "changedBy")), "jane");
    ck_assert_str_eq(json_string_value(json_object_get(j, "changedByFrom")), "audit");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "ageSeconds")), 40);
    json_decref(j);
    dg_episodes_free(&e);
}
END_TEST

/* Break-glass: the hold and its expiry. */
START_TEST(test_hold)
{
    dg_episodes_t *e = dg_episodes_new(10, 4);
    dg_episode_t *ep;
    bool is_new;
    json_t *j, *want;

    dg_episodes_begin(e);
    ep = see(e, "hpa/x", "spec.minReplicas", NULL, T0 + 3600, T0, &is_new);
    j = dg_episode_json(ep, T0 + 10);
    want = dg_test_json("{\"until\":\"2025-12-02T00:00:00Z\",\"expired\":false,\"message\":null}");
    ck_assert_msg(json_equal(json_object_get(j, "hold"), want), "%s", json_dumps(j, JSON_COMPACT));
    json_decref(j);
    json_decref(want);
    j = dg_episode_json(ep, T0 + 3600);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "hold"), "message")),
                     DG_EPISODE_HOLD_EXPIRED);
    json_decref(j);
    dg_episodes_free(&e);
}
END_TEST

/* Bounded: past max_open nothing new is tracked; the ended ring keeps the last. */
START_TEST(test_bounds)
{
    dg_episodes_t *e = dg_episodes_new(2, 2);
    bool is_new;
    json_t *j;

    dg_episodes_begin(e);
    ck_assert_ptr_nonnull(see(e, "a", "p", NULL, 0, T0, &is_new));
    ck_assert_ptr_nonnull(see(e, "b", "p", NULL, 0, T0, &is_new));
    ck_assert_ptr_null(see(e, "c", "p", NULL, 0, T0, &is_new));
    ck_assert_uint_eq(dg_episodes_untracked(e), 1);
    dg_episodes_end_pass(e, T0, NULL, NULL, NULL, NULL);
    for (int i = 0; i < 3; i++) {
        dg_episodes_begin(e);
        see(e, "a", "q", NULL, 0, T0 + i, &is_new);
        dg_episodes_end_pass(e, T0 + i, NULL, NULL, NULL, NULL);
    }
    j = dg_episodes_ended_json(e, T0 + 10);
    ck_assert_uint_eq(json_array_size(j), 2);
    json_decref(j);
    dg_episodes_free(&e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/episode");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_lifecycle);
    tcase_add_test(tc, test_adopted_and_unread);
    tcase_add_test(tc, test_cause);
    tcase_add_test(tc, test_hold);
    tcase_add_test(tc, test_bounds);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
