/* tests/unit/policy/test_plan.c: the reconcile plan. For every drift the
 * diff cases and the decision fixtures hold, the plan's patch applied to the
 * live object leaves no variance, and the gate judges each operation a
 * reconcile (a create: allow); merge-key lists, missing objects, --only,
 * conflicts, refusals, and the saved form read back.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "baselines.h"
#include "decide.h"
#include "diff.h"
#include "diff_cases.h"
#include "manifest.h"
#include "patch.h"
#include "plan.h"
#include "report.h"
#include "support.h"

static const dg_plan_requester_t who = {"jane", NULL, 0, "driftctl-reconcile"};

static dg_objset_t *load_text(const char *text, size_t len, const char *ns)
{
    dg_manifest_opts_t opts = {.name = "case.yaml", .default_ns = ns};
    dg_objset_t *set = dg_objset_new();
    dg_err_t err = {0};

    ck_assert_msg(dg_manifest_load(text, len, &opts, set, NULL, &err) == 0, "%s", err.msg);
    return set;
}

static dg_objset_t *load(const char *text)
{
    return load_text(text, strlen(text), "prod");
}

static dg_objset_t *load_file(const char *path, const char *ns)
{
    size_t len;
    char *text = dg_test_read(path, &len);
    dg_objset_t *set = load_text(text, len, ns);

    free(text);
    return set;
}

/* A release over @objs (stolen), and the baseline set holding it. */
static dg_baselines_t *release_of(dg_objset_t *objs, const char *name, const char *ns,
                                  const dg_release_t **rel)
{
    dg_release_t *r = dg_release_new(name, ns);
    dg_baselines_t *b = dg_baselines_new();

    dg_objset_free(&r->objs);
    r->objs = objs;
    r->revision = 3;
    r->digest = strdup("sha256:00ff");
    ck_assert_int_ge(dg_release_confine(r), 0);
    *rel = r;
    ck_assert_int_eq(dg_baselines_add(b, r, NULL), 0);
    return b;
}

/* Plan @v, judge it against @live, and check what every plan must give:
 * each patch applied to live leaves none of the variances it restores, and
 * the gate answers reconcile (allow for a create). */
static void plan_and_check(const char *name, const dg_release_t *rel, const dg_baselines_t *b,
                           const dg_objset_t *live, const dg_objset_t *hpas,
                           const dg_variances_t *v, const dg_policy_t *pol, dg_plan_t *plan)
{
    dg_decide_env_t env = {.now = 1764000000, .synced = true, .hpas = hpas};
    dg_err_t err = {0};

    ck_assert_msg(dg_plan_build(rel, live, v, pol, NULL, plan, &err) == 0, "%s: %s", name, err.msg);
    ck_assert_msg(plan->n > 0, "%s: drift but no plan", name);
    ck_assert_msg(dg_plan_judge(plan, live, b, pol, &env, &who, &err) == 0, "%s: %s", name, err.msg);
    for (size_t i = 0; i < plan->n; i++) {
        const dg_plan_op_t *op = &plan->ops[i];
        const dg_obj_t *base = dg_objset_find(rel->objs, &op->obj);
        const dg_obj_t *lo = dg_objset_find(live, &op->obj);
        dg_variances_t after;
        json_t *obj = NULL;

        ck_assert_msg(op->state == DG_PLAN_ALLOWED, "%s: %s %s: %s", name, op->obj.name,
                      dg_verdict_name(op->verdict), op->message ? op->message : "");
        ck_assert_msg(op->verdict == (op->action == DG_PLAN_CREATE ? DG_VERDICT_ALLOW
                                                                    : DG_VERDICT_RECONCILE),
                      "%s: judged %s", name, dg_verdict_name(op->verdict));
        if (op->action == DG_PLAN_PATCH)
            ck_assert_msg(dg_patch_json(lo->json, op->patch, &obj, &err) == 0, "%s: %s", name,
                          err.msg);
        else
            obj = json_incref(op->object);
        dg_variances_init(&after);
        ck_assert_int_eq(dg_diff_object(base, obj, hpas ? hpas : rel->objs, pol, &after, NULL), 0);
        ck_assert_msg(after.n == 0, "%s: %s still drifts at %s after its patch", name,
                      op->obj.name, after.items[0].path);
        dg_variances_free(&after);
        json_decref(obj);
    }
}

