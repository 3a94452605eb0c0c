/* policy/err.c: dg_err_t, the error-code map, and DG_ASSERT's failure path.
 * SPDX-License-Identifier: Apache-2.0 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

DG_VPRINTF(6)
static int vset(dg_err_t *err, int code, const char *where, int line, int col,
                const char *fmt, va_list ap)
{
    size_t n;

    if (err == NULL || err->code != 0)
        return code;
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    /* Messages are one sentence: a trailing newline would break log lines. */
    n = strlen(err->msg);
    while (n > 0 && err->msg[n - 1] == '\n')
        err->msg[--n] = '\0';
    if (where != NULL)
        snprintf(err->where, sizeof err->where, "%s", where);
    err->line = line;
    err->col = col;
    return code;
}

int dg_err_set(dg_err_t *err, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vset(err, code, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return code;
}

int dg_err_at(dg_err_t *err, int code, const char *where, int line, int col,
              const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vset(err, code, where, line, col, fmt, ap);
    va_end(ap);
    return code;
}

void dg_err_clear(dg_err_t *err)
{
    if (err != NULL)
        memset(err, 0, sizeof *err);
}

const char *dg_err_format(const dg_err_t *err, char *buf, size_t size)
{
    const char *msg = err->msg[0] ? err->msg : dg_strerror(err->code);

    if (err->where[0] && err->line > 0 && err->col > 0)
        snprintf(buf, size, "%s:%d:%d: %s", err->where, err->line, err->col, msg);
    else if (err->where[0] && err->line > 0)
        snprintf(buf, size, "%s:%d: %s", err->where, err->line, msg);
    else if (err->where[0])
        snprintf(buf, size, "%s: %s", err->where, msg);
    else
        snprintf(buf, size, "%s", msg);
    return buf;
}

const char *dg_strerror(int code)
{
    switch (code) {
    case DG_OK:
        return "success";
#define XX(name, c, text) \
    case DG_##name:       \
        return text;
        DG_ERRNO_MAP(XX)
#undef XX
    }
    return "unknown error";
}

const char *dg_errname(int code)
{
    switch (code) {
    case DG_OK:
        return "DG_OK";
#define XX(name, c, text) \
    case DG_##name:       \
        return "DG_" #name;
        DG_ERRNO_MAP(XX)
#undef XX
    }
    return "DG_EUNKNOWN";
}

void dg__assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expr);
    abort();
}
