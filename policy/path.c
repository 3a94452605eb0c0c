/* policy/path.c: parsing, printing and matching paths.
 * SPDX-License-Identifier: Apache-2.0 */
#include "path.h"

#include <stdlib.h>
#include <string.h>

#define MAX_KEYS 8

struct dg_path {
    dg_seg_t *segs;
    size_t n;
    char *text; /* canonical */
};

static void seg_clear(dg_seg_t *s)
{
    free((char *)s->name);
    for (size_t k = 0; k < s->nkeys; k++) {
        free((char *)s->keys[k]);
        free((char *)s->vals[k]);
    }
    free(s->keys);
    free(s->vals);
}

void dg_path_free(dg_path_t **path)
{
    dg_path_t *p = path ? *path : NULL;

    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++)
        seg_clear(&p->segs[i]);
    free(p->segs);
    free(p->text);
    free(p);
    *path = NULL;
}

/* ---- parsing --------------------------------------------------------------------- */

typedef struct parser {
    const char *text, *p;
    dg_err_t *err;
    dg_path_t *path;
} parser_t;

static int perr(parser_t *ps, const char *what)
{
    int col = (int)(ps->p - ps->text) + 1;

    dg_err_set(ps->err, DG_EINVAL, "%s at column %d of '%s'", what, col, ps->text);
    if (ps->err)
        ps->err->col = col;
    return DG_EINVAL;
}

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '$';
}

