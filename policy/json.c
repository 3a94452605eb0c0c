/* policy/json.c: jansson trees from policy/jread.c's nodes. The nodes live
 * in an arena for the length of one call: read, converted, dropped.
 * SPDX-License-Identifier: Apache-2.0 */
#include "json.h"

json_t *dg_json_parse(const char *data, size_t len, unsigned flags, const char *name,
                      dg_err_t *err)
{
    dg_arena_t a;
    const dg_jnode_t *root;
    json_t *j = NULL;

    /* Nodes and copied strings take about the text's size again. */
    dg_arena_init(&a, len + 1024);
    root = dg_jread_parse(&a, data, len, flags, name, err);
    if (root && (j = dg_jread_to_json(root)) == NULL)
        dg_err_at(err, DG_ENOMEM, name, 0, 0, "out of memory reading JSON");
    dg_arena_free(&a);
    return j;
}

int dg_json_locate(const char *data, size_t len, const char *path, int *line, int *col)
{
    return dg_jread_locate(data, len, path, line, col);
}
