/* tests/unit/policy/test_yaml.c: YAML as Kubernetes reads it.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "support.h"
#include "yaml.h"

/* ---- scalar resolution: `key: <text>` -> the JSON value --------------------- */

static const struct {
    const char *yaml;
    const char *json; /* the expected value of "v" */
} scalars[] = {
    {"v: 6", "6"},
    {"v: 6.0", "6.0"},
    {"v: \"80\"", "\"80\""},
    {"v: '80'", "\"80\""},
    {"v: -3", "-3"},
    {"v: +7", "7"},
    {"v: 0x1F", "31"},
    {"v: 0o17", "15"},
    {"v: 017", "15"},
    {"v: 0b101", "5"},
    {"v: 1_000", "1000"},
    {"v: 1e3", "1000.0"},
    {"v: .5", "0.5"},
    {"v: 9223372036854775807", "9223372036854775807"},
    {"v: 99999999999999999999", "1e20"},
    {"v: true", "true"},
    {"v: yes", "true"},
    {"v: On", "true"},
    {"v: no", "false"},
    {"v: FALSE", "false"},
    {"v: \"true\"", "\"true\""},
    {"v: ~", "null"},
    {"v: null", "null"},
    {"v:", "null"},
    {"v: .inf", "\".inf\""},
    {"v: 500m", "\"500m\""},
    {"v: 1.27.3", "\"1.27.3\""},
    {"v: nginx:1.27.3", "\"nginx:1.27.3\""},
    {"v: !!str 6", "\"6\""},
    {"v: |\n  line\n", "\"line\\n\""},
    {"v: [1, \"2\", three]", "[1, \"2\", \"three\"]"},
    {"a: &x {p: 80}\nv: *x", "{\"p\": 80}"},
    {"base: &b {p: 80, q: 1}\nv: {<<: *b, q: 2}", "{\"p\": 80, \"q\": 2}"},
    {"v: {80: http}", "{\"80\": \"http\"}"},
    /* fuzz finding: an alias as a key was read after its node was freed */
    {"a: &k port\nv: {*k : 80}", "{\"port\": 80}"},
};

START_TEST(test_scalar)
{
    dg_yaml_docs_t docs;
    dg_err_t err = {0};
    json_t *want = dg_test_json(scalars[_i].json), *got;

    ck_assert_int_eq(dg_yaml_parse(scalars[_i].yaml, strlen(scalars[_i].yaml), "t.yaml", 0, 0,
                                   &docs, &err),
                     0);
    ck_assert_uint_eq(docs.n, 1);
    got = json_object_get(docs.docs[0].root, "v");
    ck_assert_msg(got != NULL, "%s: no v", scalars[_i].yaml);
    ck_assert_msg(json_equal(got, want) && json_typeof(got) == json_typeof(want),
                  "%s: got %s", scalars[_i].yaml, json_dumps(got, JSON_ENCODE_ANY));
    json_decref(want);
    dg_yaml_docs_free(&docs);
}
END_TEST

/* ---- documents ---------------------------------------------------------------- */

static const struct {
    const char *yaml;
    size_t ndocs;
    int line0; /* line of the first kept document */
} streams[] = {
    {"a: 1\n---\nb: 2\n", 2, 1},
    {"---\n---\n# only a comment\n---\na: 1\n", 1, 5},
    {"", 0, 0},
    {"# nothing\n", 0, 0},
    {"---\nnull\n---\n{\"kind\": \"List\"}\n", 1, 4},
    {"{\"apiVersion\": \"v1\", \"kind\": \"Service\"}", 1, 1},
};

START_TEST(test_stream)
{
    dg_yaml_docs_t docs;
    dg_err_t err = {0};

    ck_assert_int_eq(dg_yaml_parse(streams[_i].yaml, strlen(streams[_i].yaml), "s.yaml", 0, 0,
                                   &docs, &err),
                     0);
    ck_assert_uint_eq(docs.n, streams[_i].ndocs);
    if (docs.n)
        ck_assert_int_eq(docs.docs[0].line, streams[_i].line0);
    dg_yaml_docs_free(&docs);
}
END_TEST

/* ---- errors name file:line:col and the problem --------------------------------- */