static dg_seg_t *new_seg(parser_t *ps, dg_seg_kind_t kind)
{
    dg_seg_t *s;

    if (ps->path->n == DG_PATH_MAX_SEGS) {
        perr(ps, "path is too long");
        return NULL;
    }
    s = &ps->path->segs[ps->path->n++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    return s;
}

static char *dup_range(const char *a, size_t n)
{
    char *s = malloc(n + 1);

    if (s) {
        memcpy(s, a, n);
        s[n] = '\0';
    }
    return s;
}

/* 'quoted name' with \' and \\ escapes; ps->p at the opening quote. */
static char *quoted(parser_t *ps)
{
    size_t cap = strlen(ps->p), n = 0;
    char *out = malloc(cap + 1);

    if (out == NULL)
        return NULL;
    for (ps->p++; *ps->p && *ps->p != '\''; ps->p++) {
        if (*ps->p == '\\' && (ps->p[1] == '\'' || ps->p[1] == '\\'))
            ps->p++;
        out[n++] = *ps->p;
    }
    out[n] = '\0';
    if (*ps->p != '\'') {
        free(out);
        perr(ps, "unterminated quote");
        return NULL;
    }
    ps->p++;
    if (n == 0) {
        free(out);
        perr(ps, "empty field name");
        return NULL;
    }
    return out;
}

static int field(parser_t *ps)
{
    const char *start = ps->p;
    dg_seg_t *s;

    while (ident_char(*ps->p))
        ps->p++;
    if (ps->p == start)
        return perr(ps, *ps->p ? "expected a field name" : "path ends after '.'");
    if ((s = new_seg(ps, DG_SEG_FIELD)) == NULL)
        return DG_EINVAL;
    s->namelen = (size_t)(ps->p - start);
    s->name = dup_range(start, s->namelen);
    return s->name ? 0 : DG_ENOMEM;
}

/* k=v[,k=v...]: keys are identifiers, values run to ',' or ']' (or are quoted). */
static int keys(parser_t *ps, dg_seg_t *s)
{
    s->keys = calloc(MAX_KEYS, sizeof *s->keys);
    s->vals = calloc(MAX_KEYS, sizeof *s->vals);
    if (s->keys == NULL || s->vals == NULL)
        return DG_ENOMEM;
    for (;;) {
        const char *k = ps->p, *v;

        if (s->nkeys == MAX_KEYS)
            return perr(ps, "too many keys");
        while (ident_char(*ps->p))
            ps->p++;
        if (ps->p == k)
            return perr(ps, "expected a key name");
        if (*ps->p != '=')
            return perr(ps, "expected '='");
        s->keys[s->nkeys] = dup_range(k, (size_t)(ps->p - k));
        ps->p++;
        if (*ps->p == '\'') {
            s->vals[s->nkeys] = quoted(ps);
            if (s->vals[s->nkeys] == NULL) {
                s->nkeys++;
                return DG_EINVAL;
            }
        } else {
            for (v = ps->p; *ps->p && *ps->p != ',' && *ps->p != ']'; ps->p++)
                ;
            if (ps->p == v)
                return s->nkeys++, perr(ps, "expected a value after '='");
            s->vals[s->nkeys] = dup_range(v, (size_t)(ps->p - v));
        }
        if (s->keys[s->nkeys] == NULL || s->vals[s->nkeys] == NULL)
            return s->nkeys++, DG_ENOMEM;
        s->nkeys++;
        if (*ps->p != ',')
            return 0;
        ps->p++;
    }
}

static int bracket(parser_t *ps)
{
    dg_seg_t *s;
    int rc;

    ps->p++; /* '[' */
    if (*ps->p == '\'') {
        char *name = quoted(ps);

        if (name == NULL)
            return DG_EINVAL;
        if ((s = new_seg(ps, DG_SEG_FIELD)) == NULL) {
            free(name);
            return DG_EINVAL;
        }
        s->name = name;
        s->namelen = strlen(name);
    } else if (*ps->p == '*') {
        ps->p++;
        if (new_seg(ps, DG_SEG_ALL) == NULL)
            return DG_EINVAL;
    } else if (*ps->p >= '0' && *ps->p <= '9') {
        return perr(ps, "list indexes are not allowed (lists are matched by merge key: use "
                        "[*] or [name=...])");
    } else {
        if ((s = new_seg(ps, DG_SEG_KEY)) == NULL)
            return DG_EINVAL;
        if ((rc = keys(ps, s)) != 0)
            return rc;
    }
    if (*ps->p != ']')
        return perr(ps, "expected ']'");
    ps->p++;
    return 0;
}

static int parse_all(parser_t *ps)
{
    int rc = 0;

    if (*ps->p == '\0')
        return perr(ps, "empty path");
    if (*ps->p == '[' || *ps->p == '.')
        return perr(ps, "a path starts with a field name");
    rc = field(ps);
    while (!rc && *ps->p) {
        if (*ps->p == '.') {
            ps->p++;
            rc = field(ps);
        } else if (*ps->p == '[') {
            rc = bracket(ps);
        } else {
            rc = perr(ps, "expected '.' or '['");
        }
    }
    return rc;
}

static int render(dg_path_t *p)
{
    dg_buf_t b;
    int rc = 0;

    dg_buf_init(&b, 0);
    for (size_t i = 0; i < p->n && !rc; i++) {
        const dg_seg_t *s = &p->segs[i];

        if (s->kind == DG_SEG_FIELD)
            rc = dg_path_buf_field(&b, s->name);
        else if (s->kind == DG_SEG_ALL)
            rc = dg_buf_puts(&b, "[*]");
        else
            rc = dg_path_buf_key(&b, s->nkeys, s->keys, s->vals);
    }
    if (!rc)
        p->text = dg_buf_take(&b);
    dg_buf_free(&b);
    return rc || p->text == NULL ? DG_ENOMEM : 0;
}

dg_path_t *dg_path_parse(const char *text, dg_err_t *err)
{
    parser_t ps = {text ? text : "", text ? text : "", err, calloc(1, sizeof(dg_path_t))};
    int rc;

    if (ps.path == NULL || (ps.path->segs = calloc(DG_PATH_MAX_SEGS, sizeof(dg_seg_t))) == NULL) {
        free(ps.path);
        dg_err_set(err, DG_ENOMEM, "out of memory parsing a path");
        return NULL;
    }
    rc = parse_all(&ps);
    if (!rc)
        rc = render(ps.path);
    if (rc) {
        if (rc == DG_ENOMEM)
            dg_err_set(err, DG_ENOMEM, "out of memory parsing '%s'", ps.text);
        dg_path_free(&ps.path);
    }
    return ps.path;
}

/* ---- accessors and printing ------------------------------------------------------ */

const char *dg_path_text(const dg_path_t *path)
{
    return path->text;
}

size_t dg_path_len(const dg_path_t *path)
{
    return path->n;
}

const dg_seg_t *dg_path_seg(const dg_path_t *path, size_t i)
{
    return i < path->n ? &path->segs[i] : NULL;
}

bool dg_path_plain_name(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!ident_char(*s))
            return false;
    return true;
}

static int put_quoted(dg_buf_t *b, const char *s)
{
    int rc = dg_buf_puts(b, "'");

    for (; *s && !rc; s++)
        rc = *s == '\'' || *s == '\\' ? dg_buf_printf(b, "\\%c", *s) : dg_buf_append(b, s, 1);
    return rc ? rc : dg_buf_puts(b, "'");
}

int dg_path_buf_field(dg_buf_t *b, const char *name)
{
    int rc;

    if (!dg_path_plain_name(name)) {
        rc = dg_buf_puts(b, "[");
        if (!rc)
            rc = put_quoted(b, name);
        return rc ? rc : dg_buf_puts(b, "]");
    }
    if (b->len && (rc = dg_buf_puts(b, ".")) != 0)
        return rc;
    return dg_buf_puts(b, name);
}

