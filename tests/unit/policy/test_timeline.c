/* tests/unit/policy/test_timeline.c: the audit lifecycle classifier, on
 * real API server audit events captured from e2e/run.sh
 * (tests/fixtures/timeline/e2e-audit.log: the seed scenario's release
 * test-nginx, another release's Helm life cycle, and events of neither),
 * and on the annotations dg_decide itself writes.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "manifest.h"
#include "report.h"
#include "support.h"
#include "timeline.h"

#define LOG "tests/fixtures/timeline/e2e-audit.log"

/* Is @got the JSON @text says? */
static bool is_json(const json_t *got, const char *text)
{
    json_t *want = dg_test_json(text);
    bool eq = json_equal(got, want);

    json_decref(want);
    return eq;
}

/* The variances of @e as -o json prints them, compared with @text. */
static bool variances_are(const dg_timeline_event_t *e, const char *text)
{
    json_t *j = dg_timeline_event_json(e);
    bool eq = is_json(json_object_get(j, "variances"), text);

    if (!eq)
        fprintf(stderr, "variances: %s\n", json_dumps(json_object_get(j, "variances"), JSON_COMPACT));
    json_decref(j);
    return eq;
}

/* ---- the captured log ---------------------------------------------------------------- */

/* Every line of the log, parsed, in file order. */
static json_t *log_events(void)
{
    size_t len;
    char *text = dg_test_read(LOG, &len), *line = text, *nl;
    json_t *all = json_array();

    for (; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        json_array_append_new(all, dg_test_json(line));
    }
    free(text);
    return all;
}

/* The event with this auditID (first of its stages). Borrowed from @all. */
static json_t *event(json_t *all, const char *id)
{
    size_t i;
    json_t *e;

    json_array_foreach(all, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "auditID")), id) == 0)
            return e;
    }
    ck_abort_msg("no event %s in %s", id, LOG);
    return NULL;
}

static dg_timeline_opts_t seed_opts(const dg_policy_t *pol)
{
    return (dg_timeline_opts_t){.ns = "sandbox-nginx", .release = "test-nginx", .pol = pol};
}

/* ---- one event at a time ---------------------------------------------------------------- */

/* Each stage and outcome, as one real event shows it, classified alone
 * (the first step needs no other event). */
