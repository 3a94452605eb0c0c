/* policy/buf.h: a growable byte buffer with an explicit cap, always
 * NUL-terminated. Pure: libc only.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_BUF_H
#define DG_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "err.h"

typedef struct dg_buf {
    char *data;  /* NULL or malloced; NUL-terminated when not NULL */
    size_t len;  /* bytes used, excluding the NUL */
    size_t size; /* bytes allocated */
    size_t max;  /* cap on len; appending past it fails with DG_ETOOBIG */
} dg_buf_t;

/** Start empty, holding at most @max bytes (0 = no cap). */
void dg_buf_init(dg_buf_t *b, size_t max);

/** Make room for @n more bytes, so that appending them does not
 *  reallocate. Returns 0, DG_ENOMEM or DG_ETOOBIG. */
DG_MUST_CHECK int dg_buf_reserve(dg_buf_t *b, size_t n);

/** Append @n bytes. Returns 0, DG_ENOMEM or DG_ETOOBIG (buffer unchanged). */
DG_MUST_CHECK int dg_buf_append(dg_buf_t *b, const void *p, size_t n);

/** Append a NUL-terminated string. Same returns as dg_buf_append(). */
DG_MUST_CHECK int dg_buf_puts(dg_buf_t *b, const char *s);

/** Append formatted text. Same returns as dg_buf_append(). */
DG_MUST_CHECK int dg_buf_printf(dg_buf_t *b, const char *fmt, ...) DG_PRINTF(2, 3);
DG_MUST_CHECK int dg_buf_vprintf(dg_buf_t *b, const char *fmt, va_list ap) DG_VPRINTF(2);

/** snprintf(@out, @size, "%s%s%s", @a, @sep, @b) without printf: identities
 *  ("hpa/web", "ns/release") are joined on every request. Returns @out. */
char *dg_strjoin(char *out, size_t size, const char *a, const char *sep, const char *b);

/** Hand the bytes to the caller (caller frees; "" if empty) and reset @b.
 *  Returns NULL only when out of memory. */
char *dg_buf_take(dg_buf_t *b);

/** Drop the contents, keep the allocation. */
void dg_buf_reset(dg_buf_t *b);

/** Free the contents; @b may be reused after dg_buf_init(). NULL-safe. */
void dg_buf_free(dg_buf_t *b);

#endif
