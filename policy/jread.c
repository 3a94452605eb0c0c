/* policy/jread.c: the JSON reader. One pass, recursive descent over the
 * bytes into nodes in an arena; plain string runs are found 16 bytes at a
 * time (SSE2, where there is SSE2) and copied once, packed together; a
 * pruned subtree goes through the same grammar with nothing built, in a
 * loop rather than a recursion: what the server owns (managedFields,
 * status) and, of a review's objects, what the policy's decision never
 * reads (a dg_jwant_t, chosen by request.resource). Open containers keep
 * their kids on one stack, copied to the arena when they close, so every
 * node is allocated exactly once. Issue 14: an HPA's review is read in ~8
 * instructions a byte.
 * SPDX-License-Identifier: Apache-2.0 */
#include "jread.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef const unsigned char *pos_t;

/* Keys of an object with this many members or more are found through the
 * reader's hash rather than by a scan, so a hostile body of 250k keys in
 * one object costs linear time, not quadratic. */
#define DUP_LINEAR 16

/* Nodes' strings are packed into blocks of (at most) this many bytes taken
 * from the arena, not allocated one by one (each rounded up to 16). */
#define POOL_BLOCK 4096

struct dupslot {
    uint32_t serial; /* the object's number in this parse; 0 = empty */
    uint32_t idx;    /* the member's place on the stack */
};

typedef struct reader {
    pos_t p, end, start;
    unsigned flags;
    int depth;
    size_t nodes;  /* values built so far */
    const char *name;
    dg_err_t *err;
    dg_arena_t *arena; /* NULL: only checking (dg_jread_locate) */
    char *scratch; /* strings with escapes, decoded (in @arena, if any) */
    size_t cap;
    bool discard;  /* checking a pruned subtree: decode nothing */
    char *pool, *pool_end; /* room left for nodes' strings (in @arena) */
    dg_jnode_t *stack; /* kids of the open containers, innermost last (in @arena) */
    size_t top, scap;
    struct dupslot *dups; /* open addressing over large objects' keys */
    size_t dcap, dused;
    uint32_t serial;      /* objects opened so far */
    dg_jwant_pick_t pick; /* dg_jread_parse_review()'s choice, or NULL */
    void *pick_ctx;
    const dg_jwant_t *want; /* what it chose for request.object and
                             * request.oldObject; NULL: whole */
    /* Bit d: the container skip() opened d + 65 levels below the value it
     * skips is an object (the 64 innermost are in a register). */
    uint64_t objects[DG_JSON_MAX_DEPTH / 64 + 1];
} reader_t;

/* A byte a string can hold without a second look: printable ASCII other
 * than '"' and '\\'. */
static inline bool plain(unsigned c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* The same test on 8 bytes at once (the classic "has a byte less than n" /
 * "has a zero byte" word tricks), for the tail of the input. */
static inline bool plain8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

    return ((x & highs) | ((x - ones * 0x20) & ~x & highs) | ((q - ones) & ~q & highs) |
            ((b - ones) & ~b & highs)) == 0;
}

#ifdef __SSE2__
/* Bits of the bytes of @x that are not plain(): '\\', and, in one signed
 * compare, '"', the control characters and the bytes >= 0x80. Flipping
 * bit 1 maps '"' to ' ', just above the control characters (which it
 * keeps below ' '), and no other byte below '!'; the bytes >= 0x80 stay
 * negative. */
static inline __m128i special16x(__m128i x)
{
    __m128i c = _mm_cmplt_epi8(_mm_xor_si128(x, _mm_set1_epi8(2)), _mm_set1_epi8(0x21));
    __m128i b = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));

    return _mm_or_si128(c, b);
}

static inline unsigned special16v(__m128i x)
{
    return (unsigned)_mm_movemask_epi8(special16x(x));
}

/* special16v() of p[0..16). */
static inline unsigned special16(pos_t p)
{
    return special16v(_mm_loadu_si128((const __m128i *)(const void *)p));
}

/* Past the plain 64-byte blocks from @p: a long string (a ConfigMap's
 * data) is scanned a block a step, with one branch, not four. Out of
 * line: most strings are short, and the scans that call it stay small. */
static __attribute__((noinline)) pos_t plain64(pos_t p, pos_t end)
{
    const __m128i *v;

    for (; end - p >= 64; p += 64) {
        v = (const __m128i *)(const void *)p;
        if (_mm_movemask_epi8(_mm_or_si128(
                _mm_or_si128(special16x(_mm_loadu_si128(v)), special16x(_mm_loadu_si128(v + 1))),
                _mm_or_si128(special16x(_mm_loadu_si128(v + 2)),
                             special16x(_mm_loadu_si128(v + 3))))))
            break;
    }
    return p;
}
#endif

/* The first byte at or after @p that is not plain(). Most strings of a
 * review are short keys: their first probe finds the closing quote. */
static inline pos_t plain_run(pos_t p, pos_t end)
{
#ifdef __SSE2__
    pos_t start = p;

    while (end - p >= 16) {
        unsigned m = special16(p);

        if (m)
            return p + __builtin_ctz(m);
        p += 16;
        if (p - start > 48)
            p = plain64(p, end);
    }
#endif
    while (end - p >= 8) {
        uint64_t x;

        memcpy(&x, p, 8);
        if (!plain8(x))
            break;
        p += 8;
    }
    while (p < end && plain(*p))
        p++;
    return p;
}

static inline void skip_plain(reader_t *r)
{
    r->p = plain_run(r->p, r->end);
}

/* The 1-based line and column of @at; columns count characters, as
 * editors do: UTF-8 continuation bytes add none. */
static void mark(const reader_t *r, pos_t at, int *line, int *col)
{
    *line = *col = 1;
    for (pos_t q = r->start; q < at && q < r->end; q++) {
        if (*q == '\n')
            ++*line, *col = 1;
        else if ((*q & 0xC0) != 0x80)
            ++*col;
    }
}

DG_PRINTF(3, 4)
static int fail(reader_t *r, pos_t at, const char *fmt, ...)
{
    char what[160];
    int line, col;
    va_list ap;

    mark(r, at, &line, &col);
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return dg_err_at(r->err, DG_EPARSE, r->name, line, col, "not JSON: %s", what);
}

static int nomem(reader_t *r)
{
    return dg_err_at(r->err, DG_ENOMEM, r->name, 0, 0, "out of memory reading JSON");
}

