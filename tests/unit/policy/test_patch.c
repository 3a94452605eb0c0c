/* tests/unit/policy/test_patch.c: RFC 6902 JSON patch and RFC 7386 merge
 * patch, as the API server applies `kubectl patch`.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "patch.h"
#include "support.h"

#define SVC "{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"name\":\"http\",\"port\":8080}]}}"

/* Each case: the document, the JSON patch, and the result (JSON), or the
 * error code and the start of its message. */
static const struct {
    const char *name, *doc, *patch, *want;
    int code;
    const char *msg;
} cases[] = {
    {"replace after a passing test", SVC,
     "[{\"op\":\"test\",\"path\":\"/spec/ports/0/port\",\"value\":8080},"
     "{\"op\":\"replace\",\"path\":\"/spec/ports/0/port\",\"value\":80}]",
     "{\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"name\":\"http\",\"port\":80}]}}", 0, NULL},
    {"a test compares numbers by value", SVC,
     "[{\"op\":\"test\",\"path\":\"/spec/ports/0/port\",\"value\":8080.0}]", SVC, 0, NULL},
    {"a failed test is a conflict that says what it found", SVC,
     "[{\"op\":\"test\",\"path\":\"/spec/type\",\"value\":\"ClusterIP\"},"
     "{\"op\":\"replace\",\"path\":\"/spec/type\",\"value\":\"LoadBalancer\"}]",
     NULL, DG_ECONFLICT,
     "test of /spec/type failed: the value is \"NodePort\", the patch expects \"ClusterIP\""},
    {"a test of an absent value", SVC,
     "[{\"op\":\"test\",\"path\":\"/spec/selector\",\"value\":{}}]", NULL, DG_ECONFLICT,
     "test of /spec/selector failed: the value is absent"},
    {"add to a list end, remove a field", SVC,
     "[{\"op\":\"add\",\"path\":\"/spec/ports/-\",\"value\":{\"name\":\"https\"}},"
     "{\"op\":\"remove\",\"path\":\"/spec/type\"}]",
     "{\"spec\":{\"ports\":[{\"name\":\"http\",\"port\":8080},{\"name\":\"https\"}]}}", 0, NULL},
    {"escaped tokens", "{\"metadata\":{\"labels\":{\"a/b~c\":\"x\"}}}",
     "[{\"op\":\"replace\",\"path\":\"/metadata/labels/a~1b~0c\",\"value\":\"y\"}]",
     "{\"metadata\":{\"labels\":{\"a/b~c\":\"y\"}}}", 0, NULL},
    {"remove of an absent field", SVC, "[{\"op\":\"remove\",\"path\":\"/spec/nope\"}]", NULL,
     DG_EINVAL, "operation 0 (remove /spec/nope) cannot be applied"},
    {"an index past the end", SVC,
     "[{\"op\":\"replace\",\"path\":\"/spec/ports/1/port\",\"value\":1}]", NULL, DG_EINVAL,
     "operation 0 (replace /spec/ports/1/port) cannot be applied"},
    {"not an array", SVC, "{\"op\":\"remove\"}", NULL, DG_EINVAL, "a JSON patch must be"},
    {"unknown op", SVC, "[{\"op\":\"frob\",\"path\":\"/a\"}]", NULL, DG_EINVAL,
     "operation 0: unknown op 'frob'"},
};

START_TEST(test_json_patch)
{
    json_t *doc = dg_test_json(cases[_i].doc), *ops = dg_test_json(cases[_i].patch), *out = NULL;
    dg_err_t err = {0};
    int rc = dg_patch_json(doc, ops, &out, &err);

    ck_assert_msg(rc == cases[_i].code, "%s: rc %d (%s)", cases[_i].name, rc, err.msg);
    if (cases[_i].want) {
        json_t *want = dg_test_json(cases[_i].want);

        ck_assert_msg(json_equal(out, want), "%s: wrong result", cases[_i].name);
        json_decref(want);
    } else {
        ck_assert_ptr_null(out);
        ck_assert_msg(strncmp(err.msg, cases[_i].msg, strlen(cases[_i].msg)) == 0,
                      "%s: message '%s'", cases[_i].name, err.msg);
    }
    /* The document itself is never touched. */
    json_t *again = dg_test_json(cases[_i].doc);
    ck_assert(json_equal(doc, again));
    json_decref(again);
    json_decref(out);
    json_decref(ops);
    json_decref(doc);
}
END_TEST

START_TEST(test_merge_patch)
{
    json_t *doc = dg_test_json(SVC), *out = NULL, *want;
    json_t *p = dg_test_json("{\"spec\":{\"type\":null,\"selector\":{\"app\":\"web\"}}}");
    dg_err_t err = {0};

    ck_assert_int_eq(dg_patch_merge(doc, p, &out, &err), 0);
    want = dg_test_json("{\"spec\":{\"ports\":[{\"name\":\"http\",\"port\":8080}],"
                        "\"selector\":{\"app\":\"web\"}}}");
    ck_assert(json_equal(out, want));
    json_decref(out);
    json_decref(p);
    p = dg_test_json("[1]");
    ck_assert_int_eq(dg_patch_merge(doc, p, &out, &err), DG_EINVAL);
    json_decref(p);
    json_decref(want);
    json_decref(doc);
}
END_TEST

START_TEST(test_ptr_field)
{
    dg_buf_t b;

    dg_buf_init(&b, 0);
    ck_assert_int_eq(dg_patch_ptr_field(&b, "metadata"), 0);
    ck_assert_int_eq(dg_patch_ptr_field(&b, "app.kubernetes.io/na~me"), 0);
    ck_assert_str_eq(b.data, "/metadata/app.kubernetes.io~1na~0me");
    dg_buf_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/patch");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_json_patch, 0, sizeof cases / sizeof cases[0]);
    tcase_add_test(tc, test_merge_patch);
    tcase_add_test(tc, test_ptr_field);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