/* ---- every diff case with drift --------------------------------------------------- */

START_TEST(test_diff_cases)
{
    dg_objset_t *base = load(diff_cases[_i].base);
    dg_objset_t *live = diff_cases[_i].live ? load(diff_cases[_i].live) : dg_objset_new();
    const dg_obj_t *target = dg_objset_at(base, dg_objset_count(base) - 1);
    const dg_obj_t *lo = dg_objset_find(live, &target->id);
    dg_policy_t *pol = dg_policy_default(NULL);
    const dg_release_t *rel;
    dg_baselines_t *b;
    dg_variances_t v;
    dg_plan_t plan;

    dg_variances_init(&v);
    dg_plan_init(&plan);
    ck_assert_int_eq(dg_diff_object(target, lo ? lo->json : NULL, base, pol, &v, NULL), 0);
    b = release_of(base, "web", "prod", &rel);
    if (v.n) {
        plan_and_check(diff_cases[_i].name, rel, b, live, NULL, &v, pol, &plan);
        ck_assert_uint_eq(plan.n, 1);
        ck_assert_uint_eq(plan.ops[0].variances.n, v.n);
    }
    dg_plan_free(&plan);
    dg_variances_free(&v);
    dg_baselines_free(&b);
    dg_policy_free(&pol);
    dg_objset_free(&live);
}
END_TEST

/* ---- every decision fixture whose object (or old object) drifts ---------------------- */

static char **fixtures;
static size_t nfixtures;

static char *fixture_file(const char *c, const char *name, size_t *len)
{
    char path[1024];
    struct stat st;

    snprintf(path, sizeof path, "%s/%s/%s", dg_test_path("tests/fixtures/decide"), c, name);
    return stat(path, &st) == 0 ? dg_test_read(path, len) : NULL;
}

static dg_objset_t *fixture_set(const char *c, const char *name, const char *ns,
                                dg_manifest_info_t *info)
{
    dg_manifest_opts_t opts = {.name = name, .default_ns = ns};
    size_t len;
    char *text = fixture_file(c, name, &len);
    dg_objset_t *set;

    if (text == NULL)
        return NULL;
    set = dg_objset_new();
    ck_assert_int_eq(dg_manifest_load(text, len, &opts, set, info, NULL), 0);
    free(text);
    return set;
}

