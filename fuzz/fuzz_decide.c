/* fuzz/fuzz_decide.c: arbitrary bytes as an AdmissionReview body, through
 * the codec and dg_decide() against the example release, as driftgate's
 * /validate does. A parsed review is always answered, with its uid. And
 * differentially: the request's object diffed as the reader's nodes
 * against the baseline's nodes (dg_obj_nodes(), as the gate judges it)
 * and as jansson against jansson (as the CLI reads live objects) gives the same
 * variances against every baseline object; and the object and
 * oldObject diffed together (dg_diff_pair(), as the gate does) give what
 * each gives alone. And the body read as the server reads it, object and
 * oldObject only as far as the policy's decision reads them
 * (dg_policy_want()), gets the very same answer and decision record as
 * the body read whole, whenever the whole read is accepted.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "manifest.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The example release, as `helm template test-nginx examples/charts/nginx
 * --namespace sandbox-nginx` renders its governed objects. */
static const char release[] =
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: test-nginx\nspec:\n  type: ClusterIP\n"
    "  ports:\n    - port: 80\n      targetPort: http\n      protocol: TCP\n      name: http\n"
    "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: test-nginx\nspec:\n"
    "  template:\n    spec:\n      containers:\n        - name: nginx\n          image: "
    "\"nginx:1.27.3\"\n---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
    "metadata:\n  name: test-nginx\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n"
    "    kind: Deployment\n    name: test-nginx\n  minReplicas: 6\n  maxReplicas: 10\n";

static dg_baselines_t *bases;
static dg_policy_t *pol;

static void setup(void)
{
    dg_manifest_opts_t opts = {.name = "release", .default_ns = "sandbox-nginx"};
    dg_release_t *rel = dg_release_new("test-nginx", "sandbox-nginx");

    bases = dg_baselines_new();
    pol = dg_policy_default(NULL);
    if (!rel || !bases || !pol ||
        dg_manifest_load(release, sizeof release - 1, &opts, rel->objs, NULL, NULL) != 0 ||
        dg_baselines_add(bases, rel, NULL) != 0)
        abort();
}

static void same_variances(const dg_variances_t *a, const dg_variances_t *b)
{
    if (a->n != b->n)
        __builtin_trap();
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->items[i].path, b->items[i].path) != 0 ||
            a->items[i].action != b->items[i].action || a->items[i].type != b->items[i].type ||
            !dg_diff_equal(a->items[i].live, b->items[i].live) ||
            !dg_diff_equal(a->items[i].desired, b->items[i].desired))
            __builtin_trap();
}

/* The object as nodes and as jansson, against each object of the release;
 * and with @old, as a pair. */
static void nodes_as_jansson(const dg_jnode_t *obj, const dg_jnode_t *old)
{
    const dg_release_t *rel = dg_baselines_at(bases, 0);
    json_t *j = obj ? dg_jread_to_json(obj) : NULL;

    for (size_t i = 0; j && i < dg_objset_count(rel->objs); i++) {
        const dg_obj_t *base = dg_objset_at(rel->objs, i);
        dg_variances_t vn, vj, pn, po, vo;
        int rn, rj, rp, ro;

        dg_variances_init(&vn);
        dg_variances_init(&vj);
        dg_variances_init(&pn);
        dg_variances_init(&po);
        dg_variances_init(&vo);
        rn = dg_diff_val(base, dg_val_node(obj), rel->objs, pol, &vn, NULL);
        rj = dg_diff_object(base, j, rel->objs, pol, &vj, NULL);
        if (dg_obj_nodes(base) == NULL)
            __builtin_trap(); /* built by the node diff above */
        rp = dg_diff_pair(base, dg_val_node(obj), dg_val_node(old), rel->objs, pol, &pn, &po,
                          NULL);
        ro = dg_diff_val(base, dg_val_node(old), rel->objs, pol, &vo, NULL);
        if (rn != rj || rp != (rn ? rn : ro))
            __builtin_trap();
        if (rn == 0)
            same_variances(&vn, &vj);
        if (rp == 0) {
            same_variances(&pn, &vn);
            same_variances(&po, &vo);
        }
        dg_variances_free(&vn);
        dg_variances_free(&vj);
        dg_variances_free(&pn);
        dg_variances_free(&po);
        dg_variances_free(&vo);
    }
    json_decref(j);
}

/* The answer and the decision record of @rv, or NULL when dg_decide()
 * fails (out of memory). */
static char *judged(const dg_review_t *rv, const dg_decide_env_t *env)
{
    dg_decision_t d;
    dg_err_t err = {0};
    dg_buf_t b;
    char *out = NULL;

    dg_decision_init(&d);
    dg_buf_init(&b, 0);
    if (dg_decide(rv, bases, pol, env, &d, &err) == 0 &&
        (out = dg_review_encode(rv->api_version, rv->uid, &d.response)) != NULL &&
        dg_report_decision_record(&b, &d, rv) == 0 && dg_buf_cat(&b, "\n", out) == 0) {
        free(out);
        out = dg_buf_take(&b);
    }
    dg_buf_free(&b);
    dg_decision_free(&d);
    return out;
}

/* The body read pruned, as driftgate's workers read it, is judged alike. */
static void pruned_alike(const uint8_t *data, size_t size, const dg_review_t *rv,
                         const dg_decide_env_t *env)
{
    static dg_arena_t arena = {.first = 4096};
    dg_err_t err = {0};
    dg_review_t *p = dg_review_parse_in(&arena, (const char *)data, size, "fuzz", 0,
                                        dg_policy_want(pol), &err);
    char *a, *b;

    if (p == NULL)
        __builtin_trap(); /* it reads less than the whole read that accepted it */
    a = judged(rv, env);
    b = judged(p, env);
    if (a == NULL || b == NULL || strcmp(a, b) != 0)
        __builtin_trap();
    free(a);
    free(b);
    dg_review_free(&p);
    dg_arena_reset(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dg_decide_env_t env = {.now = 1764000000, .synced = true};
    dg_err_t err = {0};
    dg_review_t *rv;
    dg_decision_t d;
    char *out;

    if (bases == NULL)
        setup();
    env.synced = size % 7 != 0; /* sometimes judge as if not yet synced */
    env.fail_open = size % 2 == 0;
    rv = dg_review_parse((const char *)data, size, "fuzz", 0, &err);
    if (rv == NULL) {
        if (err.code == 0)
            __builtin_trap();
        return 0;
    }
    dg_decision_init(&d);
    if (dg_decide(rv, bases, pol, &env, &d, &err) == 0) {
        out = dg_review_encode(rv->api_version, rv->uid, &d.response);
        if (out == NULL || strstr(out, "\"uid\":") == NULL)
            __builtin_trap();
        for (size_t i = 0; i < d.response.nwarnings; i++)
            if (strlen(d.response.warnings[i]) > 120)
                __builtin_trap();
        free(out);
    }
    dg_decision_free(&d);
    pruned_alike(data, size, rv, &env);
    nodes_as_jansson(rv->object, rv->old_object);
    dg_review_free(&rv);
    return 0;
}
