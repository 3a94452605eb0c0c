/* tests/unit/policy/test_jread.c: the arena JSON reader's nodes. Shapes and
 * values as read (jansson is the oracle for whole trees in test_json.c,
 * whose dg_json_parse() reads through here), the limits and malformed
 * input refused with a place, duplicate keys in objects large enough to go
 * through the hash, and one arena reused across parses, failed ones too.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jread.h"
#include "support.h"

static const dg_jnode_t *parse(dg_arena_t *a, const char *text, unsigned flags, dg_err_t *err)
{
    return dg_jread_parse(a, text, strlen(text), flags, "t", err);
}

START_TEST(test_shapes)
{
    static const char in[] =
        "{\"s\":\"a\\u00e9\\n\",\"i\":-12,\"r\":2.5,\"t\":true,\"f\":false,\"z\":null,"
        "\"a\":[1,\"x\",[]],\"o\":{}}";
    dg_arena_t a;
    dg_err_t err = {0};
    const dg_jnode_t *root, *v;

    dg_arena_init(&a, 0);
    root = parse(&a, in, 0, &err);
    ck_assert_msg(root != NULL, "%s", err.msg);
    ck_assert_int_eq(root->type, DG_JOBJECT);
    ck_assert_uint_eq(root->n, 8);
    ck_assert_str_eq(root->v.kids[0].key, "s"); /* document order */
    ck_assert_str_eq(root->v.kids[7].key, "o");
    v = dg_jread_get(root, "s");
    ck_assert_int_eq(v->type, DG_JSTRING);
    ck_assert_str_eq(v->v.s, "a\xc3\xa9\n");
    ck_assert_uint_eq(v->n, 4);
    ck_assert_int_eq(dg_jread_get(root, "i")->v.i, -12);
    ck_assert(dg_jread_get(root, "r")->v.d == 2.5);
    ck_assert_int_eq(dg_jread_get(root, "t")->type, DG_JTRUE);
    ck_assert_int_eq(dg_jread_get(root, "f")->type, DG_JFALSE);
    ck_assert_int_eq(dg_jread_get(root, "z")->type, DG_JNULL);
    v = dg_jread_get(root, "a");
    ck_assert_uint_eq(v->n, 3);
    ck_assert_str_eq(v->v.kids[1].v.s, "x");
    ck_assert_ptr_null(v->v.kids[1].key);
    ck_assert_uint_eq(v->v.kids[2].n, 0);
    ck_assert_str_eq(dg_jread_type_name(dg_jread_get(root, "o")), "an object");
    ck_assert_ptr_null(dg_jread_get(root, "missing"));
    ck_assert_ptr_null(dg_jread_get(v, "x")); /* not an object */
    ck_assert_ptr_null(dg_jread_get(NULL, "x"));
    dg_arena_free(&a);
}
END_TEST

static const struct {
    const char *in;
    const char *msg; /* part of the message */
    int line, col;
} bad[] = {
    {"", "unexpected end of input", 1, 1},
    {"{\"a\":1,}", "expected a key string", 1, 8},
    {"{\"a\" 1}", "expected ':' after a key", 1, 6},
    {"[1 2]", "expected ',' or ']'", 1, 4},
    {"\"abc", "unterminated string", 1, 1},
    {"\"\\x\"", "invalid escape '\\x'", 1, 2},
    {"\"\\ud800\"", "without its pair", 1, 2},
    {"\"\xff\"", "invalid UTF-8", 1, 2},
    {"01", "unexpected data after the value", 1, 2},
    {"1e999", "out of range", 1, 1},
    {"nul", "unexpected 'nul'", 1, 1},
    {"{\"a\":1}\n x", "unexpected data after the value", 2, 2},
    {"{\"a\":1,\"a\":2}", "duplicate key \"a\"", 1, 8},
    {"{\"kind\":\"X\",\"status\":[1,}", "unexpected '}'", 1, 25}, /* pruned, still checked */
};

/* Every malformed input refused with its place; the same arena, reset
 * between them, then reads a good document. */
START_TEST(test_bad)
{
    dg_arena_t a;

    dg_arena_init(&a, 256);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dg_err_t err = {0};

        ck_assert_msg(parse(&a, bad[i].in, DG_JSON_PRUNE_SERVER, &err) == NULL, "case %zu", i);
        ck_assert_int_eq(err.code, DG_EPARSE);
        ck_assert_msg(strstr(err.msg, bad[i].msg) != NULL, "case %zu: %s", i, err.msg);
        ck_assert_msg(err.line == bad[i].line && err.col == bad[i].col, "case %zu: at %d:%d", i,
                      err.line, err.col);
        dg_arena_reset(&a);
    }
    ck_assert_ptr_nonnull(parse(&a, "{\"ok\":[1]}", 0, NULL));
    dg_arena_free(&a);
}
END_TEST

enum wrap { PLAIN, SIBLINGS, NESTED };

/* An object of @n keys "k0".."k<n-1>", then "k<dup>" again when @dup >= 0;
 * alone, beside copies of itself (also as a member named like one of its
 * keys), or inside another object. */