static dg_policy_t *fixture_policy(const char *c)
{
    size_t len;
    char *text = fixture_file(c, "policy.yaml", &len);
    dg_policy_t *p = text ? dg_policy_parse(text, len, "policy.yaml", NULL) : dg_policy_default(NULL);

    free(text);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* Plans for @obj (the review's object or old object) when it drifts.
 * Returns how many operations were planned and judged. */
static size_t plan_fixture_object(const char *c, const json_t *obj, const char *ns)
{
    dg_manifest_info_t info = {0};
    dg_objset_t *base = fixture_set(c, "baseline.yaml", ns, &info);
    dg_objset_t *hpas = fixture_set(c, "hpas.yaml", ns, NULL);
    dg_objset_t *live = dg_objset_new();
    dg_policy_t *pol = fixture_policy(c);
    const dg_release_t *rel;
    dg_baselines_t *b;
    dg_variances_t v;
    dg_plan_t plan;
    size_t n = 0;

    dg_variances_init(&v);
    dg_plan_init(&plan);
    b = release_of(base, info.release ? info.release : "test-nginx", info.ns ? info.ns : ns, &rel);
    if (json_is_object(obj) && dg_objset_add(live, json_deep_copy(obj), ns, "review", 0, NULL) == 0) {
        const dg_obj_t *lo = dg_objset_at(live, 0);
        const dg_obj_t *bo = dg_objset_find(rel->objs, &lo->id);

        if (bo && dg_policy_governs(pol, lo->id.group, lo->id.kind))
            ck_assert_int_eq(dg_diff_object(bo, lo->json, hpas ? hpas : rel->objs, pol, &v, NULL), 0);
    }
    if (v.n) {
        plan_and_check(c, rel, b, live, hpas, &v, pol, &plan);
        n = plan.n;
    }
    dg_plan_free(&plan);
    dg_variances_free(&v);
    dg_baselines_free(&b);
    dg_objset_free(&live);
    dg_objset_free(&hpas);
    dg_policy_free(&pol);
    dg_manifest_info_free(&info);
    return n;
}

START_TEST(test_decide_fixtures)
{
    const char *c = fixtures[_i];
    size_t len;
    char *text = fixture_file(c, "review.json", &len);
    json_t *doc = dg_test_json(text), *req = json_object_get(doc, "request");
    const char *ns = json_string_value(json_object_get(req, "namespace"));

    plan_fixture_object(c, json_object_get(req, "object"), ns ? ns : "");
    plan_fixture_object(c, json_object_get(req, "oldObject"), ns ? ns : "");
    json_decref(doc);
    free(text);
}
END_TEST

/* The loop above must not pass by planning nothing: count outside a fork. */
START_TEST(test_decide_fixtures_plan_something)
{
    size_t total = 0;

    for (size_t i = 0; i < nfixtures; i++) {
        size_t len;
        char *text = fixture_file(fixtures[i], "review.json", &len);
        json_t *doc = dg_test_json(text), *req = json_object_get(doc, "request");
        const char *ns = json_string_value(json_object_get(req, "namespace"));

        total += plan_fixture_object(fixtures[i], json_object_get(req, "object"), ns ? ns : "");
        json_decref(doc);
        free(text);
    }
    ck_assert_msg(total >= 30, "only %zu fixtures drift", total);
}
END_TEST

/* ---- the bundled example: the seed drift ------------------------------------------------- */

typedef struct example {
    dg_objset_t *live;
    dg_policy_t *pol;
    const dg_release_t *rel;
    dg_baselines_t *b;
    dg_variances_t v;
    dg_plan_t plan;
} example_t;

/* A release over @base (stolen) named @name in @ns, live state @live
 * (stolen), and the drift between them; @kinds as dg_diff_sets() takes them. */
static void case_open(example_t *e, dg_objset_t *base, dg_objset_t *live, const char *name,
                      const char *ns, const dg_gk_t *kinds, size_t nkinds)
{
    e->live = live;
    e->pol = dg_policy_default(NULL);
    e->b = release_of(base, name, ns, &e->rel);
    dg_variances_init(&e->v);
    dg_plan_init(&e->plan);
    ck_assert_int_eq(dg_diff_sets(e->rel->objs, e->live, kinds, nkinds, e->pol, &e->v, NULL), 0);
}

static void example_open(example_t *e, const char *live_path)
{
    case_open(e, load_file("examples/release-baseline.yaml", "sandbox-nginx"),
              load_file(live_path, "sandbox-nginx"), "test-nginx", "sandbox-nginx", NULL, 0);
}

static void example_close(example_t *e)
{
    dg_plan_free(&e->plan);
    dg_variances_free(&e->v);
    dg_baselines_free(&e->b);
    dg_policy_free(&e->pol);
    dg_objset_free(&e->live);
}

static const dg_plan_op_t *op_of(const dg_plan_t *p, const char *kind)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->ops[i].obj.kind, kind) == 0)
            return &p->ops[i];
    ck_abort_msg("no operation on a %s", kind);
    return NULL;
}

static void patch_is(const dg_plan_op_t *op, const char *want)
{
    json_t *w = dg_test_json(want);
    char *got = json_dumps(op->patch, JSON_COMPACT);

    ck_assert_msg(json_equal(op->patch, w), "%s: patch %s", op->obj.kind, got);
    free(got);
    json_decref(w);
}

