/* policy/patch.c: RFC 7386 merge patch and RFC 6902 JSON patch, applied to
 * an object the way the API server applies `kubectl patch --type merge|json`.
 * SPDX-License-Identifier: Apache-2.0 */
#include "patch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"

/* A value in messages: compact JSON, cut short. */
#define SHOW_MAX 60

/* ---- RFC 7386 ----------------------------------------------------------------- */

static json_t *merge(const json_t *target, const json_t *patch)
{
    const char *k;
    json_t *v, *out;

    if (!json_is_object(patch))
        return json_deep_copy(patch);
    out = json_is_object(target) ? json_deep_copy(target) : json_object();
    if (out == NULL)
        return NULL;
    json_object_foreach((json_t *)patch, k, v) {
        if (json_is_null(v)) {
            json_object_del(out, k);
            continue;
        }
        if (json_object_set_new(out, k, merge(json_object_get(out, k), v)) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

int dg_patch_merge(const json_t *doc, const json_t *patch, json_t **out, dg_err_t *err)
{
    *out = NULL;
    if (!json_is_object(patch))
        return dg_err_set(err, DG_EINVAL, "a merge patch must be a JSON object");
    if ((*out = merge(doc, patch)) == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory applying a merge patch");
    return 0;
}

/* ---- RFC 6901 pointers -------------------------------------------------------- */

int dg_patch_ptr_field(dg_buf_t *b, const char *name)
{
    int rc = dg_buf_puts(b, "/");

    for (const char *p = name; *p && !rc; p++)
        rc = *p == '~' ? dg_buf_puts(b, "~0") : *p == '/' ? dg_buf_puts(b, "~1")
                                                          : dg_buf_append(b, p, 1);
    return rc;
}

/* Split a JSON pointer into its parent container and last token
 * (unescaped ~1 -> /, ~0 -> ~). Returns the parent, NULL if absent. */
static json_t *resolve_parent(json_t *doc, const char *ptr, char *last, size_t size)
{
    json_t *cur = doc;
    const char *p = ptr;

    if (*p != '/')
        return NULL;
    for (;;) {
        size_t n = 0;

        for (p++; *p && *p != '/'; p++) {
            char c = *p;

            if (c == '~' && (p[1] == '0' || p[1] == '1'))
                c = *++p == '0' ? '~' : '/';
            if (n + 1 < size)
                last[n++] = c;
        }
        last[n] = '\0';
        if (*p == '\0')
            return cur;
        if (json_is_object(cur))
            cur = json_object_get(cur, last);
        else if (json_is_array(cur)) {
            char *end;
            long i = strtol(last, &end, 10);

            cur = *end || end == last || i < 0 ? NULL : json_array_get(cur, (size_t)i);
        } else
            cur = NULL;
        if (cur == NULL)
            return NULL;
    }
}

/* A decimal array index without leading zeros; "-" (append) for add. */
static long array_index(const json_t *arr, const char *tok, bool for_add)
{
    size_t n = json_array_size(arr);
    unsigned long i;

    if (for_add && strcmp(tok, "-") == 0)
        return (long)n;
    if (*tok == '\0' || strspn(tok, "0123456789") != strlen(tok) || (tok[0] == '0' && tok[1]))
        return -1;
    errno = 0;
    i = strtoul(tok, NULL, 10);
    if (errno || i > n || (!for_add && i == n))
        return -1;
    return (long)i;
}

static json_t *get_ptr(json_t *doc, const char *ptr)
{
    char last[512];
    json_t *parent;

    if (*ptr == '\0')
        return doc;
    parent = resolve_parent(doc, ptr, last, sizeof last);
    if (json_is_object(parent))
        return json_object_get(parent, last);
    if (json_is_array(parent)) {
        long i = array_index(parent, last, false);

        return i < 0 ? NULL : json_array_get(parent, (size_t)i);
    }
    return NULL;
}

/* add (@replace false) or replace (@replace true) @val (stolen) at @ptr. */
static int put_ptr(json_t *doc, const char *ptr, json_t *val, bool replace)
{
    char last[512];
    json_t *parent = resolve_parent(doc, ptr, last, sizeof last);
    long i;

    if (json_is_object(parent) && (!replace || json_object_get(parent, last)))
        return json_object_set_new(parent, last, val) ? -1 : 0;
    if (json_is_array(parent) && (i = array_index(parent, last, !replace)) >= 0)
        return (replace ? json_array_set_new(parent, (size_t)i, val)
                        : json_array_insert_new(parent, (size_t)i, val))
                   ? -1
                   : 0;
    json_decref(val);
    return -1;
}

static int del_ptr(json_t *doc, const char *ptr)
{
    char last[512];
    json_t *parent = resolve_parent(doc, ptr, last, sizeof last);
    long i;

    if (json_is_object(parent))
        return json_object_del(parent, last);
    if (json_is_array(parent) && (i = array_index(parent, last, false)) >= 0)
        return json_array_remove(parent, (size_t)i);
    return -1;
}

/* ---- RFC 6902 ------------------------------------------------------------------ */

static void show(const json_t *v, char *buf, size_t size)
{
    char *d = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS) : NULL;

    snprintf(buf, size, "%s", v == NULL ? "absent" : d ? d : "?");
    free(d);
    if (strlen(buf) > SHOW_MAX && size > SHOW_MAX)
        memcpy(buf + SHOW_MAX - 3, "...", 4);
}

/* A failed test is not a bad patch: the object is not what the patch was
 * written against (someone changed it since), so it says what it found. */
static int test_failed(const char *path, const json_t *found, const json_t *want, dg_err_t *err)
{
    char a[SHOW_MAX + 8], b[SHOW_MAX + 8];

    show(found, a, sizeof a);
    show(want, b, sizeof b);
    return dg_err_set(err, DG_ECONFLICT, "test of %s failed: the value is %s, the patch expects %s",
                      path, a, b);
}

static int apply_op(json_t *doc, const json_t *op, size_t n, dg_err_t *err)
{
    const char *kind = json_string_value(json_object_get(op, "op"));
    const char *path = json_string_value(json_object_get(op, "path"));
    const char *from = json_string_value(json_object_get(op, "from"));
    json_t *value = json_object_get(op, "value"), *src;
    int bad;

    if (kind == NULL || path == NULL)
        return dg_err_set(err, DG_EINVAL, "operation %zu needs \"op\" and \"path\"", n);
    if (strcmp(kind, "add") == 0 || strcmp(kind, "replace") == 0) {
        bad = value == NULL || *path == '\0' ||
              put_ptr(doc, path, json_deep_copy(value), kind[0] == 'r');
    } else if (strcmp(kind, "remove") == 0) {
        bad = del_ptr(doc, path);
    } else if (strcmp(kind, "test") == 0) {
        if (value == NULL)
            return dg_err_set(err, DG_EINVAL, "operation %zu (test %s) has no \"value\"", n, path);
        src = get_ptr(doc, path);
        return src && dg_diff_equal(src, value) ? 0 : test_failed(path, src, value, err);
    } else if (strcmp(kind, "move") == 0 || strcmp(kind, "copy") == 0) {
        src = from ? get_ptr(doc, from) : NULL;
        src = src ? json_deep_copy(src) : NULL;
        bad = src == NULL || (kind[0] == 'm' && del_ptr(doc, from)) || put_ptr(doc, path, src, false);
    } else {
        return dg_err_set(err, DG_EINVAL, "operation %zu: unknown op '%s'", n, kind);
    }
    if (bad)
        return dg_err_set(err, DG_EINVAL, "operation %zu (%s %s) cannot be applied", n, kind, path);
    return 0;
}

int dg_patch_json(const json_t *doc, const json_t *ops, json_t **out, dg_err_t *err)
{
    const json_t *op;
    size_t i;
    int rc = 0;

    *out = NULL;
    if (!json_is_array(ops))
        return dg_err_set(err, DG_EINVAL, "a JSON patch must be a JSON array");
    if ((*out = json_deep_copy(doc)) == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory applying a JSON patch");
    json_array_foreach(ops, i, op) {
        if ((rc = apply_op(*out, op, i, err)) != 0)
            break;
    }
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}