static const struct {
    const char *name, *id;
    int kept;                /* what dg_timeline_classify() returns */
    const char *stage, *decision;
    int code;
    long revision;           /* known from the event itself */
    const char *variances;   /* JSON of [{path, desired, requested (, before)}] */
} cases[] = {
    {"helm install: record v1 created", "4578f8f3-3ed8-4ac6-bd55-48d1d3f04801", 1,
     "baseline-render", NULL, 201, 1, "[]"},
    {"helm install: Helm applies the HPA", "a719b093-f0b3-49ce-828c-a7d4ac1e791c", 1,
     "baseline-render", "no-baseline", 201, 0, "[]"},
    {"helm: record status bookkeeping", "6842d49f-8798-4d87-9d07-4a2720a2adc4", 0, NULL, NULL, 0,
     0, NULL},
    {"kubectl patch of the floor, denied", "748e24b9-1543-4125-ab7f-f5c422502e5f", 1,
     "out-of-band-mutation", "deny", 403, 0,
     "[{\"path\":\"spec.minReplicas\",\"desired\":6,\"requested\":4}]"},
    {"kubectl edit of the floor, denied", "3ca85e3d-e1c9-4939-98f1-e064eb4ccf22", 1,
     "out-of-band-mutation", "deny", 403, 0,
     "[{\"path\":\"spec.minReplicas\",\"desired\":6,\"requested\":4}]"},
    {"service port, denied", "d40e993f-5984-4ae5-8432-6d4e8c0bf076", 1, "out-of-band-mutation",
     "deny", 403, 0, "[{\"path\":\"spec.ports[name=http].port\",\"desired\":80,\"requested\":8080}]"},
    {"scale subresource, allowed", "99b41be5-9251-403d-9f89-d89e51c7c493", 1,
     "out-of-band-mutation", "allow", 200, 0, "[]"},
    {"set image, warned", "0cdcd21f-1ef0-4226-9027-2ea0ca911865", 1, "out-of-band-mutation", "warn",
     200, 0,
     "[{\"path\":\"spec.template.spec.containers[name=nginx].image\",\"desired\":\"nginx:1.27.3\","
     "\"requested\":\"nginx:1.28.0\"}]"},
    {"image set back: reconcile", "07285b7a-2fc4-4a66-a27e-310adf63dd18", 1,
     "controlled-reconcile", "reconcile", 200, 0,
     "[{\"path\":\"spec.template.spec.containers[name=nginx].image\",\"desired\":\"nginx:1.27.3\","
     "\"requested\":\"nginx:1.27.3\",\"before\":\"nginx:1.28.0\"}]"},
    {"helm upgrade: record v2", "1d42f8bd-b6f1-436f-862b-4076b0ca4a0b", 1, "baseline-render", NULL,
     201, 2, "[]"},
    {"helm upgrade: helm-change", "d4a850e9-b214-4bd6-9c14-f596948e39af", 1, "baseline-render",
     "helm-change", 200, 0, "[{\"path\":\"spec.minReplicas\",\"desired\":6,\"requested\":8}]"},
    {"break-glass", "613fdab3-3144-43bd-8612-70a330872e48", 1, "out-of-band-mutation",
     "break-glass", 200, 0, "[{\"path\":\"spec.minReplicas\",\"desired\":8,\"requested\":5}]"},
    {"published baseline", "89d08462-b2bc-4d1d-8ea7-61ab00669385", 1, "baseline-render", NULL, 201,
     0, "[]"},
    {"reconcile of the floor", "1a441bdf-1c7d-4c83-b3fd-0cf15332750f", 1, "controlled-reconcile",
     "reconcile", 200, 0,
     "[{\"path\":\"spec.minReplicas\",\"desired\":7,\"requested\":7,\"before\":8}]"},
    {"failed open while driftgate was down", "8123c468-00bf-4f3e-a43f-c24f10eb2f02", 1,
     "out-of-band-mutation", "failed-open", 200, 0, "[]"},
    {"refused, webhook unreachable", "dfea792d-3363-4a5b-b50f-ab7a907f72fb", 1,
     "out-of-band-mutation", "webhook-unreachable", 500, 0, "[]"},
    {"delete, denied", "e28dd0f2-0261-495e-98e7-f7733a0bee0e", 1, "out-of-band-mutation", "deny",
     403, 0, "[{\"path\":\"(object)\",\"desired\":\"rendered\",\"requested\":\"deleted\"}]"},
    {"forged Helm record, denied by helm-records.<webhook>", "e315af0f-e102-4a15-8bc2-0a43c99bfcd1",
     1, "out-of-band-mutation", "deny", 403, 0, "[]"},
    {"externalIPs from none, denied", "886abb91-7b70-49f5-9d1e-c08a25c32dcf", 1,
     "out-of-band-mutation", "deny", 403, 0,
     "[{\"path\":\"spec.externalIPs\",\"desired\":null,\"requested\":[\"203.0.113.7\"]}]"},
    {"a baseline ConfigMap outside the baseline namespace", "8741d091-ddd5-4476-b88c-7cf0154d8fa8",
     0, NULL, NULL, 0, 0, NULL},
    {"another release's record, same namespace", "1f207901-a820-487f-b328-b6c703ad499f", 0, NULL,
     NULL, 0, 0, NULL},
    {"another namespace", "e351d5a2-e87a-4706-9bf6-9c36b83c05ad", 0, NULL, NULL, 0, 0, NULL},
    {"another release's baseline", "2a476903-9fc7-406c-bbe3-2613bc739ffd", 0, NULL, NULL, 0, 0,
     NULL},
};

