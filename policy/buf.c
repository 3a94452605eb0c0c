/* policy/buf.c: dg_buf_t.
 * SPDX-License-Identifier: Apache-2.0 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dg_buf_init(dg_buf_t *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->size = 0;
    b->max = max;
}

/* Make room for @n more bytes plus the terminating NUL. */
static int reserve(dg_buf_t *b, size_t n)
{
    size_t need, size;
    char *p;

    if (n > (size_t)-1 / 2 - b->len || (b->max && b->len + n > b->max))
        return DG_ETOOBIG;
    need = b->len + n + 1;
    if (need <= b->size)
        return 0;
    size = b->size ? b->size : 64;
    while (size < need)
        size *= 2;
    p = realloc(b->data, size);
    if (p == NULL)
        return DG_ENOMEM;
    b->data = p;
    b->size = size;
    return 0;
}

int dg_buf_reserve(dg_buf_t *b, size_t n)
{
    return reserve(b, n);
}

int dg_buf_append(dg_buf_t *b, const void *p, size_t n)
{
    int rc = reserve(b, n);

    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int dg_buf_puts(dg_buf_t *b, const char *s)
{
    return dg_buf_append(b, s, strlen(s));
}

int dg_buf_vprintf(dg_buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n, rc;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return DG_EINVAL;
    rc = reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int dg_buf_printf(dg_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = dg_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *dg_buf_take(dg_buf_t *b)
{
    char *p = b->data;

    if (p == NULL)
        p = strdup("");
    b->data = NULL;
    b->len = b->size = 0;
    return p;
}

void dg_buf_reset(dg_buf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void dg_buf_free(dg_buf_t *b)
{
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->size = 0;
}
