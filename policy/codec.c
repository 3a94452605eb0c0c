/* policy/codec.c: base64 and SHA-256 (OpenSSL's libcrypto) and gzip (zlib),
 * memory to memory.
 * SPDX-License-Identifier: Apache-2.0 */
#include "codec.h"

#include <stdbool.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- base64 (libcrypto) ------------------------------------------------------ */

static bool isalpha_ascii(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* EVP_DecodeBlock takes only whole, unbroken quads: the input is checked and
 * compacted here first, so an error can name the byte that is wrong. */
static int b64_compact(const char *in, size_t len, char *q, size_t *qlen, const char *what,
                       dg_err_t *err)
{
    size_t n = 0, pad = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];

        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad || !(isalpha_ascii(c) || (c >= '0' && c <= '9') || c == '+' || c == '/'))
            return dg_err_set(err, DG_EPARSE, "%s: invalid base64 at byte %zu", what, i + 1);
        q[n++] = (char)c;
    }
    if (pad > 2 || n % 4 == 1)
        return dg_err_set(err, DG_EPARSE, "%s: truncated base64", what);
    *qlen = n;
    return 0;
}

int dg_codec_base64_decode(const char *in, size_t len, char **out, size_t *outlen,
                           const char *what, dg_err_t *err)
{
    char *q = malloc(len + 4);
    unsigned char *o = malloc(len / 4 * 3 + 4);
    size_t n = 0, tail;
    int rc, got;

    if (q == NULL || o == NULL || len > INT_MAX) {
        free(q);
        free(o);
        return dg_err_set(err, DG_ENOMEM, "%s: out of memory decoding base64", what);
    }
    if ((rc = b64_compact(in, len, q, &n, what, err)) != 0) {
        free(q);
        free(o);
        return rc;
    }
    /* Padding is optional on input: restore it, then drop what it decodes to. */
    tail = n % 4 ? 4 - n % 4 : 0;
    memset(q + n, '=', tail);
    got = EVP_DecodeBlock(o, (const unsigned char *)q, (int)(n + tail));
    free(q);
    if (got < 0) {
        free(o);
        return dg_err_set(err, DG_EPARSE, "%s: invalid base64", what);
    }
    n = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    o[n] = '\0';
    *out = (char *)o;
    *outlen = n;
    return 0;
}

char *dg_codec_base64_encode(const void *in, size_t len)
{
    char *o = len <= INT_MAX / 2 ? malloc((len + 2) / 3 * 4 + 1) : NULL;

    if (o)
        EVP_EncodeBlock((unsigned char *)o, in, (int)len);
    return o;
}

/* ---- gzip -------------------------------------------------------------------- */

static int gunzip_err(dg_err_t *err, int code, const char *what, const char *why, size_t max_out)
{
    if (code == DG_ETOOBIG)
        return dg_err_set(err, code, "%s: inflates to more than %zu bytes", what, max_out);
    if (code == DG_EPARSE)
        return dg_err_set(err, code, "%s: not valid gzip data (%s)", what, why);
    return dg_err_set(err, code, "%s: %s", what, why);
}

/* Inflate @in into @out, or, @out NULL, into a window on the stack that each
 * step overwrites, which only measures. *@n gets the size; one byte past
 * @limit proves it too big. Returns 0, DG_ETOOBIG, DG_EPARSE or DG_ENOMEM
 * (*@why says why for the last two). */
static int inflate_into(const void *in, size_t len, char *out, size_t limit, size_t *n,
                        const char **why)
{
    unsigned char window[16384];
    z_stream zs;
    int zrc = Z_OK, rc = 0;

    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 32) != Z_OK) { /* +32: gzip or zlib header */
        *why = "out of memory inflating";
        return DG_ENOMEM;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    for (*n = 0; zrc != Z_STREAM_END && rc == 0;) {
        size_t most = out ? UINT_MAX : sizeof window;
        size_t room = limit - *n < most ? limit - *n + 1 : most;

        zs.next_out = out ? (Bytef *)out + *n : window;
        zs.avail_out = (uInt)room;
        zrc = inflate(&zs, Z_NO_FLUSH);
        *n += room - zs.avail_out;
        if (*n > limit) {
            rc = DG_ETOOBIG;
        } else if ((zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) ||
                   (zrc == Z_BUF_ERROR && zs.avail_out != 0)) {
            *why = zs.msg ? zs.msg : "truncated";
            rc = DG_EPARSE;
        }
    }
    inflateEnd(&zs);
    return rc;
}