START_TEST(test_classify)
{
    json_t *all = log_events();
    dg_policy_t *pol = dg_policy_default(NULL);
    dg_timeline_opts_t o = seed_opts(pol);
    dg_timeline_state_t *st = dg_timeline_state_new(&o, NULL);
    dg_timeline_event_t e;
    dg_err_t err = {0};
    int rc = dg_timeline_classify(st, event(all, cases[_i].id), &e, &err);

    ck_assert_msg(rc == cases[_i].kept, "%s: classify returned %d (%s)", cases[_i].name, rc,
                  err.msg);
    if (rc == 1) {
        ck_assert_str_eq(dg_timeline_stage_name(e.stage), cases[_i].stage);
        ck_assert_pstr_eq(e.decision, cases[_i].decision);
        ck_assert_int_eq(e.code, cases[_i].code);
        ck_assert_int_eq(e.revision, cases[_i].revision);
        ck_assert_msg(variances_are(&e, cases[_i].variances), "%s", cases[_i].name);
        dg_timeline_event_clear(&e);
    }
    dg_timeline_state_free(&st);
    dg_policy_free(&pol);
    json_decref(all);
}
END_TEST

/* Who did it, and to what, as the API server recorded it. */
START_TEST(test_fields)
{
    json_t *all = log_events(), *j;
    dg_policy_t *pol = dg_policy_default(NULL);
    dg_timeline_opts_t o = seed_opts(pol);
    dg_timeline_state_t *st = dg_timeline_state_new(&o, NULL);
    dg_timeline_event_t e;

    /* alice, impersonated by the admin, on a dry run */
    ck_assert_int_eq(
        dg_timeline_classify(st, event(all, "b49fef88-70d9-41fe-b728-7b097d4879d3"), &e, NULL), 1);
    j = dg_timeline_event_json(&e);
    ck_assert_str_eq(json_string_value(json_object_get(j, "user")), "alice");
    ck_assert_str_eq(json_string_value(json_object_get(j, "impersonatedBy")), "e2e-admin");
    ck_assert(json_is_true(json_object_get(j, "dryRun")));
    ck_assert_str_eq(json_string_value(json_object_get(j, "reason")), "INC-42 load test");
    ck_assert_str_eq(json_string_value(json_object_get(j, "release")), "sandbox-nginx/test-nginx");
    ck_assert_str_eq(json_string_value(json_object_get(j, "time")), "2026-12-01T20:52:38.735029Z");
    ck_assert(is_json(json_object_get(j, "object"),
                      "{\"group\":\"autoscaling\",\"resource\":\"horizontalpodautoscalers\","
                      "\"subresource\":null,\"namespace\":\"sandbox-nginx\",\"name\":\"test-nginx\"}"));
    json_decref(j);
    dg_timeline_event_clear(&e);
    /* the scale subresource, and the denial's message */
    ck_assert_int_eq(
        dg_timeline_classify(st, event(all, "99b41be5-9251-403d-9f89-d89e51c7c493"), &e, NULL), 1);
    ck_assert_str_eq(e.subresource, "scale");
    dg_timeline_event_clear(&e);
    ck_assert_int_eq(
        dg_timeline_classify(st, event(all, "748e24b9-1543-4125-ab7f-f5c422502e5f"), &e, NULL), 1);
    ck_assert_ptr_nonnull(strstr(e.message, "desired 6, requested 4"));
    ck_assert_str_eq(e.rule, "hpa-bounds");
    dg_timeline_event_clear(&e);
    dg_timeline_state_free(&st);
    dg_policy_free(&pol);
    json_decref(all);
}
END_TEST

/* Not an audit event: refused; a stage other than ResponseComplete or a
 * read: not kept. */
START_TEST(test_not_events)
{
    static const char *const bad[] = {
        "{}", "{\"kind\":\"Pod\"}",
        "{\"kind\":\"Event\",\"stage\":\"ResponseComplete\",\"verb\":\"patch\"}",
        "{\"kind\":\"Event\",\"stage\":\"ResponseComplete\",\"verb\":\"patch\","
        "\"requestReceivedTimestamp\":\"yesterday\"}",
    };
    json_t *all = log_events();
    dg_policy_t *pol = dg_policy_default(NULL);
    dg_timeline_opts_t o = {.pol = pol};
    dg_timeline_state_t *st = dg_timeline_state_new(&o, NULL);
    dg_timeline_event_t e;
    size_t i;
    json_t *ev;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j = dg_test_json(bad[i]);
        dg_err_t err = {0};

        ck_assert_int_eq(dg_timeline_classify(st, j, &e, &err), DG_EPARSE);
        ck_assert_ptr_nonnull(strstr(err.msg, "not an audit.k8s.io Event"));
        json_decref(j);
    }
    json_array_foreach(all, i, ev) {
        const char *stage = json_string_value(json_object_get(ev, "stage"));
        const char *verb = json_string_value(json_object_get(ev, "verb"));

        if (strcmp(stage, "ResponseComplete") == 0 && strcmp(verb, "list") != 0 &&
            strcmp(verb, "get") != 0)
            continue;
        ck_assert_int_eq(dg_timeline_classify(st, ev, &e, NULL), 0);
    }
    dg_timeline_state_free(&st);
    dg_policy_free(&pol);
    json_decref(all);
}
END_TEST

