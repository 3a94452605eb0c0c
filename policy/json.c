/* policy/json.c: the JSON reader. One pass, recursive descent over the
 * bytes; plain string runs are found with a table and copied once; a
 * pruned subtree goes through the same grammar with nothing built.
 * SPDX-License-Identifier: Apache-2.0 */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef const unsigned char *pos_t;

typedef struct reader {
    pos_t p, end, start;
    unsigned flags;
    int depth;
    size_t nodes;  /* values built so far */
    const char *name;
    dg_err_t *err;
    char *scratch; /* strings with escapes, decoded */
    size_t cap;
    bool discard;  /* checking a pruned subtree: decode nothing */
} reader_t;

/* A byte a string can hold without a second look: printable ASCII other
 * than '"' and '\\'. */
static inline bool plain(unsigned c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* The same test on 8 bytes at once (the classic "has a byte less than n" /
 * "has a zero byte" word tricks): most of a review is long plain runs. */
static inline bool plain8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

    return ((x & highs) | ((x - ones * 0x20) & ~x & highs) | ((q - ones) & ~q & highs) |
            ((b - ones) & ~b & highs)) == 0;
}

static void skip_plain(reader_t *r)
{
    uint64_t x;

    while (r->end - r->p >= 8) {
        memcpy(&x, r->p, 8);
        if (!plain8(x))
            break;
        r->p += 8;
    }
    while (r->p < r->end && plain(*r->p))
        r->p++;
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

static void ws(reader_t *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
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

static int put(reader_t *r, size_t *n, const void *src, size_t len)
{
    if (r->discard)
        return 0;
    if (*n + len + 1 > r->cap) {
        size_t cap = (*n + len + 1) * 2;
        char *s = realloc(r->scratch, cap);

        if (s == NULL)
            return nomem(r);
        r->scratch = s;
        r->cap = cap;
    }
    memcpy(r->scratch + *n, src, len);
    *n += len;
    return 0;
}

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
    return put(r, n, u, k);
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
    return put(r, n, &c, 1);
}

/* A string, r->p just past its opening quote. *@s and *@len get its
 * decoded bytes: in the input when it has no escapes, else in r->scratch
 * (valid until the next string); when !@keep, only checked. */
static int string(reader_t *r, const char **s, size_t *len, bool keep)
{
    pos_t begin = r->p;
    size_t n = 0;
    bool escaped = false;
    int rc;

    r->discard = !keep;
    for (;;) {
        pos_t run = r->p;
        int k;

        skip_plain(r);
        if (escaped && (rc = put(r, &n, run, (size_t)(r->p - run))))
            return rc;
        if (r->p >= r->end)
            return fail(r, begin - 1, "unterminated string");
        if (*r->p == '"')
            break;
        if (*r->p == '\\') {
            if (!escaped) {
                escaped = true;
                if ((rc = put(r, &n, begin, (size_t)(r->p - begin))))
                    return rc;
            }
            if ((rc = escape(r, &n)))
                return rc;
        } else if (*r->p < 0x20) {
            return fail(r, r->p, "control character 0x%02X in a string", *r->p);
        } else if ((k = utf8_len(r->p, r->end)) == 0) {
            return fail(r, r->p, "invalid UTF-8 in a string");
        } else {
            if (escaped && (rc = put(r, &n, r->p, (size_t)k)))
                return rc;
            r->p += k;
        }
    }
    *s = escaped ? r->scratch : (const char *)begin;
    *len = escaped ? n : (size_t)(r->p - begin);
    r->p++;
    return 0;
}

static bool digit(reader_t *r)
{
    return r->p < r->end && *r->p >= '0' && *r->p <= '9';
}

static int number(reader_t *r, json_t **out)
{
    pos_t b = r->p;
    bool real = false, range;
    char buf[64], *text;
    size_t n;

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
    if (out == NULL)
        return 0;
    n = (size_t)(r->p - b);
    if ((text = n < sizeof buf ? buf : malloc(n + 1)) == NULL)
        return nomem(r);
    memcpy(text, b, n);
    text[n] = '\0';
    errno = 0;
    *out = NULL;
    if (!real) {
        long long v = strtoll(text, NULL, 10);

        range = errno == ERANGE;
        if (!range)
            *out = json_integer(v);
    } else {
        double d = strtod(text, NULL);

        range = isinf(d);
        if (!range)
            *out = json_real(d);
    }
    if (text != buf)
        free(text);
    if (range)
        return fail(r, b, "number %.*s is out of range", (int)(n > 40 ? 40 : n), b);
    return *out ? 0 : nomem(r);
}

static int literal(reader_t *r, const char *word, json_t *(*make)(void), json_t **out)
{
    size_t n = strlen(word);

    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return fail(r, r->p, "unexpected '%.*s'", (int)((size_t)(r->end - r->p) < n ? (size_t)(r->end - r->p) : n), r->p);
    r->p += n;
    if (out && (*out = make()) == NULL)
        return nomem(r);
    return 0;
}

static int value(reader_t *r, json_t **out, bool is_metadata);

static bool is(const char *k, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(k, word, n) == 0;
}

/* One "key": value member of @obj (NULL when skipping). */
static int member(reader_t *r, json_t *obj, bool is_metadata, bool *has_kind)
{
    char small[128], *key = small;
    pos_t at = r->p;
    const char *k;
    size_t n;
    json_t *v = NULL;
    bool skip;
    int rc;

    if (r->p >= r->end || *r->p != '"')
        return fail(r, r->p, r->p < r->end ? "expected a key string" : "unexpected end of input");
    r->p++;
    if ((rc = string(r, &k, &n, obj != NULL)))
        return rc;
    /* The key may live in r->scratch, which the value's strings reuse. */
    if (obj && (key = n < sizeof small ? small : malloc(n + 1)) == NULL)
        return nomem(r);
    if (obj) {
        memcpy(key, k, n);
        key[n] = '\0';
    }
    ws(r);
    if (r->p >= r->end || *r->p != ':') {
        rc = fail(r, r->p, "expected ':' after a key");
        goto out;
    }
    r->p++;
    ws(r);
    skip = (r->flags & DG_JSON_PRUNE_SERVER) &&
           ((is_metadata && is(k, n, "managedFields")) || (*has_kind && is(k, n, "status")));
    if (is(k, n, "kind"))
        *has_kind = true;
    if (obj && !skip && json_object_getn(obj, key, n) != NULL) {
        rc = fail(r, at, "duplicate key \"%.*s\"", (int)utf8_cut(key, n, 60), key);
        goto out;
    }
    rc = value(r, obj && !skip ? &v : NULL, obj && is(key, n, "metadata"));
    if (rc == 0 && v && json_object_setn_new_nocheck(obj, key, n, v) != 0)
        rc = nomem(r);
out:
    if (key != small)
        free(key);
    return rc;
}

static int container(reader_t *r, json_t **out, bool is_object, bool is_metadata)
{
    json_t *c = NULL;
    char close = is_object ? '}' : ']';
    bool has_kind = false;
    int rc = 0;

    if (++r->depth > DG_JSON_MAX_DEPTH)
        return fail(r, r->p, "nested deeper than %d levels", DG_JSON_MAX_DEPTH);
    if (out && (c = is_object ? json_object() : json_array()) == NULL)
        return nomem(r);
    r->p++;
    ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        goto done;
    }
    for (;;) {
        json_t *v = NULL;

        ws(r);
        if (is_object)
            rc = member(r, c, is_metadata, &has_kind);
        else if ((rc = value(r, c ? &v : NULL, false)) == 0 && v && json_array_append_new(c, v))
            rc = nomem(r);
        if (rc)
            break;
        ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            break;
        }
        rc = fail(r, r->p, r->p < r->end ? "expected ',' or '%c'" : "unexpected end of input", close);
        break;
    }
