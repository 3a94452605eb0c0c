/* tests/unit/webhook/test_metrics.c: two gates in one process share no
 * counter (issue 9): each dg_metrics_t, and the store that counts into it,
 * belong to one gate. Gate 0 and gate 1 each see different traffic; each
 * one's exposition must show its own counts and none of the other's.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "store.h"
#include "support.h"

/* A line of a gate's /metrics, and whether it must be there. */
static const struct {
    const char *name;
    int gate;
    const char *line;
    bool present;
} cases[] = {
    {"baselines: gate 0 loaded two", 0, "driftgate_baselines_loaded 2", true},
    {"baselines: gate 1 loaded none", 1, "driftgate_baselines_loaded 0", true},
    {"decisions: gate 0 judged one", 0, "driftgate_admission_duration_seconds_count 1", true},
    {"decisions: gate 1 judged none", 1, "driftgate_admission_duration_seconds_count 0", true},
    {"rejected: gate 1 refused one", 1, "driftgate_http_rejected_total{code=\"413\"} 1", true},
    {"rejected: gate 0 refused none", 0, "driftgate_http_rejected_total{code=\"413\"} 0", true},
    {"watch: gate 0 has its slot", 0, "driftgate_watch_lists_total{watch=\"hpas\"} 1", true},
    {"watch: gate 1 has no slot", 1, "driftgate_watch_lists_total{watch=\"hpas\"}", false},
    {"kube: gate 1 listed once", 1, "driftgate_kube_requests_total{verb=\"list\"} 1", true},
    {"kube: gate 0 listed never", 0, "driftgate_kube_requests_total{verb=\"list\"} 0", true},
    {"rereads: gate 0 made one", 0, "driftgate_rereads_total 1", true},
    {"rereads: gate 1 made none", 1, "driftgate_rereads_total 0", true},
};

static dg_release_t *rel(const char *name)
{
    dg_release_t *r = dg_release_new(name, "sandbox-nginx");

    ck_assert_ptr_nonnull(r);
    return r;
}

/* Feed two gates different traffic and render each. */
static void two_gates(char *out[2])
{
    dg_metrics_t *m[2] = {dg_metrics_new(), dg_metrics_new()};
    dg_store_t *st[2];
    dg_release_t *r[2] = {rel("web"), rel("db")};

    for (int i = 0; i < 2; i++) {
        ck_assert_ptr_nonnull(m[i]);
        st[i] = dg_store_new(m[i], NULL);
        ck_assert_ptr_nonnull(st[i]);
    }
    ck_assert_int_eq(dg_store_update(st[0], DG_SOURCE_DIR, r, 2, NULL), 0);
    dg_metrics_decision(m[0], DG_VERDICT_ALLOW, 200, 5000);
    dg_metrics_watch_list(m[0], dg_metrics_watch_register(m[0], "hpas"));
    dg_metrics_reread(m[0], DG_REREAD_MADE);
    dg_metrics_rejected(m[1], 413);
    dg_metrics_kube_request(m[1], DG_KUBE_LIST);
    for (int i = 0; i < 2; i++) {
        dg_buf_t b;

        dg_buf_init(&b, 0);
        ck_assert_int_eq(dg_metrics_render(m[i], &b, 0, 0), 0);
        out[i] = strdup(b.data);
        ck_assert_ptr_nonnull(out[i]);
        dg_buf_free(&b);
        dg_store_free(&st[i]); /* before its metrics: it counts there */
        dg_metrics_free(&m[i]);
        dg_release_free(&r[i]);
    }
}

/* Is @line a whole line of @text, or (when it has no value) a line's start? */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = text; p != NULL; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == ' '))
            return true;
    }
    return false;
}

START_TEST(test_two_gates_share_nothing)
{
    char *text[2];

    two_gates(text);
    ck_assert_msg(has_line(text[cases[_i].gate], cases[_i].line) == cases[_i].present,
                  "%s: '%s' %s in gate %d's metrics:\n%s", cases[_i].name, cases[_i].line,
                  cases[_i].present ? "missing" : "present", cases[_i].gate,
                  text[cases[_i].gate]);
    free(text[0]);
    free(text[1]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook/metrics");
    TCase *tc = tcase_create("metrics");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_two_gates_share_nothing, 0, sizeof cases / sizeof cases[0]);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