/* Another webhook's annotations are not driftgate's decision. */
START_TEST(test_webhook_name)
{
    json_t *all = log_events();
    dg_policy_t *pol = dg_policy_default(NULL);
    dg_timeline_opts_t o = seed_opts(pol);
    dg_timeline_state_t *st;
    dg_timeline_event_t e;

    o.webhook = "validate.example.com";
    st = dg_timeline_state_new(&o, NULL);
    ck_assert_int_eq(
        dg_timeline_classify(st, event(all, "748e24b9-1543-4125-ab7f-f5c422502e5f"), &e, NULL), 1);
    ck_assert_ptr_null(e.decision);
    ck_assert_int_eq(e.nvariances, 0);
    dg_timeline_event_clear(&e);
    ck_assert_int_eq(
        dg_timeline_classify(st, event(all, "8123c468-00bf-4f3e-a43f-c24f10eb2f02"), &e, NULL), 1);
    ck_assert_ptr_null(e.decision); /* failed open for validate.driftgate.io, not this one */
    dg_timeline_event_clear(&e);
    dg_timeline_state_free(&st);
    dg_policy_free(&pol);
    json_decref(all);
}
END_TEST

/* ---- a whole log ------------------------------------------------------------------------ */

/* The collector over the log in @order (0 file order, 1 reversed, 2 every
 * event twice), as JSON of every event. */
static json_t *timeline(int order, int64_t since, const char *object_res, const char *object_name)
{
    json_t *all = log_events(), *out = json_array();
    dg_policy_t *pol = dg_policy_default(NULL);
    dg_timeline_opts_t o = seed_opts(pol);
    dg_timeline_t *tl;
    dg_err_t err = {0};
    size_t n = json_array_size(all);

    if (object_res) {
        o.object_group = strcmp(object_res, "services") == 0 ? "" : "autoscaling";
        o.object_resource = object_res;
        o.object_name = object_name;
    }
    tl = dg_timeline_new(&o, since, &err);
    for (size_t k = 0; k < (order == 2 ? 2 * n : n); k++) {
        size_t i = order == 1 ? n - 1 - k : k % n;

        ck_assert_msg(dg_timeline_add(tl, json_array_get(all, i), &err) == 0, "%s", err.msg);
    }
    ck_assert_int_eq(dg_timeline_finish(tl, &err), 0);
    for (size_t i = 0; i < dg_timeline_count(tl); i++)
        json_array_append_new(out, dg_timeline_event_json(dg_timeline_at(tl, i)));
    dg_timeline_free(&tl);
    dg_policy_free(&pol);
    json_decref(all);
    return out;
}

static json_t *find_decision(json_t *events, const char *decision)
{
    size_t i;
    json_t *e;

    json_array_foreach(events, i, e) {
        if (json_is_string(json_object_get(e, "decision")) &&
            strcmp(json_string_value(json_object_get(e, "decision")), decision) == 0)
            return e;
    }
    ck_abort_msg("no %s event", decision);
    return NULL;
}

/* The expected timeline (tests/fixtures/timeline/expect-test-nginx.json),
 * in time order whatever the order of the log, each event once. */
START_TEST(test_whole_log)
{
    size_t len;
    char *text = dg_test_read("tests/fixtures/timeline/expect-test-nginx.json", &len);
    json_t *doc = dg_test_json(text);
    json_t *got = timeline(_i, INT64_MIN, NULL, NULL);

    ck_assert_msg(json_equal(got, json_object_get(doc, "events")), "order %d: %s", _i,
                  json_dumps(got, JSON_COMPACT));
    json_decref(got);
    json_decref(doc);
    free(text);
}
END_TEST