/* What a gzip trailer says the data inflates to (ISIZE, the size mod 2^32),
 * trusted only as far as ONE_PASS_MAX; 0 = no such claim. */
#define ONE_PASS_MAX ((size_t)4 << 20)

static size_t claimed_size(const unsigned char *in, size_t len)
{
    size_t isize;

    if (len < 18 || in[0] != 0x1f || in[1] != 0x8b)
        return 0;
    isize = (size_t)in[len - 4] | (size_t)in[len - 3] << 8 | (size_t)in[len - 2] << 16 |
            (size_t)in[len - 1] << 24;
    return isize <= ONE_PASS_MAX ? isize : 0;
}

int dg_codec_gunzip(const void *in, size_t len, size_t max_out, char **out, size_t *outlen,
                    const char *what, dg_err_t *err)
{
    size_t claim = claimed_size(in, len), n;
    const char *why = NULL;
    char *buf = NULL;
    int rc = DG_ETOOBIG;

    /* A record that says it is small (most are) is inflated once, into a
     * buffer of that size: a false claim costs at most ONE_PASS_MAX. Else
     * two passes: the first only measures, so data that inflates past
     * @max_out (a bomb a namespace editor stored as a Helm record) costs a
     * stack window and no heap, whatever the allocator would have kept of a
     * growing buffer; the second fills a buffer of the exact size. */
    if (claim && claim <= max_out && (buf = malloc(claim + 1)) != NULL)
        rc = inflate_into(in, len, buf, claim, &n, &why);
    if (rc == DG_ETOOBIG) {
        free(buf);
        buf = NULL;
        rc = inflate_into(in, len, NULL, max_out, &n, &why);
        if (rc == 0 && (buf = malloc(n + 1)) == NULL) {
            why = "out of memory inflating";
            rc = DG_ENOMEM;
        }
        if (rc == 0)
            rc = inflate_into(in, len, buf, n, &n, &why);
    }
    if (rc) {
        free(buf);
        return gunzip_err(err, rc, what, why, max_out);
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return 0;
}

int dg_codec_gzip(const void *in, size_t len, char **out, size_t *outlen, dg_err_t *err)
{
    z_stream zs;
    size_t cap;
    char *buf;

    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return dg_err_set(err, DG_ENOMEM, "out of memory compressing");
    cap = deflateBound(&zs, (uLong)len);
    buf = malloc(cap);
    if (buf == NULL) {
        deflateEnd(&zs);
        return dg_err_set(err, DG_ENOMEM, "out of memory compressing");
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)buf;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        deflateEnd(&zs);
        free(buf);
        return dg_err_set(err, DG_ENOMEM, "compression failed");
    }
    *outlen = zs.total_out;
    *out = buf;
    deflateEnd(&zs);
    return 0;
}

/* ---- SHA-256 (libcrypto) ----------------------------------------------------- */

void dg_codec_sha256(const void *data, size_t len, uint8_t out[32])
{
    /* EVP_Digest fails only without memory; a zero digest then never
     * matches a baseline's, so the baseline is refused, not trusted. */
    if (EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL) != 1)
        memset(out, 0, 32);
}

void dg_codec_digest(const void *data, size_t len, char out[72])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t d[32];

    dg_codec_sha256(data, len, d);
    memcpy(out, "sha256:", 7);
    for (int i = 0; i < 32; i++) {
        out[7 + 2 * i] = hex[d[i] >> 4];
        out[8 + 2 * i] = hex[d[i] & 15];
    }
    out[71] = '\0';
}