static void ws_run(reader_t *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

/* The API server sends compact JSON: one test in the common case (a byte
 * above ' ' is never whitespace). */
static inline void ws(reader_t *r)
{
    if (r->p < r->end && *r->p <= ' ')
        ws_run(r);
}

/* Length of the UTF-8 sequence at @p (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF), or 0 if it is not one. */
static int utf8_len(pos_t p, pos_t end)
{
    unsigned c = p[0], lo = 0x80, hi = 0xBF;
    int n;

    if (c < 0xC2 || c > 0xF4)
        return 0;
    n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (end - p < n)
        return 0;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (int i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

/* @n, or less so that a cut at @max bytes does not split a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* The scratch grows in the arena when there is one (old copies are left
 * there, as the stack's are: no malloc, no free per parse); only
 * dg_jread_locate, with no arena, reallocs it. */
static int grow_scratch(reader_t *r, size_t need)
{
    size_t cap = need * 2 < 1024 ? 1024 : need * 2;
    char *s;

    if (r->arena == NULL) {
        if ((s = realloc(r->scratch, cap)) == NULL)
            return nomem(r);
    } else {
        if ((s = dg_arena_alloc(r->arena, cap)) == NULL)
            return nomem(r);
        if (r->cap)
            memcpy(s, r->scratch, r->cap);
    }
    r->scratch = s;
    r->cap = cap;
    return 0;
}

/* Inline: a string full of escapes (kubectl's last-applied annotation is
 * JSON in a string) calls this for every run between them. A short run is
 * copied as 16 bytes where the input has them (there is room for them:
 * the scratch keeps 16 spare bytes), not by a call. */
static inline int put(reader_t *r, size_t *n, const void *src, size_t len)
{
    if (r->discard)
        return 0;
    if (*n + len + 17 > r->cap && grow_scratch(r, *n + len + 17))
        return DG_ENOMEM;
    if (len <= 16 && r->end - (pos_t)src >= 16)
        memcpy(r->scratch + *n, src, 16);
    else
        memcpy(r->scratch + *n, src, len);
    *n += len;
    return 0;
}

/* put() of the one byte @c. */
static inline int put1(reader_t *r, size_t *n, unsigned char c)
{
    if (r->discard)
        return 0;
    if (*n + 18 > r->cap && grow_scratch(r, *n + 18))
        return DG_ENOMEM;
    r->scratch[(*n)++] = (char)c;
    return 0;
}

/* What the escape '\\' @c stands for, when it is one of the one-letter
 * ones; else 0. */
static const unsigned char unescape[256] = {
    ['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
    ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t',
};

static int hex4(reader_t *r, pos_t p, unsigned *out)
{
    *out = 0;
    if (r->end - p < 4)
        return fail(r, p, "truncated \\u escape");
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i], d = c >= '0' && c <= '9'   ? c - '0'
                             : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                                        : 16;
        if (d == 16)
            return fail(r, p, "invalid \\u escape");
        *out = *out << 4 | d;
    }
    return 0;
}

/* A \uXXXX escape (with its low surrogate, if it needs one) as UTF-8. */
static int unicode(reader_t *r, size_t *n)
{
    pos_t at = r->p - 2;
    unsigned cp, lo;
    unsigned char u[4];
    size_t k;

    if (hex4(r, r->p, &cp))
        return DG_EPARSE;
    r->p += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return fail(r, at, "lone low surrogate \\u%04X", cp);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' || hex4(r, r->p + 2, &lo) ||
            lo < 0xDC00 || lo > 0xDFFF)
            return r->err && r->err->code ? DG_EPARSE
                                          : fail(r, at, "high surrogate \\u%04X without its pair", cp);
        r->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (cp == 0)
        return fail(r, at, "\\u0000 is not allowed in a string");
    if (cp < 0x80)
        u[0] = (unsigned char)cp, k = 1;
    else if (cp < 0x800)
        u[0] = (unsigned char)(0xC0 | cp >> 6), u[1] = (unsigned char)(0x80 | (cp & 0x3F)), k = 2;
    else if (cp < 0x10000)
        u[0] = (unsigned char)(0xE0 | cp >> 12), u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F)),
        u[2] = (unsigned char)(0x80 | (cp & 0x3F)), k = 3;
    else
        u[0] = (unsigned char)(0xF0 | cp >> 18), u[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F)),
        u[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F)), u[3] = (unsigned char)(0x80 | (cp & 0x3F)),
        k = 4;
    for (size_t i = 0; i < k; i++)
        if (put1(r, n, u[i]))
            return DG_ENOMEM;
    return 0;
}

static int escape(reader_t *r, size_t *n)
{
    char c;

    if (r->p + 1 >= r->end)
        return fail(r, r->p, "unterminated string");
    r->p += 2;
    switch (r->p[-1]) {
    case '"': c = '"'; break;
    case '\\': c = '\\'; break;
    case '/': c = '/'; break;
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'u': return unicode(r, n);
    default:
        /* The message must itself be valid UTF-8 (it goes into JSON). */
        if (r->p[-1] >= 0x20 && r->p[-1] < 0x7F)
            return fail(r, r->p - 2, "invalid escape '\\%c'", r->p[-1]);
        return fail(r, r->p - 2, "invalid escape: byte 0x%02X after '\\'", r->p[-1]);
    }
    return put1(r, n, (unsigned char)c);
}

/* The rest of a string from r->p, which is not plain, its opening quote
 * at @begin - 1: escapes decoded into r->scratch, UTF-8 checked. The
 * one-letter escapes are decoded here; escape() has the others. */
static int string_rest(reader_t *r, pos_t begin, const char **s, size_t *len, bool keep)
{
    pos_t p = r->p, end = r->end, run;
    size_t n = 0;
    bool escaped = false;
    int rc, k;

    r->discard = !keep;
    for (;;) {
        unsigned char e;

#ifdef __SSE2__
        /* JSON in a string (kubectl's last-applied annotation): a
         * one-letter escape and the short run after it, again and again,
         * decoded in one step each. */
        if (escaped && keep) {
            char *d = r->scratch;
            size_t cap = r->cap;

            while (end - p >= 18 && n + 34 <= cap && p[0] == '\\' && (e = unescape[p[1]]) != 0) {
                __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + 2));
                unsigned m = special16v(x);

                d[n] = (char)e;
                _mm_storeu_si128((__m128i *)(void *)(d + n + 1), x);
                p += 2;
                n++;
                if (m == 0) {
                    p += 16;
                    n += 16;
                    goto run;
                }
                p += __builtin_ctz(m);
                n += __builtin_ctz(m);
            }
        }
