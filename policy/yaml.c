/* policy/yaml.c: YAML text -> jansson trees via libyaml's event parser.
 * Scalars resolve as sigs.k8s.io/yaml (go-yaml v2, YAML 1.1) resolves them,
 * which is how kubectl and the API server read manifests.
 * SPDX-License-Identifier: Apache-2.0 */
#include "yaml.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* Nesting deeper than this is refused: jansson's dump and copy recurse. */
#define MAX_DEPTH 256
/* Values in one document past this are refused: a Kubernetes object holds
 * at most ~200k (etcd stores 1.5 MiB), and each costs jansson ~100 bytes,
 * so a record or a render built to exhaust memory is an error instead. */
#define MAX_DOC_NODES ((size_t)500000)
/* Aliases are expanded by copy; cap the nodes they may add so a "billion
 * laughs" document is an error, not an out-of-memory kill. */
#define MAX_ALIAS_NODES ((size_t)1 << 20)

/* ---- position map ---------------------------------------------------------- */

typedef struct pos_entry {
    const json_t *node;
    char *key; /* NULL: the position of @node itself */
    int line, col;
} pos_entry_t;

/* A flat array searched linearly: positions are only kept for policy files,
 * which are small, and only looked up to word an error. */
struct dg_posmap {
    pos_entry_t *items;
    size_t n, cap;
};

static int posmap_add(dg_posmap_t *m, const json_t *node, const char *key, int line, int col)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        pos_entry_t *p = realloc(m->items, cap * sizeof *p);

        if (p == NULL)
            return DG_ENOMEM;
        m->items = p;
        m->cap = cap;
    }
    m->items[m->n].node = node;
    m->items[m->n].key = key ? strdup(key) : NULL;
    if (key && m->items[m->n].key == NULL)
        return DG_ENOMEM;
    m->items[m->n].line = line;
    m->items[m->n].col = col;
    m->n++;
    return 0;
}

static void posmap_free(dg_posmap_t *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->items[i].key);
    free(m->items);
    free(m);
}

int dg_posmap_find(const dg_posmap_t *map, const json_t *node, const char *key, int *line,
                   int *col)
{
    *line = *col = 0;
    for (size_t i = 0; map && i < map->n; i++) {
        const pos_entry_t *e = &map->items[i];

        if (e->node != node || (key == NULL) != (e->key == NULL))
            continue;
        if (key && strcmp(key, e->key) != 0)
            continue;
        *line = e->line;
        *col = e->col;
        return 0;
    }
    return DG_ENOTFOUND;
}

/* ---- scalar resolution ------------------------------------------------------ */

static bool is_one_of(const char *s, size_t len, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == len && memcmp(*words, s, len) == 0)
            return true;
    return false;
}

/* Copy @s without '_' (YAML 1.1 digit separators) into @out; false if too long. */
static bool strip_underscores(const char *s, size_t len, char *out, size_t size)
{
    size_t j = 0;

    for (size_t i = 0; i < len; i++) {
        if (s[i] == '_')
            continue;
        if (j + 1 >= size)
            return false;
        out[j++] = s[i];
    }
    out[j] = '\0';
    return j > 0;
}

