/* tests/unit/policy/test_srcmap.c: the template line and the render line
 * that set a governed path, on the bundled chart and its render.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "srcmap.h"
#include "support.h"

/* Where each governed path of the seed is set. Lines are 1-based. */
static const struct {
    const char *name;
    const char *file; /* under the source tree */
    int from;         /* a line of the document to search */
    const char *path;
    int want;         /* 0 = not found */
} cases[] = {
    {"hpa floor in the template", "examples/charts/nginx/templates/hpa.yaml", 1, "spec.minReplicas", 13},
    {"hpa kind (a missing object)", "examples/charts/nginx/templates/hpa.yaml", 1, "", 3},
    {"service port, a list item", "examples/charts/nginx/templates/service.yaml", 1,
     "spec.ports[name=http].port", 10},
    {"service type, not metrics[].type", "examples/charts/nginx/templates/service.yaml", 1,
     "spec.type", 8},
    {"image under template.spec, not spec", "examples/charts/nginx/templates/deployment.yaml", 1,
     "spec.template.spec.containers[name=nginx].image", 21},
    {"replicas behind an if", "examples/charts/nginx/templates/deployment.yaml", 1, "spec.replicas", 9},
    {"a path the template does not set", "examples/charts/nginx/templates/hpa.yaml", 1,
     "spec.behavior", 0},
    {"a nested type is not spec.type", "examples/charts/nginx/templates/hpa.yaml", 1, "spec.type", 0},
    {"render: the hpa document only", "examples/release-baseline.yaml", 71, "spec.minReplicas", 86},
    {"render: the service port", "examples/release-baseline.yaml", 3, "spec.ports[name=http].port", 16},
    {"render: not in the next document", "examples/release-baseline.yaml", 3, "spec.minReplicas", 0},
    {"a path that does not parse", "examples/release-baseline.yaml", 3, "spec.ports[0]", 0},
    {"a line past the end", "examples/release-baseline.yaml", 100000, "spec", 0},
};

START_TEST(test_line)
{
    size_t len;
    char *text = dg_test_read(cases[_i].file, &len);
    dg_srcmap_t *m = dg_srcmap_new(text, len);

    ck_assert_ptr_nonnull(m);
    ck_assert_msg(dg_srcmap_line(m, cases[_i].from, cases[_i].path) == cases[_i].want,
                  "%s: line %d, want %d", cases[_i].name,
                  dg_srcmap_line(m, cases[_i].from, cases[_i].path), cases[_i].want);
    dg_srcmap_free(&m);
    ck_assert_ptr_null(m);
    free(text);
}
END_TEST

static const struct {
    int line;
    const char *want; /* NULL = none */
} sources[] = {
    {3, "nginx/templates/service.yaml"},
    {25, "nginx/templates/deployment.yaml"},
    {71, "nginx/templates/hpa.yaml"},
    {1, NULL},
};

START_TEST(test_source)
{
    size_t len;
    char *text = dg_test_read("examples/release-baseline.yaml", &len);
    dg_srcmap_t *m = dg_srcmap_new(text, len);
    char got[256] = "";
    bool found = dg_srcmap_source(m, sources[_i].line, got, sizeof got);

    ck_assert_msg(found == (sources[_i].want != NULL), "line %d: found '%s'", sources[_i].line, got);
    if (found)
        ck_assert_str_eq(got, sources[_i].want);
    dg_srcmap_free(&m);
    free(text);
}
END_TEST

START_TEST(test_edges)
{
    static const char crlf[] = "---\r\n# Source: c/templates/a.yaml\r\nkind: A\r\nspec:\r\n  x: 1\r\n";
    dg_srcmap_t *m = dg_srcmap_new(crlf, strlen(crlf)), *empty = dg_srcmap_new("", 0);
    char got[8];

    ck_assert_int_eq(dg_srcmap_line(m, 3, "spec.x"), 5);
    ck_assert(dg_srcmap_source(m, 3, got, sizeof got)); /* truncated, still a string */
    ck_assert_str_eq(got, "c/templ");
    ck_assert_int_eq(dg_srcmap_line(empty, 1, "spec"), 0);
    ck_assert(!dg_srcmap_source(empty, 1, got, sizeof got));
    dg_srcmap_free(&m);
    dg_srcmap_free(&empty);
    dg_srcmap_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/srcmap");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_line, 0, sizeof cases / sizeof cases[0]);
    tcase_add_loop_test(tc, test_source, 0, sizeof sources / sizeof sources[0]);
    tcase_add_test(tc, test_edges);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
