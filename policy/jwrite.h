/* policy/jwrite.h: JSON text written straight into a dg_buf_t, byte for
 * byte as jansson's compact dump writes it (so answers and log lines read
 * the same as they always did), at a fraction of its cost: jansson's
 * dump went through a callback per fragment and decoded every character.
 * Pure: libc, jansson (to read trees). SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_JWRITE_H
#define DG_JWRITE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/** Append @len bytes of valid UTF-8 at @s as a JSON string: '"', '\\' and
 *  control characters escaped (\b \f \n \r \t, else \u00xx), the rest as
 *  it is. Returns 0, or DG_ENOMEM / DG_ETOOBIG from @b. */
DG_MUST_CHECK int dg_jwrite_strn(dg_buf_t *b, const char *s, size_t len);

/** As dg_jwrite_strn(), for @len bytes that may not be UTF-8: when they
 *  are not, DG_EINVAL and @b as it was. */
DG_MUST_CHECK int dg_jwrite_utf8n(dg_buf_t *b, const char *s, size_t len);

/** How many of the @len bytes at @s, from the first, are printable ASCII
 *  other than '"' and '\\' (0x20-0x7e): what a JSON string holds as it
 *  is, found 16 bytes at a time where there is SSE2. */
size_t dg_jwrite_plain(const char *s, size_t len);

/** Length of the valid UTF-8 sequence at @s (at most @avail >= 1 bytes), or
 *  0 if the bytes there are not one: overlong forms, surrogates and values
 *  past U+10FFFF are not. */
size_t dg_jwrite_utf8_seq(const unsigned char *s, size_t avail);

/** Append @v in decimal, as jansson writes an integer. Returns 0, or
 *  DG_ENOMEM / DG_ETOOBIG from @b. */
DG_MUST_CHECK int dg_jwrite_int(dg_buf_t *b, long long v);

/** Append @d as jansson writes a real with JSON_REAL_PRECISION(@precision)
 *  (@precision 0: 17 digits). Returns 0, or DG_ENOMEM / DG_ETOOBIG from
 *  @b. */
DG_MUST_CHECK int dg_jwrite_real(dg_buf_t *b, double d, int precision);

/** Append @ns nanoseconds in milliseconds exactly as dg_jwrite_real(@b,
 *  (double)@ns / 1e6, 6) does ("0.0123", "12.3457", "12.0"), nearly always
 *  without printf. Returns 0, or DG_ENOMEM / DG_ETOOBIG from @b. */
DG_MUST_CHECK int dg_jwrite_ms(dg_buf_t *b, uint64_t ns);

/** Append @v as json_dumps(@v, JSON_COMPACT | JSON_REAL_PRECISION(@precision))
 *  writes it (@precision 0: 17 digits): members in insertion order, reals
 *  with "%.*g" plus ".0" when that reads as an integer. Returns 0, or
 *  DG_ENOMEM / DG_ETOOBIG from @b. */
DG_MUST_CHECK int dg_jwrite_value(dg_buf_t *b, const json_t *v, int precision);

#endif