#endif
        if (p >= end)
            return fail(r, begin - 1, "unterminated string");
        if (*p == '"')
            break;
        if (*p == '\\') {
            if (!escaped) {
                escaped = true;
                if ((rc = put(r, &n, begin, (size_t)(p - begin))))
                    return rc;
            }
            if (end - p >= 2 && (e = unescape[p[1]]) != 0) {
                if ((rc = put1(r, &n, e)))
                    return rc;
                p += 2;
            } else {
                r->p = p;
                if ((rc = escape(r, &n)))
                    return rc;
                p = r->p;
            }
        } else if (*p < 0x20) {
            return fail(r, p, "control character 0x%02X in a string", *p);
        } else if ((k = utf8_len(p, end)) == 0) {
            return fail(r, p, "invalid UTF-8 in a string");
        } else {
            if (escaped && (rc = put(r, &n, p, (size_t)k)))
                return rc;
            p += k;
        }
#ifdef __SSE2__
    run:
        /* Decoding: the run to the next special byte is found and copied
         * 16 bytes at a time, in one pass. */
        while (escaped && keep && end - p >= 16 && n + 33 <= r->cap) {
            __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
            unsigned m = special16v(x);

            _mm_storeu_si128((__m128i *)(void *)(r->scratch + n), x);
            if (m) {
                p += __builtin_ctz(m);
                n += __builtin_ctz(m);
                goto special;
            }
            p += 16;
            n += 16;
        }
#endif
        run = p;
        p = plain_run(p, end);
        if (escaped && (rc = put(r, &n, run, (size_t)(p - run))))
            return rc;
#ifdef __SSE2__
    special:;
#endif
    }
    *s = escaped ? r->scratch : (const char *)begin;
    *len = escaped ? n : (size_t)(p - begin);
    r->p = p + 1;
    return 0;
}

/* A string, r->p just past its opening quote. *@s and *@len get its
 * decoded bytes: in the input when it has no escapes, else in r->scratch
 * (valid until the next string); when !@keep, only checked. Plain ASCII up
 * to the quote, most strings, is decided here. */
static inline int string(reader_t *r, const char **s, size_t *len, bool keep)
{
    pos_t begin = r->p;

    skip_plain(r);
    if (r->p < r->end && *r->p == '"') {
        *s = (const char *)begin;
        *len = (size_t)(r->p - begin);
        r->p++;
        return 0;
    }
    return string_rest(r, begin, s, len, keep);
}

/* A new block of the string pool with room for @need bytes. The strings
 * still to come fit in the bytes left to read (decoding never lengthens
 * one, and its quotes make room for its NUL): no more than that. */
static int pool_grow(reader_t *r, size_t need)
{
    size_t left = (size_t)(r->end - r->p);
    size_t size = need + (left < POOL_BLOCK ? left : POOL_BLOCK);

    if ((r->pool = dg_arena_alloc(r->arena, size)) == NULL)
        return nomem(r);
    r->pool_end = r->pool + size;
    return 0;
}

/* A NUL-terminated copy in the pool of the @n bytes at @s, which string()
 * gave (in the input unless in r->scratch), or NULL. Most are short: copied
 * 16 bytes at a time where both sides have the bytes, not by a call. */
static inline const char *keep_str(reader_t *r, const char *s, size_t n)
{
    char *c;

    if ((size_t)(r->pool_end - r->pool) <= n && pool_grow(r, n + 1))
        return NULL;
    c = r->pool;
    if (n < 64 && (size_t)(r->pool_end - c) >= n + 16 && s != r->scratch &&
        (size_t)(r->end - (pos_t)s) >= n + 16)
        for (size_t i = 0; i <= n; i += 16)
            memcpy(c + i, s + i, 16);
    else
        memcpy(c, s, n);
    c[n] = '\0';
    r->pool += n + 1;
    return c;
}

/* A plain string of fewer than 64 bytes (most keys and values), the
 * content at @s: found and copied into the pool in the same 16-byte steps,
 * NUL-terminated, the copy in *@c and its length in *@n. Returns the end
 * of the string (past its quote), or NULL to leave it to string() and
 * keep_str() (longer, escapes, not ASCII, or near the end of the input or
 * of the pool). */
static inline pos_t keep_plain(reader_t *r, pos_t s, const char **c, size_t *n)
{
#ifdef __SSE2__
    char *d = r->pool;

    if (r->end - s < 64 || r->pool_end - d < 64)
        return NULL;
    for (size_t i = 0; i < 64; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        unsigned m = special16v(x);

        _mm_storeu_si128((__m128i *)(void *)(d + i), x);
        if (m) {
            size_t k = i + (size_t)__builtin_ctz(m);

            if (s[k] != '"')
                return NULL;
            d[k] = '\0';
            r->pool = d + k + 1;
            *c = d;
            *n = k;
            return s + k + 1;
        }
    }
#else
    (void)r, (void)s, (void)c, (void)n;
#endif
    return NULL;
}

static bool digit(reader_t *r)
{
    return r->p < r->end && *r->p >= '0' && *r->p <= '9';
}

/* A number's value: strtoll/strtod on a NUL-terminated copy, as jansson
 * reads them, so the two readers agree on every value. An integer of at
 * most 18 digits cannot overflow: its digits are summed directly. */
static int number_value(reader_t *r, pos_t b, bool real, dg_jnode_t *out)
{
    char buf[64], *text;
    size_t n = (size_t)(r->p - b);
    bool range;

    if (!real && n - (*b == '-') <= 18) {
        long long v = 0;

        for (pos_t q = b + (*b == '-'); q < r->p; q++)
            v = v * 10 + (*q - '0');
        out->type = DG_JINT;
        out->v.i = *b == '-' ? -v : v;
        return 0;
    }
    if ((text = n < sizeof buf ? buf : malloc(n + 1)) == NULL)
        return nomem(r);
    memcpy(text, b, n);
    text[n] = '\0';
    errno = 0;
    if (!real) {
        out->type = DG_JINT;
        out->v.i = strtoll(text, NULL, 10);
        range = errno == ERANGE;
    } else {
        out->type = DG_JREAL;
        out->v.d = strtod(text, NULL);
        range = isinf(out->v.d);
    }
    if (text != buf)
        free(text);
    if (range)
        return fail(r, b, "number %.*s is out of range", (int)(n > 40 ? 40 : n), b);
    return 0;
}

