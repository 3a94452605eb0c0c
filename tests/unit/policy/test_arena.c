/* tests/unit/policy/test_arena.c: the bump allocator. Alignment, blocks
 * that grow for large requests, a reset that keeps one block for reuse
 * and gives a huge one back.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "support.h"

START_TEST(test_alignment_and_growth)
{
    dg_arena_t a;

    dg_arena_init(&a, 64);
    for (size_t n = 1; n < 5000; n += 37) {
        unsigned char *p = dg_arena_alloc(&a, n);

        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq((uintptr_t)p % 16, 0);
        memset(p, 0xab, n); /* ASan: every byte handed out is ours */
    }
    dg_arena_free(&a);
    ck_assert_ptr_null(a.head);
    dg_arena_free(&a); /* twice is harmless */
}
END_TEST

START_TEST(test_reset_reuses_one_block)
{
    dg_arena_t a;
    void *first, *again;

    dg_arena_init(&a, 1024);
    for (int i = 0; i < 10; i++)
        ck_assert_ptr_nonnull(dg_arena_alloc(&a, 700)); /* several blocks */
    dg_arena_reset(&a);
    first = dg_arena_alloc(&a, 700);
    dg_arena_reset(&a);
    again = dg_arena_alloc(&a, 700);
    ck_assert_ptr_eq(first, again); /* the kept block, from its start */
    /* A request 16x the first size does not stay pinned after a reset. */
    ck_assert_ptr_nonnull(dg_arena_alloc(&a, 64 * 1024));
    dg_arena_reset(&a);
    ck_assert_ptr_null(a.head);
    ck_assert_ptr_nonnull(dg_arena_alloc(&a, 10));
    dg_arena_free(&a);
}
END_TEST

START_TEST(test_strndup)
{
    dg_arena_t a;
    char *s;

    dg_arena_init(&a, 0);
    s = dg_arena_strndup(&a, "hello world", 5);
    ck_assert_str_eq(s, "hello");
    s = dg_arena_strndup(&a, "", 0);
    ck_assert_str_eq(s, "");
    ck_assert_ptr_null(dg_arena_alloc(&a, SIZE_MAX - 4)); /* overflow refused */
    dg_arena_free(&a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/arena");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_alignment_and_growth);
    tcase_add_test(tc, test_reset_reuses_one_block);
    tcase_add_test(tc, test_strndup);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