static char *keys(int n, int dup, enum wrap w)
{
    size_t cap = (size_t)n * 16 + 64;
    char *o = malloc(cap), *out = malloc(4 * cap + 64), *p = o;

    p += sprintf(p, "{");
    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s\"k%d\":%d", i ? "," : "", i, i);
    if (dup >= 0)
        p += sprintf(p, ",\"k%d\":0", dup);
    sprintf(p, "}");
    if (w == SIBLINGS)
        sprintf(out, "[%s,%s,{\"x\":%s,\"k1\":%s}]", o, o, o, o);
    else if (w == NESTED)
        sprintf(out, "{\"outer\":1,\"in\":%s}", o);
    else
        strcpy(out, o);
    free(o);
    return out;
}

static const struct {
    int n, dup;
    enum wrap wrap;
    bool ok;
} dups[] = {
    {15, 0, PLAIN, false},   /* found by the scan */
    {16, 0, PLAIN, false},   /* the first key found through the hash */
    {17, 16, PLAIN, false},  /* a key hashed as it was pushed */
    {5000, 0, PLAIN, false}, /* after the hash grew */
    {5000, 4999, PLAIN, false},
    {5000, -1, PLAIN, true},
    {100, -1, SIBLINGS, true}, /* the same keys elsewhere are no duplicates */
    {100, 7, NESTED, false},
};

START_TEST(test_duplicates)
{
    char *in = keys(dups[_i].n, dups[_i].dup, dups[_i].wrap);
    dg_arena_t a;
    dg_err_t err = {0};
    const dg_jnode_t *root;

    dg_arena_init(&a, 0);
    root = parse(&a, in, 0, &err);
    if (dups[_i].ok) {
        ck_assert_msg(root != NULL, "case %d: %s", _i, err.msg);
    } else {
        ck_assert_msg(root == NULL, "case %d: duplicate not found", _i);
        ck_assert_msg(strstr(err.msg, "duplicate key") != NULL, "case %d: %s", _i, err.msg);
    }
    dg_arena_free(&a);
    free(in);
}
END_TEST

START_TEST(test_limits)
{
    size_t n = DG_JSON_MAX_DEPTH;
    char *deep = malloc(2 * n + 3);
    dg_arena_t a;
    dg_err_t err = {0};

    dg_arena_init(&a, 0);
    memset(deep, '[', n + 1);
    memset(deep + n + 1, ']', n + 1);
    ck_assert_ptr_null(dg_jread_parse(&a, deep, 2 * n + 2, 0, "deep", &err));
    ck_assert_msg(strstr(err.msg, "nested deeper than 400 levels") != NULL, "%s", err.msg);
    dg_arena_reset(&a);
    ck_assert_ptr_nonnull(dg_jread_parse(&a, deep + 1, 2 * n, 0, "deep", NULL));
    dg_arena_free(&a);
    free(deep);
}
END_TEST

/* A member's count is read in one step when it can be (at most 18 digits,
 * then a delimiter), else by the general path: the same values, the same
 * refusals, either way. */
START_TEST(test_member_ints)
{
    static const struct {
        const char *in;
        long long want; /* when read */
        const char *err; /* when refused */
    } cases[] = {
        {"{\"a\":7}", 7, NULL},
        {"{\"a\":123456789012345678}", 123456789012345678LL, NULL},
        {"{\"a\":1234567890123456789,\"b\":1}", 1234567890123456789LL, NULL},
        {"{\"a\":9223372036854775807}", 9223372036854775807LL, NULL},
        {"{\"a\":12 }", 12, NULL},
        {"{\"a\":0}", 0, NULL},
        {"{\"a\":[3,4]}", 0, NULL},
        {"{\"a\":9223372036854775808}", 0, "not JSON: number 9223372036854775808 is out of range"},
        {"{\"a\":10]", 0, "not JSON: expected ',' or '}'"},
        {"{\"a\":01}", 0, "not JSON: expected ',' or '}'"},
        {"{\"a\":1", 0, "not JSON: unexpected end of input"},
    };
    dg_arena_t a;

    dg_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dg_err_t err = {0};
        const dg_jnode_t *root = parse(&a, cases[i].in, 0, &err), *v;

        if (cases[i].err) {
            ck_assert_msg(root == NULL, "case %zu read", i);
            ck_assert_str_eq(err.msg, cases[i].err);
            continue;
        }
        ck_assert_msg(root != NULL, "case %zu: %s", i, err.msg);
        v = dg_jread_get(root, "a");
        if (v->type == DG_JARRAY) {
            v = &v->v.kids[0];
            ck_assert_int_eq(v->v.i, 3);
        } else {
            ck_assert_int_eq(v->v.i, cases[i].want);
        }
        ck_assert_int_eq(v->type, DG_JINT);
    }
    dg_arena_free(&a);
}
END_TEST

/* A review's request loses requestKind, requestResource,
 * requestSubResource and options, only with DG_JSON_PRUNE_REVIEW and only
 * in the top-level "request"; everything else is built. */
