/* tests/unit/policy/test_report.c: rendering the seed scenario's variances
 * in every format. SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "support.h"
#include "yaml.h"

/* The seed: HPA floor 6 -> 4 (deny), a port moved (deny), an image (warn),
 * and a Service missing from live. */
static void seed(dg_variances_t *v)
{
    static const struct {
        const char *group, *kind, *name, *path, *desired, *live, *rule;
        dg_action_t action;
        dg_vartype_t type;
    } rows[] = {
        {"autoscaling", "HorizontalPodAutoscaler", "test-nginx", "spec.minReplicas", "6", "4",
         "hpa-bounds", DG_ACTION_DENY, DG_VAR_CHANGED},
        {"", "Service", "test-nginx", "spec.ports[name=http].port", "80", "8080", "service-ports",
         DG_ACTION_DENY, DG_VAR_CHANGED},
        {"apps", "Deployment", "test-nginx", "spec.template.spec.containers[name=nginx].image",
         "\"nginx:1.27.3\"", "\"nginx:1.28.0\"", "container-image", DG_ACTION_WARN,
         DG_VAR_CHANGED},
        {"", "Service", "a|b", "", NULL, NULL, "service-type", DG_ACTION_DENY, DG_VAR_MISSING},
    };

    dg_variances_init(v);
    v->items = calloc(4, sizeof *v->items);
    v->n = v->cap = 4;
    for (size_t i = 0; i < 4; i++) {
        dg_variance_t *x = &v->items[i];

        x->obj = (dg_objid_t){strdup(rows[i].group), strdup(rows[i].kind), strdup("sandbox-nginx"),
                              strdup(rows[i].name)};
        x->path = strdup(rows[i].path);
        x->desired = rows[i].desired ? dg_test_json(rows[i].desired) : NULL;
        x->live = rows[i].live ? dg_test_json(rows[i].live) : NULL;
        x->rule = rows[i].rule;
        x->action = rows[i].action;
        x->type = rows[i].type;
    }
}

static char *render_at(dg_format_t fmt, const dg_report_loc_t *locs, const char *root)
{
    dg_report_ctx_t ctx = {"test-nginx", "sandbox-nginx", "release-baseline.yaml",
                           "live-snapshot.yaml", locs, root};
    dg_variances_t v;
    dg_buf_t out;
    char *text;

    seed(&v);
    dg_buf_init(&out, 0);
    ck_assert_int_eq(dg_report_variances(&v, fmt, &ctx, &out, NULL), 0);
    text = dg_buf_take(&out);
    dg_buf_free(&out);
    dg_variances_free(&v);
    return text;
}

static char *render(dg_format_t fmt)
{
    return render_at(fmt, NULL, NULL);
}

START_TEST(test_table)
{
    char *t = render(DG_FMT_TABLE);

    ck_assert_msg(strncmp(t, "OBJECT", 6) == 0, "%s", t);
    ck_assert_ptr_nonnull(strstr(t, "hpa/test-nginx     spec.minReplicas"));
    ck_assert_ptr_nonnull(strstr(t, "nginx:1.27.3"));
    ck_assert_ptr_nonnull(strstr(t, "(present)"));
    ck_assert_ptr_nonnull(strstr(t, "(missing)"));
    ck_assert_ptr_nonnull(
        strstr(t, "\n4 active variances (3 deny, 1 warn, 0 audit) in release sandbox-nginx/test-nginx.\n"));
    free(t);
}
END_TEST

START_TEST(test_json)
{
    char *t = render(DG_FMT_JSON);
    json_t *j = dg_test_json(t), *v0 = json_array_get(json_object_get(j, "variances"), 0);

    ck_assert_uint_eq(json_array_size(json_object_get(j, "variances")), 4);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(v0, "object"), "kind")),
                     "HorizontalPodAutoscaler");
    ck_assert_int_eq(json_integer_value(json_object_get(v0, "desired")), 6);
    ck_assert_int_eq(json_integer_value(json_object_get(v0, "live")), 4);
    ck_assert_str_eq(json_string_value(json_object_get(v0, "type")), "changed");
    ck_assert(json_is_null(json_object_get(json_array_get(json_object_get(j, "variances"), 3), "live")));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "summary"), "deny")), 3);
    json_decref(j);
    free(t);
}
END_TEST