/* An integer in go-yaml v2's spellings: [-+]decimal, 0x, 0o/0 octal, 0b. */
static json_t *resolve_int(const char *s, size_t len)
{
    char buf[80], *end;
    const char *digits;
    int base = 10, neg = 0;
    unsigned long long u;

    if (!strip_underscores(s, len, buf, sizeof buf))
        return NULL;
    digits = buf;
    if (*digits == '-' || *digits == '+')
        neg = *digits++ == '-';
    if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
        base = 16, digits += 2;
    else if (digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B'))
        base = 2, digits += 2;
    else if (digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O'))
        base = 8, digits += 2;
    else if (digits[0] == '0' && digits[1] != '\0')
        base = 8, digits += 1;
    if (*digits == '\0' || *digits == '-' || *digits == '+')
        return NULL;
    for (const char *p = digits; *p; p++) {
        int v = (*p >= '0' && *p <= '9')   ? *p - '0'
                : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
                : (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10
                                           : 99;
        if (v >= base)
            return NULL;
    }
    errno = 0;
    u = strtoull(digits, &end, base);
    if (errno == ERANGE || u > (unsigned long long)INT64_MAX + (unsigned long long)neg)
        return NULL; /* beyond int64: go-yaml falls back to float */
    if (neg)
        return json_integer(u == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(json_int_t)u);
    return json_integer((json_int_t)u);
}

/* A float: [-+](digits[.digits]|.digits)([eE][-+]digits)?. Infinities and
 * NaN have no JSON form, so they stay strings. */
static json_t *resolve_float(const char *s, size_t len)
{
    char buf[128], *end;
    const char *p;
    bool mant = false;
    double d;

    if (!strip_underscores(s, len, buf, sizeof buf))
        return NULL;
    p = buf;
    if (*p == '-' || *p == '+')
        p++;
    while (*p >= '0' && *p <= '9')
        p++, mant = true;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            mant = true;
    if (!mant)
        return NULL;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '-' || *p == '+')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return NULL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p != '\0')
        return NULL;
    d = strtod(buf, &end);
    if (!isfinite(d))
        return NULL;
    return json_real(d);
}

json_t *dg_yaml_resolve_plain(const char *s, size_t len)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on",
                                        "On",   "ON",   "y",    "Y",   NULL};
    static const char *const falses[] = {"false", "False", "FALSE", "no", "No", "NO", "off",
                                         "Off",   "OFF",   "n",     "N",  NULL};
    json_t *v;

    /* Fast path: most values start with a letter no special word starts with. */
    if (len > 0 && !strchr("~nNtTfFyYoO0123456789-+.", s[0]))
        return json_stringn_nocheck(s, len);
    if (is_one_of(s, len, nulls))
        return json_null();
    if (is_one_of(s, len, trues))
        return json_true();
    if (is_one_of(s, len, falses))
        return json_false();
    if (len > 0 && ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+' || s[0] == '.')) {
        v = resolve_int(s, len);
        if (v == NULL)
            v = resolve_float(s, len);
        if (v)
            return v;
    }
    return json_stringn_nocheck(s, len);
}

/* ---- the event-driven tree builder ----------------------------------------- */

typedef struct frame {
    json_t *node;   /* object or array being filled */
    char *key;      /* object: the key awaiting its value, NULL if none */
    int key_line, key_col;
    char *anchor;   /* the anchor this collection was declared with, or NULL */
    json_t *merges; /* "<<" values, merged at the end: explicit keys win */
    bool is_metadata; /* the value of a "metadata" key */
} frame_t;

typedef struct anchor {
    char *name;
    json_t *node;
} anchor_t;

typedef struct builder {
    const char *name;
    const char *data; /* the input, to place reader errors (libyaml gives an offset) */
    size_t len;
    dg_err_t *err;
    dg_posmap_t *pos; /* NULL: no positions */
    frame_t stack[MAX_DEPTH];
    size_t depth;
    json_t *root;     /* the current document's root, once complete */
    anchor_t *anchors;
    size_t nanchors, cap_anchors;
    size_t alias_nodes;
    size_t nodes;       /* values built in this document */
    bool prune;       /* DG_YAML_PRUNE_SERVER */
    bool cap_values;  /* DG_YAML_CAP_VALUES */
    int skip;         /* pruning: 1 = the next value is dropped, >1 = inside it */
    bool keep_managed;  /* DG_YAML_KEEP_MANAGED */
    bool raw_open;      /* the value being skipped is an object's managedFields */
    dg_yaml_raw_t *raws;
    size_t nraws, cap_raws;
    size_t at_char, at_byte; /* the last mark turned into a byte offset */
    size_t bom;              /* 3 after a UTF-8 byte order mark, else 0 */
    dg_yaml_mark_t *items; /* the current document's "items" positions */
    size_t nitems, cap_items;
} builder_t;

