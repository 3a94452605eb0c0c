/* policy/patch.h: the patches `kubectl patch` sends, applied as the API
 * server applies them: RFC 7386 merge patch and RFC 6902 JSON patch, and
 * the JSON pointers (RFC 6901) that address a value in an object. Shared by
 * `driftctl simulate --patch` and the reconcile plan, which must both judge
 * exactly what the API server would store.
 * Pure: libc, jansson. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_PATCH_H
#define DG_PATCH_H

#include <jansson.h>

#include "buf.h"
#include "err.h"

/** Apply merge patch @patch (a JSON object; null removes a key) to @doc.
 *  *@out is a new reference. @doc and @patch are borrowed.
 *  Returns 0, DG_EINVAL (@patch is not an object) or DG_ENOMEM. */
DG_MUST_CHECK int dg_patch_merge(const json_t *doc, const json_t *patch, json_t **out,
                                 dg_err_t *err);

/** Apply JSON patch @ops (an array of {op, path, value|from}) to a copy of
 *  @doc, in order; *@out is a new reference, NULL on failure. A `test`
 *  compares as the API server does (numbers by value: 6 equals 6.0).
 *  Returns 0; DG_ECONFLICT when a `test` fails ("test of /spec/type failed:
 *  the value is \"ClusterIP\", the patch expects \"NodePort\""); DG_EINVAL
 *  when an operation is malformed or cannot be applied ("operation 2
 *  (remove /spec/nope) cannot be applied"); DG_ENOMEM. */
DG_MUST_CHECK int dg_patch_json(const json_t *doc, const json_t *ops, json_t **out,
                                dg_err_t *err);

/** Append "/" and @name escaped as a JSON pointer token (~ -> ~0, / -> ~1)
 *  to @b. Returns 0 or a dg_buf_append() error. */
DG_MUST_CHECK int dg_patch_ptr_field(dg_buf_t *b, const char *name);

#endif