int dg_path_buf_key(dg_buf_t *b, size_t nkeys, const char *const *keys, const char *const *vals)
{
    int rc = dg_buf_puts(b, "[");

    for (size_t i = 0; i < nkeys && !rc; i++) {
        rc = dg_buf_printf(b, "%s%s=", i ? "," : "", keys[i]);
        if (!rc)
            rc = vals[i][0] == '\0' || strpbrk(vals[i], ",]'\\") ? put_quoted(b, vals[i])
                                                                 : dg_buf_puts(b, vals[i]);
    }
    return rc ? rc : dg_buf_puts(b, "]");
}

/* ---- matching --------------------------------------------------------------------- */

static bool has_pair(const dg_seg_t *s, const char *k, const char *v)
{
    for (size_t i = 0; i < s->nkeys; i++)
        if (strcmp(s->keys[i], k) == 0 && strcmp(s->vals[i], v) == 0)
            return true;
    return false;
}

static bool seg_covers(const dg_seg_t *pat, const dg_seg_t *c)
{
    switch (pat->kind) {
    case DG_SEG_FIELD:
        return c->kind == DG_SEG_FIELD && strcmp(pat->name, c->name) == 0;
    case DG_SEG_ALL:
        return c->kind == DG_SEG_ALL || c->kind == DG_SEG_KEY;
    case DG_SEG_KEY:
        if (c->kind != DG_SEG_KEY)
            return false;
        for (size_t i = 0; i < pat->nkeys; i++)
            if (!has_pair(c, pat->keys[i], pat->vals[i]))
                return false;
        return true;
    }
    return false;
}

bool dg_path_covers(const dg_path_t *pat, const dg_path_t *concrete)
{
    if (pat->n > concrete->n)
        return false;
    for (size_t i = 0; i < pat->n; i++)
        if (!seg_covers(&pat->segs[i], &concrete->segs[i]))
            return false;
    return true;
}

static bool elem_matches(const json_t *e, const dg_seg_t *s)
{
    char buf[128];

    for (size_t i = 0; i < s->nkeys; i++) {
        const json_t *v = json_object_get(e, s->keys[i]);

        if (v == NULL || json_is_object(v) || json_is_array(v))
            return false;
        if (json_is_string(v))
            snprintf(buf, sizeof buf, "%s", json_string_value(v));
        else if (json_is_integer(v))
            snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_real(v))
            snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
        else
            snprintf(buf, sizeof buf, "%s", json_is_true(v) ? "true" : "false");
        if (strcmp(buf, s->vals[i]) != 0)
            return false;
    }
    return true;
}

json_t *dg_path_elem(const dg_seg_t *s, const json_t *arr, size_t *index)
{
    json_t *e;
    size_t j;

    json_array_foreach(arr, j, e) {
        if (elem_matches(e, s)) {
            if (index)
                *index = j;
            return e;
        }
    }
    return NULL;
}

/* The object segment @s of a path being set leads to from @cur; a
 * missing field becomes an empty object, as `kubectl patch` would make it. */
static json_t *set_step(const dg_seg_t *s, json_t *cur)
{
    json_t *next;

    if (s->kind == DG_SEG_KEY)
        return dg_path_elem(s, cur, NULL);
    if (s->kind != DG_SEG_FIELD || !json_is_object(cur))
        return NULL;
    next = json_object_get(cur, s->name);
    if (next == NULL && json_object_set_new(cur, s->name, json_object()) == 0)
        next = json_object_get(cur, s->name);
    return next;
}

int dg_path_set(const dg_path_t *path, json_t *root, json_t *value, dg_err_t *err)
{
    const dg_seg_t *last = path->n ? &path->segs[path->n - 1] : NULL;
    json_t *cur = root;

    if (last == NULL || last->kind != DG_SEG_FIELD) {
        json_decref(value);
        return dg_err_set(err, DG_EINVAL, "'%s': only a field can be set, not a list element",
                          path->text);
    }
    for (size_t i = 0; i + 1 < path->n && cur; i++)
        cur = set_step(&path->segs[i], cur);
    if (!json_is_object(cur)) {
        json_decref(value);
        return dg_err_set(err, DG_EINVAL, "'%s': no object holds field '%s' (an absent list "
                          "element, a [*], or a value that is not an object on the way)",
                          path->text, last->name);
    }
    if (json_object_set_new(cur, last->name, value))
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    return 0;
}

json_t *dg_path_get(const dg_path_t *path, json_t *root)
{
    json_t *cur = root;

    for (size_t i = 0; i < path->n && cur; i++) {
        const dg_seg_t *s = &path->segs[i];

        if (s->kind == DG_SEG_FIELD)
            cur = json_object_get(cur, s->name);
        else if (s->kind == DG_SEG_ALL)
            cur = json_array_get(cur, 0);
        else
            cur = dg_path_elem(s, cur, NULL);
    }
    return cur;
}
