/* tests/unit/webhook/test_published.c: baseline ConfigMaps into releases.
 * Two that serve one release: the one publish names is enforced, else the
 * first by name, whatever order they came in (the map's order is its
 * hash's), and the other is logged once while it stays so.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube_published.h"
#include "support.h"

static json_t *configmap(const char *name, const char *revision)
{
    json_t *cm = json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s}}, s:{s:s}}", "apiVersion", "v1",
        "kind", "ConfigMap", "metadata", "name", name, "namespace", "driftgate-system", "labels",
        "driftgate.io/baseline", "true", "driftgate.io/release", "web",
        "driftgate.io/release-namespace", "ns", "annotations", "driftgate.io/revision", revision,
        "data", "manifest.yaml",
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n"
        "spec:\n  minReplicas: 6\n  maxReplicas: 9\n");

    ck_assert_ptr_nonnull(cm);
    return cm;
}

/* The value of gauge driftgate_baselines_shadowed in @m. */
static long shadowed(dg_metrics_t *m)
{
    static const char name[] = "\ndriftgate_baselines_shadowed ";
    dg_buf_t b;
    const char *at;
    long v;

    dg_buf_init(&b, 0);
    ck_assert_int_eq(dg_metrics_render(m, &b, 0, 0), 0);
    ck_assert_int_eq(dg_buf_append(&b, "", 1), 0);
    ck_assert_ptr_nonnull(at = strstr(b.data, name));
    v = strtol(at + sizeof name - 1, NULL, 10);
    dg_buf_free(&b);
    return v;
}

/* The ConfigMaps @names (with @revisions) put in that order; returns the
 * revision of the one release served, and what was logged into @log; all
 * but one are counted as shadowed. */
static long served(const char *const *names, const char *const *revisions, size_t n,
                   char *log, size_t size)
{
    dg_log_t *lg = dg_log_new(DG_LOG_INFO);
    dg_metrics_t *m = dg_metrics_new();
    dg_kube_published_t *p = dg_kube_published_new("driftgate-system", m, lg);
    FILE *f = tmpfile();
    int saved = dup(STDERR_FILENO);
    dg_release_t **rels;
    size_t nrels;
    long rev;

    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(f);
    dup2(fileno(f), STDERR_FILENO);
    for (size_t i = 0; i < n; i++) {
        char key[200];
        json_t *cm = configmap(names[i], revisions[i]);

        snprintf(key, sizeof key, "driftgate-system/%s", names[i]);
        dg_kube_published_put(p, key, cm);
        json_decref(cm);
    }
    for (int round = 0; round < 2; round++) { /* logged once, not at every flush */
        ck_assert_int_eq(dg_kube_published_releases(p, &rels, &nrels), 0);
        ck_assert_uint_eq(nrels, 1);
        rev = rels[0]->revision;
        dg_release_free(&rels[0]);
        free(rels);
        ck_assert_int_eq(shadowed(m), (long)n - 1);
    }
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(f);
    log[fread(log, 1, size - 1, f)] = '\0';
    fclose(f);
    dg_kube_published_free(&p);
    dg_metrics_free(&m);
    dg_log_free(&lg);
    return rev;
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;

    for (; (s = strstr(s, needle)) != NULL; s++)
        n++;
    return n;
}

START_TEST(test_publish_name_first_either_order)
{
    const char *names[] = {"driftgate-baseline.ns.web", "driftgate-baseline.aaa"};
    const char *revs[] = {"3", "9"}, *rnames[] = {names[1], names[0]}, *rrevs[] = {"9", "3"};
    char log[4096];

    ck_assert_int_eq(served(names, revs, 2, log, sizeof log), 3);
    ck_assert_uint_eq(count(log, "two baseline ConfigMaps serve one release"), 1);
    ck_assert_msg(strstr(log, "\"enforced\":\"driftgate-system/driftgate-baseline.ns.web\"") &&
                      strstr(log, "\"ignored\":\"driftgate-system/driftgate-baseline.aaa\""),
                  "log: %s", log);
    ck_assert_int_eq(served(rnames, rrevs, 2, log, sizeof log), 3);
    ck_assert_uint_eq(count(log, "two baseline ConfigMaps serve one release"), 1);
}
END_TEST

START_TEST(test_else_first_by_name)
{
    const char *names[] = {"driftgate-baseline.zz", "driftgate-baseline.b", "driftgate-baseline.c"};
    const char *revs[] = {"7", "8", "9"};
    char log[4096];

    ck_assert_int_eq(served(names, revs, 3, log, sizeof log), 8);
    ck_assert_uint_eq(count(log, "two baseline ConfigMaps serve one release"), 2);
    ck_assert_uint_eq(count(log, "\"enforced\":\"driftgate-system/driftgate-baseline.b\""), 2);
}
END_TEST

START_TEST(test_one_is_quiet)
{
    const char *names[] = {"driftgate-baseline.ns.web"}, *revs[] = {"4"};
    char log[4096];

    ck_assert_int_eq(served(names, revs, 1, log, sizeof log), 4);
    ck_assert_uint_eq(count(log, "two baseline ConfigMaps"), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook/kube_published");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_publish_name_first_either_order);
    tcase_add_test(tc, test_else_first_by_name);
    tcase_add_test(tc, test_one_is_quiet);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
