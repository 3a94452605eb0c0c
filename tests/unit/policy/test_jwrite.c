/* tests/unit/policy/test_jwrite.c: the JSON writer. jansson's compact dump
 * is the oracle, byte for byte: every real AdmissionReview and a table of
 * values whose text is easy to get wrong (reals, escapes).
 * SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwrite.h"
#include "support.h"

static void same_as_jansson(const json_t *v, int precision, const char *what)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(precision));
    dg_buf_t b;

    dg_buf_init(&b, 0);
    ck_assert_int_eq(dg_jwrite_value(&b, v, precision), 0);
    ck_assert_msg(want && strcmp(b.data, want) == 0, "%s: wrote %s, jansson %s", what, b.data,
                  want);
    dg_buf_free(&b);
    free(want);
}

static void each_review(const char *where)
{
    char dir[4096], path[4200];
    DIR *d = opendir(strcpy(dir, where));
    struct dirent *e;

    ck_assert_msg(d != NULL, "cannot open %s", dir);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name), len;
        json_t *v;
        char *text;

        if (l <= 5 || strcmp(e->d_name + l - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        text = dg_test_read(path, &len);
        v = json_loadb(text, len, 0, NULL);
        if (v) {
            same_as_jansson(v, 0, path);
            same_as_jansson(v, 6, path);
        }
        json_decref(v);
        free(text);
    }
    closedir(d);
}

START_TEST(test_real_reviews)
{
    each_review(dg_test_path("examples/reviews"));
    each_review(dg_test_shared_reviews());
}
END_TEST

static const char *const texts[] = {
    "[1.0,-0.0,1e6,1.5e300,5e-324,0.1,123.456789012,1.2345678e-5,-7e-7,100000000000000000000.0]",
    "[0,-1,9223372036854775807,-9223372036854775808,true,false,null]",
    "{\"a\\u0001\\u001f\\\"\\\\/\\b\\f\\n\\r\\t\\u007f\":\"\\u00e9\\ud83d\\ude00\"}",
    "{\"z\":1,\"a\":{\"y\":[],\"b\":{}},\"m\":[[\"\"]]}", /* insertion order kept */
    "\"\"",
};

START_TEST(test_values)
{
    json_t *v = json_loads(texts[_i], JSON_DECODE_ANY, NULL);

    ck_assert_ptr_nonnull(v);
    for (int p = 0; p <= 17; p++)
        same_as_jansson(v, p, texts[_i]);
    json_decref(v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/jwrite");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_real_reviews);
    tcase_add_loop_test(tc, test_values, 0, sizeof texts / sizeof texts[0]);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
