/* policy/jread.c: the JSON reader. One pass, recursive descent over the
 * bytes into nodes in an arena; plain string runs are found with a table
 * and copied once; a pruned subtree goes through the same grammar with
 * nothing built. Open containers keep their kids on one stack, copied to
 * the arena when they close, so every node is allocated exactly once.
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

typedef const unsigned char *pos_t;

/* Keys of an object with this many members or more are found through the
 * reader's hash rather than by a scan, so a hostile body of 250k keys in
 * one object costs linear time, not quadratic. */
#define DUP_LINEAR 16

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
    char *scratch; /* strings with escapes, decoded */
    size_t cap;
    bool discard;  /* checking a pruned subtree: decode nothing */
    dg_jnode_t *stack; /* kids of the open containers, innermost last (in @arena) */
    size_t top, scap;
    struct dupslot *dups; /* open addressing over large objects' keys */
    size_t dcap, dused;
    uint32_t serial;      /* objects opened so far */
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

static int grow_scratch(reader_t *r, size_t need)
{
    size_t cap = need * 2;
    char *s = realloc(r->scratch, cap);

    if (s == NULL)
        return nomem(r);
    r->scratch = s;
    r->cap = cap;
    return 0;
}

/* Inline: a string full of escapes (kubectl's last-applied annotation is
 * JSON in a string) calls this for every byte. */
