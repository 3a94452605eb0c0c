/* policy/json.h: JSON text into jansson trees, for the callers that keep or
 * edit a tree (API responses, audit events, the CLI). The reading itself
 * is policy/jread.c's (strict, bounded, pruning what the server owns), so
 * there is one JSON grammar in libdrift; this builds jansson from its nodes.
 * Pure: memory in, jansson out. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_JSON_H
#define DG_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"
#include "jread.h" /* DG_JSON_PRUNE_SERVER, DG_JSON_MAX_DEPTH, DG_JSON_MAX_NODES */

/** Parse @len bytes holding exactly one JSON value. On error returns NULL
 *  and sets @err (DG_EPARSE or DG_ENOMEM) with @name, the 1-based line and
 *  column, and the problem. Returns a new reference. */
json_t *dg_json_parse(const char *data, size_t len, unsigned flags, const char *name,
                      dg_err_t *err);

/** Where the value at @path ("request.userInfo.groups[2]": keys joined by
 *  '.', "[i]" for array elements) starts in @len bytes of JSON text, for
 *  errors found after parsing. Sets the 1-based *@line and *@col (in
 *  characters); returns 0, or DG_ENOTFOUND (then 1:1). */
int dg_json_locate(const char *data, size_t len, const char *path, int *line, int *col);

#endif
