/* tests/unit/policy/test_err.c: dg_err_t and dg_buf_t.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "support.h"

START_TEST(test_first_wins)
{
    dg_err_t err = {0};
    char out[512];

    ck_assert_int_eq(dg_err_at(&err, DG_EPARSE, "a.yaml", 3, 7, "bad %s", "thing\n"), DG_EPARSE);
    dg_err_set(&err, DG_ENOMEM, "later");
    ck_assert_int_eq(err.code, DG_EPARSE);
    ck_assert_str_eq(dg_err_format(&err, out, sizeof out), "a.yaml:3:7: bad thing");
    ck_assert_int_eq(dg_err_set(NULL, DG_EINVAL, "ignored"), DG_EINVAL);
    dg_err_clear(&err);
    dg_err_set(&err, DG_EINVAL, "plain");
    ck_assert_str_eq(dg_err_format(&err, out, sizeof out), "plain");
    ck_assert_str_eq(dg_errname(DG_EINVAL), "DG_EINVAL");
    ck_assert_str_eq(dg_strerror(DG_ETOOBIG), "input exceeds its size limit");
    ck_assert_str_eq(dg_strerror(-99), "unknown error");
}
END_TEST

START_TEST(test_buf_cap)
{
    dg_buf_t b;
    char *s;

    dg_buf_init(&b, 8);
    ck_assert_int_eq(dg_buf_puts(&b, "12345"), 0);
    ck_assert_int_eq(dg_buf_printf(&b, "%d", 678), 0);
    ck_assert_int_eq(dg_buf_puts(&b, "9"), DG_ETOOBIG);
    ck_assert_str_eq(b.data, "12345678");
    s = dg_buf_take(&b);
    ck_assert_str_eq(s, "12345678");
    ck_assert_ptr_null(b.data);
    free(s);
    dg_buf_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/err");
    TCase *tc = tcase_create("err");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_first_wins);
    tcase_add_test(tc, test_buf_cap);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
