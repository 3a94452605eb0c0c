/* tests/unit/policy/test_diff.c: variances under the built-in policy, on
 * objects as helm renders them and as the API server stores them.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diff.h"
#include "manifest.h"
#include "diff_cases.h"
#include "support.h"

static void show(const json_t *v, dg_buf_t *b)
{
    char *d = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS) : NULL;

    ck_assert_int_eq(dg_buf_puts(b, v ? d : "(none)"), 0);
    free(d);
}

static dg_objset_t *load(const char *text)
{
    dg_manifest_opts_t opts = {.name = "case.yaml", .default_ns = "prod"};
    dg_objset_t *set = dg_objset_new();
    dg_err_t err = {0};

    ck_assert_msg(dg_manifest_load(text, strlen(text), &opts, set, NULL, &err) == 0, "%s", err.msg);
    return set;
}

/* @v as the reader's nodes in @a, as a request's object is judged. */
static dg_val_t as_nodes(dg_arena_t *a, const json_t *v)
{
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    dg_err_t err = {0};
    const dg_jnode_t *n;

    ck_assert_ptr_nonnull(text);
    n = dg_jread_parse(a, text, strlen(text), 0, "live", &err);
    ck_assert_msg(n != NULL, "%s", err.msg);
    free(text);
    return dg_val_node(n);
}

/* Each case twice: the live object and the baseline as jansson (the CLI)
 * and as the reader's nodes (a request, against dg_obj_nodes() of its
 * baseline); the same variances either way. */
START_TEST(test_object)
{
    bool nodes = _i % 2;
    dg_arena_t arena;
    size_t c = (size_t)_i / 2;
    dg_objset_t *base = load(diff_cases[c].base), *live = diff_cases[c].live ? load(diff_cases[c].live) : NULL;
    const dg_obj_t *target = dg_objset_at(base, dg_objset_count(base) - 1);
    const dg_obj_t *lo = live ? dg_objset_find(live, &target->id) : NULL;
    dg_policy_t *pol = dg_policy_default(NULL);
    dg_variances_t v;
    dg_err_t err = {0};
    dg_buf_t got;

    dg_variances_init(&v);
    dg_buf_init(&got, 0);
    dg_arena_init(&arena, 4096);
    ck_assert_int_eq(dg_diff_val(target, lo && nodes ? as_nodes(&arena, lo->json) : dg_val_json(lo ? lo->json : NULL),
                                 base, pol, &v, &err),
                     0);
    for (size_t i = 0; i < v.n; i++) {
        ck_assert_int_eq(dg_buf_printf(&got, "%s|", v.items[i].path), 0);
        show(v.items[i].desired, &got);
        ck_assert_int_eq(dg_buf_puts(&got, "|"), 0);
        show(v.items[i].live, &got);
        ck_assert_int_eq(dg_buf_printf(&got, "|%s|%s\n", v.items[i].rule,
                                       dg_action_name(v.items[i].action)),
                         0);
        ck_assert_int_eq(v.items[i].type, lo ? DG_VAR_CHANGED : DG_VAR_MISSING);
        ck_assert_str_eq(v.items[i].obj.name, "web");
    }
    ck_assert_msg(strcmp(got.data ? got.data : "", diff_cases[c].want) == 0, "%s (%s):\ngot:\n%swant:\n%s",
                  diff_cases[c].name, nodes ? "nodes" : "jansson", got.data ? got.data : "",
                  diff_cases[c].want);
    dg_arena_free(&arena);
    dg_buf_free(&got);
    dg_variances_free(&v);
    dg_policy_free(&pol);
    dg_objset_free(&base);
    dg_objset_free(&live);
}
END_TEST

/* The variances of @v as text, one per line (path, values, rule, action). */
static void variances_text(const dg_variances_t *v, dg_buf_t *got)
{
    for (size_t i = 0; i < v->n; i++) {
        ck_assert_int_eq(dg_buf_printf(got, "%s|%d|", v->items[i].path, (int)v->items[i].type), 0);
        show(v->items[i].desired, got);
        ck_assert_int_eq(dg_buf_puts(got, "|"), 0);
        show(v->items[i].live, got);
        ck_assert_int_eq(dg_buf_printf(got, "|%s|%s\n", v->items[i].rule,
                                       dg_action_name(v->items[i].action)),
                         0);
    }
}

/* dg_diff_pair() of case @_i's live object and, as the old one, every
 * case's (absent too), as the reader's nodes: the same variances as two
 * dg_diff_val() calls, though the two walks share the baseline's steps. */
