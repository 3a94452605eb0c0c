/* tests/unit/policy/test_err.c: dg_err_t and dg_buf_t.
 * SPDX-License-Identifier: Apache-2.0 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
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

/* dg_buf_printf formats the common conversions itself: each must read
 * exactly as snprintf writes it, and a format it does not know must still
 * work (through vsnprintf). */
#define SAME(...)                                                                      \
    do {                                                                               \
        char want[256];                                                                \
        dg_buf_t b;                                                                    \
        dg_buf_init(&b, 0);                                                            \
        snprintf(want, sizeof want, __VA_ARGS__);                                      \
        ck_assert_int_eq(dg_buf_printf(&b, __VA_ARGS__), 0);                           \
        ck_assert_str_eq(b.data, want);                                                \
        ck_assert_uint_eq(b.len, strlen(want));                                        \
        dg_buf_free(&b);                                                               \
    } while (0)

START_TEST(test_buf_printf_like_snprintf)
{
    SAME("plain");
    SAME("%s-%s.", "a", "");
    SAME("%d %d %d %u", 0, -1, INT_MIN, UINT_MAX);
    SAME("%ld %lu %lld %llu", LONG_MIN, ULONG_MAX, LLONG_MIN, ULLONG_MAX);
    SAME("%zu items, 100%% done, %c%c", (size_t)SIZE_MAX, 'o', 'k');
    SAME("trailing %s", "text%");
    SAME("%02d:%04d %.1f %x %-5s|%.*s", 7, 42, 2.25, 255u, "ab", 2, "xyz");
    /* Simple conversions first, then one that is not: all through vsnprintf. */
    SAME("%s then %x and %s", "a", 255u, "b");
    SAME("%d%%%s %5s %c", 1, "x", "y", 'z');
    SAME("%s%s%s%ld%.3s", "a", "b", "c", 7L, "defg");
}
END_TEST

/* All or nothing: a result past the cap leaves the buffer as it was, on
 * the fast path as on the vsnprintf one. */
/* dg_strjoin() writes what snprintf("%s%s%s") would, cut at every size. */
START_TEST(test_strjoin_like_snprintf)
{
    static const char *const parts[][3] = {
        {"hpa", "/", "web"}, {"", "/", ""}, {"sandbox-nginx", "/", "test-nginx"}, {"a", "", "b"}};

    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        for (size_t size = 1; size < 32; size++) {
            char want[32], got[32];

            snprintf(want, size, "%s%s%s", parts[i][0], parts[i][1], parts[i][2]);
            ck_assert_ptr_eq(dg_strjoin(got, size, parts[i][0], parts[i][1], parts[i][2]), got);
            ck_assert_str_eq(got, want);
        }
}
END_TEST

/* dg_buf_cat() appends what dg_buf_printf() with "%s" for each piece does,
 * a NULL piece included; past the cap, nothing. */
START_TEST(test_buf_cat_like_printf)
{
    dg_buf_t a, b;

    dg_buf_init(&a, 0);
    dg_buf_init(&b, 0);
    ck_assert_int_eq(dg_buf_cat(&a, "driftgate: ", "hpa/web", "", " ", "; é%s"), 0);
    ck_assert_int_eq(dg_buf_printf(&b, "%s%s%s%s%s", "driftgate: ", "hpa/web", "", " ", "; é%s"),
                     0);
    ck_assert_str_eq(a.data, b.data);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert_int_eq(dg_buf_cat(&a, ""), 0);
    ck_assert_str_eq(a.data, b.data);
    /* NULL reads as glibc's (and dg_buf_printf()'s) "(null)". */
    ck_assert_int_eq(dg_buf_cat(&a, "(rule ", NULL, ")"), 0);
    ck_assert_str_eq(a.data, "driftgate: hpa/web ; é%s(rule (null))");
    dg_buf_free(&a);
    dg_buf_free(&b);
    dg_buf_init(&a, 8);
    ck_assert_int_eq(dg_buf_cat(&a, "abc", "de"), 0);
    ck_assert_int_eq(dg_buf_cat(&a, "f", "ghi"), DG_ETOOBIG);
    ck_assert_str_eq(a.data, "abcde");
    ck_assert_uint_eq(a.len, 5);
    ck_assert_int_eq(dg_buf_cat(&a, "fgh"), 0);
    ck_assert_str_eq(a.data, "abcdefgh");
    dg_buf_free(&a);
}
END_TEST

/* dg_int_text() writes what "%lld" does, at both ends of the range. */
START_TEST(test_int_text_like_printf)
{
    static const long long v[] = {0, 1, -1, 9, 10, -10, 6, 1234567890, -987654321,
                                  LLONG_MAX, LLONG_MIN, LLONG_MIN + 1, 9007199254740993LL};

    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char want[DG_INT_TEXT], got[DG_INT_TEXT];
        int n = snprintf(want, sizeof want, "%lld", v[i]);

        ck_assert_uint_eq(dg_int_text(got, v[i]), (size_t)n);
        ck_assert_str_eq(got, want);
    }
}
END_TEST

START_TEST(test_buf_printf_cap)
{
    dg_buf_t b;

    dg_buf_init(&b, 8);
    ck_assert_int_eq(dg_buf_puts(&b, "abc"), 0);
    ck_assert_int_eq(dg_buf_printf(&b, "%s%d", "de", 123456), DG_ETOOBIG);
    ck_assert_str_eq(b.data, "abc");
    ck_assert_uint_eq(b.len, 3);
    ck_assert_int_eq(dg_buf_printf(&b, "%05d", 123456), DG_ETOOBIG);
    ck_assert_str_eq(b.data, "abc");
    ck_assert_int_eq(dg_buf_printf(&b, "%s%d", "de", 123), 0);
    ck_assert_str_eq(b.data, "abcde123");
    dg_buf_free(&b);
    /* Given way to vsnprintf after appending: what was there stays. */
    dg_buf_init(&b, 0);
    ck_assert_int_eq(dg_buf_puts(&b, "abc"), 0);
    ck_assert_int_eq(dg_buf_printf(&b, "%s-%x-%s", "de", 255u, "f"), 0);
    ck_assert_str_eq(b.data, "abcde-ff-f");
    ck_assert_uint_eq(b.len, 10);
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
    tcase_add_test(tc, test_buf_printf_like_snprintf);
    tcase_add_test(tc, test_buf_printf_cap);
    tcase_add_test(tc, test_buf_cat_like_printf);
    tcase_add_test(tc, test_int_text_like_printf);
    tcase_add_test(tc, test_strjoin_like_snprintf);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