static const struct {
    const char *yaml;
    int code, line, col;
    const char *msg;
} bad[] = {
    {"a: 1\nb: [1, 2\n", DG_EPARSE, 3, 1, "did not find expected ',' or ']'"},
    {"a: 1\n  b: 2\n", DG_EPARSE, 2, 4, "mapping values are not allowed"},
    {"a: 1\na: 2\n", DG_EPARSE, 2, 1, "duplicate key 'a'"},
    {"v: *nope\n", DG_EPARSE, 1, 4, "unknown alias 'nope'"},
    {"? [1]\n: x\n", DG_EPARSE, 1, 3, "a mapping key must be a scalar"},
    {"a: \"\\0\"\n", DG_EPARSE, 1, 4, "NUL byte"},
    {"a: b\n\tc: d\n", DG_EPARSE, 2, 1, "tab character"},
    /* a bad byte is placed where it is, not at 1:1 (the first hour, point 4) */
    {"a: 1\nb: 2\nc: \"x\x01y\"\n", DG_EPARSE, 3, 6, "control characters are not allowed (byte 0x01)"},
    {"a: 1\nb: \xff\n", DG_EPARSE, 2, 4, "invalid leading UTF-8 octet (byte 0xFF)"},
    {"k: \"\xc3\xa9\xc3\xa9\x01\"\n", DG_EPARSE, 1, 7, "control characters"}, /* columns are characters */
    {"a: 1\r\nb: \x02\n", DG_EPARSE, 2, 4, "control characters"},
};

START_TEST(test_bad)
{
    dg_yaml_docs_t docs;
    dg_err_t err = {0};

    ck_assert_int_eq(
        dg_yaml_parse(bad[_i].yaml, strlen(bad[_i].yaml), "bad.yaml", 0, 0, &docs, &err),
        bad[_i].code);
    ck_assert_str_eq(err.where, "bad.yaml");
    ck_assert_int_eq(err.line, bad[_i].line);
    ck_assert_int_eq(err.col, bad[_i].col);
    ck_assert_msg(strstr(err.msg, bad[_i].msg), "got '%s'", err.msg);
    ck_assert_uint_eq(docs.n, 0);
}
END_TEST

START_TEST(test_too_big)
{
    static const char text[] = "apiVersion: v1\nkind: ConfigMap\n";
    dg_yaml_docs_t docs;
    dg_err_t err = {0};

    ck_assert_int_eq(dg_yaml_parse(text, sizeof text - 1, "big.yaml", 10, 0, &docs, &err),
                     DG_ETOOBIG);
    ck_assert_ptr_nonnull(strstr(err.msg, "more than the limit of 10 bytes"));
}
END_TEST