static int number(reader_t *r, dg_jnode_t *out)
{
    pos_t b = r->p;
    bool real = false;

    if (*r->p == '-')
        r->p++;
    if (!digit(r))
        return fail(r, b, "invalid number");
    if (*r->p++ != '0')
        while (digit(r))
            r->p++;
    if (r->p < r->end && *r->p == '.') {
        real = true;
        r->p++;
        if (!digit(r))
            return fail(r, b, "invalid number: no digit after '.'");
        while (digit(r))
            r->p++;
    }
    if (r->p < r->end && (*r->p | 0x20) == 'e') {
        real = true;
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        if (!digit(r))
            return fail(r, b, "invalid number: no digit in the exponent");
        while (digit(r))
            r->p++;
    }
    return out ? number_value(r, b, real, out) : 0;
}

static int literal(reader_t *r, const char *word, size_t n, dg_jtype_t type, dg_jnode_t *out)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return fail(r, r->p, "unexpected '%.*s'", (int)((size_t)(r->end - r->p) < n ? (size_t)(r->end - r->p) : n), r->p);
    r->p += n;
    if (out)
        out->type = type;
    return 0;
}

/* What an object is to the pruning rules (DG_JSON_PRUNE_*). */
enum role {
    ROLE_NONE,
    ROLE_ROOT,     /* the document's top-level value */
    ROLE_METADATA, /* some object's "metadata" */
    ROLE_REQUEST   /* the root's "request", read with DG_JSON_PRUNE_REVIEW */
};

static int value(reader_t *r, dg_jnode_t *out, enum role role, const dg_jwant_t *want);
static int container(reader_t *r, dg_jnode_t *out, bool is_object, enum role role,
                     const dg_jwant_t *want);

static inline __attribute__((always_inline)) pos_t skip_string(reader_t *r, pos_t p, pos_t end,
                                                               int *rc);

/* A pruned member's place among its object's kids while the object is
 * open, so that its key is compared with the others; pop() drops it. */
#define PRUNED ((dg_jtype_t)(DG_JOBJECT + 1))

/* Key @k of @n bytes is the literal @word (its length is known at compile
 * time: one compare for most keys). */
#define IS(k, n, word) ((n) == sizeof word - 1 && memcmp(k, word, sizeof word - 1) == 0)

/* ---- the stack of open containers' kids ------------------------------------ */

/* The stack grows in the arena when there is one (the old copy is left
 * there: at most as much again, and no malloc per parse); dg_jread_locate
 * never builds, so never pushes. */
static int stack_grow(reader_t *r)
{
    size_t cap = r->scap ? r->scap * 2 : 256;
    dg_jnode_t *s = dg_arena_alloc(r->arena, cap * sizeof *s);

    if (s == NULL)
        return nomem(r);
    if (r->top)
        memcpy(s, r->stack, r->top * sizeof *s);
    r->stack = s;
    r->scap = cap;
    return 0;
}

static inline int push(reader_t *r, const dg_jnode_t *v)
{
    if (r->top == r->scap && stack_grow(r))
        return DG_ENOMEM;
    r->stack[r->top++] = *v;
    return 0;
}

/* Room for @n kids: where the string pool has it (aligned), so most
 * containers cost no call to the arena; else from the arena. */
static inline dg_jnode_t *kids_alloc(reader_t *r, size_t n)
{
    uintptr_t at = ((uintptr_t)r->pool + 7) & ~(uintptr_t)7, end = (uintptr_t)r->pool_end;

    if (r->pool && at <= end && end - at >= n * sizeof(dg_jnode_t)) {
        r->pool = (char *)at + n * sizeof(dg_jnode_t);
        return (dg_jnode_t *)at;
    }
    return dg_arena_alloc(r->arena, n * sizeof(dg_jnode_t));
}

/* Close the container whose kids are stack[base..top), @npruned of them
 * PRUNED: into the arena, without those. */
static int pop(reader_t *r, size_t base, size_t npruned, dg_jnode_t *out)
{
    size_t n = r->top - base - npruned;

    out->n = (uint32_t)n;
    out->v.kids = NULL;
    if (n && (out->v.kids = kids_alloc(r, n)) == NULL)
        return nomem(r);
    if (npruned == 0) {
        if (n)
            memcpy(out->v.kids, r->stack + base, n * sizeof *out->v.kids);
    } else {
        for (size_t i = base, j = 0; i < r->top; i++)
            if (r->stack[i].type != PRUNED)
                out->v.kids[j++] = r->stack[i];
    }
    r->top = base;
    return 0;
}

/* ---- duplicate keys ---------------------------------------------------------- */

static size_t dup_hash(uint32_t serial, const char *k, size_t n)
{
    uint64_t h = 1469598103934665603u ^ serial;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)k[i]) * 1099511628211u;
    return (size_t)h;
}

/* Whether object @serial's slots hold key @k; with @idx, insert it as
 * stack[@idx]'s when absent (only once that node is on the stack, so a
 * rehash never reads a key that is not there yet). */
static bool dup_slot(reader_t *r, uint32_t serial, const char *k, size_t n, const uint32_t *idx)
{
    size_t mask = r->dcap - 1;

    for (size_t i = dup_hash(serial, k, n) & mask;; i = (i + 1) & mask) {
        struct dupslot *s = &r->dups[i];

        if (s->serial == 0) {
            if (idx) {
                *s = (struct dupslot){serial, *idx};
                r->dused++;
            }
            return false;
        }
        /* n == 0: an empty key, or a stale slot's place now holding an
         * array element (no key); memcmp is never given NULL. */
        if (s->serial == serial && r->stack[s->idx].keylen == n &&
            (n == 0 || memcmp(r->stack[s->idx].key, k, n) == 0))
            return true;
    }
}

/* Room for one more slot at most half full. Slots of closed objects past
 * the stack's top are dropped; others may linger (their serial never comes
 * back, so they never match a live object's key). */
static int dup_room(reader_t *r)
{
    struct dupslot *old = r->dups;
    size_t ocap = r->dcap;

    if ((r->dused + 1) * 2 <= r->dcap)
        return 0;
    r->dcap = ocap ? ocap * 2 : 256;
    r->dups = calloc(r->dcap, sizeof *r->dups);
    if (r->dups == NULL) {
        r->dups = old;
        r->dcap = ocap;
        return nomem(r);
    }
    r->dused = 0;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].serial && old[i].idx < r->top)
            (void)dup_slot(r, old[i].serial, r->stack[old[i].idx].key,
                           r->stack[old[i].idx].keylen, &old[i].idx);
    free(old);
    return 0;
}