START_TEST(test_prune_review)
{
    static const char in[] =
        "{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\",\"requestKind\":{\"a\":1},"
        "\"requestResource\":{},\"requestSubResource\":\"s\",\"options\":{\"x\":[1]},"
        "\"kind\":{\"kind\":\"K\",\"options\":1},\"object\":{\"request\":{\"options\":2}}},"
        "\"options\":3}";
    static const unsigned flags[] = {0, DG_JSON_PRUNE_SERVER, DG_JSON_PRUNE_REVIEW,
                                     DG_JSON_PRUNE_SERVER | DG_JSON_PRUNE_REVIEW};
    dg_arena_t a;

    dg_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        const dg_jnode_t *root = parse(&a, in, flags[i], NULL), *req;
        bool pruned = flags[i] & DG_JSON_PRUNE_REVIEW;

        ck_assert_ptr_nonnull(root);
        req = dg_jread_get(root, "request");
        ck_assert_uint_eq(req->n, pruned ? 3 : 7);
        ck_assert_int_eq(dg_jread_get(root, "options")->v.i, 3);
        ck_assert_int_eq(dg_jread_get(dg_jread_get(req, "kind"), "options")->v.i, 1);
        ck_assert_int_eq(
            dg_jread_get(dg_jread_get(dg_jread_get(req, "object"), "request"), "options")->v.i, 2);
        ck_assert(!pruned || dg_jread_get(req, "requestKind") == NULL);
        ck_assert(pruned || dg_jread_get(req, "requestSubResource") != NULL);
    }
    /* A request that is not the root's, or a root that is an array. */
    ck_assert_uint_eq(parse(&a, "[{\"request\":{\"options\":1}}]", DG_JSON_PRUNE_REVIEW, NULL)
                          ->v.kids[0].v.kids[0].n,
                      1);
    dg_arena_free(&a);
}
END_TEST

/* What is pruned, from a review's request or by the server's rules, is
 * refused as it was when it was built: the same message at the same place,
 * and a pruned key given twice is a duplicate (two readers of one review
 * must never disagree on which of two values counts). */
START_TEST(test_prune_review_bad)
{
    static const char *const cases[] = {
        "{\"request\":{\"options\":{\"a\":}}}",
        "{\"request\":{\"options\":{\"a\":tru}}}",
        "{\"request\":{\"requestKind\":\"\\x\"}}",
        "{\"request\":{\"requestResource\":\"\xC0\xAF\"}}",
        "{\"request\":{\"requestSubResource\":[1,]}}",
        "{\"request\":{\"options\":{},\"options\":{}}}",
        "{\"request\":{\"uid\":\"u\",\"requestKind\":1,\"options\":2,\"requestKind\":3}}",
        "{\"request\":{\"requestSubResource\":1,\"requestSubResource\":1}}",
        "{\"request\":{\"options\":{\"a\":1,\"a\":2}}}",
        "{\"request\":{\"options\":1",
        "{\"kind\":\"X\",\"status\":1,\"status\":2}",
        "{\"kind\":\"X\",\"status\":{},\"spec\":1,\"status\":{\"a\":1}}",
        "{\"metadata\":{\"managedFields\":[],\"name\":\"n\",\"managedFields\":[]}}",
    };
    const unsigned both = DG_JSON_PRUNE_SERVER | DG_JSON_PRUNE_REVIEW;
    dg_arena_t a;

    dg_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        dg_err_t whole = {0}, pruned = {0};

        ck_assert_msg(parse(&a, cases[i], 0, &whole) == NULL, "case %zu read whole", i);
        if (strstr(whole.msg, "duplicate key \"a\"")) {
            /* Keys inside what is pruned are never compared (as in
             * managedFields): nothing reads them. */
            ck_assert_ptr_nonnull(parse(&a, cases[i], both, &pruned));
            continue;
        }
        ck_assert_msg(parse(&a, cases[i], both, &pruned) == NULL, "case %zu", i);
        ck_assert_str_eq(pruned.msg, whole.msg);
        ck_assert_int_eq(pruned.line, whole.line);
        ck_assert_int_eq(pruned.col, whole.col);
    }
    dg_arena_free(&a);
}
END_TEST

/* Managed fields and a kind's status are not built, but counted nowhere
 * and checked all the same (test_bad); what is kept is intact. */
START_TEST(test_prune)
{
    static const char in[] = "{\"kind\":\"X\",\"metadata\":{\"name\":\"n\",\"managedFields\":[{}]},"
                             "\"status\":{\"a\":1},\"spec\":{\"status\":2}}";
    dg_arena_t a;
    const dg_jnode_t *root, *meta;

    dg_arena_init(&a, 0);
    root = parse(&a, in, DG_JSON_PRUNE_SERVER, NULL);
    ck_assert_ptr_nonnull(root);
    ck_assert_uint_eq(root->n, 3);
    ck_assert_ptr_null(dg_jread_get(root, "status"));
    meta = dg_jread_get(root, "metadata");
    ck_assert_uint_eq(meta->n, 1);
    ck_assert_int_eq(dg_jread_get(dg_jread_get(root, "spec"), "status")->v.i, 2);
    dg_arena_free(&a);
}
END_TEST

/* A review's objects read as a want says: {spec: {a, b: whole}} below the
 * root, which names kind and metadata whole. */
static dg_jwant_t want_spec_kids[] = {{.name = "a", .namelen = 1, .whole = true},
                                      {.name = "b", .namelen = 1, .whole = true}};
static dg_jwant_t want_root_kids[] = {
    {.name = "kind", .namelen = 4, .whole = true},
    {.name = "metadata", .namelen = 8, .whole = true},
    {.name = "spec", .namelen = 4, .n = 2, .kids = want_spec_kids},
};
static const dg_jwant_t want_root = {.n = 3, .kids = want_root_kids};

/* The resource each pick() was given: only request.resource, once. */
static int picks;