START_TEST(test_example)
{
    example_t e = {0};

    example_open(&e, "examples/live-snapshot.yaml");
    plan_and_check("example", e.rel, e.b, e.live, e.live, &e.v, e.pol, &e.plan);
    ck_assert_uint_eq(e.plan.n, 3);
    ck_assert_uint_eq(dg_plan_nvariances(&e.plan), 4);
    /* The Service: the port (its element tested by name first) and the type;
     * the nodePort is left to the API server, which drops it with NodePort. */
    patch_is(op_of(&e.plan, "Service"),
             "[{\"op\":\"test\",\"path\":\"/spec/ports/0/name\",\"value\":\"http\"},"
             "{\"op\":\"test\",\"path\":\"/spec/ports/0/port\",\"value\":8080},"
             "{\"op\":\"test\",\"path\":\"/spec/type\",\"value\":\"NodePort\"},"
             "{\"op\":\"replace\",\"path\":\"/spec/ports/0/port\",\"value\":80},"
             "{\"op\":\"replace\",\"path\":\"/spec/type\",\"value\":\"ClusterIP\"}]");
    patch_is(op_of(&e.plan, "HorizontalPodAutoscaler"),
             "[{\"op\":\"test\",\"path\":\"/spec/minReplicas\",\"value\":4},"
             "{\"op\":\"replace\",\"path\":\"/spec/minReplicas\",\"value\":6}]");
    patch_is(op_of(&e.plan, "Deployment"),
             "[{\"op\":\"test\",\"path\":\"/spec/template/spec/containers/0/name\",\"value\":\"nginx\"},"
             "{\"op\":\"test\",\"path\":\"/spec/template/spec/containers/0/image\",\"value\":\"nginx:1.28.0\"},"
             "{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\",\"value\":\"nginx:1.27.3\"}]");
    ck_assert_str_eq(op_of(&e.plan, "HorizontalPodAutoscaler")->resource_version, "48213");
    example_close(&e);
}
END_TEST

/* ---- lists by merge key, elements added and removed, missing objects --------------------- */

START_TEST(test_merge_key_lists)
{
    example_t e = {0};

    /* Reordered live ports, one changed, two added out of band, one gone. */
    case_open(&e, load(SVC("  - {name: http, port: 80}\n  - {name: https, port: 443}\n"
                           "  - {name: admin, port: 9000}\n", "")),
              load(SVC("  - {name: metrics, port: 9100, protocol: TCP, targetPort: 9100}\n"
                       "  - {name: https, port: 8443, protocol: TCP, targetPort: 443}\n"
                       "  - {name: debug, port: 9090, protocol: TCP, targetPort: 9090}\n"
                       "  - {name: http, port: 80, protocol: TCP, targetPort: 80}\n",
                       "  type: ClusterIP\n")),
              "web", "prod", NULL, 0);
    plan_and_check("merge keys", e.rel, e.b, e.live, NULL, &e.v, e.pol, &e.plan);
    /* https is at index 1 in live; removals go last, highest index first. */
    patch_is(&e.plan.ops[0],
             "[{\"op\":\"test\",\"path\":\"/spec/ports/1/name\",\"value\":\"https\"},"
             "{\"op\":\"test\",\"path\":\"/spec/ports/1/port\",\"value\":8443},"
             "{\"op\":\"test\",\"path\":\"/spec/ports/0\",\"value\":{\"name\":\"metrics\",\"port\":9100,\"protocol\":\"TCP\",\"targetPort\":9100}},"
             "{\"op\":\"test\",\"path\":\"/spec/ports/2\",\"value\":{\"name\":\"debug\",\"port\":9090,\"protocol\":\"TCP\",\"targetPort\":9090}},"
             "{\"op\":\"replace\",\"path\":\"/spec/ports/1/port\",\"value\":443},"
             "{\"op\":\"add\",\"path\":\"/spec/ports/-\",\"value\":{\"name\":\"admin\",\"port\":9000}},"
             "{\"op\":\"remove\",\"path\":\"/spec/ports/2\"},"
             "{\"op\":\"remove\",\"path\":\"/spec/ports/0\"}]");
    example_close(&e);
}
END_TEST