/* What the log knew: the failed-open change is measured against the
 * published baseline (7), which only driftgate's annotations show, not
 * against Helm's last render (8); Helm's writes carry their revision. */
START_TEST(test_resolved)
{
    json_t *events = timeline(0, INT64_MIN, NULL, NULL);
    json_t *fo = find_decision(events, "failed-open");
    json_t *helm = find_decision(events, "helm-change");

    ck_assert(is_json(json_object_get(fo, "variances"),
                      "[{\"path\":\"spec.minReplicas\",\"desired\":7,\"requested\":2}]"));
    ck_assert_int_eq(json_integer_value(json_object_get(helm, "revision")), 2);
    json_decref(events);
}
END_TEST

/* --since shows later events only, but still knows what came before. */
START_TEST(test_since)
{
    int64_t since = 1796158425000000000; /* 2026-12-01T20:53:45Z */
    json_t *events = timeline(0, since, NULL, NULL), *e;
    size_t i;

    ck_assert_int_gt(json_array_size(events), 0);
    json_array_foreach(events, i, e) {
        ck_assert_str_ge(json_string_value(json_object_get(e, "time")), "2026-12-01T20:53:45");
    }
    ck_assert(is_json(json_object_get(find_decision(events, "failed-open"), "variances"),
                      "[{\"path\":\"spec.minReplicas\",\"desired\":7,\"requested\":2}]"));
    json_decref(events);
}
END_TEST

/* --object: that object's events, and the release's intent. */
START_TEST(test_object)
{
    json_t *events = timeline(0, INT64_MIN, "services", "test-nginx"), *e, *obj;
    size_t i, svc = 0;

    json_array_foreach(events, i, e) {
        obj = json_object_get(e, "object");
        if (strcmp(json_string_value(json_object_get(obj, "resource")), "services") == 0)
            svc++;
        else
            ck_assert_str_eq(json_string_value(json_object_get(obj, "resource")), "configmaps");
    }
    ck_assert_int_eq(svc, 2);
    json_decref(events);
}
END_TEST

/* A change let through with no baseline in the log: every governed value
 * it stored, the desired side unknown. */
START_TEST(test_unjudged_alone)
{
    json_t *all = log_events();
    dg_policy_t *pol = dg_policy_default(NULL);
    dg_timeline_opts_t o = seed_opts(pol);
    dg_timeline_t *tl = dg_timeline_new(&o, INT64_MIN, NULL);

    ck_assert_int_eq(dg_timeline_add(tl, event(all, "8123c468-00bf-4f3e-a43f-c24f10eb2f02"), NULL),
                     0);
    ck_assert_int_eq(dg_timeline_finish(tl, NULL), 0);
    ck_assert_int_eq(dg_timeline_count(tl), 1);
    ck_assert(variances_are(dg_timeline_at(tl, 0),
                            "[{\"path\":\"spec.minReplicas\",\"requested\":2},"
                            "{\"path\":\"spec.maxReplicas\",\"requested\":10},"
                            "{\"path\":\"spec.scaleTargetRef\",\"requested\":"
                            "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
                            "\"name\":\"test-nginx\"}}]"));
    dg_timeline_free(&tl);
    dg_policy_free(&pol);
    json_decref(all);
}
END_TEST

