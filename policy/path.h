/* policy/path.h: the path language of policies, reports and ignore rules.
 *   spec.minReplicas                               a field
 *   metadata.labels['app.kubernetes.io/version']   a key with dots
 *   spec.ports[*].port                             every element of a list
 *   spec.ports[name=http].port                     one element, by key
 *   spec.ports[port=80,protocol=TCP].port          one element, by several keys
 * List indexes ([0]) are rejected: lists are matched by merge key, never by
 * position. Pure: libc, jansson, err.h. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_PATH_H
#define DG_PATH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

/* A path has at most this many segments. */
#define DG_PATH_MAX_SEGS 64

typedef enum dg_seg_kind {
    DG_SEG_FIELD, /* .name or ['name'] */
    DG_SEG_ALL,   /* [*] */
    DG_SEG_KEY    /* [k=v,...] */
} dg_seg_kind_t;

typedef struct dg_seg {
    dg_seg_kind_t kind;
    const char *name;  /* DG_SEG_FIELD: the field name */
    size_t namelen;    /* DG_SEG_FIELD: strlen(name), which the walks look up often */
    size_t nkeys;      /* DG_SEG_KEY: number of k=v pairs, in written order */
    const char **keys; /* DG_SEG_KEY: key names */
    const char **vals; /* DG_SEG_KEY: values, compared with the element's
                        * value rendered as text (80 matches 80 and "80") */
} dg_seg_t;

typedef struct dg_path dg_path_t; /* opaque; immutable once parsed */

/** Parse @text. Errors say what is wrong and at which 1-based column
 *  (err->col), e.g. "expected ']' at column 12 of 'spec.ports[*.port'".
 *  Returns a new path (free with dg_path_free()), or NULL with @err set
 *  (DG_EINVAL or DG_ENOMEM). */
dg_path_t *dg_path_parse(const char *text, dg_err_t *err);

void dg_path_free(dg_path_t **path);

/** Canonical text of the path (keys needing quotes are quoted). Borrowed. */
const char *dg_path_text(const dg_path_t *path);

size_t dg_path_len(const dg_path_t *path);

/** The @i-th segment. Borrowed: valid while @path lives. */
const dg_seg_t *dg_path_seg(const dg_path_t *path, size_t i);

/** Does pattern @pat cover concrete path @concrete? [*] matches any key
 *  segment; [k=v] matches a key segment with the same k=v among its keys; a
 *  pattern that is a prefix of @concrete covers it (spec.ports covers
 *  spec.ports[name=http].port). */
bool dg_path_covers(const dg_path_t *pat, const dg_path_t *concrete);

/** Is @name written as it is (".name"), not quoted ("['na.me']")? */
bool dg_path_plain_name(const char *name);

/** Append one field segment's canonical text to a path being built in @b:
 *  ".name", or "['na.me']" when the name needs quoting; no leading dot when
 *  @b is empty. Returns 0 or a dg_buf_append() error. */
DG_MUST_CHECK int dg_path_buf_field(dg_buf_t *b, const char *name);

/** Append a key segment "[k1=v1,k2=v2]" to @b. Returns as dg_path_buf_field(). */
DG_MUST_CHECK int dg_path_buf_key(dg_buf_t *b, size_t nkeys, const char *const *keys,
                                  const char *const *vals);

/** The element of array @arr that key segment @s ([k=v,...]) selects: the
 *  first whose every key's value reads as the segment's text. Sets *@index
 *  (may be NULL) to its position. Borrowed from @arr; NULL when none. */
json_t *dg_path_elem(const dg_seg_t *s, const json_t *arr, size_t *index);

/** The value at a path without wildcards (fields and [k=v] segments) in
 *  @root, or NULL when absent. Borrowed from @root. [*] segments match the
 *  first element. */
json_t *dg_path_get(const dg_path_t *path, json_t *root);

/** Set the field @path ends in, in @root, to @value (stolen, even on
 *  failure): fields on the way that are absent are created as objects;
 *  [k=v] segments must select an element. Returns 0, or DG_EINVAL when the
 *  path ends in a list element, has a [*], or meets a non-object or no
 *  element (the message names the segment; @root may have gained empty
 *  objects on the way), or DG_ENOMEM. */
DG_MUST_CHECK int dg_path_set(const dg_path_t *path, json_t *root, json_t *value, dg_err_t *err);

#endif
