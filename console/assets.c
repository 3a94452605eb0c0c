/* console/assets.c: finding an embedded console file by its URL path.
 * SPDX-License-Identifier: Apache-2.0 */
#include "assets.h"

#include <string.h>

const dg_asset_t *dg_asset_find(const char *path)
{
    if (strcmp(path, "/") == 0 || strcmp(path, "/console") == 0 ||
        strcmp(path, "/console/") == 0)
        path = "/console/index.html";
    for (size_t i = 0; i < dg_nassets; i++)
        if (strcmp(path, dg_assets[i].path) == 0)
            return &dg_assets[i];
    return NULL;
}

/* "*", one tag, or a list ("\"a\", W/\"b\""): a weak match is enough for
 * a GET (RFC 9110 13.1.2). */
bool dg_asset_fresh(const char *inm, const char *etag)
{
    const char *p;
    size_t n = strlen(etag);

    if (inm == NULL)
        return false;
    if (strcmp(inm, "*") == 0)
        return true;
    for (p = strstr(inm, etag); p; p = strstr(p + 1, etag))
        if ((p[n] == '\0' || p[n] == ',' || p[n] == ' ') &&
            (p == inm || p[-1] == ' ' || p[-1] == ',' || p[-1] == '/'))
            return true;
    return false;
}
