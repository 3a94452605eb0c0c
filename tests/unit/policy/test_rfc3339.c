/* tests/unit/policy/test_rfc3339.c: RFC 3339 times as Kubernetes writes
 * them (break-glass expiries, audit event timestamps), and what is refused.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>

#include "rfc3339.h"
#include "support.h"

static const struct {
    const char *name, *in;
    int rc;
    int64_t sec;
    int32_t nsec;
} cases[] = {
    {"epoch", "1970-01-01T00:00:00Z", 0, 0, 0},
    {"audit micro", "2026-12-01T20:52:35.068409Z", 0, 1796158355, 68409000},
    {"one digit fraction", "2025-06-01T12:00:00.5Z", 0, 1748779200, 500000000},
    {"nano fraction, extra digits dropped", "2025-06-01T12:00:00.1234567891Z", 0, 1748779200,
     123456789},
    {"positive offset", "2025-06-01T14:00:00+02:00", 0, 1748779200, 0},
    {"negative offset", "2025-06-01T07:30:00-04:30", 0, 1748779200, 0},
    {"lower-case t and z", "2025-06-01t12:00:00z", 0, 1748779200, 0},
    {"leap day", "2024-02-29T00:00:00Z", 0, 1709164800, 0},
    {"no leap day in 2100", "2100-02-29T00:00:00Z", -1, 0, 0},
    {"no zone", "2025-06-01T12:00:00", -1, 0, 0},
    {"a dot without digits", "2025-06-01T12:00:00.Z", -1, 0, 0},
    {"hour 24", "2025-06-01T24:00:00Z", -1, 0, 0},
    {"a date alone", "2025-06-01", -1, 0, 0},
    {"trailing junk", "2025-06-01T12:00:00Zjunk", -1, 0, 0},
    {"empty", "", -1, 0, 0},
};

START_TEST(test_parse)
{
    int64_t sec = -7, ns = -7;
    int32_t nsec = -7;
    int rc = dg_rfc3339_parse(cases[_i].in, &sec, &nsec);

    ck_assert_msg(rc == cases[_i].rc, "%s: rc %d", cases[_i].name, rc);
    ck_assert_int_eq(dg_rfc3339_parse_ns(cases[_i].in, &ns), cases[_i].rc);
    if (rc == 0) {
        ck_assert_msg(sec == cases[_i].sec, "%s: %lld s", cases[_i].name, (long long)sec);
        ck_assert_msg(nsec == cases[_i].nsec, "%s: %d ns", cases[_i].name, (int)nsec);
        ck_assert(ns == cases[_i].sec * 1000000000 + cases[_i].nsec);
    } else {
        ck_assert_msg(sec == -7 && nsec == -7, "%s: written on failure", cases[_i].name);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/rfc3339");
    TCase *tc = tcase_create("rfc3339");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_parse, 0, sizeof cases / sizeof cases[0]);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
