/* policy/buf.h: a growable byte buffer with an explicit cap, always
 * NUL-terminated. Pure: libc only.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_BUF_H
#define DG_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "err.h"

typedef struct dg_buf {
    char *data;  /* NULL or malloced; NUL-terminated when not NULL */
    size_t len;  /* bytes used, excluding the NUL */
    size_t size; /* bytes allocated */
    size_t max;  /* cap on len; appending past it fails with DG_ETOOBIG */
} dg_buf_t;

/** Start empty, holding at most @max bytes (0 = no cap). */
void dg_buf_init(dg_buf_t *b, size_t max);

/** dg_buf_reserve() when @b must grow (or is capped): not called
 *  directly. */
DG_MUST_CHECK int dg_buf_reserve_grow(dg_buf_t *b, size_t n);

/** Make room for @n more bytes, so that appending them does not
 *  reallocate. Returns 0, DG_ENOMEM or DG_ETOOBIG. */
DG_MUST_CHECK static inline int dg_buf_reserve(dg_buf_t *b, size_t n)
{
    if (n >= b->size - b->len || b->max)
        return dg_buf_reserve_grow(b, n);
    return 0;
}

/** dg_buf_append() when @b must grow first (or is capped): not called
 *  directly. */
DG_MUST_CHECK int dg_buf_append_grow(dg_buf_t *b, const void *p, size_t n);

/** Append @n bytes. Returns 0, DG_ENOMEM or DG_ETOOBIG (buffer unchanged).
 *  Inline: most appends are a few bytes, often a literal, into room there
 *  is; the call and the copy cost more than the bytes. */
DG_MUST_CHECK static inline int dg_buf_append(dg_buf_t *b, const void *p, size_t n)
{
    if (n >= b->size - b->len || (b->max && n > b->max - b->len))
        return dg_buf_append_grow(b, p, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/** Append a NUL-terminated string. Same returns as dg_buf_append(). */
DG_MUST_CHECK static inline int dg_buf_puts(dg_buf_t *b, const char *s)
{
    return dg_buf_append(b, s, strlen(s));
}

/** Append formatted text. Same returns as dg_buf_append(). */
DG_MUST_CHECK int dg_buf_printf(dg_buf_t *b, const char *fmt, ...) DG_PRINTF(2, 3);
DG_MUST_CHECK int dg_buf_vprintf(dg_buf_t *b, const char *fmt, va_list ap) DG_VPRINTF(2);

/** Append the @n NUL-terminated strings at @parts, one after another, as
 *  dg_buf_printf() with "%s" for each would (a NULL part reads "(null)",
 *  as glibc prints it), without a format to read: the judged request's
 *  messages and annotations are put together from pieces. All or nothing;
 *  same returns as dg_buf_append(). Called through dg_buf_cat(). */
DG_MUST_CHECK int dg_buf_catv(dg_buf_t *b, const char *const *parts, size_t n);

/** dg_buf_cat(b, "driftgate: ", id, " ", path): the strings after @b, counted
 *  by the compiler, given to dg_buf_catv(). */
#define dg_buf_cat(b, ...)                                                                     \
    dg_buf_catv((b), (const char *const[]){__VA_ARGS__},                                       \
                sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/** Room for any long long in decimal, its sign and the NUL. */
#define DG_INT_TEXT 24

/** @v in decimal into @out, NUL-terminated, as "%lld" writes it (values
 *  are shown on every judged request). Returns its length. */
size_t dg_int_text(char out[DG_INT_TEXT], long long v);

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