START_TEST(test_missing_object)
{
    example_t e = {0};
    dg_gk_t kinds[] = {{"autoscaling", "HorizontalPodAutoscaler"}, {"", "Service"}};
    json_t *meta;

    case_open(&e, load(HPA("  minReplicas: 6\n") "---\n" SVC("  - {name: http, port: 80}\n", "")),
              load(HPA("  minReplicas: 6\n")), "web", "prod", kinds, 2);
    plan_and_check("missing", e.rel, e.b, e.live, NULL, &e.v, e.pol, &e.plan);
    ck_assert_uint_eq(e.plan.n, 1);
    ck_assert_int_eq(e.plan.ops[0].action, DG_PLAN_CREATE);
    ck_assert_ptr_null(e.plan.ops[0].patch);
    meta = json_object_get(e.plan.ops[0].object, "metadata");
    ck_assert_str_eq(json_string_value(json_object_get(meta, "namespace")), "prod");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(meta, "annotations"),
                                                       "meta.helm.sh/release-name")),
                     "web");
    /* Created by someone before the plan is applied: a conflict, not a create. */
    ck_assert_int_eq(dg_objset_add(e.live, json_deep_copy(e.plan.ops[0].object), "prod", "x", 0, NULL), 0);
    ck_assert_int_eq(dg_plan_judge(&e.plan, e.live, e.b, e.pol, &(dg_decide_env_t){.synced = true},
                                   &who, NULL), 0);
    ck_assert_int_eq(e.plan.ops[0].state, DG_PLAN_CONFLICT);
    ck_assert_str_eq(e.plan.ops[0].message, "it exists now; svc/web is left as it is");
    example_close(&e);
}
END_TEST

/* An object with neither the field nor its parent: the value is added whole. */
START_TEST(test_add_absent)
{
    example_t e = {0};

    case_open(&e, load(SVC("  - {name: http, port: 80}\n",
                           "  selector: {app: web}\n  externalIPs: [10.0.0.1]\n")),
              load(SVC("  - {name: http, port: 80, protocol: TCP, targetPort: 80}\n",
                       "  type: ClusterIP\n")),
              "web", "prod", NULL, 0);
    plan_and_check("absent", e.rel, e.b, e.live, NULL, &e.v, e.pol, &e.plan);
    patch_is(&e.plan.ops[0], "[{\"op\":\"add\",\"path\":\"/spec/selector\",\"value\":{\"app\":\"web\"}},"
                             "{\"op\":\"add\",\"path\":\"/spec/externalIPs\",\"value\":[\"10.0.0.1\"]}]");
    example_close(&e);
}
END_TEST

/* ---- --only ------------------------------------------------------------------------------- */

static const struct {
    const char *only[2];
    size_t n;
    const char *want; /* "kind:path,..." restored, or the error */
} only_cases[] = {
    {{"hpa-bounds"}, 1, "HorizontalPodAutoscaler:spec.minReplicas,"},
    {{"spec.ports"}, 1, "Service:spec.ports[name=http].port,"},
    {{"spec.type", "container-image"}, 2,
     "Service:spec.type,Deployment:spec.template.spec.containers[name=nginx].image,"},
    {{"spec.replicas"}, 1, ""},
    {{"spec.ports[0]"}, 1, "error: 'spec.ports[0]' is neither a rule of policy default nor a path"},
};

