/* policy/codec.h: the encodings baselines travel in: base64 (ConfigMap
 * binaryData, Helm release records), gzip, and the SHA-256 digest that
 * `driftctl publish` stamps on a baseline. Pure: libc, zlib, libcrypto.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_CODEC_H
#define DG_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/** Decode standard base64 (padding optional, whitespace ignored). On success
 *  *@out is a malloced NUL-terminated buffer of *@outlen bytes. @what names
 *  the input in errors. Returns 0, DG_EPARSE or DG_ENOMEM. */
DG_MUST_CHECK int dg_codec_base64_decode(const char *in, size_t len, char **out, size_t *outlen,
                                         const char *what, dg_err_t *err);

/** Encode @len bytes as standard padded base64; malloced, NUL-terminated,
 *  NULL when out of memory. */
char *dg_codec_base64_encode(const void *in, size_t len);

/** Inflate gzip (or zlib) data, refusing output larger than @max_out bytes
 *  (a small compressed record must not inflate into gigabytes). *@out is
 *  malloced and NUL-terminated. Returns 0, DG_EPARSE, DG_ETOOBIG or DG_ENOMEM. */
DG_MUST_CHECK int dg_codec_gunzip(const void *in, size_t len, size_t max_out, char **out,
                                  size_t *outlen, const char *what, dg_err_t *err);

/** Compress with gzip framing. Returns 0 or DG_ENOMEM; *@out is malloced. */
DG_MUST_CHECK int dg_codec_gzip(const void *in, size_t len, char **out, size_t *outlen,
                                dg_err_t *err);

/** SHA-256 of @len bytes. */
void dg_codec_sha256(const void *data, size_t len, uint8_t out[32]);

/** "sha256:<64 hex digits>" of @len bytes into @out (at least 72 bytes). */
void dg_codec_digest(const void *data, size_t len, char out[72]);

#endif
