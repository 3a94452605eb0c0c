/* tests/unit/policy/test_json.c: the JSON reader. jansson is the oracle:
 * every real AdmissionReview (ours and the shared ones) must read to the
 * very tree json_loadb builds; hand-written cases pin the strict parts
 * (escapes, UTF-8, numbers, depth, duplicates) and the pruning.
 * SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "support.h"

static void same_as_jansson(const char *path)
{
    size_t len;
    char *text = dg_test_read(path, &len);
    json_error_t je;
    json_t *want = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    dg_err_t err = {0};
    json_t *got = dg_json_parse(text, len, 0, path, &err);

    if (want == NULL)
        ck_assert_msg(got == NULL, "%s: jansson refused (%s), we accepted", path, je.text);
    else
        ck_assert_msg(got && json_equal(got, want), "%s: differs from jansson: %s", path, err.msg);
    json_decref(want);
    json_decref(got);
    free(text);
}

static void each_json(const char *where)
{
    char dir[4096], path[4200];
    DIR *d = opendir(strcpy(dir, where)); /* @where may be dg_test_path's buffer */
    struct dirent *e;
    int n = 0;

    ck_assert_msg(d != NULL, "cannot open %s", dir);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);

        if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            same_as_jansson(path);
            n++;
        }
    }
    closedir(d);
    ck_assert_int_gt(n, 3);
}

START_TEST(test_real_reviews_match_jansson)
{
    each_json(dg_test_path("examples/reviews"));
    each_json(dg_test_shared_reviews());
}
END_TEST

static const struct {
    const char *in, *want; /* want: the value as jansson reads it */
} good[] = {
    {"\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "\"a\\\"b\\\\c/d\\b\\f\\n\\r\\t\""},
    {"\"\\u00e9\\u20AC\\ud83d\\ude00\"", "\"\\u00e9\\u20ac\\ud83d\\ude00\""},
    {"\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", "\"caf\\u00e9 \\u20ac \\ud83d\\ude00\""},
    {" [0, -0, 1, -12, 9223372036854775807, -9223372036854775808] ",
     "[0, 0, 1, -12, 9223372036854775807, -9223372036854775808]"},
    {"[1.5, -2e3, 1E+2, 0.25e-1]", "[1.5, -2000.0, 100.0, 0.025]"},
    {"{\"a\":{\"b\":[true,false,null,{}]},\"c\":[]}", "{\"a\":{\"b\":[true,false,null,{}]},\"c\":[]}"},
    {"\t\r\n{ \"k\" :\n\"v\" }\n", "{\"k\":\"v\"}"},
};

START_TEST(test_good)
{
    dg_err_t err = {0};
    json_t *got = dg_json_parse(good[_i].in, strlen(good[_i].in), 0, "t", &err);
    json_t *want = json_loads(good[_i].want, JSON_DECODE_ANY, NULL);

    ck_assert_msg(got != NULL, "%s: %s", good[_i].in, err.msg);
    ck_assert_msg(want && json_equal(got, want), "%s: wrong value", good[_i].in);
    json_decref(got);
    json_decref(want);
}
END_TEST