START_TEST(test_only)
{
    example_t e = {0};
    dg_plan_opts_t o = {.only = only_cases[_i].only, .nonly = only_cases[_i].n};
    dg_err_t err = {0};
    char got[512] = "";

    example_open(&e, "examples/live-snapshot.yaml");
    if (dg_plan_build(e.rel, e.live, &e.v, e.pol, &o, &e.plan, &err) != 0)
        snprintf(got, sizeof got, "error: %s", err.msg);
    for (size_t i = 0; i < e.plan.n; i++)
        for (size_t j = 0; j < e.plan.ops[i].variances.n; j++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s:%s,", e.plan.ops[i].obj.kind,
                     e.plan.ops[i].variances.items[j].path);
    ck_assert_msg(strncmp(got, only_cases[_i].want, strlen(only_cases[_i].want)) == 0 &&
                      (got[0] == 'e' || strlen(got) == strlen(only_cases[_i].want)),
                  "--only %s: got '%s'", only_cases[_i].only[0], got);
    example_close(&e);
}
END_TEST

/* --strategy apply: the whole baseline object, judged offline by the
 * governed values it restores; a missing object is applied as a create. */
START_TEST(test_server_side_apply)
{
    example_t e = {0};
    dg_plan_opts_t o = {.server_side_apply = true};
    const dg_plan_op_t *hpa;
    dg_err_t err = {0};

    example_open(&e, "examples/live-snapshot.yaml");
    ck_assert_int_eq(dg_plan_build(e.rel, e.live, &e.v, e.pol, &o, &e.plan, &err), 0);
    ck_assert_uint_eq(dg_plan_count(&e.plan, DG_PLAN_APPLY), 3);
    ck_assert_int_eq(dg_plan_judge(&e.plan, e.live, e.b, e.pol, &(dg_decide_env_t){.synced = true},
                                   &who, &err), 0);
    hpa = op_of(&e.plan, "HorizontalPodAutoscaler");
    ck_assert_int_eq(hpa->verdict, DG_VERDICT_RECONCILE);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(hpa->object, "spec"),
                                                        "minReplicas")), 6);
    ck_assert_ptr_nonnull(json_object_get(json_object_get(hpa->object, "spec"), "metrics"));
    ck_assert_ptr_nonnull(hpa->patch);
    example_close(&e);
}
END_TEST

/* ---- judging: conflicts and refusals ------------------------------------------------------- */

START_TEST(test_conflict)
{
    example_t e = {0};
    dg_objset_t *later = load_file("examples/live-snapshot.yaml", "sandbox-nginx");
    const dg_obj_t *svc;

    example_open(&e, "examples/live-snapshot.yaml");
    ck_assert_int_eq(dg_plan_build(e.rel, e.live, &e.v, e.pol, NULL, &e.plan, NULL), 0);
    /* Someone set the Service back to ClusterIP by hand after the plan. */
    svc = dg_objset_find(later, &op_of(&e.plan, "Service")->obj);
    json_object_set_new(json_object_get(svc->json, "spec"), "type", json_string("ClusterIP"));
    ck_assert_int_eq(dg_plan_judge(&e.plan, later, e.b, e.pol, &(dg_decide_env_t){.synced = true},
                                   &who, NULL), 0);
    ck_assert_int_eq(op_of(&e.plan, "Service")->state, DG_PLAN_CONFLICT);
    ck_assert_str_eq(op_of(&e.plan, "Service")->message,
                     "it changed since the plan: test of /spec/type failed: the value "
                     "is \"ClusterIP\", the patch expects \"NodePort\"");
    ck_assert_int_eq(op_of(&e.plan, "HorizontalPodAutoscaler")->state, DG_PLAN_ALLOWED);
    dg_objset_free(&later);
    example_close(&e);
}
END_TEST