/* Put stack[i] into the hash of object @serial. */
static int dup_add(reader_t *r, uint32_t serial, size_t i)
{
    uint32_t idx = (uint32_t)i;

    if (dup_room(r))
        return DG_ENOMEM;
    (void)dup_slot(r, serial, r->stack[i].key, r->stack[i].keylen, &idx);
    return 0;
}

/* An object being built: its members are stack[base..top). */
struct object {
    size_t base;
    uint32_t serial;   /* its number in this parse (its keys' in the hash) */
    uint64_t seen;     /* a bit per key so far, of its length and bytes */
    enum role role;
    const dg_jwant_t *want; /* the members to build; NULL: all */
    size_t npruned;    /* its PRUNED members so far */
    bool has_kind;     /* it has said its "kind" */
};

/* Is @k already a key of object @o? Small objects are scanned, only when
 * the key's bit was already seen (for most keys it was not); once one has
 * DUP_LINEAR members they go into the hash (and each later one as it is
 * pushed). -1 when out of memory. */
static int duplicate(reader_t *r, struct object *o, const char *k, size_t n)
{
    size_t count = r->top - o->base;

    if (count < DUP_LINEAR) {
        uint64_t bit = (uint64_t)1 << (n + (unsigned char)k[0] + (unsigned char)k[n / 2]) % 64;

        if ((o->seen & bit) == 0) {
            o->seen |= bit;
            return 0;
        }
        for (size_t i = o->base; i < r->top; i++)
            if (r->stack[i].keylen == n && memcmp(r->stack[i].key, k, n) == 0)
                return 1;
        return 0;
    }
    for (size_t i = o->base; count == DUP_LINEAR && i < r->top; i++)
        if (dup_add(r, o->serial, i))
            return -1;
    return dup_slot(r, o->serial, k, n, NULL) ? 1 : 0;
}

/* ---- values ------------------------------------------------------------------- */

/* The byte at *@p once past whitespace, or -1 at the end of the input.
 * Compact JSON has no whitespace: one test. */
