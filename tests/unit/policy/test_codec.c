/* tests/unit/policy/test_codec.c: SHA-256 against the FIPS 180-4 examples
 * (and NIST's one-million-'a' vector), base64 against RFC 4648 section 10,
 * gzip round trips, its inflation cap and what a refused bomb costs.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "support.h"

static const struct {
    const char *msg;
    size_t repeat; /* the message repeated this many times; 0 = once */
    const char *digest;
} sha[] = {
    {"", 0, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", 0, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 0,
     "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"a", 1000000, "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
};

START_TEST(test_sha256_kat)
{
    size_t n = sha[_i].repeat ? sha[_i].repeat * strlen(sha[_i].msg) : strlen(sha[_i].msg);
    char *msg = malloc(n + 1), digest[72];

    ck_assert_ptr_nonnull(msg);
    for (size_t i = 0; i < (sha[_i].repeat ? sha[_i].repeat : 1); i++)
        memcpy(msg + i * strlen(sha[_i].msg), sha[_i].msg, strlen(sha[_i].msg));
    dg_codec_digest(msg, n, digest);
    ck_assert_str_eq(digest, sha[_i].digest);
    free(msg);
}
END_TEST

static const struct {
    const char *plain, *b64;
} rfc4648[] = {
    {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

START_TEST(test_base64_rfc4648)
{
    char *enc = dg_codec_base64_encode(rfc4648[_i].plain, strlen(rfc4648[_i].plain));
    char *dec, *bare = strdup(rfc4648[_i].b64), *eq;
    size_t n;

    ck_assert_str_eq(enc, rfc4648[_i].b64);
    ck_assert_int_eq(dg_codec_base64_decode(enc, strlen(enc), &dec, &n, "v", NULL), 0);
    ck_assert_uint_eq(n, strlen(rfc4648[_i].plain));
    ck_assert_str_eq(dec, rfc4648[_i].plain);
    free(dec);
    /* Padding is optional on input. */
    if ((eq = strchr(bare, '=')) != NULL)
        *eq = '\0';
    ck_assert_int_eq(dg_codec_base64_decode(bare, strlen(bare), &dec, &n, "v", NULL), 0);
    ck_assert_uint_eq(n, strlen(rfc4648[_i].plain));
    ck_assert_mem_eq(dec, rfc4648[_i].plain, n);
    free(dec);
    free(bare);
    free(enc);
}
END_TEST

START_TEST(test_base64_binary_and_whitespace)
{
    unsigned char bytes[256];
    char *enc, *dec, wrapped[400];
    size_t n, w = 0;

    for (int i = 0; i < 256; i++)
        bytes[i] = (unsigned char)(255 - i);
    enc = dg_codec_base64_encode(bytes, sizeof bytes);
    /* As a PEM or a kubectl-wrapped field: lines of 76 with CRLF. */
    for (size_t i = 0; enc[i]; i++) {
        wrapped[w++] = enc[i];
        if (i % 76 == 75) {
            wrapped[w++] = '\r';
            wrapped[w++] = '\n';
        }
    }
    ck_assert_int_eq(dg_codec_base64_decode(wrapped, w, &dec, &n, "v", NULL), 0);
    ck_assert_uint_eq(n, sizeof bytes);
    ck_assert_mem_eq(dec, bytes, n);
    ck_assert_int_eq(dec[n], '\0');
    free(dec);
    free(enc);
}
END_TEST

static const struct {
    const char *in, *msg;
} bad64[] = {
    {"Zm9v!", "field: invalid base64 at byte 5"},
    {"Zg==Zg==", "field: invalid base64 at byte 5"},
    {"Zm9vY", "field: truncated base64"},
    {"Zg===", "field: truncated base64"},
};

START_TEST(test_base64_invalid)
{
    dg_err_t err = {0};
    char *dec = NULL, msg[200];
    size_t n;

    ck_assert_int_eq(dg_codec_base64_decode(bad64[_i].in, strlen(bad64[_i].in), &dec, &n, "field",
                                            &err),
                     DG_EPARSE);
    ck_assert_ptr_null(dec);
    ck_assert_str_eq(dg_err_format(&err, msg, sizeof msg), bad64[_i].msg);
}
END_TEST

START_TEST(test_gzip_round_trip_and_cap)
{
    size_t big = (size_t)1 << 20, zlen, n;
    char *zeros = calloc(1, big), *z, *out = NULL;
    dg_err_t err = {0};

    ck_assert_int_eq(dg_codec_gzip(zeros, big, &z, &zlen, NULL), 0);
    ck_assert_uint_lt(zlen, 4096); /* a bomb: 1 MiB from a few KiB */
    ck_assert_int_eq(dg_codec_gunzip(z, zlen, big, &out, &n, "rec", NULL), 0);
    ck_assert_uint_eq(n, big);
    ck_assert_mem_eq(out, zeros, big);
    free(out);
    out = NULL;
    ck_assert_int_eq(dg_codec_gunzip(z, zlen, big - 1, &out, &n, "rec", &err), DG_ETOOBIG);
    ck_assert_ptr_null(out);
    ck_assert_ptr_nonnull(strstr(err.msg, "rec"));
    /* A trailer claiming more than the data holds fails zlib's length check. */
    z[zlen - 2] = 0x20; /* 2 MiB */
    dg_err_clear(&err);
    ck_assert_int_eq(dg_codec_gunzip(z, zlen, big * 4, &out, &n, "rec", &err), DG_EPARSE);
    ck_assert_str_eq(err.msg, "rec: not valid gzip data (incorrect length check)");
    free(z);
    /* Past the size a claim is trusted for: measured, then inflated. */
    zeros = realloc(zeros, big * 8);
    memset(zeros, 'x', big * 8);
    ck_assert_int_eq(dg_codec_gzip(zeros, big * 8, &z, &zlen, NULL), 0);
    ck_assert_int_eq(dg_codec_gunzip(z, zlen, big * 8, &out, &n, "rec", NULL), 0);
    ck_assert_uint_eq(n, big * 8);
    ck_assert_mem_eq(out, zeros, big * 8);
    free(out);
    free(z);
    free(zeros);
}
END_TEST

/* The peak resident set since the last reset, in KiB. */
static long peak_kib(void)
{
    char line[128];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");

    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

/* A bomb refused costs no memory: 48 MiB of zeros from a few KiB of gzip,
 * against a 32 MiB cap, must not raise the peak resident set by the 32 MiB
 * a growing output buffer would have touched (the allocator kept up to
 * twice that, as a driftgate reading a namespace editor's bomb showed). */
START_TEST(test_gunzip_bomb_costs_no_memory)
{
    size_t big = (size_t)48 << 20, zlen, n;
    char *zeros = calloc(1, big), *z, *out = NULL;
    dg_err_t err = {0};
    FILE *clear;
    long before;

    ck_assert_int_eq(dg_codec_gzip(zeros, big, &z, &zlen, NULL), 0);
    free(zeros);
    clear = fopen("/proc/self/clear_refs", "w"); /* "5": the peak starts again from now */
    ck_assert_ptr_nonnull(clear);
    ck_assert_int_gt(fputs("5", clear), -1);
    ck_assert_int_eq(fclose(clear), 0);
    before = peak_kib();
    ck_assert_int_eq(dg_codec_gunzip(z, zlen, (size_t)32 << 20, &out, &n, "rec", &err),
                     DG_ETOOBIG);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(err.msg, "rec: inflates to more than 33554432 bytes");
    ck_assert_int_lt(peak_kib() - before, 4096);
    /* Its trailer made to claim 1 MiB, it costs at most that, and is still
     * refused as too big: the claim only sizes a first try. */
    z[zlen - 4] = 0, z[zlen - 3] = 0, z[zlen - 2] = 0x10, z[zlen - 1] = 0;
    before = peak_kib();
    ck_assert_int_eq(dg_codec_gunzip(z, zlen, (size_t)32 << 20, &out, &n, "rec", &err),
                     DG_ETOOBIG);
    ck_assert_ptr_null(out);
    ck_assert_int_lt(peak_kib() - before, 4096);
    /* Cut short, it is refused as truncated, not taken for what it holds. */
    dg_err_clear(&err);
    ck_assert_int_eq(dg_codec_gunzip(z, zlen - 8, big, &out, &n, "rec", &err), DG_EPARSE);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(err.msg, "rec: not valid gzip data (truncated)");
    free(z);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("codec");
    TCase *t = tcase_create("core");

    tcase_add_loop_test(t, test_sha256_kat, 0, sizeof sha / sizeof sha[0]);
    tcase_add_loop_test(t, test_base64_rfc4648, 0, sizeof rfc4648 / sizeof rfc4648[0]);
    tcase_add_test(t, test_base64_binary_and_whitespace);
    tcase_add_loop_test(t, test_base64_invalid, 0, sizeof bad64 / sizeof bad64[0]);
    tcase_add_test(t, test_gzip_round_trip_and_cap);
    tcase_add_test(t, test_gunzip_bomb_costs_no_memory);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return dg_test_run(suite());
}
