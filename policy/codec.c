/* policy/codec.c: base64, gzip and SHA-256 (FIPS 180-4), memory to memory.
 * SPDX-License-Identifier: Apache-2.0 */
#include "codec.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- base64 ----------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int dg_codec_base64_decode(const char *in, size_t len, char **out, size_t *outlen,
                           const char *what, dg_err_t *err)
{
    unsigned char *o = malloc(len / 4 * 3 + 4);
    size_t n = 0, pad = 0;
    unsigned acc = 0, bits = 0;

    if (o == NULL)
        return dg_err_set(err, DG_ENOMEM, "%s: out of memory decoding base64", what);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        int v = b64_value(c);

        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (v < 0 || pad) {
            free(o);
            return dg_err_set(err, DG_EPARSE, "%s: invalid base64 at byte %zu", what, i + 1);
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[n++] = (unsigned char)(acc >> bits);
        }
    }
    if (pad > 2 || bits >= 6) {
        free(o);
        return dg_err_set(err, DG_EPARSE, "%s: truncated base64", what);
    }
    o[n] = '\0';
    *out = (char *)o;
    *outlen = n;
    return 0;
}

char *dg_codec_base64_encode(const void *in, size_t len)
{
    const unsigned char *p = in;
    char *o = malloc((len + 2) / 3 * 4 + 1), *q = o;

    if (o == NULL)
        return NULL;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16;

        if (i + 1 < len)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        *q++ = b64[v >> 18 & 63];
        *q++ = b64[v >> 12 & 63];
        *q++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
        *q++ = i + 2 < len ? b64[v & 63] : '=';
    }
    *q = '\0';
    return o;
}

/* ---- gzip -------------------------------------------------------------------- */

static int gunzip_fail(z_stream *zs, char *buf, dg_err_t *err, int code, const char *what,
                       const char *why, size_t max_out)
{
    inflateEnd(zs);
    free(buf);
    if (code == DG_ETOOBIG)
        return dg_err_set(err, code, "%s: inflates to more than %zu bytes", what, max_out);
    if (code == DG_EPARSE)
        return dg_err_set(err, code, "%s: not valid gzip data (%s)", what, why);
    return dg_err_set(err, code, "%s: %s", what, why);
}

int dg_codec_gunzip(const void *in, size_t len, size_t max_out, char **out, size_t *outlen,
                    const char *what, dg_err_t *err)
{
    size_t cap = len * 4 + 1024, n = 0;
    z_stream zs;
    char *buf, *p;
    int zrc;

    memset(&zs, 0, sizeof zs);
    if (cap > max_out + 1)
        cap = max_out + 1; /* one byte past the cap proves "too big" */
    buf = malloc(cap + 1);
    if (buf == NULL || inflateInit2(&zs, 15 + 32) != Z_OK) /* +32: gzip or zlib header */
        return gunzip_fail(&zs, buf, err, DG_ENOMEM, what, "out of memory inflating", max_out);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    for (;;) {
        if (n == cap) {
            if (cap > max_out)
                return gunzip_fail(&zs, buf, err, DG_ETOOBIG, what, NULL, max_out);
            cap = cap * 2 > max_out + 1 ? max_out + 1 : cap * 2;
            if ((p = realloc(buf, cap + 1)) == NULL)
                return gunzip_fail(&zs, buf, err, DG_ENOMEM, what, "out of memory inflating",
                                   max_out);
            buf = p;
        }
        zs.next_out = (Bytef *)buf + n;
        zs.avail_out = (uInt)(cap - n);
        zrc = inflate(&zs, Z_NO_FLUSH);
        n = cap - zs.avail_out;
        if (zrc == Z_STREAM_END)
            break;
        if ((zrc != Z_OK && zrc != Z_BUF_ERROR) || (zrc == Z_BUF_ERROR && zs.avail_out != 0))
            return gunzip_fail(&zs, buf, err, DG_EPARSE, what,
                               zs.msg ? zs.msg : "truncated", max_out);
    }
    if (n > max_out)
        return gunzip_fail(&zs, buf, err, DG_ETOOBIG, what, NULL, max_out);
    inflateEnd(&zs);
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

/* ---- SHA-256 ------------------------------------------------------------------- */

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64], a, b, c, d, e, f, g, hh;

    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);

        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));

        hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void dg_codec_sha256(const void *data, size_t len, uint8_t out[32])
{
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    const uint8_t *p = data;
    uint8_t tail[128] = {0};
    size_t full = len / 64 * 64, rest = len - full, tlen;
    uint64_t bits = (uint64_t)len * 8;

    for (size_t i = 0; i < full; i += 64)
        sha256_block(h, p + i);
    if (rest)
        memcpy(tail, p + full, rest);
    tail[rest] = 0x80;
    tlen = rest + 1 + 8 <= 64 ? 64 : 128;
    for (int i = 0; i < 8; i++)
        tail[tlen - 1 - i] = (uint8_t)(bits >> (8 * i));
    for (size_t i = 0; i < tlen; i += 64)
        sha256_block(h, tail + i);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
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