static inline int next_byte(pos_t *p, pos_t end)
{
    if (*p < end && **p > ' ')
        return **p;
    while (*p < end && (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t'))
        ++*p;
    return *p < end ? **p : -1;
}

static inline int peek(reader_t *r)
{
    return next_byte(&r->p, r->end);
}

/* Past the whitespace and the @c at r->p, if @c comes next; else false,
 * r->p past the whitespace. */
static inline bool eat(reader_t *r, int c)
{
    if (peek(r) != c)
        return false;
    r->p++;
    return true;
}

/* The keys the pruning rules name; most keys are none of them, which
 * the switch on their length finds in a step or two. */
enum key {
    KEY_OTHER,
    KEY_KIND,
    KEY_METADATA,
    KEY_MANAGED_FIELDS,
    KEY_STATUS,
    KEY_REQUEST,
    KEY_RESOURCE,
    KEY_OBJECT,
    KEY_OLD_OBJECT,
    /* DG_JSON_PRUNE_REVIEW's */
    KEY_OPTIONS,
    KEY_REQUEST_KIND,
    KEY_REQUEST_RESOURCE,
    KEY_REQUEST_SUBRESOURCE
};

static inline enum key key_of(const char *k, size_t n)
{
    switch (n) {
    case 4: return IS(k, n, "kind") ? KEY_KIND : KEY_OTHER;
    case 6: return IS(k, n, "status") ? KEY_STATUS : IS(k, n, "object") ? KEY_OBJECT : KEY_OTHER;
    case 7:
        return IS(k, n, "request") ? KEY_REQUEST : IS(k, n, "options") ? KEY_OPTIONS : KEY_OTHER;
    case 8:
        return IS(k, n, "metadata")   ? KEY_METADATA
               : IS(k, n, "resource") ? KEY_RESOURCE
                                      : KEY_OTHER;
    case 9: return IS(k, n, "oldObject") ? KEY_OLD_OBJECT : KEY_OTHER;
    case 11: return IS(k, n, "requestKind") ? KEY_REQUEST_KIND : KEY_OTHER;
    case 13: return IS(k, n, "managedFields") ? KEY_MANAGED_FIELDS : KEY_OTHER;
    case 15: return IS(k, n, "requestResource") ? KEY_REQUEST_RESOURCE : KEY_OTHER;
    case 18: return IS(k, n, "requestSubResource") ? KEY_REQUEST_SUBRESOURCE : KEY_OTHER;
    default: return KEY_OTHER;
    }
}

/* Is the value of a member named @key of object @o pruned by a rule? */
static bool pruned_key(const reader_t *r, const struct object *o, enum key key)
{
    if (key >= KEY_OPTIONS && o->role == ROLE_REQUEST)
        return true;
    return (r->flags & DG_JSON_PRUNE_SERVER) &&
           ((key == KEY_MANAGED_FIELDS && o->role == ROLE_METADATA) ||
            (key == KEY_STATUS && o->has_kind));
}

/* The want of member @k (@n bytes) of an object read as @w says, or NULL
 * when @w does not name it. */
static inline const dg_jwant_t *want_kid(const dg_jwant_t *w, const char *k, size_t n)
{
    for (uint32_t i = 0; i < w->n; i++)
        if (w->kids[i].namelen == n && w->kids[i].name[0] == k[0] &&
            memcmp(w->kids[i].name, k, n) == 0)
            return &w->kids[i];
    return NULL;
}

/* What becomes of member @k (@n bytes, named @key) of @o, when @key is one
 * the rules name or @o is read as a want says (most members are neither,
 * and pass by this): true to prune it, else its value's want in *@want. */
static bool classify(reader_t *r, struct object *o, enum key key, const char *k, size_t n,
                     const dg_jwant_t **want)
{
    const dg_jwant_t *w;

    if (key == KEY_KIND)
        o->has_kind = true;
    else if (key != KEY_OTHER && pruned_key(r, o, key))
        return true;
    if (o->want) {
        if ((w = want_kid(o->want, k, n)) == NULL)
            return true;
        *want = w->whole ? NULL : w;
    } else if ((key == KEY_OBJECT || key == KEY_OLD_OBJECT) && o->role == ROLE_REQUEST) {
        *want = r->want;
    }
    return false;
}

/* The role of the value of member @key of object @o. */
static inline enum role child_role(const reader_t *r, const struct object *o, enum key key)
{
    if (key == KEY_METADATA)
        return ROLE_METADATA;
    if (key == KEY_REQUEST && o->role == ROLE_ROOT && (r->flags & DG_JSON_PRUNE_REVIEW))
        return ROLE_REQUEST;
    return ROLE_NONE;
}

/* The integer of at most 18 digits, the first not 0, at @p and followed
 * by ',', '}' or ']' (most counts: exact, it cannot overflow) into *@i;
 * returns its end, or NULL to leave the number to number(). */
static inline pos_t plain_int(pos_t p, pos_t end, long long *i)
{
    long long v = 0;
    pos_t q = p;

    while (q < end && *q >= '0' && *q <= '9' && q - p < 18)
        v = v * 10 + (*q++ - '0');
    if (q == end || (*q != ',' && *q != '}' && *q != ']'))
        return NULL;
    *i = v;
    return q;
}

/* One "key": value member of object @o. */
static int member(reader_t *r, struct object *o)
{
    pos_t p = r->p, at, q;
    dg_jnode_t v = {0};
    const char *k;
    size_t n;
    enum key key;
    bool prune = false;
    const dg_jwant_t *want = NULL;
    int rc, dup, c = next_byte(&p, r->end);

    if (c != '"')
        return fail(r, p, c >= 0 ? "expected a key string" : "unexpected end of input");
    at = p;
    /* Most keys are short and plain: kept as they are found. */
    if ((q = keep_plain(r, p + 1, &v.key, &n)) != NULL) {
        k = v.key;
        p = q;
        goto kept;
    }
    /* string(), on a local pointer. */
    if ((q = plain_run(p + 1, r->end)) < r->end && *q == '"') {
        k = (const char *)p + 1;
        n = (size_t)(q - p - 1);
        p = q + 1;
    } else {
        r->p = q;
        if ((rc = string_rest(r, at + 1, &k, &n, true)))
            return rc;
        p = r->p;
    }
    /* The key may live in r->scratch, which the value's strings reuse. */
    if (n > UINT32_MAX)
        return fail(r, at, "key longer than %u bytes", UINT32_MAX);
    if ((v.key = keep_str(r, k, n)) == NULL)
        return DG_ENOMEM;
kept:
    v.keylen = (uint32_t)n;
    key = key_of(k, n);
    if (key != KEY_OTHER || o->want)
        prune = classify(r, o, key, v.key, n, &want);
    if (next_byte(&p, r->end) != ':')
        return fail(r, p, "expected ':' after a key");
    r->p = p + 1;
    if ((dup = duplicate(r, o, v.key, n)) != 0)
        return dup < 0 ? DG_ENOMEM
                       : fail(r, at, "duplicate key \"%.*s\"", (int)utf8_cut(v.key, n, 60), v.key);
    if (prune) {
        /* Checked, not built; its key stays, for the duplicates. A
         * string (most pruned values) without the skipper's set-up. */
        if (r->end - p > 1 && p[1] == '"') {
            if ((q = skip_string(r, p + 1, r->end, &rc)) == NULL)
                return rc;
            r->p = q;
        } else if ((rc = value(r, NULL, ROLE_NONE, NULL))) {
            return rc;
        }
        v.type = PRUNED;
        o->npruned++;
        goto push;
    }
    /* value(), for a short plain string: the most common member; then
     * for a count (number_value() would read its digits the same way). */
    if (r->end - p > 1 && p[1] == '"' && r->nodes < DG_JSON_MAX_NODES &&
        (q = keep_plain(r, p + 2, &v.v.s, &n)) != NULL) {
        r->nodes++;
        r->p = q;
        v.type = DG_JSTRING;
        v.n = (uint32_t)n;
    } else if (r->end - p > 1 && p[1] >= '1' && p[1] <= '9' && r->nodes < DG_JSON_MAX_NODES &&
               (q = plain_int(p + 1, r->end, &v.v.i)) != NULL) {
        r->nodes++;
        r->p = q;
        v.type = DG_JINT;
    } else if (r->end - p > 1 && p[1] == '{' && r->nodes < DG_JSON_MAX_NODES) {
        r->nodes++;
        if ((rc = container(r, &v, true, child_role(r, o, key), want)))
            return rc;
    } else if ((rc = value(r, &v, child_role(r, o, key), want))) {
        return rc;
    }
    if (__builtin_expect(key == KEY_RESOURCE, 0) && o->role == ROLE_REQUEST && r->pick)
        r->want = r->pick(r->pick_ctx, &v);
push:
    if ((rc = push(r, &v)))
        return rc;
    return r->top - o->base > DUP_LINEAR ? dup_add(r, o->serial, r->top - 1) : 0;
}

/* An object or an array, built into *@out. */
static int container(reader_t *r, dg_jnode_t *out, bool is_object, enum role role,
                     const dg_jwant_t *want)
{
    unsigned char close = is_object ? '}' : ']';
    struct object o = {.base = r->top, .role = role, .want = want};
    pos_t p;
    int rc = 0, c;

    if (++r->depth > DG_JSON_MAX_DEPTH)
        return fail(r, r->p, "nested deeper than %d levels", DG_JSON_MAX_DEPTH);
    if (is_object)
        o.serial = ++r->serial;
    r->p++;
    if (!eat(r, close)) {
        for (;;) {
            if (is_object) {
                rc = member(r, &o);
            } else {
                dg_jnode_t v = {0};

                if ((rc = value(r, &v, ROLE_NONE, NULL)) == 0)
                    rc = push(r, &v);
            }
            if (rc)
                break;
            p = r->p;
            if ((c = next_byte(&p, r->end)) == ',') {
                r->p = p + 1;
                continue;
            }
            if (c == close)
                r->p = p + 1;
            else
                rc = fail(r, p, c >= 0 ? "expected ',' or '%c'" : "unexpected end of input", close);
            break;
        }
    }
    r->depth--;
    if (rc == 0) {
        out->type = is_object ? DG_JOBJECT : DG_JARRAY;
        rc = pop(r, o.base, o.npruned, out);
    }
    return rc;
}

static inline int string_value(reader_t *r, dg_jnode_t *out)
{
    pos_t at = r->p, q;
    const char *s;
    size_t n;
    int rc;

    if (out && (q = keep_plain(r, at + 1, &out->v.s, &n)) != NULL) {
        r->p = q;
        out->type = DG_JSTRING;
        out->n = (uint32_t)n;
        return 0;
    }
    r->p++;
    if ((rc = string(r, &s, &n, out != NULL)) || out == NULL)
        return rc;
    if (n > UINT32_MAX)
        return fail(r, at, "string longer than %u bytes", UINT32_MAX);
    out->type = DG_JSTRING;
    out->n = (uint32_t)n;
    if ((out->v.s = keep_str(r, s, n)) == NULL)
        return DG_ENOMEM;
    return 0;
}

/* A value other than an object or an array at r->p: built into *@out, or
 * only checked when @out is NULL. */
static inline int scalar(reader_t *r, dg_jnode_t *out)
{
    if (r->p >= r->end)
        return fail(r, r->p, "unexpected end of input");
    switch (*r->p) {
    case '"': return string_value(r, out);
    case 't': return literal(r, "true", 4, DG_JTRUE, out);
    case 'f': return literal(r, "false", 5, DG_JFALSE, out);
    case 'n': return literal(r, "null", 4, DG_JNULL, out);
    default:
        if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))
            return number(r, out);
        return fail(r, r->p, *r->p >= 0x20 && *r->p < 0x7F ? "unexpected '%c'" : "unexpected byte 0x%02X",
                    *r->p);
    }
}