static const dg_jwant_t *pick_root(void *ctx, const dg_jnode_t *resource)
{
    (void)ctx;
    picks++;
    ck_assert_int_eq(resource->type, DG_JOBJECT);
    ck_assert_str_eq(dg_jread_get(resource, "resource")->v.s, "things");
    return &want_root;
}

static const dg_jnode_t *parse_want(dg_arena_t *a, const char *text, dg_err_t *err)
{
    return dg_jread_parse_review(a, text, strlen(text),
                                 DG_JSON_PRUNE_SERVER | DG_JSON_PRUNE_REVIEW, pick_root, NULL,
                                 "t", err);
}

START_TEST(test_want)
{
    static const char in[] =
        "{\"request\":{\"uid\":\"u\",\"resource\":{\"resource\":\"things\"},"
        "\"object\":{\"kind\":\"T\",\"metadata\":{\"name\":\"n\",\"x\":[1]},"
        "\"spec\":{\"a\":{\"deep\":[1,{\"z\":2}]},\"c\":{\"big\":\"skipped\"},\"b\":3},"
        "\"data\":{\"k\":\"v\"}},"
        "\"oldObject\":{\"kind\":\"T\",\"spec\":[\"a list\"],\"data\":1}}}";
    dg_arena_t a;
    const dg_jnode_t *req, *obj, *old, *spec;

    dg_arena_init(&a, 0);
    picks = 0;
    req = dg_jread_get(parse_want(&a, in, NULL), "request");
    ck_assert_ptr_nonnull(req);
    ck_assert_int_eq(picks, 1);
    obj = dg_jread_get(req, "object");
    ck_assert_uint_eq(obj->n, 3); /* data skipped */
    ck_assert_ptr_null(dg_jread_get(obj, "data"));
    ck_assert_uint_eq(dg_jread_get(obj, "metadata")->n, 2); /* whole */
    spec = dg_jread_get(obj, "spec");
    ck_assert_uint_eq(spec->n, 2); /* a and b, in order; c skipped */
    ck_assert_str_eq(spec->v.kids[0].key, "a");
    ck_assert_str_eq(spec->v.kids[1].key, "b");
    ck_assert_int_eq(spec->v.kids[1].v.i, 3);
    ck_assert_uint_eq(dg_jread_get(dg_jread_get(spec, "a"), "deep")->n, 2); /* whole below */
    /* Where members are wanted and the value is no object: whole. */
    old = dg_jread_get(req, "oldObject");
    ck_assert_uint_eq(old->n, 2);
    ck_assert_str_eq(dg_jread_get(old, "spec")->v.kids[0].v.s, "a list");
    dg_arena_free(&a);
}
END_TEST

/* Objects before request.resource (no API server writes them so) are read
 * whole; a skipped member is still checked, and still a key. */
START_TEST(test_want_order_and_checks)
{
    static const char early[] = "{\"request\":{\"object\":{\"data\":{\"k\":1}},"
                                "\"resource\":{\"resource\":\"things\"},"
                                "\"oldObject\":{\"data\":{\"k\":1}}}}";
    static const char *const wrong[] = {
        "{\"request\":{\"resource\":{\"resource\":\"things\"},\"object\":{\"data\":[1,]}}}",
        "{\"request\":{\"resource\":{\"resource\":\"things\"},\"object\":{\"data\":\"\xC0\xAF\"}}}",
        "{\"request\":{\"resource\":{\"resource\":\"things\"},"
        "\"object\":{\"data\":1,\"spec\":{},\"data\":2}}}",
        "{\"request\":{\"resource\":{\"resource\":\"things\"},"
        "\"object\":{\"spec\":{\"c\":1,\"c\":1}}}}",
    };
    dg_arena_t a;
    const dg_jnode_t *req;

    dg_arena_init(&a, 0);
    picks = 0;
    req = dg_jread_get(parse_want(&a, early, NULL), "request");
    ck_assert_int_eq(picks, 1);
    ck_assert_ptr_nonnull(dg_jread_get(dg_jread_get(req, "object"), "data"));
    ck_assert_ptr_null(dg_jread_get(dg_jread_get(req, "oldObject"), "data"));
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        dg_err_t whole = {0}, pruned = {0};

        ck_assert_ptr_null(parse(&a, wrong[i], 0, &whole));
        ck_assert_msg(parse_want(&a, wrong[i], &pruned) == NULL, "case %zu accepted", i);
        ck_assert_str_eq(pruned.msg, whole.msg);
        ck_assert_int_eq(pruned.col, whole.col);
    }
    dg_arena_free(&a);
}
END_TEST

/* @text parsed from a buffer of exactly its length (so that ASan sees a
 * read past the end), @flags as given. */
static const dg_jnode_t *parse_exact(dg_arena_t *a, const char *text, size_t len, unsigned flags,
                                     dg_err_t *err, char **keep)
{
    char *buf = malloc(len ? len : 1);

    memcpy(buf, text, len);
    *keep = buf;
    return dg_jread_parse(a, buf, len, flags, "t", err);
}

/* Strings and keys of every length around the 16-byte blocks the reader
 * scans them in, with the closing quote at a block's edge, right at the end
 * of the input, and short of a block's worth of input left; built and in
 * a pruned subtree. */
