/* policy/buf.c: dg_buf_t.
 * SPDX-License-Identifier: Apache-2.0 */
#include "buf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

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
    size = b->size ? b->size : 512; /* most grow past 64: one realloc, not four */
    while (size < need)
        size *= 2;
    p = realloc(b->data, size);
    if (p == NULL)
        return DG_ENOMEM;
    b->data = p;
    b->size = size;
    return 0;
}

int dg_buf_reserve_grow(dg_buf_t *b, size_t n)
{
    return reserve(b, n);
}

int dg_buf_append_grow(dg_buf_t *b, const void *p, size_t n)
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

/* The conversions driftgate's messages are made of: %s, %c, %% and
 * %d/%u with no length, l, ll or z; no flags, widths or precisions. What
 * the conversion at @p (just past its '%') is, or 0 when it is another. */
static char simple_conv(const char **p, int *len)
{
    const char *q = *p;
    char c;

    *len = 0;
    if (*q == 'z')
        *len = 3, q++;
    else if (*q == 'l')
        *len = q[1] == 'l' ? 2 : 1, q += *len;
    c = *q;
    if (c == '\0' || !strchr(*len ? "du" : "sdcu%", c))
        return 0;
    *p = q + 1;
    return c;
}

static int put_unsigned(dg_buf_t *b, unsigned long long v, bool minus)
{
    char digits[24], *d = digits + sizeof digits;

    do
        *--d = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    if (minus)
        *--d = '-';
    return dg_buf_append(b, d, (size_t)(digits + sizeof digits - d));
}

static int put_integer(dg_buf_t *b, char conv, int len, va_list *ap)
{
    long long s;
    unsigned long long u;

    if (conv == 'u') {
        u = len == 0   ? va_arg(*ap, unsigned)
            : len == 1 ? va_arg(*ap, unsigned long)
            : len == 2 ? va_arg(*ap, unsigned long long)
                       : va_arg(*ap, size_t);
        return put_unsigned(b, u, false);
    }
    s = len == 0   ? va_arg(*ap, int)
        : len == 1 ? va_arg(*ap, long)
        : len == 2 ? va_arg(*ap, long long)
                   : (long long)va_arg(*ap, ssize_t);
    /* -(s + 1) + 1: LLONG_MIN has no positive counterpart. */
    return put_unsigned(b, s < 0 ? (unsigned long long)-(s + 1) + 1 : (unsigned long long)s, s < 0);
}

/* Not one of simple_conv()'s: simple_printf() gives way to vsnprintf. */
#define NOT_SIMPLE 1

/* One pass, no vsnprintf: what every judged request's messages and
 * annotations use (vsnprintf cost ~2k instructions a call here). Returns
 * 0, DG_ENOMEM / DG_ETOOBIG, or NOT_SIMPLE at the first conversion that
 * is not one of those; the caller takes back what was appended. */
static int simple_printf(dg_buf_t *b, const char *fmt, va_list *ap)
{
    const char *p = fmt, *pct, *lit;
    char conv, c;
    int len, rc = 0;

    while (rc == 0 && (pct = strchr(p, '%')) != NULL) {
        lit = p;
        p = pct + 1;
        if ((conv = simple_conv(&p, &len)) == 0)
            return NOT_SIMPLE;
        if ((rc = dg_buf_append(b, lit, (size_t)(pct - lit))) != 0)
            break;
        if (conv == 's') {
            const char *s = va_arg(*ap, const char *);

            rc = dg_buf_puts(b, s ? s : "(null)"); /* as glibc prints it */
        } else if (conv == 'c') {
            c = (char)va_arg(*ap, int);
            rc = dg_buf_append(b, &c, 1);
        } else if (conv == '%')
            rc = dg_buf_append(b, "%", 1);
        else
            rc = put_integer(b, conv, len, ap);
    }
    return rc ? rc : dg_buf_puts(b, p);
}

int dg_buf_vprintf(dg_buf_t *b, const char *fmt, va_list ap)
{
    size_t start = b->len;
    va_list ap2;
    int n, rc;

    va_copy(ap2, ap);
    rc = simple_printf(b, fmt, &ap2);
    va_end(ap2);
    if (rc && b->data) { /* all or nothing, as below */
        b->len = start;
        b->data[start] = '\0';
    }
    if (rc != NOT_SIMPLE)
        return rc;
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

int dg_buf_catv(dg_buf_t *b, const char *const *parts, size_t n)
{
    size_t start = b->len;
    int rc = 0;

    for (size_t i = 0; i < n && !rc; i++)
        rc = dg_buf_puts(b, parts[i] ? parts[i] : "(null)");
    if (rc && b->data) { /* all or nothing, as dg_buf_vprintf() */
        b->len = start;
        b->data[start] = '\0';
    }
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

size_t dg_int_text(char out[DG_INT_TEXT], long long v)
{
    char digits[DG_INT_TEXT], *d = digits + sizeof digits;
    /* Negated as unsigned: LLONG_MIN has no positive counterpart. */
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    size_t n;

    do
        *--d = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--d = '-';
    n = (size_t)(digits + sizeof digits - d);
    memcpy(out, d, n);
    out[n] = '\0';
    return n;
}

char *dg_strjoin(char *out, size_t size, const char *a, const char *sep, const char *b)
{
    const char *parts[3] = {a, sep, b};
    size_t n = 0;

    if (size == 0)
        return out;
    for (int i = 0; i < 3; i++) {
        size_t len = strnlen(parts[i], size - 1 - n);

        memcpy(out + n, parts[i], len);
        n += len;
    }
    out[n] = '\0';
    return out;
}
