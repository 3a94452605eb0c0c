/* policy/jwrite.c: compact JSON text from jansson trees and strings.
 * SPDX-License-Identifier: Apache-2.0 */
#include "jwrite.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Printable ASCII other than '"' and '\\': written as it is, and what no
 * caller ever has to look at twice. */
static inline bool plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* The high bit of each byte of the 8 at @x that is not plain(), in a few
 * word operations (as policy/jread.c does; 0x7f is the one byte more
 * here). A borrow can mark a byte above one that is marked, never one
 * below: the lowest mark is the first byte that is not plain. */
static inline uint64_t special8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\'), d = x ^ (ones * 0x7f);

    return (x & highs) | ((x - ones * 0x20) & ~x & highs) | ((q - ones) & ~q & highs) |
           ((b - ones) & ~b & highs) | ((d - ones) & ~d & highs);
}

static inline uint64_t load8(const unsigned char *p)
{
    uint64_t x;

    memcpy(&x, p, 8);
    return x;
}

#ifdef __SSE2__
/* Bits of the bytes of p[0..16) that are not plain(): one signed compare
 * finds both the control characters and the bytes >= 0x80. */
static inline unsigned special16(const unsigned char *p)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i q = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
    __m128i b = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));
    __m128i d = _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f));
    __m128i c = _mm_cmplt_epi8(x, _mm_set1_epi8(0x20));

    return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(q, b), _mm_or_si128(c, d)));
}
#endif

/* Nothing is read outside the @len bytes: the last block of a string is
 * the one that ends with it, overlapping what was read (those bytes were
 * plain); a string shorter than a block is read as two overlapping halves
 * (8 + 8, 4 + 4 bytes) put side by side in one word. Only the bytes 1-3
 * long are looked at one by one. */
size_t dg_jwrite_plain(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    uint64_t m;

#ifdef __SSE2__
    if (len >= 16) {
        unsigned v;

        for (; len - i >= 16; i += 16)
            if ((v = special16(p + i)) != 0)
                return i + (size_t)__builtin_ctz(v);
        if (i == len)
            return len;
        /* The last 16 bytes: the marks of those already read dropped. */
        v = special16(p + len - 16) >> (16 - (len - i));
        return v ? i + (size_t)__builtin_ctz(v) : len;
    }
#endif
    if (len >= 8) {
        for (; len - i >= 8; i += 8)
            if ((m = special8(load8(p + i))) != 0)
                return i + (size_t)__builtin_ctzll(m) / 8;
        if (i == len)
            return len;
        m = special8(load8(p + len - 8)) >> 8 * (8 - (len - i));
        return m ? i + (size_t)__builtin_ctzll(m) / 8 : len;
    }
    if (len >= 4) {
        uint32_t lo, hi;

        memcpy(&lo, p, 4);
        memcpy(&hi, p + len - 4, 4);
        m = special8((uint64_t)lo | (uint64_t)hi << 32);
        if (m == 0)
            return len;
        i = (size_t)__builtin_ctzll(m) / 8;
        return i < 4 ? i : len - 4 + (i - 4);
    }
    while (i < len && plain(p[i]))
        i++;
    return i;
}

size_t dg_jwrite_utf8_seq(const unsigned char *s, size_t avail)
{
    size_t n;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates and values past U+10FFFF. */
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static int put_escaped(dg_buf_t *b, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF"; /* jansson: "\\u%04X" */
    char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

    esc[1] = c == '"' ? '"' : c == '\\' ? '\\' : c == '\b' ? 'b' : c == '\f' ? 'f'
           : c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : 'u';
    return dg_buf_append(b, esc, esc[1] == 'u' ? 6 : 2);
}

/* @s as a JSON string; @check: refuse (DG_EINVAL, @b as it was) bytes
 * that are not UTF-8. One pass: the plain runs, nearly all of a string,
 * are found 16 bytes at a time and copied straight into @b. */
static int put_string(dg_buf_t *b, const char *s, size_t len, bool check)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t start = b->len, i, run;
    char *o;
    int rc = dg_buf_reserve(b, len + 2);

    if (rc)
        return rc;
    o = b->data + start;
    *o++ = '"';
    i = dg_jwrite_plain(s, len);
    memcpy(o, s, i);
    if (i == len) {
        o[len] = '"';
        o[len + 1] = '\0';
        b->len = start + len + 2;
        return 0;
    }
    /* Something to escape or to read as UTF-8: the rest as runs. */
    b->len = start + 1 + i;
    b->data[b->len] = '\0';
    for (run = i; i < len;) {
        if (p[i] >= 0x80 || p[i] == 0x7f) {
            size_t n = check ? dg_jwrite_utf8_seq(p + i, len - i) : 1;

            if (n == 0) {
                b->len = start;
                b->data[start] = '\0';
                return DG_EINVAL;
            }
            i += n;
        } else {
            if (i > run && (rc = dg_buf_append(b, s + run, i - run)) != 0)
                return rc;
            if ((rc = put_escaped(b, p[i])) != 0)
                return rc;
            run = ++i;
        }
        i += dg_jwrite_plain(s + i, len - i);
    }
    if (i > run && (rc = dg_buf_append(b, s + run, i - run)) != 0)
        return rc;
    return dg_buf_append(b, "\"", 1);
}

int dg_jwrite_strn(dg_buf_t *b, const char *s, size_t len)
{
    return put_string(b, s, len, false);
}