/* A "billion laughs" document must be refused, not expanded. */
START_TEST(test_alias_bomb)
{
    dg_buf_t b;
    dg_yaml_docs_t docs;
    dg_err_t err = {0};

    dg_buf_init(&b, 0);
    ck_assert_int_eq(dg_buf_puts(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"), 0);
    for (int i = 1; i < 10; i++)
        ck_assert_int_eq(dg_buf_printf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, "
                                           "*a%d, *a%d, *a%d]\n",
                                       i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
                                       i - 1, i - 1),
                         0);
    ck_assert_int_eq(dg_yaml_parse(b.data, b.len, "bomb.yaml", 0, 0, &docs, &err), DG_ETOOBIG);
    ck_assert_ptr_nonnull(strstr(err.msg, "aliases expand"));
    dg_buf_free(&b);
}
END_TEST

/* Capped, one document of 500,001 values is refused where it goes over,
 * naming the file; two documents of 300,000 each are read (the cap is per
 * document). */
START_TEST(test_node_cap)
{
    dg_buf_t b;
    dg_yaml_docs_t docs;
    dg_err_t err = {0};

    dg_buf_init(&b, 0);
    ck_assert_int_eq(dg_buf_puts(&b, "items:\n"), 0);
    for (int i = 0; i < 500000; i++)
        ck_assert_int_eq(dg_buf_puts(&b, "- 1\n"), 0);
    ck_assert_int_eq(dg_yaml_parse(b.data, b.len, "flood.yaml", 0, DG_YAML_CAP_VALUES, &docs, &err),
                     DG_ETOOBIG);
    ck_assert_str_eq(err.where, "flood.yaml");
    ck_assert_int_eq(err.line, 499999); /* the mapping and the list count too */
    ck_assert_ptr_nonnull(strstr(err.msg, "document holds more values than '500000'"));
    dg_buf_reset(&b);
    for (int d = 0; d < 2; d++) {
        ck_assert_int_eq(dg_buf_puts(&b, "---\nitems:\n"), 0);
        for (int i = 0; i < 300000; i++)
            ck_assert_int_eq(dg_buf_puts(&b, "- 1\n"), 0);
    }
    ck_assert_int_eq(dg_yaml_parse(b.data, b.len, "two.yaml", 0, DG_YAML_CAP_VALUES, &docs, &err), 0);
    ck_assert_uint_eq(docs.n, 2);
    dg_yaml_docs_free(&docs);
    /* Uncapped (a user's own kubectl List): read. */
    dg_buf_reset(&b);
    ck_assert_int_eq(dg_buf_puts(&b, "items:\n"), 0);
    for (int i = 0; i < 500000; i++)
        ck_assert_int_eq(dg_buf_puts(&b, "- 1\n"), 0);
    ck_assert_int_eq(dg_yaml_parse(b.data, b.len, "list.yaml", 0, 0, &docs, &err), 0);
    dg_yaml_docs_free(&docs);
    dg_buf_free(&b);
}
END_TEST

START_TEST(test_positions)
{
    static const char text[] = "kind: DriftPolicy\nspec:\n  rules:\n  - name: a\n    action: nope\n";
    dg_yaml_docs_t docs;
    dg_err_t err = {0};
    json_t *rule;
    int line, col;

    ck_assert_int_eq(
        dg_yaml_parse(text, sizeof text - 1, "p.yaml", 0, DG_YAML_POSITIONS, &docs, &err), 0);
    rule = json_array_get(json_object_get(json_object_get(docs.docs[0].root, "spec"), "rules"), 0);
    ck_assert_int_eq(dg_posmap_find(docs.pos, rule, "action", &line, &col), 0);
    ck_assert_int_eq(line, 5);
    ck_assert_int_eq(col, 5);
    ck_assert_int_eq(dg_posmap_find(docs.pos, json_object_get(rule, "action"), NULL, &line, &col),
                     0);
    ck_assert_int_eq(line, 5);
    ck_assert_int_eq(col, 13);
    ck_assert_int_eq(dg_posmap_find(docs.pos, rule, "missing", &line, &col), DG_ENOTFOUND);
    ck_assert_int_eq(line, 0);
    dg_yaml_docs_free(&docs);
}
END_TEST

/* Server-owned subtrees are never built when pruning; the rest is intact,
 * including a "status" key of a mapping that is not an object. */
START_TEST(test_prune)
{
    static const char text[] =
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: autoscaling/v2\n"
        "  kind: HorizontalPodAutoscaler\n  metadata:\n    managedFields:\n    - manager: helm\n"
        "      fieldsV1: {f:spec: {f:minReplicas: {}}}\n    name: web\n  spec:\n"
        "    minReplicas: 4\n    status: keep-me\n  status:\n    currentReplicas: 6\n"
        "    conditions: [{type: AbleToScale, status: \"True\"}]\n";
    dg_yaml_docs_t docs;
    dg_err_t err = {0};
    json_t *item, *want;

    ck_assert_int_eq(
        dg_yaml_parse(text, sizeof text - 1, "l.yaml", 0, DG_YAML_PRUNE_SERVER, &docs, &err), 0);
    item = json_array_get(json_object_get(docs.docs[0].root, "items"), 0);
    want = dg_test_json("{\"apiVersion\": \"autoscaling/v2\", \"kind\": \"HorizontalPodAutoscaler\","
                        " \"metadata\": {\"name\": \"web\"}, \"spec\": {\"minReplicas\": 4,"
                        " \"status\": \"keep-me\"}}");
    ck_assert_msg(json_equal(item, want), "%s", json_dumps(item, 0));
    json_decref(want);
    dg_yaml_docs_free(&docs);
}
END_TEST

/* DG_YAML_KEEP_MANAGED: where each object's managedFields was, as text
 * that parses on its own (byte offsets past multi-byte UTF-8 and a byte
 * order mark, though libyaml's marks count characters; block YAML widened
 * to its line's indentation; flow YAML as it stands); a pod template's
 * metadata is not an object's. */
START_TEST(test_keep_managed)
{
    static const char with_bom[] =
        "\xEF\xBB\xBF"
        "apiVersion: v1\nkind: List\nitems:\n- kind: Deployment\n  metadata:\n"
        "    labels: {team: \"\xc3\xa9quipe \xe2\x9c\x93\"}\n    managedFields:\n"
        "    - manager: helm\n      fieldsV1:\n        f:spec: {}\n    name: web\n"
        "  spec:\n    template:\n      metadata:\n        managedFields: [{manager: no}]\n"
        "- {kind: Service, metadata: {name: s, managedFields: [{manager: kubectl-patch}]}}\n"
        "- kind: ConfigMap\n  metadata: {name: none}\n";
    const char *text = _i ? with_bom : with_bom + 3;
    size_t len = strlen(text);
    static const char *const want[] = {"[{\"manager\": \"helm\", \"fieldsV1\": {\"f:spec\": {}}}]",
                                       "[{\"manager\": \"kubectl-patch\"}]"};
    dg_yaml_docs_t docs, one;
    dg_err_t err = {0};
    json_t *items;

    ck_assert_int_eq(dg_yaml_parse(text, len, "l.yaml", 0,
                                   DG_YAML_PRUNE_SERVER | DG_YAML_KEEP_MANAGED, &docs, &err),
                     0);
    items = json_object_get(docs.docs[0].root, "items");
    ck_assert_uint_eq(docs.nraws, 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *w = dg_test_json(want[i]);

        ck_assert_ptr_eq(docs.raws[i].meta, json_object_get(json_array_get(items, i), "metadata"));
        ck_assert_int_eq(dg_yaml_parse(text + docs.raws[i].off, docs.raws[i].len, "raw", 0, 0,
                                       &one, &err), 0);
        ck_assert_msg(one.n == 1 && json_equal(one.docs[0].root, w), "raw %zu: '%.*s'", i,
                      (int)docs.raws[i].len, text + docs.raws[i].off);
        dg_yaml_docs_free(&one);
        json_decref(w);
    }
    dg_yaml_docs_free(&docs);
    /* Without the flag nothing is noted. */
    ck_assert_int_eq(dg_yaml_parse(text, len, "l.yaml", 0, DG_YAML_PRUNE_SERVER, &docs, &err), 0);
    ck_assert_uint_eq(docs.nraws, 0);
    dg_yaml_docs_free(&docs);
}
END_TEST

/* The real render in examples/ parses into its three objects. */
START_TEST(test_real_render)
{
    dg_yaml_docs_t docs;
    dg_err_t err = {0};
    size_t len;
    char *text = dg_test_read("examples/release-baseline.yaml", &len);

    ck_assert_int_eq(dg_yaml_parse(text, len, "release-baseline.yaml", 0, 0, &docs, &err), 0);
    ck_assert_uint_ge(docs.n, 3);
    for (size_t i = 0; i < docs.n; i++)
        ck_assert(json_is_string(json_object_get(docs.docs[i].root, "kind")));
    dg_yaml_docs_free(&docs);
    free(text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/yaml");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_scalar, 0, sizeof scalars / sizeof scalars[0]);
    tcase_add_loop_test(tc, test_stream, 0, sizeof streams / sizeof streams[0]);
    tcase_add_loop_test(tc, test_bad, 0, sizeof bad / sizeof bad[0]);
    tcase_add_test(tc, test_too_big);
    tcase_add_test(tc, test_alias_bomb);
    tcase_add_test(tc, test_node_cap);
    tcase_add_test(tc, test_positions);
    tcase_add_test(tc, test_prune);
    tcase_add_loop_test(tc, test_keep_managed, 0, 2);
    tcase_add_test(tc, test_real_render);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