/* The gate's baseline is not the one planned against: it refuses, with its message. */
START_TEST(test_refused)
{
    example_t e = {0};
    size_t len;
    char *text = dg_test_read("examples/release-baseline.yaml", &len), *eight;
    const dg_release_t *gate_rel;
    dg_baselines_t *gate;

    eight = strstr(text, "minReplicas: 6");
    ck_assert_ptr_nonnull(eight);
    eight[strlen("minReplicas: ")] = '8';
    gate = release_of(load_text(text, len, "sandbox-nginx"), "test-nginx", "sandbox-nginx", &gate_rel);
    example_open(&e, "examples/live-snapshot.yaml");
    ck_assert_int_eq(dg_plan_build(e.rel, e.live, &e.v, e.pol, NULL, &e.plan, NULL), 0);
    ck_assert_int_eq(dg_plan_judge(&e.plan, e.live, gate, e.pol, &(dg_decide_env_t){.synced = true},
                                   &who, NULL), 0);
    ck_assert_int_eq(op_of(&e.plan, "HorizontalPodAutoscaler")->state, DG_PLAN_REFUSED);
    ck_assert_int_eq(op_of(&e.plan, "HorizontalPodAutoscaler")->verdict, DG_VERDICT_DENY);
    ck_assert_ptr_nonnull(strstr(op_of(&e.plan, "HorizontalPodAutoscaler")->message,
                                 "desired 8, requested 6"));
    dg_baselines_free(&gate);
    free(text);
    example_close(&e);
}
END_TEST

/* A saved plan edited to change something ungoverned: the gate would
 * allow it, but it is no reconcile, so it is refused. */
START_TEST(test_edited_plan_refused)
{
    example_t e = {0};
    dg_plan_op_t *hpa;

    example_open(&e, "examples/live-snapshot.yaml");
    ck_assert_int_eq(dg_plan_build(e.rel, e.live, &e.v, e.pol, NULL, &e.plan, NULL), 0);
    hpa = (dg_plan_op_t *)op_of(&e.plan, "HorizontalPodAutoscaler");
    json_decref(hpa->patch);
    hpa->patch = dg_test_json("[{\"op\":\"add\",\"path\":\"/metadata/labels/team\",\"value\":\"x\"}]");
    ck_assert_int_eq(dg_plan_judge(&e.plan, e.live, e.b, e.pol, &(dg_decide_env_t){.synced = true},
                                   &who, NULL), 0);
    ck_assert_int_eq(hpa->verdict, DG_VERDICT_ALLOW);
    ck_assert_int_eq(hpa->state, DG_PLAN_REFUSED);
    ck_assert_str_eq(hpa->message, "it moves no governed value back to the baseline, so it is no "
                                   "reconcile");
    example_close(&e);
}
END_TEST

/* ---- the saved plan ------------------------------------------------------------------------- */

START_TEST(test_json_round_trip)
{
    example_t e = {0};
    dg_plan_t back;
    json_t *a, *b;
    char *text;
    dg_err_t err = {0};

    example_open(&e, "examples/live-snapshot.yaml");
    ck_assert_int_eq(dg_plan_build(e.rel, e.live, &e.v, e.pol, NULL, &e.plan, NULL), 0);
    a = dg_plan_json(&e.plan);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(a, "release"), "digest")),
                     "sha256:00ff");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(a, "summary"), "operations")), 3);
    text = json_dumps(a, 0);
    dg_plan_init(&back);
    ck_assert_msg(dg_plan_parse(text, strlen(text), "plan.json", &back, &err) == 0, "%s", err.msg);
    b = dg_plan_json(&back);
    ck_assert(json_equal(a, b));
    ck_assert_str_eq(back.ops[0].variances.items[0].rule, e.plan.ops[0].variances.items[0].rule);
    dg_plan_free(&back);
    json_decref(a);
    json_decref(b);
    free(text);
    example_close(&e);
}
END_TEST