static inline int put(reader_t *r, size_t *n, const void *src, size_t len)
{
    if (r->discard)
        return 0;
    if (*n + len + 1 > r->cap && grow_scratch(r, *n + len + 1))
        return DG_ENOMEM;
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

/* A number's value: strtoll/strtod on a NUL-terminated copy, as jansson
 * reads them, so the two readers agree on every value. */
static int number_value(reader_t *r, pos_t b, bool real, dg_jnode_t *out)
{
    char buf[64], *text;
    size_t n = (size_t)(r->p - b);
    bool range;

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

static int literal(reader_t *r, const char *word, dg_jtype_t type, dg_jnode_t *out)
{
    size_t n = strlen(word);

    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return fail(r, r->p, "unexpected '%.*s'", (int)((size_t)(r->end - r->p) < n ? (size_t)(r->end - r->p) : n), r->p);
    r->p += n;
    if (out)
        out->type = type;
    return 0;
}

static int value(reader_t *r, dg_jnode_t *out, bool is_metadata);

static bool is(const char *k, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(k, word, n) == 0;
}

/* ---- the stack of open containers' kids ------------------------------------ */

/* The stack grows in the arena when there is one (the old copy is left
 * there: at most as much again, and no malloc per parse); dg_jread_locate
 * never builds, so never pushes. */
static int push(reader_t *r, const dg_jnode_t *v)
{
    if (r->top == r->scap) {
        size_t cap = r->scap ? r->scap * 2 : 256;
        dg_jnode_t *s = dg_arena_alloc(r->arena, cap * sizeof *s);

        if (s == NULL)
            return nomem(r);
        if (r->top)
            memcpy(s, r->stack, r->top * sizeof *s);
        r->stack = s;
        r->scap = cap;
    }
    r->stack[r->top++] = *v;
    return 0;
}

/* Close the container whose kids are stack[base..top): into the arena. */
static int pop(reader_t *r, size_t base, dg_jnode_t *out)
{
    size_t n = r->top - base;

    out->n = (uint32_t)n;
    out->v.kids = NULL;
    if (n && (out->v.kids = dg_arena_alloc(r->arena, n * sizeof *out->v.kids)) == NULL)
        return nomem(r);
    if (n)
        memcpy(out->v.kids, r->stack + base, n * sizeof *out->v.kids);
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

/* Is @k already a key of the object numbered @serial, whose members are
 * stack[base..top)? Small objects are scanned; once one has DUP_LINEAR
 * members they go into the hash (and each later one as it is pushed).
 * -1 when out of memory. */
static int duplicate(reader_t *r, size_t base, uint32_t serial, const char *k, size_t n)
{
    size_t count = r->top - base;

    if (count < DUP_LINEAR) {
        for (size_t i = base; i < r->top; i++)
            if (r->stack[i].keylen == n && memcmp(r->stack[i].key, k, n) == 0)
                return 1;
        return 0;
    }
    for (size_t i = base; count == DUP_LINEAR && i < r->top; i++)
        if (dup_add(r, serial, i))
            return -1;
    return dup_slot(r, serial, k, n, NULL) ? 1 : 0;
}

/* ---- values ------------------------------------------------------------------- */

/* One "key": value member of the object numbered @serial whose members are
 * stack[base..top); @build false when skipping. */
static int member(reader_t *r, size_t base, uint32_t serial, bool build, bool is_metadata,
                  bool *has_kind)
{
    pos_t at = r->p;
    dg_jnode_t v = {0};
    const char *k;
    size_t n;
    bool skip = false;
    int rc, dup;

    if (r->p >= r->end || *r->p != '"')
        return fail(r, r->p, r->p < r->end ? "expected a key string" : "unexpected end of input");
    r->p++;
    if ((rc = string(r, &k, &n, build)))
        return rc;
    /* The key may live in r->scratch, which the value's strings reuse. */
    if (build) {
        if (n > UINT32_MAX)
            return fail(r, at, "key longer than %u bytes", UINT32_MAX);
        if ((v.key = dg_arena_strndup(r->arena, k, n)) == NULL)
            return nomem(r);
        v.keylen = (uint32_t)n;
        skip = (r->flags & DG_JSON_PRUNE_SERVER) &&
               ((is_metadata && is(k, n, "managedFields")) || (*has_kind && is(k, n, "status")));
        if (is(k, n, "kind"))
            *has_kind = true;
    }
    ws(r);
    if (r->p >= r->end || *r->p != ':')
        return fail(r, r->p, "expected ':' after a key");
    r->p++;
    ws(r);
    if (build && !skip && (dup = duplicate(r, base, serial, v.key, n)) != 0)
        return dup < 0 ? DG_ENOMEM
                       : fail(r, at, "duplicate key \"%.*s\"", (int)utf8_cut(v.key, n, 60), v.key);
    if ((rc = value(r, build && !skip ? &v : NULL, build && is(v.key, n, "metadata"))))
        return rc;
    if (!build || skip)
        return 0;
    if ((rc = push(r, &v)))
        return rc;
    return r->top - base > DUP_LINEAR ? dup_add(r, serial, r->top - 1) : 0;
}

static int container(reader_t *r, dg_jnode_t *out, bool is_object, bool is_metadata)
{
    char close = is_object ? '}' : ']';
    size_t base = r->top;
    uint32_t serial = is_object && out ? ++r->serial : 0;
    bool has_kind = false;
    int rc = 0;

    if (++r->depth > DG_JSON_MAX_DEPTH)
        return fail(r, r->p, "nested deeper than %d levels", DG_JSON_MAX_DEPTH);
    r->p++;
    ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        goto done;
    }
    for (;;) {
        dg_jnode_t v = {0};

        ws(r);
        if (is_object)
            rc = member(r, base, serial, out != NULL, is_metadata, &has_kind);
        else if ((rc = value(r, out ? &v : NULL, false)) == 0 && out)
            rc = push(r, &v);
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
    if (rc == 0 && out) {
        out->type = is_object ? DG_JOBJECT : DG_JARRAY;
        rc = pop(r, base, out);
    }
    return rc;
}

static int string_value(reader_t *r, dg_jnode_t *out)
{
    pos_t at = r->p;
    const char *s;
    size_t n;
    int rc;

    r->p++;
    if ((rc = string(r, &s, &n, out != NULL)) || out == NULL)
        return rc;
    if (n > UINT32_MAX)
        return fail(r, at, "string longer than %u bytes", UINT32_MAX);
    out->type = DG_JSTRING;
    out->n = (uint32_t)n;
    if ((out->v.s = dg_arena_strndup(r->arena, s, n)) == NULL)
        return nomem(r);
    return 0;
}

/* One value at r->p; built into *@out, or only checked when @out is NULL. */
static int value(reader_t *r, dg_jnode_t *out, bool is_metadata)
{
    if (r->p >= r->end)
        return fail(r, r->p, "unexpected end of input");
    if (out && ++r->nodes > DG_JSON_MAX_NODES)
        return fail(r, r->p, "more than %d values", DG_JSON_MAX_NODES);
    switch (*r->p) {
    case '{': return container(r, out, true, is_metadata);
    case '[': return container(r, out, false, false);
    case '"': return string_value(r, out);
    case 't': return literal(r, "true", DG_JTRUE, out);
    case 'f': return literal(r, "false", DG_JFALSE, out);
    case 'n': return literal(r, "null", DG_JNULL, out);
    default:
        if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))
            return number(r, out);
        return fail(r, r->p, *r->p >= 0x20 && *r->p < 0x7F ? "unexpected '%c'" : "unexpected byte 0x%02X",
                    *r->p);
    }
}

static void reader_free(reader_t *r)
{
    free(r->scratch);
    free(r->dups);
}

const dg_jnode_t *dg_jread_parse(dg_arena_t *a, const char *data, size_t len, unsigned flags,
                                 const char *name, dg_err_t *err)
{
    reader_t r = {.p = (pos_t)data, .end = (pos_t)data + len, .start = (pos_t)data,
                  .flags = flags, .name = name, .err = err, .arena = a};
    dg_jnode_t *root = dg_arena_alloc(a, sizeof *root);
    int rc;

    if (root == NULL)
        return nomem(&r), NULL;
    *root = (dg_jnode_t){0};
    ws(&r);
    rc = value(&r, root, false);
    ws(&r);
    if (rc == 0 && r.p < r.end)
        rc = fail(&r, r.p, "unexpected data after the value");
    reader_free(&r);
    return rc ? NULL : root;
}

/* ---- reading nodes ------------------------------------------------------------ */

const dg_jnode_t *dg_jread_get(const dg_jnode_t *obj, const char *key)
{
    size_t n;

    if (obj == NULL || obj->type != DG_JOBJECT)
        return NULL;
    n = strlen(key);
    for (uint32_t i = 0; i < obj->n; i++)
        if (obj->v.kids[i].keylen == n && memcmp(obj->v.kids[i].key, key, n) == 0)
            return &obj->v.kids[i];
    return NULL;
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
        if (value(r, NULL, false) != 0)
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
