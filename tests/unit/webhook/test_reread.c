/* tests/unit/webhook/test_reread.c: the re-read before a denial under
 * concurrency. The inner re-read here stands in for the API server (the
 * e2e suite and bench/kube-scale run the real one); it counts how many run
 * at once and numbers each answer, so the test can say which re-read a
 * caller was given. SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reread.h"
#include "support.h"

static atomic_int calls, running, most;
static atomic_long delay_ms;

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&t, NULL);
}

static int inner(void *ctx, const char *release, const char *ns, long timeout_ms,
                 dg_release_t **fresh, dg_err_t *err)
{
    int n = atomic_fetch_add(&calls, 1) + 1, now = atomic_fetch_add(&running, 1) + 1;

    (void)ctx, (void)timeout_ms, (void)err;
    for (int m = atomic_load(&most); now > m && !atomic_compare_exchange_weak(&most, &m, now);)
        ;
    sleep_ms(atomic_load(&delay_ms));
    atomic_fetch_sub(&running, 1);
    *fresh = dg_release_new(release, ns);
    (*fresh)->revision = n; /* which re-read answered */
    return 0;
}

static const dg_refresh_ops_t inner_ops = {inner, NULL};

/* Each test's own, made and freed in its forked child. */
static dg_metrics_t *metrics;

static void metrics_setup(void)
{
    metrics = dg_metrics_new();
}

static void metrics_teardown(void)
{
    dg_metrics_free(&metrics);
}

typedef struct caller {
    const dg_refresh_ops_t *ops;
    const char *release;
    long timeout_ms;
    int rc;
    long revision;
    char msg[256];
} caller_t;

static void *call(void *arg)
{
    caller_t *c = arg;
    dg_release_t *fresh = NULL;
    dg_err_t err = {0};

    c->rc = c->ops->refresh(c->ops->ctx, c->release, "ns", c->timeout_ms, &fresh, &err);
    c->revision = fresh ? fresh->revision : -1;
    snprintf(c->msg, sizeof c->msg, "%s", err.msg);
    dg_release_free(&fresh);
    return NULL;
}

static void reset(long ms)
{
    atomic_store(&calls, 0);
    atomic_store(&running, 0);
    atomic_store(&most, 0);
    atomic_store(&delay_ms, ms);
}

/* A storm of denials in one release: one re-read at a time, shared. */
START_TEST(test_storm_coalesced)
{
    dg_reread_t *r = dg_reread_new(&inner_ops, 5000, metrics, NULL);
    pthread_t t[16];
    caller_t c[16];

    reset(200);
    for (int i = 0; i < 16; i++) {
        c[i] = (caller_t){.ops = dg_reread_ops(r), .release = "web"};
        pthread_create(&t[i], NULL, call, &c[i]);
    }
    for (int i = 0; i < 16; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(c[i].rc, 0);
        ck_assert_int_ge(c[i].revision, 1);
    }
    ck_assert_int_eq(atomic_load(&most), 1);
    /* The first flight may have left before the others arrived: then one more. */
    ck_assert_int_le(atomic_load(&calls), 2);
    dg_reread_free(&r);
}
END_TEST

/* A denial that arrives while a re-read is under way is not given that
 * re-read's answer (Helm may have written since it started): it waits for
 * the next one. */
START_TEST(test_late_caller_gets_a_newer_read)
{
    dg_reread_t *r = dg_reread_new(&inner_ops, 5000, metrics, NULL);
    caller_t first = {.ops = dg_reread_ops(r), .release = "web"}, late = first;
    pthread_t a, b;

    reset(300);
    pthread_create(&a, NULL, call, &first);
    sleep_ms(100);
    pthread_create(&b, NULL, call, &late);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    ck_assert_int_eq(first.revision, 1);
    ck_assert_int_eq(late.revision, 2);
    ck_assert_int_eq(atomic_load(&most), 1);
    dg_reread_free(&r);
}
END_TEST

/* Releases do not wait for each other. */
START_TEST(test_releases_independent)
{
    dg_reread_t *r = dg_reread_new(&inner_ops, 5000, metrics, NULL);
    caller_t a = {.ops = dg_reread_ops(r), .release = "web"}, b = a;
    pthread_t ta, tb;

    b.release = "db";
    reset(200);
    pthread_create(&ta, NULL, call, &a);
    pthread_create(&tb, NULL, call, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ck_assert_int_eq(atomic_load(&calls), 2);
    ck_assert_int_eq(atomic_load(&most), 2);
    dg_reread_free(&r);
}
END_TEST

/* A waiter whose budget runs out gets an error, not a stale answer. */
START_TEST(test_budget)
{
    dg_reread_t *r = dg_reread_new(&inner_ops, 5000, metrics, NULL);
    caller_t slow = {.ops = dg_reread_ops(r), .release = "web"}, hurried = slow;
    pthread_t a, b;

    reset(600);
    pthread_create(&a, NULL, call, &slow);
    sleep_ms(50);
    hurried.timeout_ms = 1200; /* the API server's timeout: 200 ms left for us */
    pthread_create(&b, NULL, call, &hurried);
    pthread_join(b, NULL);
    ck_assert_int_ne(hurried.rc, 0);
    ck_assert_ptr_nonnull(strstr(hurried.msg, "no answer within 200 ms"));
    pthread_join(a, NULL);
    ck_assert_int_eq(slow.rc, 0);
    dg_reread_free(&r);
}
END_TEST

static const struct {
    unsigned budget;
    long timeout, want;
} budgets[] = {
    {1000, 0, 1000},    /* no ?timeout=: the budget */
    {1000, 10000, 1000}, /* the API server's default 10 s */
    {1000, 1500, 500},  /* timeoutSeconds: 1.5 less the margin */
    {1000, 1000, 0},    /* nothing left: no re-read */
    {1000, 800, 0},
};

START_TEST(test_budget_table)
{
    ck_assert_int_eq(dg_reread_budget_ms(budgets[_i].budget, budgets[_i].timeout), budgets[_i].want);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook/reread");
    TCase *tc = tcase_create("reread");

    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, metrics_setup, metrics_teardown);
    tcase_add_test(tc, test_storm_coalesced);
    tcase_add_test(tc, test_late_caller_gets_a_newer_read);
    tcase_add_test(tc, test_releases_independent);
    tcase_add_test(tc, test_budget);
    tcase_add_loop_test(tc, test_budget_table, 0, sizeof budgets / sizeof budgets[0]);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