START_TEST(test_string_blocks)
{
    dg_arena_t a;

    dg_arena_init(&a, 0);
    for (int len = 0; len <= 70; len++) {
        char str[80], doc[512], *buf;
        const dg_jnode_t *root, *v;
        dg_err_t err = {0};
        int n;

        for (int i = 0; i < len; i++)
            str[i] = (char)('a' + i % 26);
        str[len] = '\0';
        /* The string alone: its quote is the input's last byte. */
        n = snprintf(doc, sizeof doc, "\"%s\"", str);
        root = parse_exact(&a, doc, (size_t)n, 0, &err, &buf);
        ck_assert_msg(root != NULL, "len %d: %s", len, err.msg);
        ck_assert_uint_eq(root->n, (unsigned)len);
        ck_assert_str_eq(root->v.s, str);
        free(buf);
        /* As a key and a value, then skipped in a pruned status. */
        n = snprintf(doc, sizeof doc, "{\"kind\":\"K\",\"%s\":\"%s\",\"status\":{\"%s\":\"%s\"}}", str,
                     str, str, str);
        root = parse_exact(&a, doc, (size_t)n, DG_JSON_PRUNE_SERVER, &err, &buf);
        ck_assert_msg(root != NULL, "len %d: %s", len, err.msg);
        ck_assert_uint_eq(root->n, 2);
        v = &root->v.kids[1];
        ck_assert_uint_eq(v->keylen, (unsigned)len);
        ck_assert_str_eq(v->key, str);
        ck_assert_uint_eq(v->n, (unsigned)len);
        ck_assert_str_eq(v->v.s, str);
        free(buf);
        dg_arena_reset(&a);
    }
    dg_arena_free(&a);
}
END_TEST

static const struct {
    int pad;          /* plain bytes before the problem */
    const char *bad;  /* then these, then '"' */
    int at;           /* the problem's byte in @bad */
    const char *msg;
} edge[] = {
    {15, "\x01", 0, "control character 0x01"},        /* last byte of the first block */
    {16, "\x1f", 0, "control character 0x1F"},        /* first byte of the second */
    {14, "\x7f\x01", 1, "control character 0x01"},    /* DEL is plain in JSON */
    {14, "\xc3", 0, "invalid UTF-8"},                 /* a lead byte, then the quote */
    {15, "\xe2\x82", 0, "invalid UTF-8"},             /* straddling the block's edge */
    {15, "\xf0\x9f\x98", 0, "invalid UTF-8"},         /* one byte short, across the edge */
    {31, "\xed\xa0\x80", 0, "invalid UTF-8"},         /* a surrogate */
    {15, "\\q", 0, "invalid escape '\\q'"},
    {16, "\\u12", 0, "invalid \\u escape"},
};

/* A problem in a string at each place in and around a block is found at
 * its column, in a built value and in a skipped one. */
START_TEST(test_string_edges)
{
    dg_arena_t a;

    dg_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        for (int pruned = 0; pruned < 2; pruned++) {
            char doc[256], *buf;
            dg_err_t err = {0};
            const char *lead = pruned ? "{\"kind\":\"K\",\"status\":\"" : "{\"kind\":\"K\",\"spec\":\"";
            int n = snprintf(doc, sizeof doc, "%s%.*s%s\"}", lead, edge[i].pad,
                             "................................................", edge[i].bad);
            int col = (int)strlen(lead) + edge[i].pad + edge[i].at + 1;

            ck_assert_ptr_null(parse_exact(&a, doc, (size_t)n, DG_JSON_PRUNE_SERVER, &err, &buf));
            ck_assert_msg(strstr(err.msg, edge[i].msg) != NULL, "case %zu/%d: %s", i, pruned, err.msg);
            if (edge[i].bad[0] != '\\')
                ck_assert_msg(err.line == 1 && err.col == col, "case %zu/%d: at %d, not %d", i, pruned,
                              err.col, col);
            free(buf);
            dg_arena_reset(&a);
        }
    }
    dg_arena_free(&a);
}
END_TEST

/* Long strings, scanned 64 bytes a step once past their first 48: the
 * end, or a problem, at every place of the first few blocks, in a value
 * built and in one skipped, the input ending right after (ASan sees a read
 * past it). */
START_TEST(test_long_strings)
{
    static const struct {
        const char *bad, *msg;
    } kinds[] = {{"", NULL}, {"\x01", "control character 0x01"}, {"\\q", "invalid escape"},
                 {"\xc3", "invalid UTF-8"}, {"\xc3\xa9", NULL}, {"\\n", NULL}};
    dg_arena_t a;

    dg_arena_init(&a, 0);
    for (int pad = 40; pad <= 300; pad++) {
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            for (int pruned = 0; pruned < 2; pruned++) {
                const char *lead = pruned ? "{\"kind\":\"K\",\"status\":\"" : "{\"kind\":\"K\",\"spec\":\"";
                char doc[512], *buf;
                dg_err_t err = {0};
                const dg_jnode_t *root;
                int n = snprintf(doc, sizeof doc, "%s%*s%s\"}", lead, pad, "", kinds[k].bad);

                for (int i = 0; i < pad; i++)
                    doc[strlen(lead) + (size_t)i] = (char)('a' + i % 26);
                root = parse_exact(&a, doc, (size_t)n, DG_JSON_PRUNE_SERVER, &err, &buf);
                if (kinds[k].msg) {
                    ck_assert_msg(root == NULL, "pad %d kind %zu/%d accepted", pad, k, pruned);
                    ck_assert_msg(strstr(err.msg, kinds[k].msg) != NULL, "pad %d: %s", pad, err.msg);
                    ck_assert_int_eq(err.col, (int)strlen(lead) + pad + 1);
                } else {
                    ck_assert_msg(root != NULL, "pad %d kind %zu/%d: %s", pad, k, pruned, err.msg);
                    ck_assert_uint_eq(root->n, pruned ? 1 : 2);
                    if (!pruned)
                        ck_assert_uint_eq(root->v.kids[1].n,
                                          (unsigned)pad + (k == 4 ? 2 : k == 5 ? 1 : 0));
                }
                free(buf);
                dg_arena_reset(&a);
            }
        }
    }
    dg_arena_free(&a);
}
END_TEST

