/* cli/ctl_patch.c: the patches `kubectl patch --type merge|json` sends,
 * applied locally so `driftctl simulate --patch` judges what the API server
 * would store: RFC 7386 merge patch and RFC 6902 JSON patch.
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

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

/* ---- RFC 6902 ----------------------------------------------------------------- */

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

static int apply_op(json_t *doc, const json_t *op, size_t n, dg_err_t *err)
{
    const char *kind = json_string_value(json_object_get(op, "op"));
    const char *path = json_string_value(json_object_get(op, "path"));
    const char *from = json_string_value(json_object_get(op, "from"));
    json_t *value = json_object_get(op, "value"), *src;
    int bad;

    if (kind == NULL || path == NULL)
        return dg_err_set(err, DG_EINVAL, "--patch: operation %zu needs \"op\" and \"path\"", n);
    if (strcmp(kind, "add") == 0 || strcmp(kind, "replace") == 0) {
        bad = value == NULL || *path == '\0' ||
              put_ptr(doc, path, json_deep_copy(value), kind[0] == 'r');
    } else if (strcmp(kind, "remove") == 0) {
        bad = del_ptr(doc, path);
    } else if (strcmp(kind, "test") == 0) {
        src = get_ptr(doc, path);
        bad = value == NULL || src == NULL || !json_equal(src, value);
    } else if (strcmp(kind, "move") == 0 || strcmp(kind, "copy") == 0) {
        src = from ? get_ptr(doc, from) : NULL;
        src = src ? json_deep_copy(src) : NULL;
        bad = src == NULL || (kind[0] == 'm' && del_ptr(doc, from)) || put_ptr(doc, path, src, false);
    } else {
        return dg_err_set(err, DG_EINVAL, "--patch: operation %zu: unknown op '%s'", n, kind);
    }
    if (bad)
        return dg_err_set(err, DG_EINVAL, "--patch: operation %zu (%s %s) cannot be applied", n,
                          kind, path);
    return 0;
}

int ctl_patch_apply(const json_t *doc, const char *patch, const char *type, json_t **out,
                    dg_err_t *err)
{
    json_error_t jerr;
    json_t *p = json_loads(patch, JSON_DECODE_ANY, &jerr), *op;
    size_t i;
    int rc = 0;

    *out = NULL;
    if (p == NULL)
        return dg_err_set(err, DG_EPARSE, "--patch: not JSON: %s at column %d", jerr.text,
                          jerr.column);
    if (strcmp(type, "merge") == 0) {
        if (!json_is_object(p))
            rc = dg_err_set(err, DG_EINVAL, "--patch: a merge patch must be a JSON object");
        else if ((*out = merge(doc, p)) == NULL)
            rc = dg_err_set(err, DG_ENOMEM, "out of memory applying --patch");
    } else if (strcmp(type, "json") == 0) {
        if (!json_is_array(p))
            rc = dg_err_set(err, DG_EINVAL, "--patch: a JSON patch must be a JSON array");
        else if ((*out = json_deep_copy(doc)) == NULL)
            rc = dg_err_set(err, DG_ENOMEM, "out of memory applying --patch");
        json_array_foreach(p, i, op) {
            if (rc || (rc = apply_op(*out, op, i, err)) != 0)
                break;
        }
    } else {
        rc = dg_err_set(err, DG_EINVAL, "--type: '%s' is not merge or json", type);
    }
    json_decref(p);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}