int dg_jwrite_utf8n(dg_buf_t *b, const char *s, size_t len)
{
    return put_string(b, s, len, true);
}

int dg_jwrite_int(dg_buf_t *b, long long v)
{
    char text[24], *p = text + sizeof text;
    /* Negated as unsigned, so LLONG_MIN has a magnitude too. */
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--p = '-';
    return dg_buf_append(b, p, (size_t)(text + sizeof text - p));
}

/* jansson's jsonp_dtostr(): "%.*g", then ".0" if it would read back as an
 * integer, and the exponent without '+' or leading zeros ("1e6"). */
int dg_jwrite_real(dg_buf_t *b, double d, int precision)
{
    char text[64], *e;
    int n = snprintf(text, sizeof text - 2, "%.*g", precision ? precision : 17, d);

    if (n < 0 || (size_t)n >= sizeof text - 2)
        return DG_EINVAL;
    if (strchr(text, '.') == NULL && strchr(text, 'e') == NULL)
        memcpy(text + n, ".0", 3);
    if ((e = strchr(text, 'e')) != NULL) {
        char *start = e + 1, *end;

        if (*start == '+')
            memmove(start, start + 1, strlen(start));
        if (*start == '-')
            start++;
        for (end = start; *end == '0' && end[1]; end++)
            ;
        memmove(start, end, strlen(end) + 1);
    }
    return dg_buf_puts(b, text);
}

/* The powers of ten a uint64_t holds. */
static const uint64_t pow10[] = {
    1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u, 1000000000u,
    10000000000u, 100000000000u, 1000000000000u, 10000000000000u,
};

/* "%.6g" of @ns / 1e6 from the integer: its top 6 digits, rounded on the
 * rest, the point 6 digits from the right, trailing zeros dropped (and
 * ".0" for none, as jansson adds). The double is within 1e-10 of the
 * decimal, so the two round alike unless the rest is exactly half (then
 * the binary value decides) or the rounding carries into a 7th digit;
 * those, and values printf would write with an exponent (below 1e-4,
 * from 1e6 up), go through dg_jwrite_real(). */
int dg_jwrite_ms(dg_buf_t *b, uint64_t ns)
{
    char text[32], *p = text;
    uint64_t q = ns, r, half;
    int d = 0, k = 0, point;

    while (d < 13 && ns >= pow10[d + 1])
        d++;
    d++; /* digits of ns, for ns < 1e13 */
    if (ns < 100 || ns >= pow10[12])
        return dg_jwrite_real(b, (double)ns / 1e6, 6);
    if (d > 6) {
        k = d - 6;
        q = ns / pow10[k];
        r = ns % pow10[k];
        half = pow10[k] / 2;
        if (r == half || (r > half && q + 1 == pow10[6]))
            return dg_jwrite_real(b, (double)ns / 1e6, 6);
        q += r > half;
    }
    /* q: the significant digits (d - k of them); point: integer digits. */
    point = d - 6;
    if (point <= 0) {
        memcpy(p, "0.00000", 2 + (size_t)-point);
        p += 2 - point;
    }
    for (int i = d - k - 1; i >= 0; i--) {
        *p++ = (char)('0' + q / pow10[i] % 10);
        if (i && point > 0 && d - k - i == point)
            *p++ = '.';
    }
    if (point > 0 && point == d - k) {
        memcpy(p, ".0", 2); /* an integer: jansson's ".0" */
        p += 2;
    } else {
        while (p[-1] == '0')
            p--;
        if (p[-1] == '.')
            p++; /* "12.0": the zero after the point stays, as ".0" */
    }
    return dg_buf_append(b, text, (size_t)(p - text));
}

static int put_container(dg_buf_t *b, const json_t *v, int precision)
{
    bool obj = json_is_object(v);
    int rc = dg_buf_append(b, obj ? "{" : "[", 1);
    const char *key;
    json_t *x;
    size_t i = 0;

    if (obj) {
        /* Iteration is in insertion order, as jansson dumps without SORT_KEYS. */
        json_object_foreach((json_t *)v, key, x)
        {
            if (!rc && i++)
                rc = dg_buf_append(b, ",", 1);
            if (!rc)
                rc = dg_jwrite_strn(b, key, strlen(key));
            if (!rc)
                rc = dg_buf_append(b, ":", 1);
            if (!rc)
                rc = dg_jwrite_value(b, x, precision);
        }
    } else {
        json_array_foreach(v, i, x)
        {
            if (!rc && i)
                rc = dg_buf_append(b, ",", 1);
            if (!rc)
                rc = dg_jwrite_value(b, x, precision);
        }
    }
    return rc ? rc : dg_buf_append(b, obj ? "}" : "]", 1);
}

int dg_jwrite_value(dg_buf_t *b, const json_t *v, int precision)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
    case JSON_ARRAY: return put_container(b, v, precision);
    case JSON_STRING: return dg_jwrite_strn(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: return dg_jwrite_int(b, json_integer_value(v));
    case JSON_REAL: return dg_jwrite_real(b, json_real_value(v), precision);
    case JSON_TRUE: return dg_buf_puts(b, "true");
    case JSON_FALSE: return dg_buf_puts(b, "false");
    case JSON_NULL: return dg_buf_puts(b, "null");
    }
    return DG_EINVAL;
}
