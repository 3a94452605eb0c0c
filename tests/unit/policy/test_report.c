/* tests/unit/policy/test_report.c: rendering the seed scenario's variances
 * in every format. SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
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
    for (size_t i = 0; i < 4; i++) {
        dg_variance_t x = {{rows[i].group, rows[i].kind, "sandbox-nginx", rows[i].name},
                           (char *)rows[i].path,
                           rows[i].desired ? dg_test_json(rows[i].desired) : NULL,
                           rows[i].live ? dg_test_json(rows[i].live) : NULL,
                           rows[i].type, rows[i].rule, rows[i].action, NULL};

        ck_assert_int_eq(dg_variances_push(v, &x), 0);
        json_decref(x.desired);
        json_decref(x.live);
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

/* The record as driftgate built it before it was written as text: a
 * jansson tree, dumped compact. The text must read the same, byte for
 * byte, for the log lines and the CLI's output that tools already read. */
static json_t *packed_variances(const dg_variances_t *v, const char *side)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < v->n; i++) {
        const dg_variance_t *x = &v->items[i];
        json_t *item = json_pack(
            "{s:{s:s, s:s, s:s, s:s}, s:s, s:O?, s:O?, s:s, s:s, s:s}", "object", "group",
            x->obj.group, "kind", x->obj.kind, "namespace", x->obj.ns, "name", x->obj.name, "path",
            x->path, "desired", x->desired, side, x->live, "type",
            x->type == DG_VAR_MISSING ? "missing" : "changed", "rule", x->rule, "action",
            dg_action_name(x->action));

        if (x->changed_by)
            json_object_set_new(item, "changedBy",
                                json_pack("{s:s, s:s, s:s}", "manager", x->changed_by->manager,
                                          "operation", x->changed_by->operation, "time",
                                          x->changed_by->time));
        json_array_append_new(arr, item);
    }
    return arr;
}

static json_t *packed_record(const dg_decision_t *d, const dg_review_t *rv, const char *reason)
{
    const dg_response_t *r = &d->response;
    json_t *warnings = json_array();

    for (size_t i = 0; i < r->nwarnings; i++)
        json_array_append_new(warnings, json_string(r->warnings[i]));
    return json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:s?, s:b, s:s, s:b, s:i, "
                     "s:s?, s:s?, s:s?, s:o, s:o, s:o, s:o}",
                     "uid", rv->uid, "user", rv->user, "operation", rv->operation, "object",
                     "group", rv->group, "resource", rv->resource, "namespace", rv->ns, "name",
                     rv->name, "subresource", rv->subresource[0] ? rv->subresource : NULL,
                     "dry_run", rv->dry_run, "decision", dg_verdict_name(d->verdict), "allowed",
                     r->allowed, "code", r->allowed ? 200 : r->code, "release", d->release,
                     "message", r->allowed ? NULL : r->message, "reason", reason, "warnings",
                     warnings, "variances", packed_variances(&d->introduced, "requested"),
                     "reconciled", packed_variances(&d->reconciled, "before"), "preexisting",
                     packed_variances(&d->preexisting, "live"));
}

static const struct {
    bool allowed, dry_run, with_changed_by;
    const char *subresource, *release, *skip;
    dg_verdict_t verdict;
} records[] = {
    {false, false, true, "", "sandbox-nginx/test-nginx", "", DG_VERDICT_DENY},
    {true, true, false, "scale", NULL, "operation \"PROMOTE\"\tis not judged", DG_VERDICT_SKIP},
    {true, false, false, "", "ns/r\u00e9l", "", DG_VERDICT_WARN},
};

START_TEST(test_decision_record)
{
    dg_review_t rv = {.api_version = "admission.k8s.io/v1", .uid = "u-1", .operation = "UPDATE",
                      .group = "autoscaling", .resource = "horizontalpodautoscalers",
                      .subresource = records[_i].subresource, .ns = "sandbox-nginx",
                      .name = "test-nginx", .user = "kubernetes-admin \"k\"\n",
                      .dry_run = records[_i].dry_run};
    dg_decision_t d;
    dg_buf_t b;
    json_t *want;
    char *text;

    dg_decision_init(&d);
    d.verdict = records[_i].verdict;
    d.response.allowed = records[_i].allowed;
    d.response.code = 403;
    d.response.message = strdup("driftgate: desired 6, requested 4. \"Change it\"");
    ck_assert_int_eq(dg_response_warn(&d.response, "driftgate: %s", "w\u00e9 1"), 0);
    ck_assert_int_eq(dg_response_warn(&d.response, "second %d", 2), 0);
    d.release = records[_i].release ? strdup(records[_i].release) : NULL;
    snprintf(d.skip_reason, sizeof d.skip_reason, "%s", records[_i].skip);
    seed(&d.introduced);
    seed(&d.preexisting);
    /* Reals as jansson dumps them (17 digits), a value that is an object. */
    json_decref(d.preexisting.items[0].live);
    d.preexisting.items[0].live = json_real(0.1);
    json_decref(d.preexisting.items[1].desired);
    d.preexisting.items[1].desired = dg_test_json("{\"a\":[1,2.5,null,true],\"b\":\"\\u0001\"}");
    if (records[_i].with_changed_by) {
        d.introduced.items[0].changed_by = calloc(1, sizeof(dg_changed_by_t));
        *d.introduced.items[0].changed_by =
            (dg_changed_by_t){strdup("kubectl-edit"), strdup("Update"), strdup("")};
    }
    want = packed_record(&d, &rv, d.verdict == DG_VERDICT_SKIP ? d.skip_reason : NULL);
    ck_assert_ptr_nonnull(want);
    text = json_dumps(want, JSON_COMPACT);
    dg_buf_init(&b, 0);
    ck_assert_int_eq(dg_report_decision_record(&b, &d, &rv), 0);
    ck_assert_int_eq(dg_buf_puts(&b, "}"), 0);
    ck_assert_str_eq(b.data, text);
    free(text);
    json_decref(want);
    dg_buf_free(&b);
    dg_decision_free(&d);
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
    tcase_add_loop_test(tc, test_decision_record, 0, sizeof records / sizeof records[0]);
    tcase_add_loop_test(tc, test_format_parse, 0, sizeof formats / sizeof formats[0]);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