static const struct {
    const char *in;
    int ok;
    long long i;
} ints[] = {
    {"0", 1, 0},
    {"-0", 1, 0},
    {"7", 1, 7},
    {"123456789012345678", 1, 123456789012345678LL},   /* 18 digits: read directly */
    {"-123456789012345678", 1, -123456789012345678LL},
    {"1234567890123456789", 1, 1234567890123456789LL}, /* 19: through strtoll */
    {"9223372036854775807", 1, 9223372036854775807LL},
    {"-9223372036854775808", 1, -9223372036854775807LL - 1},
    {"9223372036854775808", 0, 0},
    {"-9223372036854775809", 0, 0},
    {"00012", 0, 0},
};

/* Integers, each the last bytes of the input, agree with strtoll: the
 * short ones are summed directly, overflow is refused. */
START_TEST(test_integers)
{
    dg_arena_t a;

    dg_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        char *buf;
        dg_err_t err = {0};
        const dg_jnode_t *v = parse_exact(&a, ints[i].in, strlen(ints[i].in), 0, &err, &buf);

        if (ints[i].ok) {
            ck_assert_msg(v != NULL, "%s: %s", ints[i].in, err.msg);
            ck_assert_int_eq(v->type, DG_JINT);
            ck_assert_msg(v->v.i == ints[i].i, "%s read as %lld", ints[i].in, v->v.i);
        } else {
            ck_assert_msg(v == NULL, "%s read", ints[i].in);
        }
        free(buf);
        dg_arena_reset(&a);
    }
    ck_assert_ptr_null(parse(&a, "[1,99999999999999999999]", 0, NULL));
    ck_assert_ptr_nonnull(parse(&a, "[1,2.5e3,-0.0]", 0, NULL));
    dg_arena_free(&a);
}
END_TEST

/* Keys that share a bit of the small objects' filter ("ab", "ba": same
 * length, the same bytes at the places hashed) are told apart by the scan;
 * a key with escapes is compared decoded. */
START_TEST(test_key_filter)
{
    dg_arena_t a;
    dg_err_t err = {0};
    const dg_jnode_t *root;

    dg_arena_init(&a, 0);
    root = parse(&a, "{\"ab\":1,\"ba\":2,\"\":3,\"a\":4}", 0, &err);
    ck_assert_msg(root != NULL, "%s", err.msg);
    ck_assert_uint_eq(root->n, 4);
    ck_assert_ptr_null(parse(&a, "{\"ab\":1,\"ba\":2,\"a\\u0062\":3}", 0, &err));
    ck_assert_msg(strstr(err.msg, "duplicate key \"ab\"") != NULL, "%s", err.msg);
    ck_assert_ptr_null(parse(&a, "{\"\":1,\"\":2}", 0, NULL));
    dg_arena_free(&a);
}
END_TEST

/* Whitespace everywhere it may be, in built and skipped values alike. */
START_TEST(test_whitespace)
{
    static const char in[] = " {\n\t\"kind\" : \"K\" ,\r\n \"status\" : { \"a\" : [ 1 , { } , [ ] , "
                             "\"x\" , true ] , \"b\" : { \"c\" : null } } , \"spec\" : [ 1 , \"s\" , "
                             "{ \"k\" : false } ] } \n";
    dg_arena_t a;
    const dg_jnode_t *root;
    dg_err_t err = {0};

    dg_arena_init(&a, 0);
    root = parse(&a, in, DG_JSON_PRUNE_SERVER, &err);
    ck_assert_msg(root != NULL, "%s", err.msg);
    ck_assert_uint_eq(root->n, 2);
    ck_assert_uint_eq(dg_jread_get(root, "spec")->n, 3);
    root = parse(&a, in, 0, &err);
    ck_assert_msg(root != NULL, "%s", err.msg);
    ck_assert_uint_eq(dg_jread_get(dg_jread_get(root, "status"), "a")->n, 5);
    dg_arena_free(&a);
}
END_TEST

/* The depth limit holds inside a pruned subtree too. */
START_TEST(test_pruned_depth)
{
    size_t n = DG_JSON_MAX_DEPTH, k = 0;
    char *doc = malloc(2 * n + 64);
    dg_arena_t a;
    dg_err_t err = {0};

    k += (size_t)sprintf(doc, "{\"kind\":\"K\",\"status\":");
    memset(doc + k, '[', n);
    memset(doc + k + n, ']', n);
    strcpy(doc + k + 2 * n, "}");
    dg_arena_init(&a, 0);
    ck_assert_ptr_null(parse(&a, doc, DG_JSON_PRUNE_SERVER, &err));
    ck_assert_msg(strstr(err.msg, "nested deeper than 400 levels") != NULL, "%s", err.msg);
    ck_assert_int_eq(err.col, (int)k + (int)n);
    doc[k] = ' '; /* one level less */
    doc[k + 2 * n - 1] = ' ';
    ck_assert_ptr_nonnull(parse(&a, doc, DG_JSON_PRUNE_SERVER, NULL));
    dg_arena_free(&a);
    free(doc);
}
END_TEST