START_TEST(test_pair)
{
    size_t ncases = sizeof diff_cases / sizeof diff_cases[0];
    dg_objset_t *base = load(diff_cases[_i].base);
    dg_objset_t *live = diff_cases[_i].live ? load(diff_cases[_i].live) : NULL;
    const dg_obj_t *target = dg_objset_at(base, dg_objset_count(base) - 1);
    const dg_obj_t *lo = live ? dg_objset_find(live, &target->id) : NULL;
    dg_policy_t *pol = dg_policy_default(NULL);
    dg_arena_t arena;

    dg_arena_init(&arena, 4096);
    for (size_t d = 0; d <= ncases; d++) {
        dg_objset_t *other = d < ncases && diff_cases[d].live ? load(diff_cases[d].live) : NULL;
        const dg_obj_t *oo = other ? dg_objset_at(other, dg_objset_count(other) - 1) : NULL;
        dg_val_t l = lo ? as_nodes(&arena, lo->json) : DG_VAL_ABSENT;
        dg_val_t o = oo ? as_nodes(&arena, oo->json) : DG_VAL_ABSENT;
        dg_variances_t pn, po, sn, so;
        dg_buf_t a, b;

        dg_variances_init(&pn);
        dg_variances_init(&po);
        dg_variances_init(&sn);
        dg_variances_init(&so);
        dg_buf_init(&a, 0);
        dg_buf_init(&b, 0);
        ck_assert_int_eq(dg_diff_pair(target, l, o, base, pol, &pn, &po, NULL), 0);
        ck_assert_int_eq(dg_diff_val(target, l, base, pol, &sn, NULL), 0);
        ck_assert_int_eq(dg_diff_val(target, o, base, pol, &so, NULL), 0);
        variances_text(&pn, &a);
        ck_assert_int_eq(dg_buf_puts(&a, "--\n"), 0);
        variances_text(&po, &a);
        variances_text(&sn, &b);
        ck_assert_int_eq(dg_buf_puts(&b, "--\n"), 0);
        variances_text(&so, &b);
        ck_assert_msg(strcmp(a.data, b.data) == 0, "%s, old from case %zu:\npair:\n%s\nsingle:\n%s",
                      diff_cases[_i].name, d, a.data, b.data);
        dg_buf_free(&a);
        dg_buf_free(&b);
        dg_variances_free(&pn);
        dg_variances_free(&po);
        dg_variances_free(&sn);
        dg_variances_free(&so);
        dg_objset_free(&other);
    }
    dg_arena_free(&arena);
    dg_policy_free(&pol);
    dg_objset_free(&base);
    dg_objset_free(&live);
}
END_TEST

/* A snapshot is partial evidence: only covered kinds can be missing. */
static const struct {
    const char *kinds; /* NULL = the kinds present in the snapshot */
    size_t want;
} coverage[] = {
    {NULL, 1},       /* only the HPA differs; the Service's kind is absent */
    {"hpa", 1},      /* same, said explicitly */
    {"hpa,svc", 2},  /* now the Service is missing too */
};

START_TEST(test_coverage)
{
    dg_objset_t *base = load(HPA("  minReplicas: 6\n") "---\n" SVC("  - {name: http, port: 80}\n", ""));
    dg_objset_t *live = load(HPA("  minReplicas: 4\n"));
    dg_policy_t *pol = dg_policy_default(NULL);
    dg_gk_t kinds[2];
    size_t n = 0;
    dg_variances_t v;

    if (coverage[_i].kinds) {
        kinds[n++] = (dg_gk_t){"autoscaling", "HorizontalPodAutoscaler"};
        if (strstr(coverage[_i].kinds, "svc"))
            kinds[n++] = (dg_gk_t){"", "Service"};
    }
    dg_variances_init(&v);
    ck_assert_int_eq(dg_diff_sets(base, live, coverage[_i].kinds ? kinds : NULL, n, pol, &v, NULL),
                     0);
    ck_assert_uint_eq(v.n, coverage[_i].want);
    if (v.n == 2) {
        ck_assert_int_eq(v.items[1].type, DG_VAR_MISSING);
        ck_assert_str_eq(v.items[1].obj.kind, "Service");
        ck_assert_str_eq(v.items[1].rule, "service-ports");
    }
    dg_variances_free(&v);
    dg_policy_free(&pol);
    dg_objset_free(&base);
    dg_objset_free(&live);
}
END_TEST