/* ---- skipping: pruned subtrees, dg_jread_locate ---------------------------------- */

/* The skipper keeps its place in a local pointer (the reader's, behind
 * calls and char stores, would be reloaded at every step); r->p is set
 * only for the calls that read it. */

/* Past the string whose opening quote is at @p (@end: r->end, in a
 * register), checked; NULL with *@rc
 * set when it is not a string. */
static inline __attribute__((always_inline)) pos_t skip_string(reader_t *r, pos_t p, pos_t end,
                                                               int *rc)
{
    pos_t q = p + 1;
    const char *s;
    size_t n;

#ifdef __SSE2__
    /* plain_run(), the quote's test folded into its first find. A
     * one-letter escape (managedFields' keys of list items,
     * "k:{\"type\":\"Ready\"}", have a few) is passed over here too;
     * string_rest() takes anything else from there (its messages place
     * themselves, or at the opening quote). */
    while (end - q >= 16) {
        unsigned m = special16(q);

        if (m) {
            q += __builtin_ctz(m);
            if (*q == '"')
                return q + 1;
            if (*q == '\\' && end - q >= 2 && unescape[q[1]]) {
                q += 2;
                continue;
            }
            goto rest;
        }
        q += 16;
        if (q - p > 48)
            q = plain64(q, end);
    }
#endif
    q = plain_run(q, end);
    if (q < end && *q == '"')
        return q + 1;
#ifdef __SSE2__
rest:
#endif
    r->p = q;
    return (*rc = string_rest(r, p + 1, &s, &n, false)) ? NULL : r->p;
}

/* The value at r->p checked and passed over, nothing built: the grammar,
 * limits and messages of value(), in one loop of gotos on a local cursor
 * rather than a recursion, and no duplicate check (nothing reads these
 * keys). The kinds of the open containers are bits of a register, the
 * innermost in bit 0 (1: an object); past 64 levels below the skipped
 * value the outer ones wait in r->objects. Anything but strings,
 * containers and the literals, and every mistake, go through the
 * reader's own functions, which give the messages. An empty object in
 * "key":{} is taken in one step only below @lim (so within the depth
 * limit); elsewhere it goes the general way. */
static int skip(reader_t *r)
{
    pos_t p = r->p, end = r->end;
    const int base = r->depth;
    /* Levels open below the skipped value; past @lim, either the depth
     * limit or the kinds that spill to r->objects. */
    const int lim = DG_JSON_MAX_DEPTH - base < 64 ? DG_JSON_MAX_DEPTH - base : 64;
    int rel = 0, rc = 0, c;
    uint64_t kinds = 0;

value:
    c = next_byte(&p, end);
    if (c == '"') {
    value_string:
        if ((p = skip_string(r, p, end, &rc)) == NULL)
            return rc;
        goto after;
    }
    if (c == '{' || c == '[') {
        if (++rel > lim) {
            unsigned d = (unsigned)rel - 65;
            uint64_t bit = (uint64_t)1 << d % 64;

            if (base + rel > DG_JSON_MAX_DEPTH)
                return fail(r, p, "nested deeper than %d levels", DG_JSON_MAX_DEPTH);
            r->objects[d / 64] = kinds >> 63 ? r->objects[d / 64] | bit : r->objects[d / 64] & ~bit;
        }
        kinds = kinds << 1 | (c == '{');
        p++;
        if (next_byte(&p, end) != (c == '{' ? '}' : ']')) {
            if (c == '{')
                goto key;
            goto value;
        }
        p++;
        goto close;
    }
    if (c == 't' && end - p >= 4 && memcmp(p, "true", 4) == 0) {
        p += 4;
        goto after;
    }
    if (c == 'n' && end - p >= 4 && memcmp(p, "null", 4) == 0) {
        p += 4;
        goto after;
    }
    /* A status's counts: digits, no leading zero, then the next token. */
    if (c >= '1' && c <= '9') {
        pos_t q = p + 1;

        while (q < end && *q >= '0' && *q <= '9')
            q++;
        if (q < end && (*q == ',' || *q == '}' || *q == ']')) {
            p = q;
            goto after;
        }
    }
    r->p = p;
    if ((rc = scalar(r, NULL)))
        return rc;
    p = r->p;
    goto after;

key:
    c = next_byte(&p, end);
    if (c != '"')
        return fail(r, p, c >= 0 ? "expected a key string" : "unexpected end of input");
key_string:
    if ((p = skip_string(r, p, end, &rc)) == NULL)
        return rc;
    if (end - p >= 3 && p[0] == ':') {
        /* managedFields is mostly "f:name":{}, then the next key. */
        if (p[1] == '{' && p[2] == '}' && rel < lim) {
            p += 3;
            if (end - p >= 2 && p[0] == ',' && p[1] == '"') {
                p++;
                goto key_string;
            }
            goto after;
        }
        /* "key":"value", and "key":{"key" (an object opened below @lim,
         * so within the depth limit and the register): no whitespace to
         * pass over, nothing to dispatch on. */
        if (p[1] == '"') {
            p++;
            goto value_string;
        }
        if (p[1] == '{' && p[2] == '"' && rel < lim) {
            rel++;
            kinds = kinds << 1 | 1;
            p += 2;
            goto key_string;
        }
        p++;
        goto value;
    }
    if (next_byte(&p, end) != ':')
        return fail(r, p, "expected ':' after a key");
    p++;
    goto value;

close: /* the innermost container has just been closed */
    rel--;
    kinds >>= 1;
    if (rel >= 64) {
        unsigned d = (unsigned)rel - 64;

        kinds |= (r->objects[d / 64] >> d % 64 & 1) << 63;
    }
after: /* past a value */
    if (rel == 0) {
        r->p = p;
        return 0;
    }
    c = next_byte(&p, end);
    if (c == ',') {
        p++;
        if (kinds & 1) {
            if (p < end && *p == '"')
                goto key_string;
            goto key;
        }
        goto value;
    }
    if (c != ((kinds & 1) ? '}' : ']'))
        return fail(r, p, c >= 0 ? "expected ',' or '%c'" : "unexpected end of input",
                    (kinds & 1) ? '}' : ']');
    p++;
    goto close;
}