static const struct {
    const char *in;
    size_t len; /* 0 = strlen */
    const char *msg;
    int line, col;
} bad[] = {
    {"", 0, "unexpected end of input", 1, 1},
    {"{\"a\":1,}", 0, "expected a key string", 1, 8},
    {"[1,]", 0, "unexpected ']'", 1, 4},
    {"[1 2]", 0, "expected ',' or ']'", 1, 4},
    {"{\"a\" 1}", 0, "expected ':' after a key", 1, 6},
    {"{\"a\":1,\"a\":2}", 0, "duplicate key \"a\"", 1, 8},
    {"\"abc", 0, "unterminated string", 1, 1},
    {"\"a\nb\"", 0, "control character 0x0A in a string", 1, 3},
    {"\"\\x\"", 0, "invalid escape '\\x'", 1, 2},
    {"\"\\\x88\"", 0, "invalid escape: byte 0x88 after '\\'", 1, 2}, /* fuzz_http finding */
    {"\"\\u12\"", 0, "truncated \\u escape", 1, 4},
    {"\"\\u12zz\"", 0, "invalid \\u escape", 1, 4},
    {"\"\\u0000\"", 0, "\\u0000 is not allowed in a string", 1, 2},
    {"\"\\udc00\"", 0, "lone low surrogate \\uDC00", 1, 2},
    {"\"\\ud800x\"", 0, "high surrogate \\uD800 without its pair", 1, 2},
    {"\"\xc0\xaf\"", 0, "invalid UTF-8 in a string", 1, 2},          /* overlong '/' */
    {"\"\xed\xa0\x80\"", 0, "invalid UTF-8 in a string", 1, 2},      /* encoded surrogate */
    {"\"\xf4\x90\x80\x80\"", 0, "invalid UTF-8 in a string", 1, 2},  /* past U+10FFFF */
    {"\"\xe2\x82\"", 0, "invalid UTF-8 in a string", 1, 2},          /* truncated */
    {"01", 0, "unexpected data after the value", 1, 2},
    {"-", 0, "invalid number", 1, 1},
    {"1.", 0, "invalid number: no digit after '.'", 1, 1},
    {"1e+", 0, "invalid number: no digit in the exponent", 1, 1},
    {"9223372036854775808", 0, "number 9223372036854775808 is out of range", 1, 1},
    {"1e999", 0, "number 1e999 is out of range", 1, 1},
    {"tru", 0, "unexpected 'tru'", 1, 1},
    {"nul!", 0, "unexpected 'nul!'", 1, 1},
    {"{}\n x", 0, "unexpected data after the value", 2, 2},
    {"[1]\0", 4, "unexpected data after the value", 1, 4},
    {"\x01", 0, "unexpected byte 0x01", 1, 1},
    {"\"\xc3\xa9\x01\"", 0, "control character 0x01 in a string", 1, 3}, /* columns are characters */
};

START_TEST(test_bad)
{
    size_t len = bad[_i].len ? bad[_i].len : strlen(bad[_i].in);
    dg_err_t err = {0};
    json_t *got = dg_json_parse(bad[_i].in, len, 0, "body", &err);
    char want[200];

    snprintf(want, sizeof want, "not JSON: %s", bad[_i].msg);
    ck_assert_msg(got == NULL, "case %d: parsed", _i);
    ck_assert_int_eq(err.code, DG_EPARSE);
    ck_assert_str_eq(err.msg, want);
    ck_assert_str_eq(err.where, "body");
    ck_assert_msg(err.line == bad[_i].line && err.col == bad[_i].col, "case %d: at %d:%d", _i,
                  err.line, err.col);
}
END_TEST

/* Error messages quote the input; they must stay valid UTF-8 (they go
 * into JSON Status bodies) even when a quoted key is cut. */
START_TEST(test_messages_are_utf8)
{
    char key[100] = "", in[300];
    dg_err_t err = {0};
    json_t *probe;

    for (int i = 0; i < 40; i++)
        strcat(key, "\xc3\xa9"); /* 80 bytes of two-byte characters... */
    memmove(key + 1, key, strlen(key) + 1);
    key[0] = 'k'; /* ...after one ASCII byte, so a cut at 60 bytes splits one */
    snprintf(in, sizeof in, "{\"%s\":1,\"%s\":2}", key, key);
    ck_assert_ptr_null(dg_json_parse(in, strlen(in), 0, "k", &err));
    ck_assert_msg(strstr(err.msg, "duplicate key") != NULL, "%s", err.msg);
    probe = json_string(err.msg);
    ck_assert_msg(probe != NULL, "message is not UTF-8: %s", err.msg);
    json_decref(probe);
}
END_TEST

START_TEST(test_depth)
{
    size_t n = DG_JSON_MAX_DEPTH + 1;
    char *deep = malloc(2 * n + 1);
    dg_err_t err = {0};
    json_t *got;

    memset(deep, '[', n);
    memset(deep + n, ']', n);
    got = dg_json_parse(deep, 2 * n, 0, "deep", &err);
    ck_assert_ptr_null(got);
    ck_assert_ptr_nonnull(strstr(err.msg, "nested deeper than 400 levels"));
    got = dg_json_parse(deep + 1, 2 * n - 2, 0, "deep", &err); /* exactly the limit */
    ck_assert_ptr_nonnull(got);
    json_decref(got);
    free(deep);
}
END_TEST

/* 8 MiB of "[]," would be ~3M arrays: refused after the cap, with the
 * place. Values in a pruned subtree do not count. */