static const struct {
    const char *text, *want;
} bad_plans[] = {
    {"{\"release\":", "plan.json:1:11: not a plan: "},
    {"[]", "plan.json: the document is not a reconcile plan"},
    {"{\"release\":{\"name\":\"a\"},\"operations\":[]}", "plan.json: release.namespace is not a string"},
    {"{\"release\":{\"name\":\"a\",\"namespace\":\"n\"},\"operations\":[{\"object\":{\"group\":\"\","
     "\"kind\":\"Service\",\"namespace\":\"n\",\"name\":\"s\"},\"action\":\"patch\",\"patch\":{},"
     "\"variances\":[]}]}",
     "plan.json: operations[0].patch is not a JSON patch"},
    {"{\"release\":{\"name\":\"a\",\"namespace\":\"n\"},\"operations\":[{\"object\":{\"group\":\"\","
     "\"kind\":\"Service\",\"namespace\":\"n\"},\"action\":\"patch\"}]}",
     "plan.json: operations[0].object.name is not a string"},
    {"{\"release\":{\"name\":\"a\",\"namespace\":\"n\"},\"operations\":[{\"object\":{\"group\":\"\","
     "\"kind\":\"Service\",\"namespace\":\"n\",\"name\":\"s\"},\"action\":\"delete\"}]}",
     "plan.json: operations[0].action is not \"patch\", \"create\" or \"apply\""},
};

START_TEST(test_bad_plans)
{
    dg_plan_t p;
    dg_err_t err = {0};
    char msg[512];

    dg_plan_init(&p);
    ck_assert_int_ne(dg_plan_parse(bad_plans[_i].text, strlen(bad_plans[_i].text), "plan.json", &p,
                                   &err), 0);
    dg_err_format(&err, msg, sizeof msg);
    ck_assert_msg(strncmp(msg, bad_plans[_i].want, strlen(bad_plans[_i].want)) == 0, "got '%s'", msg);
    dg_plan_free(&p);
}
END_TEST

START_TEST(test_report)
{
    example_t e = {0};
    dg_buf_t out;

    example_open(&e, "examples/live-snapshot.yaml");
    ck_assert_int_eq(dg_plan_build(e.rel, e.live, &e.v, e.pol, NULL, &e.plan, NULL), 0);
    ck_assert_int_eq(dg_plan_judge(&e.plan, e.live, e.b, e.pol, &(dg_decide_env_t){.synced = true},
                                   &who, NULL), 0);
    dg_buf_init(&out, 0);
    ck_assert_int_eq(dg_report_plan(&e.plan, DG_FMT_TABLE, &out, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out.data, "hpa/test-nginx     patch   spec.minReplicas"));
    ck_assert_ptr_nonnull(strstr(out.data, "    replace  /spec/minReplicas  6\n"));
    ck_assert_ptr_nonnull(strstr(out.data, "3 operations (3 patch) restore 4 variances in "
                                           "release sandbox-nginx/test-nginx (revision 3).\n"));
    dg_buf_reset(&out);
    ck_assert_int_eq(dg_report_plan(&e.plan, DG_FMT_MARKDOWN, &out, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out.data, "| Object | Action | Path | Desired | Live | Rule | Decision |"));
    ck_assert_int_eq(dg_report_plan(&e.plan, DG_FMT_SARIF, &out, NULL), DG_EINVAL);
    dg_buf_free(&out);
    example_close(&e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/plan");
    TCase *tc = tcase_create("core");
    int rc;

    fixtures = dg_test_subdirs(dg_test_path("tests/fixtures/decide"), &nfixtures);
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_diff_cases, 0, sizeof diff_cases / sizeof diff_cases[0]);
    tcase_add_loop_test(tc, test_decide_fixtures, 0, (int)nfixtures);
    tcase_add_test(tc, test_decide_fixtures_plan_something);
    tcase_add_test(tc, test_example);
    tcase_add_test(tc, test_merge_key_lists);
    tcase_add_test(tc, test_missing_object);
    tcase_add_test(tc, test_add_absent);
    tcase_add_loop_test(tc, test_only, 0, sizeof only_cases / sizeof only_cases[0]);
    tcase_add_test(tc, test_server_side_apply);
    tcase_add_test(tc, test_conflict);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_edited_plan_refused);
    tcase_add_test(tc, test_json_round_trip);
    tcase_add_loop_test(tc, test_bad_plans, 0, sizeof bad_plans / sizeof bad_plans[0]);
    tcase_add_test(tc, test_report);
    suite_add_tcase(s, tc);
    rc = dg_test_run(s);
    dg_test_names_free(fixtures);
    return rc;
}
