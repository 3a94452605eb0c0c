/* fuzz/fuzz_json.c: differential. driftgate's JSON reader and jansson must
 * agree on every input: both refuse it, or both read the same tree. The
 * reader's nodes (policy/jread.c, in one arena reused across inputs as a
 * worker reuses its own) are compared with jansson's tree node by node,
 * and dg_json_parse() (the same reader, converted) must agree too; what
 * policy/jwrite.c writes of the tree is jansson's compact dump. Two
 * differences are by design: nesting past our lower depth limit, and a NUL
 * byte, which jansson takes as the end of its input and we refuse. And the
 * input read pruned, as API objects are (DG_JSON_PRUNE_SERVER) and as
 * reviews are (and DG_JSON_PRUNE_REVIEW): accepted whenever it is read
 * whole, into the whole tree less what each rule drops.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "json.h"
#include "jread.h"
#include "jwrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t max_nesting(const uint8_t *d, size_t n)
{
    size_t depth = 0, max = 0;

    for (size_t i = 0; i < n; i++) {
        if (d[i] == '[' || d[i] == '{')
            max = ++depth > max ? depth : max;
        else if ((d[i] == ']' || d[i] == '}') && depth)
            depth--;
    }
    return max;
}

/* @n (nodes) and @j (jansson) hold the same value, key order aside. */
static bool same(const dg_jnode_t *n, const json_t *j)
{
    switch (n->type) {
    case DG_JNULL: return json_is_null(j);
    case DG_JTRUE: return json_is_true(j);
    case DG_JFALSE: return json_is_false(j);
    case DG_JINT: return json_is_integer(j) && json_integer_value(j) == n->v.i;
    case DG_JREAL: return json_is_real(j) && json_real_value(j) == n->v.d;
    case DG_JSTRING:
        return json_is_string(j) && json_string_length(j) == n->n &&
               memcmp(json_string_value(j), n->v.s, n->n) == 0 && n->v.s[n->n] == '\0';
    case DG_JARRAY:
        if (!json_is_array(j) || json_array_size(j) != n->n)
            return false;
        for (uint32_t i = 0; i < n->n; i++)
            if (!same(&n->v.kids[i], json_array_get(j, i)))
                return false;
        return true;
    case DG_JOBJECT:
        if (!json_is_object(j) || json_object_size(j) != n->n)
            return false;
        for (uint32_t i = 0; i < n->n; i++) {
            json_t *v = json_object_getn(j, n->v.kids[i].key, n->v.kids[i].keylen);

            if (v == NULL || !same(&n->v.kids[i], v))
                return false;
        }
        return true;
    }
    return false;
}

static bool is(const dg_jnode_t *k, const char *name)
{
    return k->keylen == strlen(name) && memcmp(k->key, name, k->keylen) == 0;
}

/* What an object is to the pruning rules. */
enum role { OTHER, ROOT, METADATA, REQUEST };

/* Is member @k of an object of role @role, which has said its kind when
 * @has_kind, pruned? (REQUEST is only given under DG_JSON_PRUNE_REVIEW.) */
static bool pruned_member(const dg_jnode_t *k, enum role role, bool has_kind)
{
    if (role == REQUEST && (is(k, "requestKind") || is(k, "requestResource") ||
                            is(k, "requestSubResource") || is(k, "options")))
        return true;
    return (role == METADATA && is(k, "managedFields")) || (has_kind && is(k, "status"));
}

/* @p (read pruned under @flags) is @w (read whole) without
 * metadata.managedFields, without the status of an object that said its
 * kind before it and, with DG_JSON_PRUNE_REVIEW, without the root's
 * request's requestKind, requestResource, requestSubResource and options. */
static bool same_pruned(const dg_jnode_t *p, const dg_jnode_t *w, enum role role, unsigned flags)
{
    uint32_t i = 0;
    bool has_kind = false;

    if (p->type != w->type || (p->type != DG_JARRAY && p->type != DG_JOBJECT))
        return p->type == w->type && p->n == w->n &&
               (p->type != DG_JSTRING || memcmp(p->v.s, w->v.s, p->n) == 0) &&
               (p->type != DG_JINT || p->v.i == w->v.i) &&
               (p->type != DG_JREAL || p->v.d == w->v.d);
    for (uint32_t j = 0; j < w->n; j++) {
        const dg_jnode_t *k = &w->v.kids[j];
        enum role kr = OTHER;

        if (w->type == DG_JOBJECT && pruned_member(k, role, has_kind))
            continue;
        has_kind |= w->type == DG_JOBJECT && is(k, "kind");
        if (w->type == DG_JOBJECT && is(k, "metadata"))
            kr = METADATA;
        else if (w->type == DG_JOBJECT && role == ROOT && (flags & DG_JSON_PRUNE_REVIEW) &&
                 is(k, "request"))
            kr = REQUEST;
        if (i == p->n || (k->key && (p->v.kids[i].keylen != k->keylen ||
                                     memcmp(p->v.kids[i].key, k->key, k->keylen) != 0)) ||
            !same_pruned(&p->v.kids[i], k, kr, flags))
            return false;
        i++;
    }
    return i == p->n;
}

/* policy/jwrite.c writes what jansson's compact dump writes. */
static bool same_text(const json_t *v)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    dg_buf_t b;
    bool same;

    dg_buf_init(&b, 0);
    same = dg_jwrite_value(&b, v, 0) == 0 && want && strcmp(b.data, want) == 0;
    dg_buf_free(&b);
    free(want);
    return same;
}

/* The prunings documents are read with: API objects, and reviews. */
static const unsigned prunes[] = {DG_JSON_PRUNE_SERVER,
                                  DG_JSON_PRUNE_SERVER | DG_JSON_PRUNE_REVIEW};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dg_arena_t arena = {.first = 4096}, parena = {.first = 4096};
    dg_err_t nerr = {0}, perr = {0};
    const dg_jnode_t *nodes = dg_jread_parse(&arena, (const char *)data, size, 0, "fuzz", &nerr);
    dg_err_t err = {0};
    json_error_t je;
    json_t *ours = dg_json_parse((const char *)data, size, 0, "fuzz", &err);
    json_t *theirs =
        json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);

    if (max_nesting(data, size) < DG_JSON_MAX_DEPTH) {
        if ((ours == NULL) != (theirs == NULL) && !(ours == NULL && memchr(data, 0, size)))
            __builtin_trap();
        if (ours && !json_equal(ours, theirs))
            __builtin_trap();
        if ((nodes == NULL) != (ours == NULL) || (nodes && !same(nodes, theirs)))
            __builtin_trap();
        if (ours && !same_text(ours))
            __builtin_trap();
    }
    if (ours == NULL && (err.code == 0 || err.line < 1 || err.col < 1))
        __builtin_trap();
    if (nodes == NULL && (nerr.code == 0 || nerr.line < 1 || nerr.col < 1))
        __builtin_trap();
    /* Read whole, the input is read pruned too, as other documents and as
     * reviews are, into the same tree less what is pruned. */
    for (size_t i = 0; nodes && i < sizeof prunes / sizeof prunes[0]; i++) {
        const dg_jnode_t *pruned =
            dg_jread_parse(&parena, (const char *)data, size, prunes[i], "fuzz", &perr);

        if (pruned == NULL || !same_pruned(pruned, nodes, ROOT, prunes[i]))
            __builtin_trap();
        dg_arena_reset(&parena);
    }
    dg_arena_reset(&arena);
    dg_arena_reset(&parena);
    json_decref(ours);
    json_decref(theirs);
    return 0;
}