START_TEST(test_node_cap)
{
    size_t n = DG_JSON_MAX_NODES; /* the outer array is one more */
    char *flat = malloc(3 * n + 64), *p = flat;
    dg_err_t err = {0};
    json_t *got;

    *p++ = '[';
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s[]", i ? "," : "");
    *p++ = ']';
    got = dg_json_parse(flat, (size_t)(p - flat), 0, "flat", &err);
    ck_assert_ptr_null(got);
    ck_assert_msg(strstr(err.msg, "more than 250000 values") != NULL, "%s", err.msg);
    ck_assert_int_eq(err.line, 1);
    ck_assert_int_eq(err.col, 3 * (int)n - 1);
    p = flat;
    p += sprintf(p, "{\"kind\":\"X\",\"status\":[");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s[]", i ? "," : "");
    p += sprintf(p, "]}");
    got = dg_json_parse(flat, (size_t)(p - flat), DG_JSON_PRUNE_SERVER, "pruned", &err);
    ck_assert_ptr_nonnull(got);
    json_decref(got);
    free(flat);
}
END_TEST

START_TEST(test_prune)
{
    static const char in[] =
        "{\"kind\":\"X\",\"metadata\":{\"name\":\"a\",\"managedFields\":[{\"m\":1}]},"
        "\"spec\":{\"status\":1,\"metadata\":{\"managedFields\":2}},\"status\":{\"x\":1},"
        "\"list\":[{\"status\":3},{\"kind\":\"Y\",\"status\":4}]}";
    static const char want[] =
        "{\"kind\":\"X\",\"metadata\":{\"name\":\"a\"},"
        "\"spec\":{\"status\":1,\"metadata\":{}},"
        "\"list\":[{\"status\":3},{\"kind\":\"Y\"}]}";
    dg_err_t err = {0};
    json_t *got = dg_json_parse(in, sizeof in - 1, DG_JSON_PRUNE_SERVER, "p", &err);
    json_t *w = json_loads(want, 0, NULL);

    ck_assert_msg(got != NULL, "%s", err.msg);
    ck_assert_msg(json_equal(got, w), "pruned wrong: %s", json_dumps(got, JSON_COMPACT));
    json_decref(got);
    json_decref(w);
    /* A pruned subtree is skipped, not trusted: its syntax is still checked. */
    got = dg_json_parse("{\"kind\":\"X\",\"status\":{\"a\":[1,}}", 31, DG_JSON_PRUNE_SERVER, "p",
                        &err);
    ck_assert_ptr_null(got);
}
END_TEST

/* Where a value is, for errors found after parsing (a review's fields). */
static const struct {
    const char *json, *path;
    int rc, line, col;
} locs[] = {
    {"{\"a\": {\"b\": 5}}", "a.b", 0, 1, 13},
    {"{\"a\": 1,\n \"list\": [\"x\",\n  {\"k\": true}]}", "list[1].k", 0, 3, 9},
    {"{\"\xc3\xa9\": 1, \"b\": 2}", "b", 0, 1, 15},       /* é is one column */
    {"{\"\\u00e9\": 1, \"b\": 2}", "b", 0, 1, 20},     /* an escaped key */
    {"{\"a\": 1}", "nope", DG_ENOTFOUND, 1, 1},
    {"{\"a\": [1]}", "a[3]", DG_ENOTFOUND, 1, 1},
    {"  {\"a\": 1}", "", 0, 1, 3},
};

START_TEST(test_locate)
{
    int line, col;

    ck_assert_int_eq(dg_json_locate(locs[_i].json, strlen(locs[_i].json), locs[_i].path, &line,
                                    &col),
                     locs[_i].rc);
    ck_assert_msg(line == locs[_i].line && col == locs[_i].col, "case %d: at %d:%d", _i, line,
                  col);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/json");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_real_reviews_match_jansson);
    tcase_add_loop_test(tc, test_good, 0, sizeof good / sizeof good[0]);
    tcase_add_loop_test(tc, test_bad, 0, sizeof bad / sizeof bad[0]);
    tcase_add_test(tc, test_messages_are_utf8);
    tcase_add_test(tc, test_depth);
    tcase_add_test(tc, test_node_cap);
    tcase_add_test(tc, test_prune);
    tcase_add_loop_test(tc, test_locate, 0, sizeof locs / sizeof locs[0]);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