/* One value at r->p (after whitespace); built into *@out, or only checked
 * when @out is NULL. */
static inline int value(reader_t *r, dg_jnode_t *out, enum role role, const dg_jwant_t *want)
{
    int c;

    if (out == NULL)
        return skip(r);
    if ((c = peek(r)) < 0)
        return fail(r, r->p, "unexpected end of input");
    if (++r->nodes > DG_JSON_MAX_NODES)
        return fail(r, r->p, "more than %d values", DG_JSON_MAX_NODES);
    switch (c) {
    case '{': return container(r, out, true, role, want);
    case '[': return container(r, out, false, ROLE_NONE, NULL);
    default: return scalar(r, out);
    }
}

static void reader_free(reader_t *r)
{
    free(r->dups);
}

const dg_jnode_t *dg_jread_parse_review(dg_arena_t *a, const char *data, size_t len,
                                        unsigned flags, dg_jwant_pick_t pick, void *ctx,
                                        const char *name, dg_err_t *err)
{
    reader_t r = {.p = (pos_t)data, .end = (pos_t)data + len, .start = (pos_t)data,
                  .flags = flags, .name = name, .err = err, .arena = a,
                  .pick = flags & DG_JSON_PRUNE_REVIEW ? pick : NULL, .pick_ctx = ctx};
    dg_jnode_t *root = dg_arena_alloc(a, sizeof *root);
    int rc;

    if (root == NULL)
        return nomem(&r), NULL;
    *root = (dg_jnode_t){0};
    ws(&r);
    rc = value(&r, root, ROLE_ROOT, NULL);
    ws(&r);
    if (rc == 0 && r.p < r.end)
        rc = fail(&r, r.p, "unexpected data after the value");
    reader_free(&r);
    return rc ? NULL : root;
}

const dg_jnode_t *dg_jread_parse(dg_arena_t *a, const char *data, size_t len, unsigned flags,
                                 const char *name, dg_err_t *err)
{
    return dg_jread_parse_review(a, data, len, flags, NULL, NULL, name, err);
}

/* ---- reading nodes ------------------------------------------------------------ */

const dg_jnode_t *dg_jread_get(const dg_jnode_t *obj, const char *key)
{
    return dg_jread_getn(obj, key, strlen(key));
}

const char *dg_jread_type_name(const dg_jnode_t *j)
{
    switch (j->type) {
    case DG_JOBJECT: return "an object";
    case DG_JARRAY: return "an array";
    case DG_JSTRING: return "a string";
    case DG_JINT:
    case DG_JREAL: return "a number";
    case DG_JTRUE:
    case DG_JFALSE: return "a boolean";
    case DG_JNULL: return "null";
    }
    return "unknown";
}

static json_t *kids_to_json(const dg_jnode_t *j)
{
    json_t *c = j->type == DG_JOBJECT ? json_object() : json_array();

    for (uint32_t i = 0; c && i < j->n; i++) {
        const dg_jnode_t *k = &j->v.kids[i];
        json_t *v = dg_jread_to_json(k);

        /* Keys were checked unique and valid UTF-8 while reading. */
        if (v == NULL || (j->type == DG_JOBJECT
                              ? json_object_setn_new_nocheck(c, k->key, k->keylen, v)
                              : json_array_append_new(c, v)) != 0) {
            json_decref(c);
            return NULL;
        }
    }
    return c;
}

json_t *dg_jread_to_json(const dg_jnode_t *j)
{
    switch (j->type) {
    case DG_JNULL: return json_null();
    case DG_JFALSE: return json_false();
    case DG_JTRUE: return json_true();
    case DG_JINT: return json_integer(j->v.i);
    case DG_JREAL: return json_real(j->v.d);
    case DG_JSTRING: return json_stringn_nocheck(j->v.s, j->n);
    case DG_JARRAY:
    case DG_JOBJECT: return kids_to_json(j);
    }
    return NULL;
}
/* ---- locating a value ---------------------------------------------------------- */

/* r->p at the value of @path's next segment's container; true with *@at at
 * the value @path names. Only checks syntax on the way (nothing is built). */
static bool find(reader_t *r, const char *path, pos_t *at)
{
    size_t seg = strcspn(path, ".[");
    unsigned long index = 0;
    const char *rest;
    bool is_index = path[0] == '[';

    ws(r);
    if (*path == '\0') {
        *at = r->p;
        return true;
    }
    if (is_index) {
        index = strtoul(path + 1, (char **)&rest, 10);
        if (*rest != ']')
            return false;
        rest++;
    } else {
        rest = path + seg;
    }
    if (*rest == '.')
        rest++;
    if (r->p >= r->end || *r->p != (is_index ? '[' : '{'))
        return false;
    r->p++;
    for (unsigned long i = 0;; i++) {
        const char *k;
        size_t n;

        ws(r);
        if (!is_index && (r->p >= r->end || *r->p != '"'))
            return false;
        if (!is_index) {
            r->p++;
            if (string(r, &k, &n, true) != 0)
                return false;
            ws(r);
            if (r->p >= r->end || *r->p++ != ':')
                return false;
            if (n == seg && memcmp(k, path, n) == 0)
                return find(r, rest, at);
        } else if (i == index) {
            return find(r, rest, at);
        }
        ws(r);
        if (value(r, NULL, ROLE_NONE, NULL) != 0)
            return false;
        ws(r);
        if (r->p >= r->end || *r->p++ != ',')
            return false;
    }
}

int dg_jread_locate(const char *data, size_t len, const char *path, int *line, int *col)
{
    reader_t r = {.p = (pos_t)data, .end = (pos_t)data + len, .start = (pos_t)data};
    pos_t at = r.start;
    bool found = find(&r, path, &at);

    mark(&r, found ? at : r.start, line, col);
    free(r.scratch);
    return found ? 0 : DG_ENOTFOUND;
}
