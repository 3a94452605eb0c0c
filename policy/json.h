/* policy/json.h: a JSON reader (RFC 8259) into jansson trees, for the hot
 * path: every AdmissionReview body. Strict (UTF-8 checked, duplicate keys
 * refused: two parsers reading different values of one key is how a review
 * smuggles an object past a webhook), and able to skip, still checking
 * their syntax, the subtrees the API server owns and driftgate never
 * judges, which are most of a large review's bytes.
 * Pure: memory in, jansson out. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_JSON_H
#define DG_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

/* Drop metadata.managedFields, and the status of every object that has
 * said its kind before it (the same rule as DG_YAML_PRUNE_SERVER). */
#define DG_JSON_PRUNE_SERVER 0x1u

/* Nesting deeper than this is refused, so a hostile body cannot exhaust the
 * stack (Kubernetes objects nest a few dozen levels). */
#define DG_JSON_MAX_DEPTH 400

/* More values than this are refused: each costs jansson ~100 bytes, and a
 * body of 8 MiB of "[]," would otherwise become ~400 MiB of tree. Two
 * objects of etcd's 1.5 MiB limit hold ~100k values at most in practice. */
#define DG_JSON_MAX_NODES 250000

/** Parse @len bytes holding exactly one JSON value. On error returns NULL
 *  and sets @err (DG_EPARSE or DG_ENOMEM) with @name, the 1-based line and
 *  column, and the problem. */
json_t *dg_json_parse(const char *data, size_t len, unsigned flags, const char *name,
                      dg_err_t *err);

/** Where the value at @path ("request.userInfo.groups[2]": keys joined by
 *  '.', "[i]" for array elements) starts in @len bytes of JSON text, for
 *  errors found after parsing. Sets the 1-based *@line and *@col (in
 *  characters); returns 0, or DG_ENOTFOUND (then 1:1). */
int dg_json_locate(const char *data, size_t len, const char *path, int *line, int *col);

#endif