START_TEST(test_sarif)
{
    char *t = render(DG_FMT_SARIF);
    json_t *j = dg_test_json(t);
    json_t *run = json_array_get(json_object_get(j, "runs"), 0);
    json_t *res = json_object_get(run, "results");

    ck_assert_str_eq(json_string_value(json_object_get(j, "version")), "2.1.0");
    ck_assert_uint_eq(json_array_size(res), 4);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(res, 0), "level")), "error");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(res, 2), "level")), "warning");
    /* one rule entry per distinct rule */
    ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(json_object_get(run, "tool"),
                                                                      "driver"),
                                                      "rules")),
                      4);
    /* without locations, every result still has a region: the baseline's line 1 */
    for (size_t i = 0; i < 4; i++) {
        json_t *phys = json_object_get(
            json_array_get(json_object_get(json_array_get(res, i), "locations"), 0),
            "physicalLocation");

        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(phys, "artifactLocation"),
                                                           "uri")),
                         "release-baseline.yaml");
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(phys, "region"),
                                                            "startLine")),
                         1);
    }
    ck_assert_ptr_null(strstr(t, "informationUri")); /* no placeholder page */
    ck_assert_ptr_null(strstr(t, "github.com/driftgate"));
    json_decref(j);
    free(t);
}
END_TEST

/* With locations: each result points at its own file and line, relative to
 * SRCROOT, and an absolute URI stays absolute. */
START_TEST(test_sarif_locations)
{
    static const dg_report_loc_t locs[] = {
        {"examples/charts/nginx/templates/hpa.yaml", 13},
        {"examples/charts/nginx/templates/service.yaml", 10},
        {"examples/charts/nginx/templates/deployment.yaml", 21},
        {"file:///elsewhere/release-baseline.yaml", 0},
    };
    char *t = render_at(DG_FMT_SARIF, locs, "file:///repo/");
    json_t *j = dg_test_json(t);
    json_t *run = json_array_get(json_object_get(j, "runs"), 0);
    json_t *res = json_object_get(run, "results");

    for (size_t i = 0; i < 4; i++) {
        json_t *phys = json_object_get(
            json_array_get(json_object_get(json_array_get(res, i), "locations"), 0),
            "physicalLocation");
        json_t *art = json_object_get(phys, "artifactLocation");

        ck_assert_str_eq(json_string_value(json_object_get(art, "uri")), locs[i].uri);
        ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(phys, "region"),
                                                            "startLine")),
                         locs[i].line ? locs[i].line : 1);
        ck_assert_int_eq(json_object_get(art, "uriBaseId") != NULL, i < 3);
    }
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_object_get(run, "originalUriBaseIds"), "SRCROOT"),
                         "uri")),
                     "file:///repo/");
    json_decref(j);
    free(t);
}
END_TEST

START_TEST(test_markdown)
{
    char *t = render(DG_FMT_MARKDOWN);

    ck_assert_ptr_nonnull(strstr(t, "| Object | Path | Desired | Live | Rule | Action |"));
    ck_assert_ptr_nonnull(strstr(t, "| svc/a\\|b |")); /* pipes escaped */
    free(t);
}
END_TEST

START_TEST(test_yaml)
{
    char *t = render(DG_FMT_YAML);
    dg_yaml_docs_t docs;

    /* our own reader must get the JSON report's data back */
    ck_assert_int_eq(dg_yaml_parse(t, strlen(t), "report.yaml", 0, 0, &docs, NULL), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(docs.docs[0].root, "variances")), 4);
    dg_yaml_docs_free(&docs);
    free(t);
}
END_TEST

static const struct {
    const char *name;
    int rc;
} formats[] = {{"table", 0}, {"json", 0}, {"yaml", 0}, {"markdown", 0}, {"sarif", 0}, {"xml", DG_EINVAL}};

START_TEST(test_format_parse)
{
    dg_format_t f;
    dg_err_t err = {0};

    ck_assert_int_eq(dg_format_parse(formats[_i].name, &f, &err), formats[_i].rc);
    if (formats[_i].rc)
        ck_assert_ptr_nonnull(strstr(err.msg, "unknown output format"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/report");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_sarif);
    tcase_add_test(tc, test_sarif_locations);
    tcase_add_test(tc, test_markdown);
    tcase_add_test(tc, test_yaml);
    tcase_add_loop_test(tc, test_format_parse, 0, sizeof formats / sizeof formats[0]);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