/* The pruned subtree's "key":{} taken in one step is still an object one
 * level deeper: refused past the depth limit, at its '{'. */
START_TEST(test_pruned_empty_object_depth)
{
    size_t n = DG_JSON_MAX_DEPTH - 2, k;
    char *doc = malloc(2 * n + 64);
    dg_arena_t a;
    dg_err_t err = {0};

    k = (size_t)sprintf(doc, "{\"kind\":\"K\",\"status\":");
    memset(doc + k, '[', n); /* depths 2..399 */
    strcpy(doc + k + n, "{\"a\":{}}");
    memset(doc + k + n + 8, ']', n);
    strcpy(doc + k + 2 * n + 8, "}");
    dg_arena_init(&a, 0);
    ck_assert_ptr_null(parse(&a, doc, DG_JSON_PRUNE_SERVER, &err));
    ck_assert_msg(strstr(err.msg, "nested deeper than 400 levels") != NULL, "%s", err.msg);
    ck_assert_int_eq(err.col, (int)(k + n + 6));
    doc[k] = ' '; /* one level less */
    doc[k + 2 * n + 7] = ' ';
    ck_assert_ptr_nonnull(parse(&a, doc, DG_JSON_PRUNE_SERVER, NULL));
    dg_arena_free(&a);
    free(doc);
}
END_TEST

/* A pruned subtree nested well past 64 levels, objects and arrays
 * alternating (the innermost 64 kinds are kept apart from the rest):
 * read whole, and each wrong closer refused at its place. */
START_TEST(test_pruned_deep_kinds)
{
    enum { LEVELS = 150 };
    char doc[LEVELS * 8 + 64], want[64];
    size_t k, at[LEVELS];
    dg_arena_t a;

    k = (size_t)sprintf(doc, "{\"kind\":\"K\",\"status\":");
    for (int i = 0; i < LEVELS; i++)
        k += (size_t)sprintf(doc + k, i % 3 == 1 ? "[" : "{\"k\":");
    k += (size_t)sprintf(doc + k, "1");
    for (int i = LEVELS - 1; i >= 0; i--) {
        at[i] = k;
        doc[k++] = i % 3 == 1 ? ']' : '}';
    }
    strcpy(doc + k, "}");
    dg_arena_init(&a, 0);
    ck_assert_ptr_nonnull(parse(&a, doc, DG_JSON_PRUNE_SERVER, NULL));
    for (int i = 0; i < LEVELS; i++) {
        dg_err_t err = {0};
        char c = doc[at[i]];

        doc[at[i]] = c == ']' ? '}' : ']';
        ck_assert_ptr_null(parse(&a, doc, DG_JSON_PRUNE_SERVER, &err));
        snprintf(want, sizeof want, "expected ',' or '%c'", c);
        ck_assert_msg(strstr(err.msg, want) != NULL, "%d: %s", i, err.msg);
        ck_assert_int_eq(err.col, (int)at[i] + 1);
        doc[at[i]] = c;
    }
    dg_arena_free(&a);
}
END_TEST

/* Strings full of escapes (JSON in a string, as kubectl's last-applied
 * annotation is), decoded in steps of an escape and the run after it:
 * runs of every length around the 16-byte steps, the string ending right
 * at the end of the input, as a key and as a value, and long enough to
 * outgrow the scratch more than once. */
START_TEST(test_escape_runs)
{
    dg_arena_t a;

    dg_arena_init(&a, 0);
    for (int run = 0; run <= 40; run++) {
        for (int reps = 1; reps <= 200; reps = reps * 3 + 1) {
            size_t cap = (size_t)reps * (size_t)(run + 8) + 64, n = 0, w = 0;
            char *in = malloc(cap), *want = malloc(cap), *doc = malloc(3 * cap + 64), *buf;
            const dg_jnode_t *root;
            dg_err_t err = {0};
            int k;

            for (int i = 0; i < reps; i++) {
                static const char *esc[] = {"\\\"", "\\\\", "\\n", "\\/", "\\u00e9"};
                static const char *dec[] = {"\"", "\\", "\n", "/", "\xc3\xa9"};
                int e = i % 5;

                n += (size_t)sprintf(in + n, "%s", esc[e]);
                w += (size_t)sprintf(want + w, "%s", dec[e]);
                for (int j = 0; j < run; j++)
                    in[n++] = want[w++] = (char)('a' + (i + j) % 26);
            }
            in[n] = want[w] = '\0';
            /* The string alone: its quote is the input's last byte. */
            k = sprintf(doc, "\"%s\"", in);
            root = parse_exact(&a, doc, (size_t)k, 0, &err, &buf);
            ck_assert_msg(root != NULL, "run %d reps %d: %s", run, reps, err.msg);
            ck_assert_uint_eq(root->n, w);
            ck_assert_str_eq(root->v.s, want);
            free(buf);
            /* As a key and its value, and skipped. */
            k = sprintf(doc, "{\"kind\":\"K\",\"%s\":\"%s\",\"status\":[\"%s\"]}", in, in, in);
            root = parse_exact(&a, doc, (size_t)k, DG_JSON_PRUNE_SERVER, &err, &buf);
            ck_assert_msg(root != NULL, "run %d reps %d: %s", run, reps, err.msg);
            ck_assert_uint_eq(root->n, 2);
            ck_assert_str_eq(root->v.kids[1].key, want);
            ck_assert_str_eq(root->v.kids[1].v.s, want);
            free(buf);
            /* An escape left unfinished at the end of the input. */
            k = sprintf(doc, "\"%s\\", in);
            ck_assert_ptr_null(parse_exact(&a, doc, (size_t)k, 0, &err, &buf));
            ck_assert_msg(strstr(err.msg, "unterminated string") != NULL, "%s", err.msg);
            ck_assert_int_eq(err.col, k);
            free(buf);
            dg_arena_reset(&a);
            free(in);
            free(want);
            free(doc);
        }
    }
    dg_arena_free(&a);
}
END_TEST