/* The summary line per object, as the seed tells it. */
START_TEST(test_table)
{
    json_t *all = log_events();
    dg_policy_t *pol = dg_policy_default(NULL);
    dg_timeline_opts_t o = seed_opts(pol);
    dg_timeline_t *tl = dg_timeline_new(&o, INT64_MIN, NULL);
    dg_report_timeline_ctx_t ctx = {68, 0};
    dg_buf_t out;
    size_t i;
    json_t *ev;

    json_array_foreach(all, i, ev) {
        ck_assert_int_eq(dg_timeline_add(tl, ev, NULL), 0);
    }
    ck_assert_int_eq(dg_timeline_finish(tl, NULL), 0);
    dg_buf_init(&out, 0);
    ck_assert_int_eq(dg_report_timeline(tl, DG_FMT_TABLE, &ctx, &out, NULL), 0);
    ck_assert_msg(strstr(out.data, "\nhpa/test-nginx: 2 renders, 13 out-of-band attempts (9 "
                                   "denied, 1 webhook unreachable, 1 failed open, 2 "
                                   "break-glass), 3 reconciles\n"),
                  "%s", out.data);
    ck_assert_ptr_nonnull(strstr(out.data, "\nrelease sandbox-nginx/test-nginx intent: 3 renders, "
                                           "2 out-of-band attempts (2 denied), 0 reconciles\n"));
    ck_assert_ptr_nonnull(strstr(out.data, "\n28 events from 68 audit log lines.\n"));
    ck_assert_int_eq(dg_report_timeline(tl, DG_FMT_YAML, &ctx, &out, NULL), DG_EINVAL);
    dg_buf_free(&out);
    dg_timeline_free(&tl);
    dg_policy_free(&pol);
    json_decref(all);
}
END_TEST

/* ---- what dg_decide writes, read back ------------------------------------------------------ */

/* Judge a decide fixture, wrap its answer in the audit event the API
 * server would write, and read the variances back: the annotation's
 * writer (decide.c) and reader (timeline.c) must agree. */
static const char *const decided[] = {"hpa-floor-deny", "service-port-and-type", "deny-type-quoted",
                                      "image-warn", "hpa-reconcile", "service-externalips-deny"};

static json_t *audit_event(const dg_review_t *rv, const dg_decision_t *d)
{
    json_t *ann = json_object(), *ev;
    char key[128];

    for (size_t i = 0; i < d->response.nannotations; i++) {
        snprintf(key, sizeof key, "validate.driftgate.io/%s", d->response.annotations[i].key);
        json_object_set_new(ann, key, json_string(d->response.annotations[i].value));
    }
    ev = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:{s:i}, s:o}", "kind", "Event",
                   "stage", "ResponseComplete", "verb", "patch", "requestReceivedTimestamp",
                   "2026-12-01T20:52:35.068409Z", "objectRef", "apiGroup", rv->group, "resource",
                   rv->resource, "namespace", rv->ns, "name", rv->name, "responseStatus", "code",
                   d->response.allowed ? 200 : d->response.code, "annotations", ann);
    return ev;
}

START_TEST(test_decide_roundtrip)
{
    char path[512];
    size_t len;
    char *text;
    dg_review_t *rv;
    dg_objset_t *objs = dg_objset_new();
    dg_release_t *rel;
    dg_baselines_t *bases = dg_baselines_new();
    dg_policy_t *pol = dg_policy_default(NULL);
    dg_decide_env_t env = {.now = 1796158355, .synced = true};
    dg_decision_t d;
    dg_timeline_opts_t o = {.pol = pol};
    dg_timeline_state_t *st = dg_timeline_state_new(&o, NULL);
    dg_timeline_event_t e;
    const dg_variances_t *v;
    json_t *ev;
    dg_err_t err = {0};

    snprintf(path, sizeof path, "tests/fixtures/decide/%s/review.json", decided[_i]);
    text = dg_test_read(path, &len);
    rv = dg_review_parse(text, len, path, 0, &err);
    ck_assert_msg(rv != NULL, "%s", err.msg);
    free(text);
    snprintf(path, sizeof path, "tests/fixtures/decide/%s/baseline.yaml", decided[_i]);
    text = dg_test_read(path, &len);
    ck_assert_int_eq(dg_manifest_load(text, len, &(dg_manifest_opts_t){.name = path,
                                                                       .default_ns = rv->ns},
                                      objs, NULL, &err),
                     0);
    free(text);
    rel = dg_release_new("test-nginx", rv->ns);
    dg_objset_free(&rel->objs);
    rel->objs = objs;
    ck_assert_int_eq(dg_baselines_add(bases, rel, NULL), 0);
    dg_decision_init(&d);
    ck_assert_int_eq(dg_decide(rv, bases, pol, &env, &d, &err), 0);
    ev = audit_event(rv, &d);
    ck_assert_int_eq(dg_timeline_classify(st, ev, &e, &err), 1);
    v = d.verdict == DG_VERDICT_RECONCILE ? &d.reconciled : &d.introduced;
    ck_assert_msg(v->n > 0 && e.nvariances == v->n, "%s: %zu variances read, %zu decided",
                  decided[_i], e.nvariances, v->n);
    for (size_t i = 0; i < v->n; i++) {
        const dg_variance_t *x = &v->items[i];
        const dg_timeline_variance_t *y = &e.variances[i];
        json_t *live = x->live ? x->live : json_null();
        json_t *desired = x->desired ? x->desired : json_null();

        ck_assert_str_eq(y->path, x->path);
        ck_assert_msg(json_equal(y->desired, desired), "%s %s: desired", decided[_i], x->path);
        ck_assert_msg(json_equal(d.verdict == DG_VERDICT_RECONCILE ? y->before : y->requested,
                                 live),
                      "%s %s: requested", decided[_i], x->path);
    }
    dg_timeline_event_clear(&e);
    json_decref(ev);
    dg_decision_free(&d);
    dg_timeline_state_free(&st);
    dg_baselines_free(&bases);
    dg_policy_free(&pol);
    dg_review_free(&rv);
}
END_TEST

