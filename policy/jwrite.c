/* policy/jwrite.c: compact JSON text from jansson trees and strings.
 * SPDX-License-Identifier: Apache-2.0 */
#include "jwrite.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* '"', '\\' or a control character: what cannot be written as it is. */
static inline bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

static int put_escaped(dg_buf_t *b, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF"; /* jansson: "\\u%04X" */
    char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

    esc[1] = c == '"' ? '"' : c == '\\' ? '\\' : c == '\b' ? 'b' : c == '\f' ? 'f'
           : c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : 'u';
    return dg_buf_append(b, esc, esc[1] == 'u' ? 6 : 2);
}

/* Strings up to this long with nothing to escape, most of them, are
 * quoted on the stack and appended at once: an append costs more than the
 * bytes of a short string. */
#define QUOTED_MAX 254

int dg_jwrite_strn(dg_buf_t *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    char quoted[QUOTED_MAX + 2];
    int rc;

    while (i < len && !needs_escape(p[i]))
        i++;
    if (i == len && len <= QUOTED_MAX) {
        quoted[0] = '"';
        memcpy(quoted + 1, s, len);
        quoted[len + 1] = '"';
        return dg_buf_append(b, quoted, len + 2);
    }
    rc = dg_buf_append(b, "\"", 1);
    while (!rc) {
        /* A run of bytes written as they are, in one append. */
        if (i > run)
            rc = dg_buf_append(b, s + run, i - run);
        if (rc || i == len)
            break;
        rc = put_escaped(b, p[i]);
        run = ++i;
        while (i < len && !needs_escape(p[i]))
            i++;
    }
    return rc ? rc : dg_buf_append(b, "\"", 1);
}

int dg_jwrite_int(dg_buf_t *b, long long v)
{
    char text[24], *p = text + sizeof text;
    /* Negated as unsigned, so LLONG_MIN has a magnitude too. */
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--p = '-';
    return dg_buf_append(b, p, (size_t)(text + sizeof text - p));
}

/* jansson's jsonp_dtostr(): "%.*g", then ".0" if it would read back as an
 * integer, and the exponent without '+' or leading zeros ("1e6"). */
int dg_jwrite_real(dg_buf_t *b, double d, int precision)
{
    char text[64], *e;
    int n = snprintf(text, sizeof text - 2, "%.*g", precision ? precision : 17, d);

    if (n < 0 || (size_t)n >= sizeof text - 2)
        return DG_EINVAL;
    if (strchr(text, '.') == NULL && strchr(text, 'e') == NULL)
        memcpy(text + n, ".0", 3);
    if ((e = strchr(text, 'e')) != NULL) {
        char *start = e + 1, *end;

        if (*start == '+')
            memmove(start, start + 1, strlen(start));
        if (*start == '-')
            start++;
        for (end = start; *end == '0' && end[1]; end++)
            ;
        memmove(start, end, strlen(end) + 1);
    }
    return dg_buf_puts(b, text);
}

static int put_container(dg_buf_t *b, const json_t *v, int precision)
{
    bool obj = json_is_object(v);
    int rc = dg_buf_append(b, obj ? "{" : "[", 1);
    const char *key;
    json_t *x;
    size_t i = 0;

    if (obj) {
        /* Iteration is in insertion order, as jansson dumps without SORT_KEYS. */
        json_object_foreach((json_t *)v, key, x)
        {
            if (!rc && i++)
                rc = dg_buf_append(b, ",", 1);
            if (!rc)
                rc = dg_jwrite_strn(b, key, strlen(key));
            if (!rc)
                rc = dg_buf_append(b, ":", 1);
            if (!rc)
                rc = dg_jwrite_value(b, x, precision);
        }
    } else {
        json_array_foreach(v, i, x)
        {
            if (!rc && i)
                rc = dg_buf_append(b, ",", 1);
            if (!rc)
                rc = dg_jwrite_value(b, x, precision);
        }
    }
    return rc ? rc : dg_buf_append(b, obj ? "}" : "]", 1);
}

int dg_jwrite_value(dg_buf_t *b, const json_t *v, int precision)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
    case JSON_ARRAY: return put_container(b, v, precision);
    case JSON_STRING: return dg_jwrite_strn(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: return dg_jwrite_int(b, json_integer_value(v));
    case JSON_REAL: return dg_jwrite_real(b, json_real_value(v), precision);
    case JSON_TRUE: return dg_buf_puts(b, "true");
    case JSON_FALSE: return dg_buf_puts(b, "false");
    case JSON_NULL: return dg_buf_puts(b, "null");
    }
    return DG_EINVAL;
}