/* Every byte at every place of the 16-byte steps strings are scanned in:
 * printable ASCII is taken as it is, a control character or a lone byte
 * >= 0x80 refused at its column; built and skipped. */
START_TEST(test_string_bytes)
{
    dg_arena_t a;

    dg_arena_init(&a, 0);
    for (int b = 1; b < 256; b++) {
        if (b == '"' || b == '\\')
            continue;
        for (int at = 0; at < 40; at++) {
            char str[48], doc[160], *buf;
            const dg_jnode_t *root;
            bool plain = b >= 0x20 && b < 0x80;
            int n;

            memset(str, 'x', 40);
            str[40] = '\0';
            str[at] = (char)b;
            for (int skip = 0; skip < 2; skip++) {
                dg_err_t err = {0};

                n = snprintf(doc, sizeof doc, skip ? "{\"kind\":\"K\",\"status\":\"%s\"}" : "{\"k\":\"%s\"}",
                             str);
                root = parse_exact(&a, doc, (size_t)n, DG_JSON_PRUNE_SERVER, &err, &buf);
                if (plain) {
                    ck_assert_msg(root != NULL, "byte 0x%02X at %d: %s", b, at, err.msg);
                    if (!skip)
                        ck_assert_str_eq(root->v.kids[0].v.s, str);
                } else {
                    ck_assert_msg(root == NULL, "byte 0x%02X at %d", b, at);
                    ck_assert_msg(strstr(err.msg, b < 0x20 ? "control character" : "invalid UTF-8"),
                                  "byte 0x%02X at %d: %s", b, at, err.msg);
                    ck_assert_int_eq(err.col, (skip ? 23 : 7) + at);
                }
                free(buf);
                dg_arena_reset(&a);
            }
        }
    }
    dg_arena_free(&a);
}
END_TEST

/* A pruned subtree that starts deep (its limit is nearer than 64 levels
 * below it): "key":{} one level short of the limit is read, at the limit
 * refused at its '{'. */
START_TEST(test_pruned_deep_start)
{
    size_t outer = 350;
    char *doc = malloc(1024);
    dg_arena_t a;

    dg_arena_init(&a, 0);
    for (size_t m = 47; m <= 48; m++) {
        dg_err_t err = {0};
        size_t k = 0, col;

        memset(doc, '[', outer); /* depths 1..350; the object is at 351 */
        k = outer + (size_t)sprintf(doc + outer, "{\"kind\":\"K\",\"status\":");
        memset(doc + k, '[', m);
        k += m;
        col = k + 6; /* the '{' of {} */
        k += (size_t)sprintf(doc + k, "{\"a\":{}}");
        memset(doc + k, ']', m);
        k += m;
        doc[k++] = '}';
        memset(doc + k, ']', outer);
        doc[k + outer] = '\0';
        if (m == 47) {
            ck_assert_msg(parse(&a, doc, DG_JSON_PRUNE_SERVER, &err) != NULL, "%s", err.msg);
        } else {
            ck_assert_ptr_null(parse(&a, doc, DG_JSON_PRUNE_SERVER, &err));
            ck_assert_msg(strstr(err.msg, "nested deeper than 400 levels") != NULL, "%s", err.msg);
            ck_assert_int_eq(err.col, (int)col);
        }
        dg_arena_reset(&a);
    }
    dg_arena_free(&a);
    free(doc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/jread");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_shapes);
    tcase_add_test(tc, test_bad);
    tcase_add_loop_test(tc, test_duplicates, 0, sizeof dups / sizeof dups[0]);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_prune);
    tcase_add_test(tc, test_string_blocks);
    tcase_add_test(tc, test_string_edges);
    tcase_add_test(tc, test_integers);
    tcase_add_test(tc, test_key_filter);
    tcase_add_test(tc, test_whitespace);
    tcase_add_test(tc, test_pruned_depth);
    tcase_add_test(tc, test_pruned_empty_object_depth);
    tcase_add_test(tc, test_pruned_deep_kinds);
    tcase_add_test(tc, test_pruned_deep_start);
    tcase_add_test(tc, test_member_ints);
    tcase_add_test(tc, test_prune_review);
    tcase_add_test(tc, test_prune_review_bad);
    tcase_add_test(tc, test_want);
    tcase_add_test(tc, test_want_order_and_checks);
    tcase_add_test(tc, test_long_strings);
    tcase_add_test(tc, test_escape_runs);
    tcase_add_test(tc, test_string_bytes);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