/* The list annotations as decide.c shapes them at their edges. */
static const struct {
    const char *name, *annotation, *want;
} lists[] = {
    {"more than fit", "spec.minReplicas: 6 -> 4; spec.maxReplicas: 10 -> 12 (+3 more)",
     "[{\"path\":\"spec.minReplicas\",\"desired\":6,\"requested\":4},"
     "{\"path\":\"spec.maxReplicas\",\"desired\":10,\"requested\":12}]"},
    {"absent on either side", "spec.selector: (none) -> {\"app\":\"x\"}; spec.type: NodePort -> (none)",
     "[{\"path\":\"spec.selector\",\"desired\":null,\"requested\":{\"app\":\"x\"}},"
     "{\"path\":\"spec.type\",\"desired\":\"NodePort\",\"requested\":null}]"},
    {"a quoted string beside a number", "spec.minReplicas: 6 -> \"6\"",
     "[{\"path\":\"spec.minReplicas\",\"desired\":6,\"requested\":\"6\"}]"},
    {"not a list entry", "garbage", "[]"},
};

START_TEST(test_lists)
{
    dg_policy_t *pol = dg_policy_default(NULL);
    dg_timeline_opts_t o = {.pol = pol};
    dg_timeline_state_t *st = dg_timeline_state_new(&o, NULL);
    dg_timeline_event_t e;
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:{s:i}, s:{s:s, s:s, "
                           "s:s}}",
                           "kind", "Event", "stage", "ResponseComplete", "verb", "patch",
                           "requestReceivedTimestamp", "2026-12-01T20:52:35Z", "objectRef",
                           "apiGroup", "autoscaling", "resource", "horizontalpodautoscalers",
                           "namespace", "ns", "name", "x", "responseStatus", "code", 403,
                           "annotations", "validate.driftgate.io/decision", "deny",
                           "validate.driftgate.io/release", "ns/x",
                           "validate.driftgate.io/variances", lists[_i].annotation);

    ck_assert_int_eq(dg_timeline_classify(st, ev, &e, NULL), 1);
    ck_assert_msg(variances_are(&e, lists[_i].want), "%s", lists[_i].name);
    dg_timeline_event_clear(&e);
    json_decref(ev);
    dg_timeline_state_free(&st);
    dg_policy_free(&pol);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/timeline");
    TCase *tc = tcase_create("timeline");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_classify, 0, sizeof cases / sizeof cases[0]);
    tcase_add_test(tc, test_fields);
    tcase_add_test(tc, test_not_events);
    tcase_add_test(tc, test_webhook_name);
    tcase_add_loop_test(tc, test_whole_log, 0, 3);
    tcase_add_test(tc, test_resolved);
    tcase_add_test(tc, test_since);
    tcase_add_test(tc, test_object);
    tcase_add_test(tc, test_unjudged_alone);
    tcase_add_test(tc, test_table);
    tcase_add_loop_test(tc, test_decide_roundtrip, 0, sizeof decided / sizeof decided[0]);
    tcase_add_loop_test(tc, test_lists, 0, sizeof lists / sizeof lists[0]);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
