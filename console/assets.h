/* console/assets.h: the operator console's files (console/: html, css, js),
 * compiled into driftctl and driftgate by cmake/embed.cmake, and the
 * headers both hosts send with them. No I/O, no HTTP library: each host's
 * server adds these headers its own way.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_ASSETS_H
#define DG_ASSETS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct dg_asset {
    const char *path;         /* "/console/app.js" */
    const char *content_type; /* "text/javascript; charset=utf-8" */
    const unsigned char *data;
    size_t len;
    const char *etag;         /* quoted: the first 128 bits of its SHA-256 */
} dg_asset_t;

extern const dg_asset_t dg_assets[]; /* generated */
extern const size_t dg_nassets;

/* No inline script or style anywhere: every script and sheet is a file
 * from this origin, so an injected <script> or style="" does nothing. */
#define DG_CONSOLE_CSP                                                                 \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "  \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "      \
    "frame-ancestors 'none'"

/* Assets are not fingerprinted in their names: the browser revalidates each
 * time (a 304 for an unchanged ETag) rather than keep a stale console. */
#define DG_CONSOLE_CACHE "no-cache"

/** The asset at @path: "/", "/console" and "/console/" are index.html.
 *  Borrowed, static; NULL when there is none. */
const dg_asset_t *dg_asset_find(const char *path);

/** Whether If-None-Match header @inm (may be NULL) names @etag. */
bool dg_asset_fresh(const char *inm, const char *etag);

#endif
