/* tests/unit/policy/test_strmap.c: the string -> pointer map.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "support.h"

static int freed;

static void count_free(void *v)
{
    freed++;
    free(v);
}

static char *val(int i)
{
    char *s = malloc(16);

    snprintf(s, 16, "v%d", i);
    return s;
}

/* Enough keys to grow the buckets several times; replace, take, delete. */
START_TEST(test_put_get_del)
{
    dg_strmap_t *m = dg_strmap_new(count_free);
    char key[32];
    char *v;

    freed = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "ns/release-%d", i);
        ck_assert_int_eq(dg_strmap_put(m, key, val(i)), 0);
    }
    ck_assert_uint_eq(dg_strmap_count(m), 1000);
    ck_assert_str_eq(dg_strmap_get(m, "ns/release-517"), "v517");
    ck_assert_ptr_null(dg_strmap_get(m, "ns/release-1000"));
    ck_assert_int_eq(dg_strmap_put(m, "ns/release-517", val(9999)), 0);
    ck_assert_int_eq(freed, 1); /* the value it replaced */
    ck_assert_str_eq(dg_strmap_get(m, "ns/release-517"), "v9999");
    v = dg_strmap_take(m, "ns/release-3");
    ck_assert_str_eq(v, "v3");
    free(v);
    dg_strmap_del(m, "ns/release-4");
    dg_strmap_del(m, "absent");
    ck_assert_int_eq(freed, 2);
    ck_assert_uint_eq(dg_strmap_count(m), 998);
    dg_strmap_free(&m);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(freed, 1000);
}
END_TEST

/* Every entry is visited once, also when each is deleted as it is seen. */
START_TEST(test_iterate_and_delete)
{
    dg_strmap_t *m = dg_strmap_new(count_free);
    dg_strmap_iter_t it = {0};
    const char *key;
    void *v;
    int seen = 0;
    char k[16];

    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof k, "k%d", i);
        ck_assert_int_eq(dg_strmap_put(m, k, val(i)), 0);
    }
    while (dg_strmap_next(m, &it, &key, &v)) {
        ck_assert_str_eq((char *)v + 1, key + 1);
        if (seen++ % 2 == 0)
            dg_strmap_del(m, key);
    }
    ck_assert_int_eq(seen, 100);
    ck_assert_uint_eq(dg_strmap_count(m), 50);
    dg_strmap_free(&m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/strmap");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_put_get_del);
    tcase_add_test(tc, test_iterate_and_delete);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
