/* tests/unit/policy/test_jwrite.c: the JSON writer. jansson's compact dump
 * is the oracle, byte for byte: every real AdmissionReview and a table of
 * values whose text is easy to get wrong (reals, escapes).
 * SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
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


/* ---- strings: jansson is the oracle -------------------------------------- */

/* Pieces strings are made of: plain ASCII, what is escaped, DEL (not
 * escaped, but not plain either), 2-, 3- and 4-byte characters. */
static const char *const pieces[] = {"a",  "Z",  " ",  "~",    "\"",         "\\",
                                     "/",  "\n", "\t", "\x01", "\x1f",       "\x7f",
                                     "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "0123456789abcdef"};

static void same_string(const char *s, size_t len)
{
    json_t *v = json_stringn(s, len);
    char *want = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    dg_buf_t b;

    ck_assert_ptr_nonnull(want);
    for (int checked = 0; checked < 2; checked++) {
        dg_buf_init(&b, 0);
        ck_assert_int_eq(dg_buf_puts(&b, "x"), 0); /* after something: offsets */
        ck_assert_int_eq(checked ? dg_jwrite_utf8n(&b, s, len) : dg_jwrite_strn(&b, s, len), 0);
        ck_assert_uint_eq(b.len, 1 + strlen(want));
        ck_assert_msg(strcmp(b.data + 1, want) == 0, "wrote %s, jansson %s", b.data + 1, want);
        dg_buf_free(&b);
    }
    free(want);
    json_decref(v);
}

/* Every piece at every offset around the 8- and 16-byte steps, in strings
 * of every length to 40, then long random ones (past the 254 bytes the
 * old writer quoted on the stack). */
START_TEST(test_strings)
{
    char s[4096];
    size_t len;

    same_string("", 0);
    for (size_t p = 0; p < sizeof pieces / sizeof pieces[0]; p++)
        for (size_t n = 0; n <= 40; n++)
            for (size_t at = 0; at <= n; at++) {
                size_t pl = strlen(pieces[p]);

                memset(s, 'q', n);
                memcpy(s + at, pieces[p], pl);
                memset(s + at + pl, 'r', n - at);
                same_string(s, n + pl);
            }
    srand(14);
    for (int k = 0; k < 3000; k++) {
        size_t want = (size_t)(rand() % 600);

        for (len = 0; len < want;) {
            /* Mostly plain, as real text is. */
            const char *piece = rand() % 4 ? "abcdefgh" : pieces[rand() % (sizeof pieces / sizeof pieces[0])];

            memcpy(s + len, piece, strlen(piece));
            len += strlen(piece);
        }
        same_string(s, len);
    }
}
END_TEST

/* Not UTF-8: dg_jwrite_utf8n refuses it and leaves the buffer as it was;
 * dg_jwrite_strn writes the bytes as they are. */
START_TEST(test_not_utf8)
{
    static const char *const bad[] = {"\xff", "\xc3\x28", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82",
                                      "\xf5\x80\x80\x80", "\xf4\x90\x80\x80", "\x80", "\xe0\x80\xaf"};
    char s[64];
    dg_buf_t b;

    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        for (size_t at = 0; at < 40; at++) {
            size_t bl = strlen(bad[k]), n = at + bl + (k == 4 ? 0 : 3);

            memset(s, 'a', sizeof s);
            if (at > 5)
                s[5] = '"'; /* an escape before it too */
            memcpy(s + at, bad[k], bl);
            dg_buf_init(&b, 0);
            ck_assert_int_eq(dg_buf_puts(&b, "{\"k\":"), 0);
            ck_assert_int_eq(dg_jwrite_utf8n(&b, s, n), DG_EINVAL);
            ck_assert_uint_eq(b.len, 5);
            ck_assert_str_eq(b.data, "{\"k\":");
            ck_assert_int_eq(dg_jwrite_strn(&b, s, n), 0);
            ck_assert_uint_eq(b.len, 5 + n + 2 + (at > 5)); /* the quote escaped */
            ck_assert_ptr_nonnull(strstr(b.data, bad[k]));
            dg_buf_free(&b);
        }
}
END_TEST

/* A capped buffer: a string that does not fit fails whole (DG_ETOOBIG). */
START_TEST(test_string_cap)
{
    dg_buf_t b;

    dg_buf_init(&b, 8);
    ck_assert_int_eq(dg_jwrite_strn(&b, "abcdefgh", 8), DG_ETOOBIG);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(dg_jwrite_strn(&b, "abcdef", 6), 0);
    ck_assert_str_eq(b.data, "\"abcdef\"");
    dg_buf_free(&b);
}
END_TEST

static bool plain_ref(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Each byte value at each offset of strings to 40 bytes. */
START_TEST(test_plain)
{
    char s[48];

    for (int c = 0; c < 256; c++)
        for (size_t n = 1; n <= 40; n++)
            for (size_t at = 0; at < n; at++) {
                memset(s, 'p', n);
                s[at] = (char)c;
                ck_assert_uint_eq(dg_jwrite_plain(s, n), plain_ref((unsigned char)c) ? n : at);
                /* Another just before or after it, or at either end. */
                for (size_t k = 0, other; k < 4; k++) {
                    other = k == 0 ? 0 : k == 1 ? at - 1 : k == 2 ? at + 1 : n - 1;
                    if (other == at || other >= n)
                        continue;
                    memset(s, 'p', n);
                    s[other] = other % 2 ? '\0' : '"';
                    s[at] = (char)c;
                    ck_assert_uint_eq(dg_jwrite_plain(s, n),
                                      plain_ref((unsigned char)c) || other < at ? other : at);
                }
            }
    ck_assert_uint_eq(dg_jwrite_plain("", 0), 0);
}
END_TEST

static dg_buf_t ms_a, ms_b;

static void same_ms(uint64_t ns)
{
    dg_buf_reset(&ms_a);
    dg_buf_reset(&ms_b);
    ck_assert_int_eq(dg_jwrite_ms(&ms_a, ns), 0);
    ck_assert_int_eq(dg_jwrite_real(&ms_b, (double)ns / 1e6, 6), 0);
    if (strcmp(ms_a.data, ms_b.data) != 0)
        ck_abort_msg("%llu ns: %s, not %s", (unsigned long long)ns, ms_a.data, ms_b.data);
}

/* A latency reads as it did through printf: every value to 0.3 ms, the
 * halves and carries at each scale, and a sample of every magnitude. */
START_TEST(test_ms)
{
    uint64_t p = 1;

    dg_buf_init(&ms_a, 0);
    dg_buf_init(&ms_b, 0);
    for (uint64_t ns = 0; ns <= 300000; ns++)
        same_ms(ns);
    for (uint64_t ns = 300000; ns <= 100000000; ns += 997)
        same_ms(ns);
    for (int e = 0; e < 19; e++, p *= 10)
        for (uint64_t k = 1; k < 10; k++)
            for (int64_t d = -3; d <= 3; d++) {
                same_ms(k * p + (uint64_t)d);
                same_ms(k * p / 2 + (uint64_t)d);
                same_ms(k * p - p / 2 + (uint64_t)d);
            }
    same_ms(UINT64_MAX);
    srand(6);
    for (int k = 0; k < 200000; k++) {
        uint64_t ns = ((uint64_t)rand() << 31 | (uint64_t)rand()) % (1 + (UINT64_C(1) << (k % 45)));

        same_ms(ns);
    }
    dg_buf_free(&ms_a);
    dg_buf_free(&ms_b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/jwrite");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_real_reviews);
    tcase_add_loop_test(tc, test_values, 0, sizeof texts / sizeof texts[0]);
    tcase_add_test(tc, test_strings);
    tcase_add_test(tc, test_not_utf8);
    tcase_add_test(tc, test_string_cap);
    tcase_add_test(tc, test_plain);
    tcase_add_test(tc, test_ms);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