START_TEST(test_excluded_namespace)
{
    dg_manifest_opts_t opts = {.name = "ks.yaml", .default_ns = "kube-system"};
    static const char b[] = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
                            "metadata: {name: dns}\nspec: {minReplicas: 2, maxReplicas: 4}\n";
    static const char l[] = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
                            "metadata: {name: dns}\nspec: {minReplicas: 1, maxReplicas: 4}\n";
    dg_objset_t *base = dg_objset_new(), *live = dg_objset_new();
    dg_policy_t *pol = dg_policy_default(NULL);
    dg_variances_t v;

    ck_assert_int_eq(dg_manifest_load(b, sizeof b - 1, &opts, base, NULL, NULL), 0);
    ck_assert_int_eq(dg_manifest_load(l, sizeof l - 1, &opts, live, NULL, NULL), 0);
    dg_variances_init(&v);
    ck_assert_int_eq(dg_diff_sets(base, live, NULL, 0, pol, &v, NULL), 0);
    ck_assert_uint_eq(v.n, 0);
    dg_variances_free(&v);
    dg_policy_free(&pol);
    dg_objset_free(&base);
    dg_objset_free(&live);
}
END_TEST

static const struct {
    const char *a, *b;
    bool equal;
} eq[] = {
    {"6", "6.0", true},          {"\"80\"", "80", false},      {"{\"a\":[1,2]}", "{\"a\":[1,2]}", true},
    {"[1,2]", "[2,1]", false},   {"null", "false", false},     {"{\"a\":1}", "{\"a\":1,\"b\":2}", false},
    {"\"x\"", "\"x\"", true},    {"0.1", "0.10", true},
    {"{\"a\":1,\"b\":[true]}", "{\"b\":[true],\"a\":1.0}", true},
    {"{\"a\":1}", "{\"b\":1}", false}, {"9007199254740993", "9007199254740992", false},
    {"[]", "{}", false},         {"\"\"", "null", false},
};

/* Either side as jansson or as nodes: the same answer, both ways round. */
START_TEST(test_equal)
{
    json_t *a = dg_test_json(eq[_i].a), *b = dg_test_json(eq[_i].b);
    dg_arena_t arena;
    dg_val_t an, bn;

    dg_arena_init(&arena, 4096);
    an = as_nodes(&arena, a);
    bn = as_nodes(&arena, b);
    ck_assert_msg(dg_diff_equal(a, b) == eq[_i].equal, "%s vs %s", eq[_i].a, eq[_i].b);
    ck_assert(dg_diff_equal_val(dg_val_json(a), bn) == eq[_i].equal);
    ck_assert(dg_diff_equal_val(an, dg_val_json(b)) == eq[_i].equal);
    ck_assert(dg_diff_equal_val(an, bn) == eq[_i].equal);
    ck_assert(dg_diff_equal_val(bn, an) == eq[_i].equal);
    ck_assert(!dg_diff_equal_val(an, DG_VAL_ABSENT) && dg_diff_equal_val(DG_VAL_ABSENT, DG_VAL_ABSENT));
    dg_arena_free(&arena);
    json_decref(a);
    json_decref(b);
}
END_TEST

/* The bundled example: exactly the four variances the README walks through. */
START_TEST(test_example)
{
    size_t blen, llen;
    char *btext = dg_test_read("examples/release-baseline.yaml", &blen);
    char *ltext = dg_test_read("examples/live-snapshot.yaml", &llen);
    dg_manifest_opts_t opts = {.name = "release-baseline.yaml", .default_ns = "sandbox-nginx"};
    dg_objset_t *base = dg_objset_new(), *live = dg_objset_new();
    dg_policy_t *pol = dg_policy_default(NULL);
    dg_variances_t v;
    static const char *const paths[] = {
        "spec.minReplicas", "spec.ports[name=http].port", "spec.type",
        "spec.template.spec.containers[name=nginx].image"};

    ck_assert_int_eq(dg_manifest_load(btext, blen, &opts, base, NULL, NULL), 0);
    opts.name = "live-snapshot.yaml";
    ck_assert_int_eq(dg_manifest_load(ltext, llen, &opts, live, NULL, NULL), 0);
    dg_variances_init(&v);
    ck_assert_int_eq(dg_diff_sets(base, live, NULL, 0, pol, &v, NULL), 0);
    ck_assert_uint_eq(v.n, 4);
    for (size_t i = 0; i < 4; i++) {
        bool found = false;

        for (size_t j = 0; j < v.n; j++)
            found |= strcmp(v.items[j].path, paths[i]) == 0;
        ck_assert_msg(found, "no variance at %s", paths[i]);
    }
    dg_variances_free(&v);
    dg_policy_free(&pol);
    dg_objset_free(&base);
    dg_objset_free(&live);
    free(btext);
    free(ltext);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/diff");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_object, 0, 2 * (sizeof diff_cases / sizeof diff_cases[0]));
    tcase_add_loop_test(tc, test_pair, 0, sizeof diff_cases / sizeof diff_cases[0]);
    tcase_add_loop_test(tc, test_coverage, 0, sizeof coverage / sizeof coverage[0]);
    tcase_add_test(tc, test_excluded_namespace);
    tcase_add_loop_test(tc, test_equal, 0, sizeof eq / sizeof eq[0]);
    tcase_add_test(tc, test_example);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
