/* policy/jwrite.c: compact JSON text from jansson trees and strings.
 * SPDX-License-Identifier: Apache-2.0 */
#include "jwrite.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int dg_jwrite_strn(dg_buf_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF"; /* jansson: "\\u%04X" */
    const unsigned char *p = (const unsigned char *)s;
    int rc = dg_buf_append(b, "\"", 1);

    for (size_t i = 0, run = 0; i <= len && !rc; i++) {
        unsigned char c = i < len ? p[i] : 0;
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};

        if (i < len && c >= 0x20 && c != '"' && c != '\\')
            continue;
        /* A run of bytes written as they are, in one append. */
        if (i > run)
            rc = dg_buf_append(b, s + run, i - run);
        run = i + 1;
        if (i == len || rc)
            break;
        esc[1] = c == '"' ? '"' : c == '\\' ? '\\' : c == '\b' ? 'b' : c == '\f' ? 'f'
               : c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : 'u';
        if (esc[1] == 'u')
            memcpy(esc + 2, (char[]){'0', '0', hex[c >> 4], hex[c & 15]}, 4);
        rc = dg_buf_append(b, esc, esc[1] == 'u' ? 6 : 2);
    }
    return rc ? rc : dg_buf_append(b, "\"", 1);
}

/* jansson's jsonp_dtostr(): "%.*g", then ".0" if it would read back as an
 * integer, and the exponent without '+' or leading zeros ("1e6"). */
static int put_real(dg_buf_t *b, double d, int precision)
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
    case JSON_INTEGER: return dg_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL: return put_real(b, json_real_value(v), precision);
    case JSON_TRUE: return dg_buf_puts(b, "true");
    case JSON_FALSE: return dg_buf_puts(b, "false");
    case JSON_NULL: return dg_buf_puts(b, "null");
    }
    return DG_EINVAL;
}