static int fail(builder_t *b, int code, const yaml_mark_t *m, const char *what, const char *arg)
{
    return dg_err_at(b->err, code, b->name, m ? (int)m->line + 1 : 0, m ? (int)m->column + 1 : 0,
                     "%s%s%s%s", what, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
}

static void anchors_clear(builder_t *b)
{
    for (size_t i = 0; i < b->nanchors; i++) {
        free(b->anchors[i].name);
        json_decref(b->anchors[i].node);
    }
    b->nanchors = 0;
}

static int anchor_set(builder_t *b, const char *name, json_t *node)
{
    for (size_t i = 0; i < b->nanchors; i++) {
        if (strcmp(b->anchors[i].name, name) == 0) { /* YAML allows redefinition */
            json_decref(b->anchors[i].node);
            b->anchors[i].node = json_incref(node);
            return 0;
        }
    }
    if (b->nanchors == b->cap_anchors) {
        size_t cap = b->cap_anchors ? b->cap_anchors * 2 : 8;
        anchor_t *p = realloc(b->anchors, cap * sizeof *p);

        if (p == NULL)
            return DG_ENOMEM;
        b->anchors = p;
        b->cap_anchors = cap;
    }
    b->anchors[b->nanchors].name = strdup(name);
    if (b->anchors[b->nanchors].name == NULL)
        return DG_ENOMEM;
    b->anchors[b->nanchors++].node = json_incref(node);
    return 0;
}

static size_t count_nodes(const json_t *v)
{
    size_t n = 1, i;
    const char *k;
    json_t *x;

    if (json_is_object(v))
        json_object_foreach((json_t *)v, k, x) n += count_nodes(x);
    else if (json_is_array(v))
        json_array_foreach(v, i, x) n += count_nodes(x);
    return n;
}

/* "<<: *base" (YAML 1.1 merge keys, which go-yaml honours): copy the keys
 * of @src that @dst does not have yet. */
static int merge_into(builder_t *b, json_t *dst, json_t *src, const yaml_mark_t *m)
{
    const char *k;
    json_t *v;
    size_t i;

    if (json_is_array(src)) {
        json_array_foreach(src, i, v) {
            int rc = merge_into(b, dst, v, m);

            if (rc)
                return rc;
        }
        return 0;
    }
    if (!json_is_object(src))
        return fail(b, DG_EPARSE, m, "merge key '<<' needs a mapping or a list of mappings", NULL);
    json_object_foreach(src, k, v) {
        if (json_object_get(dst, k) == NULL && json_object_set(dst, k, v) != 0)
            return DG_ENOMEM;
    }
    return 0;
}

/* @text is the next key of mapping @f. */
static bool server_owned(const frame_t *f, const char *key)
{
    return (f->is_metadata && strcmp(key, "managedFields") == 0) ||
           (strcmp(key, "status") == 0 && json_object_get(f->node, "kind") != NULL);
}

/* Is @f, the top frame, the metadata of an object: of the document's root,
 * or of an element of the root's "items" (a List's objects)? A pod
 * template's metadata is not. */
static bool object_metadata(const builder_t *b, const frame_t *f)
{
    if (!f->is_metadata)
        return false;
    return b->depth == 2 || (b->depth == 4 && json_is_array(b->stack[1].node) &&
                             b->stack[0].key && strcmp(b->stack[0].key, "items") == 0);
}

/* Are the 32 bytes at @p all ASCII? Four words OR'ed, one test. */
static bool ascii32(const char *p)
{
    uint64_t w[4];

    memcpy(w, p, sizeof w);
    return ((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ULL) == 0;
}

/* libyaml's marks count characters, not bytes: the byte offset of
 * character @index, walking on from the last one asked for (marks only
 * grow), ASCII runs 32 bytes at a time. A UTF-8 byte order mark is not
 * counted. */
static size_t byte_offset(builder_t *b, size_t index)
{
    const char *d = b->data;
    size_t c = b->at_char, i = b->at_byte;

    if (index < c) {
        c = 0;
        i = b->bom;
    }
    while (c < index && i < b->len) {
        while (index - c >= 32 && b->len - i >= 32 && ascii32(d + i)) {
            c += 32;
            i += 32;
        }
        if (c == index)
            break;
        /* One character: its lead byte and its continuation bytes. */
        i++;
        while (i < b->len && ((unsigned char)d[i] & 0xC0) == 0x80)
            i++;
        c++;
    }
    b->at_char = c;
    b->at_byte = i;
    return i;
}

/* An object's managedFields is about to be skipped: note where its text is. */
static int open_raw(builder_t *b, const frame_t *f, const yaml_mark_t *m)
{
    if (b->nraws == b->cap_raws) {
        size_t cap = b->cap_raws ? b->cap_raws * 2 : 16;
        dg_yaml_raw_t *p = realloc(b->raws, cap * sizeof *p);

        if (p == NULL)
            return fail(b, DG_ENOMEM, m, "out of memory", NULL);
        b->raws = p;
        b->cap_raws = cap;
    }
    b->raws[b->nraws++] = (dg_yaml_raw_t){f->node, SIZE_MAX, 0};
    b->raw_open = true;
    return 0;
}

/* The skipped value ran from the first event's start to the last one's end.
 * Block YAML is widened to the start of its first line, so that the text
 * parses on its own with the indentation its other lines have. */
static void close_raw(builder_t *b, size_t end_mark)
{
    dg_yaml_raw_t *r = &b->raws[b->nraws - 1];
    size_t start, end;

    b->raw_open = false;
    if (r->off == SIZE_MAX) {
        b->nraws--; /* never placed: leave it out */
        return;
    }
    r->off = start = byte_offset(b, r->off);
    end = byte_offset(b, end_mark);
    if (end < start) {
        b->nraws--; /* marks that do not grow: leave it out rather than guess */
        return;
    }
    while (start > 0 && (b->data[start - 1] == ' ' || b->data[start - 1] == '\t'))
        start--;
    if (start > 0 && b->data[start - 1] != '\n')
        start = r->off; /* a flow value after its key: it stands alone */
    r->off = start;
    r->len = end - start;
}

static int take_key(builder_t *b, frame_t *f, const char *text, const yaml_mark_t *m)
{
    if (b->prune && server_owned(f, text)) {
        b->skip = 1;
        if (b->keep_managed && object_metadata(b, f) && strcmp(text, "managedFields") == 0)
            return open_raw(b, f, m);
        return 0;
    }
    if (json_object_get(f->node, text) != NULL)
        return fail(b, DG_EPARSE, m, "duplicate key", text);
    f->key = strdup(text);
    f->key_line = (int)m->line + 1;
    f->key_col = (int)m->column + 1;
    if (f->key == NULL)
        return fail(b, DG_ENOMEM, m, "out of memory", NULL);
    return b->pos ? posmap_add(b->pos, f->node, f->key, f->key_line, f->key_col) : 0;
}

/* Attach a finished @node (reference stolen) to the current container, or
 * make it the document root. */
static int attach(builder_t *b, json_t *node, const yaml_mark_t *m, bool is_key_candidate,
                  const char *key_text)
{
    frame_t *f;

    if (node == NULL)
        return fail(b, DG_ENOMEM, m, "out of memory", NULL);
    if (b->depth == 0) {
        b->root = node;
        return 0;
    }
    f = &b->stack[b->depth - 1];
    if (json_is_array(f->node)) {
        if (json_array_append_new(f->node, node) != 0)
            return fail(b, DG_ENOMEM, m, "out of memory", NULL);
        return 0;
    }
    if (f->key == NULL) { /* this node is a key; @key_text may live in @node */
        int rc = is_key_candidate ? take_key(b, f, key_text, m)
                                  : fail(b, DG_EPARSE, m, "a mapping key must be a scalar", NULL);

        json_decref(node);
        return rc;
    }
    if (strcmp(f->key, "<<") == 0) {
        free(f->key);
        f->key = NULL;
        if (f->merges == NULL && (f->merges = json_array()) == NULL) {
            json_decref(node);
            return fail(b, DG_ENOMEM, m, "out of memory", NULL);
        }
        return json_array_append_new(f->merges, node) ? DG_ENOMEM : 0;
    }
    /* libyaml has validated the UTF-8 already */
    if (json_object_set_new_nocheck(f->node, f->key, node) != 0)
        return fail(b, DG_ENOMEM, m, "out of memory", NULL);
    free(f->key);
    f->key = NULL;
    return 0;
}

/* An element of the root mapping's "items" sequence starts at @m: note
 * where, since a List's objects are its items and each needs its own line. */
static int note_item(builder_t *b, const yaml_mark_t *m)
{
    if (b->depth != 2 || !json_is_array(b->stack[1].node) || b->stack[0].key == NULL ||
        strcmp(b->stack[0].key, "items") != 0)
        return 0;
    if (b->nitems == b->cap_items) {
        size_t cap = b->cap_items ? b->cap_items * 2 : 16;
        dg_yaml_mark_t *p = realloc(b->items, cap * sizeof *p);

        if (p == NULL)
            return fail(b, DG_ENOMEM, m, "out of memory", NULL);
        b->items = p;
        b->cap_items = cap;
    }
    b->items[b->nitems++] = (dg_yaml_mark_t){(int)m->line + 1, (int)m->column + 1};
    return 0;
}

static int on_scalar(builder_t *b, const yaml_event_t *ev)
{
    const char *val = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    json_t *node;
    int rc;

    frame_t *top = b->depth ? &b->stack[b->depth - 1] : NULL;

    if (memchr(val, '\0', len))
        return fail(b, DG_EPARSE, &ev->start_mark, "scalar contains a NUL byte", NULL);
    /* Most scalars are keys: take them as text, with no node made and freed. */
    if (top && top->key == NULL && json_is_object(top->node) && !ev->data.scalar.anchor)
        return take_key(b, top, val, &ev->start_mark);
    if ((rc = note_item(b, &ev->start_mark)) != 0)
        return rc;
    if (!ev->data.scalar.plain_implicit || (tag && strcmp(tag, YAML_STR_TAG) == 0))
        node = json_stringn_nocheck(val, len);
    else
        node = dg_yaml_resolve_plain(val, len);
    if (node == NULL)
        return fail(b, DG_ENOMEM, &ev->start_mark, "out of memory", NULL);
    if (b->pos && !json_is_boolean(node) && !json_is_null(node) &&
        posmap_add(b->pos, node, NULL, (int)ev->start_mark.line + 1,
                   (int)ev->start_mark.column + 1)) {
        json_decref(node);
        return DG_ENOMEM;
    }
    if (ev->data.scalar.anchor && (rc = anchor_set(b, (const char *)ev->data.scalar.anchor, node))) {
        json_decref(node);
        return rc;
    }
    /* Keys keep their text: JSON keys are strings ("80:" is key "80"). */
    return attach(b, node, &ev->start_mark, true, val);
}

static int on_alias(builder_t *b, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    json_t *copy;
    int rc = note_item(b, &ev->start_mark);

    if (rc)
        return rc;
    for (size_t i = b->nanchors; i-- > 0;) {
        if (strcmp(b->anchors[i].name, name) != 0)
            continue;
        b->alias_nodes += count_nodes(b->anchors[i].node);
        if (b->alias_nodes > MAX_ALIAS_NODES)
            return fail(b, DG_ETOOBIG, &ev->start_mark, "aliases expand to too many nodes at",
                        name);
        copy = json_deep_copy(b->anchors[i].node);
        return attach(b, copy, &ev->start_mark, json_is_string(copy),
                      json_is_string(copy) ? json_string_value(copy) : "");
    }
    return fail(b, DG_EPARSE, &ev->start_mark, "unknown alias", name);
}

static int on_start(builder_t *b, const yaml_event_t *ev, json_t *node, const yaml_char_t *anchor)
{
    frame_t *f;

    if (node == NULL)
        return fail(b, DG_ENOMEM, &ev->start_mark, "out of memory", NULL);
    if (b->depth == MAX_DEPTH) {
        json_decref(node);
        return fail(b, DG_EPARSE, &ev->start_mark, "nesting is too deep", NULL);
    }
    if (b->depth > 0 && json_is_object(b->stack[b->depth - 1].node) &&
        b->stack[b->depth - 1].key == NULL) {
        json_decref(node);
        return fail(b, DG_EPARSE, &ev->start_mark, "a mapping key must be a scalar", NULL);
    }
    if ((b->pos && posmap_add(b->pos, node, NULL, (int)ev->start_mark.line + 1,
                              (int)ev->start_mark.column + 1)) ||
        note_item(b, &ev->start_mark)) {
        json_decref(node);
        return DG_ENOMEM;
    }
    f = &b->stack[b->depth++];
    memset(f, 0, sizeof *f);
    f->node = node;
    f->is_metadata = b->depth > 1 && b->stack[b->depth - 2].key &&
                     strcmp(b->stack[b->depth - 2].key, "metadata") == 0;
    if (anchor && (f->anchor = strdup((const char *)anchor)) == NULL)
        return DG_ENOMEM;
    return 0;
}

static int on_end(builder_t *b, const yaml_event_t *ev)
{
    frame_t *f = &b->stack[--b->depth];
    json_t *node = f->node;
    int rc = 0;

    if (f->merges)
        rc = merge_into(b, node, f->merges, &ev->start_mark);
    if (f->anchor && !rc)
        rc = anchor_set(b, f->anchor, node);
    json_decref(f->merges);
    free(f->anchor);
    free(f->key);
    if (rc) {
        json_decref(node);
        return rc;
    }
    return attach(b, node, &ev->start_mark, false, NULL);
}

/* Pruning: consume a dropped value's events without building anything
 * (noting where a kept managedFields starts and ends). */
static void skip_event(builder_t *b, const yaml_event_t *ev)
{
    if (b->raw_open && b->skip == 1 && b->raws[b->nraws - 1].off == SIZE_MAX)
        b->raws[b->nraws - 1].off = ev->start_mark.index;
    switch (ev->type) {
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        b->skip++;
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (--b->skip == 1)
            b->skip = 0;
        break;
    case YAML_SCALAR_EVENT:
    case YAML_ALIAS_EVENT:
        if (b->skip == 1)
            b->skip = 0;
        break;
    default:
        break;
    }
    if (b->skip == 0 && b->raw_open)
        close_raw(b, ev->end_mark.index);
}

static int on_event(builder_t *b, const yaml_event_t *ev)
{
    if (b->skip) {
        skip_event(b, ev);
        return 0;
    }
    if (b->cap_values &&
        (ev->type == YAML_SCALAR_EVENT || ev->type == YAML_ALIAS_EVENT ||
         ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT) &&
        ++b->nodes > MAX_DOC_NODES) {
        char n[32];

        snprintf(n, sizeof n, "%zu", MAX_DOC_NODES);
        return fail(b, DG_ETOOBIG, &ev->start_mark, "document holds more values than", n);
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return on_scalar(b, ev);
    case YAML_ALIAS_EVENT:
        return on_alias(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(b, ev, json_array(), ev->data.sequence_start.anchor);
    case YAML_MAPPING_START_EVENT:
        return on_start(b, ev, json_object(), ev->data.mapping_start.anchor);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return on_end(b, ev);
    default:
        return 0;
    }
}

static void builder_unwind(builder_t *b)
{
    while (b->depth > 0) {
        frame_t *f = &b->stack[--b->depth];

        json_decref(f->node);
        json_decref(f->merges);
        free(f->key);
        free(f->anchor);
    }
    json_decref(b->root);
    b->root = NULL;
}

/* Keep the finished document unless it is empty (no node, or a bare null);
 * it takes the builder's root and item positions either way. */
static int keep_doc(builder_t *b, dg_yaml_docs_t *out, size_t *cap, int line, int col)
{
    json_t *root = b->root;
    dg_yaml_mark_t *items = b->items;
    size_t nitems = b->nitems;

    b->root = NULL;
    b->items = NULL;
    b->nitems = b->cap_items = 0;
    if (root == NULL || json_is_null(root)) {
        json_decref(root);
        free(items);
        return 0;
    }
    if (out->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        dg_yaml_doc_t *p = realloc(out->docs, ncap * sizeof *p);

        if (p == NULL) {
            json_decref(root);
            free(items);
            return DG_ENOMEM;
        }
        out->docs = p;
        *cap = ncap;
    }
    out->docs[out->n++] = (dg_yaml_doc_t){root, line, col, items, nitems};
    return 0;
}

/* The 1-based line and column (in characters) of byte @off of @data. */
static void offset_mark(const char *data, size_t len, size_t off, int *line, int *col)
{
    *line = *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        unsigned char c = (unsigned char)data[i];

        if (c == '\n' || (c == '\r' && (i + 1 >= len || data[i + 1] != '\n')))
            ++*line, *col = 1;
        else if (c != '\r' && (c & 0xC0) != 0x80) /* not a UTF-8 continuation byte */
            ++*col;
    }
}

static int parser_fail(builder_t *b, const yaml_parser_t *p)
{
    const yaml_mark_t *m = &p->problem_mark;

    if (p->error == YAML_MEMORY_ERROR)
        return dg_err_set(b->err, DG_ENOMEM, "%s: out of memory parsing YAML", b->name);
    /* A bad byte: libyaml's reader gives its offset, not a mark. */
    if (p->error == YAML_READER_ERROR) {
        int line, col;

        offset_mark(b->data, b->len, p->problem_offset, &line, &col);
        if (p->problem_value >= 0)
            return dg_err_at(b->err, DG_EPARSE, b->name, line, col, "%s (byte 0x%02X)",
                             p->problem ? p->problem : "invalid input", p->problem_value);
        return dg_err_at(b->err, DG_EPARSE, b->name, line, col, "%s",
                         p->problem ? p->problem : "invalid input");
    }
    if (p->context)
        return dg_err_at(b->err, DG_EPARSE, b->name, (int)m->line + 1, (int)m->column + 1,
                         "%s (%s at line %d)", p->problem ? p->problem : "invalid YAML",
                         p->context, (int)p->context_mark.line + 1);
    return dg_err_at(b->err, DG_EPARSE, b->name, (int)m->line + 1, (int)m->column + 1, "%s",
                     p->problem ? p->problem : "invalid YAML");
}

static int run_parser(builder_t *b, yaml_parser_t *p, dg_yaml_docs_t *out)
{
    size_t cap = 0;
    int line = 0, col = 0, rc = 0;
    bool first = false, done = false;
    yaml_event_t ev;

    while (!done && !rc) {
        if (!yaml_parser_parse(p, &ev))
            return parser_fail(b, p);
        switch (ev.type) {
        case YAML_DOCUMENT_START_EVENT:
            first = true;
            b->nodes = 0;
            break;
        case YAML_DOCUMENT_END_EVENT:
            rc = keep_doc(b, out, &cap, line, col);
            anchors_clear(b); /* anchors do not cross documents */
            break;
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        default:
            if (first) {
                line = (int)ev.start_mark.line + 1;
                col = (int)ev.start_mark.column + 1;
                first = false;
            }
            rc = on_event(b, &ev);
        }
        yaml_event_delete(&ev);
    }
    return rc;
}

void dg_yaml_docs_free(dg_yaml_docs_t *docs)
{
    if (docs == NULL)
        return;
    for (size_t i = 0; i < docs->n; i++) {
        json_decref(docs->docs[i].root);
        free(docs->docs[i].items);
    }
    free(docs->docs);
    free(docs->raws);
    posmap_free(docs->pos);
    memset(docs, 0, sizeof *docs);
}

int dg_yaml_parse(const char *data, size_t len, const char *name, size_t max_bytes, int flags,
                  dg_yaml_docs_t *out, dg_err_t *err)
{
    builder_t *b;
    yaml_parser_t p;
    int rc;

    memset(out, 0, sizeof *out);
    if (max_bytes == 0)
        max_bytes = DG_MAX_MANIFEST_BYTES;
    if (len > max_bytes)
        return dg_err_at(err, DG_ETOOBIG, name, 0, 0,
                         "input is %zu bytes, more than the limit of %zu bytes", len, max_bytes);
    /* The builder's stack is large: keep it off the caller's stack. */
    b = calloc(1, sizeof *b);
    if (b == NULL || !yaml_parser_initialize(&p)) {
        free(b);
        return dg_err_set(err, DG_ENOMEM, "%s: out of memory", name);
    }
    b->name = name;
    b->data = data;
    b->len = len;
    b->err = err;
    b->prune = (flags & DG_YAML_PRUNE_SERVER) != 0;
    b->cap_values = (flags & DG_YAML_CAP_VALUES) != 0;
    b->keep_managed = b->prune && (flags & DG_YAML_KEEP_MANAGED) != 0;
    b->bom = b->at_byte = len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    if ((flags & DG_YAML_POSITIONS) && (out->pos = b->pos = calloc(1, sizeof *b->pos)) == NULL) {
        rc = DG_ENOMEM;
        goto out;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
    rc = run_parser(b, &p, out);
    if (!rc) {
        out->raws = b->raws;
        out->nraws = b->nraws;
        b->raws = NULL;
    }
out:
    if (rc && err && err->code == 0)
        dg_err_set(err, rc, "%s: out of memory parsing YAML", name);
    builder_unwind(b);
    anchors_clear(b);
    free(b->anchors);
    free(b->items);
    free(b->raws);
    free(b);
    yaml_parser_delete(&p);
    if (rc)
        dg_yaml_docs_free(out);
    return rc;
}
