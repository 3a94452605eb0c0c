/* cli/ctl_patch.c: `driftctl simulate --patch`: the text given, applied with
 * libdrift's patch module as the API server applies it (policy/patch.c),
 * with errors that name the flag.
 * SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "ctl.h"
#include "patch.h"

int ctl_patch_apply(const json_t *doc, const char *patch, const char *type, json_t **out,
                    dg_err_t *err)
{
    json_error_t jerr;
    json_t *p;
    dg_err_t why = {0};
    int rc;

    *out = NULL;
    if (strcmp(type, "merge") != 0 && strcmp(type, "json") != 0)
        return dg_err_set(err, DG_EINVAL, "--type: '%s' is not merge or json", type);
    p = json_loads(patch, JSON_DECODE_ANY, &jerr);
    if (p == NULL)
        return dg_err_set(err, DG_EPARSE, "--patch: not JSON: %s at column %d", jerr.text,
                          jerr.column);
    rc = strcmp(type, "merge") == 0 ? dg_patch_merge(doc, p, out, &why)
                                    : dg_patch_json(doc, p, out, &why);
    json_decref(p);
    return rc ? dg_err_set(err, rc, "--patch: %s", why.msg) : 0;
}