done:
    r->depth--;
    if (rc)
        json_decref(c);
    else if (out)
        *out = c;
    return rc;
}

/* One value at r->p; built into *@out, or only checked when @out is NULL. */
static int value(reader_t *r, json_t **out, bool is_metadata)
{
    const char *s;
    size_t n;
    int rc;

    if (r->p >= r->end)
        return fail(r, r->p, "unexpected end of input");
    if (out && ++r->nodes > DG_JSON_MAX_NODES)
        return fail(r, r->p, "more than %d values", DG_JSON_MAX_NODES);
    switch (*r->p) {
    case '{': return container(r, out, true, is_metadata);
    case '[': return container(r, out, false, false);
    case '"':
        r->p++;
        if ((rc = string(r, &s, &n, out != NULL)))
            return rc;
        if (out && (*out = json_stringn_nocheck(s, n)) == NULL)
            return nomem(r);
        return 0;
    case 't': return literal(r, "true", json_true, out);
    case 'f': return literal(r, "false", json_false, out);
    case 'n': return literal(r, "null", json_null, out);
    default:
        if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))
            return number(r, out);
        return fail(r, r->p, *r->p >= 0x20 && *r->p < 0x7F ? "unexpected '%c'" : "unexpected byte 0x%02X",
                    *r->p);
    }
}

json_t *dg_json_parse(const char *data, size_t len, unsigned flags, const char *name,
                      dg_err_t *err)
{
    reader_t r = {.p = (pos_t)data, .end = (pos_t)data + len, .start = (pos_t)data,
                  .flags = flags, .name = name, .err = err};
    json_t *root = NULL;
    int rc;

    ws(&r);
    rc = value(&r, &root, false);
    ws(&r);
    if (rc == 0 && r.p < r.end) {
        fail(&r, r.p, "unexpected data after the value");
        json_decref(root);
        root = NULL;
    }
    free(r.scratch);
    return rc ? NULL : root;
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
        if (value(r, NULL, false) != 0)
            return false;
        ws(r);
        if (r->p >= r->end || *r->p++ != ',')
            return false;
    }
}

int dg_json_locate(const char *data, size_t len, const char *path, int *line, int *col)
{
    reader_t r = {.p = (pos_t)data, .end = (pos_t)data + len, .start = (pos_t)data};
    pos_t at = r.start;
    bool found = find(&r, path, &at);

    mark(&r, found ? at : r.start, line, col);
    free(r.scratch);
    return found ? 0 : DG_ENOTFOUND;
}
