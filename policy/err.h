/* policy/err.h: the one error type of libdrift, driftgate and driftctl.
 * Pure: libc only. The first error set wins, so the root cause survives.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_ERR_H
#define DG_ERR_H

#include <stddef.h>

#if defined(__GNUC__)
#define DG_MUST_CHECK __attribute__((warn_unused_result))
#define DG_PRINTF(a, b) __attribute__((format(printf, a, b)))
/* For functions taking a va_list: lets clang check their callers' formats. */
#define DG_VPRINTF(a) __attribute__((format(printf, a, 0)))
#else
#define DG_MUST_CHECK
#define DG_PRINTF(a, b)
#define DG_VPRINTF(a)
#endif

/* XX(name, negative code, description) */
#define DG_ERRNO_MAP(XX)                                 \
    XX(ENOMEM, -1, "out of memory")                      \
    XX(EPARSE, -2, "malformed input")                    \
    XX(EINVAL, -3, "invalid value")                      \
    XX(ETOOBIG, -4, "input exceeds its size limit")      \
    XX(EPOLICY, -5, "invalid policy")                    \
    XX(EIO, -6, "input/output error")                    \
    XX(ENOTFOUND, -7, "not found")                       \
    XX(EUNSUPPORTED, -8, "unsupported")                  \
    XX(ECONFLICT, -9, "the object changed")             \
    XX(EWAIT, -10, "would wait where waiting is not allowed")

enum {
    DG_OK = 0,
#define XX(name, code, text) DG_##name = code,
    DG_ERRNO_MAP(XX)
#undef XX
};

typedef struct dg_err {
    int code;        /* DG_E* (negative); 0 = no error */
    char msg[256];   /* one sentence, no trailing newline */
    char where[128]; /* file name, "<request>", or "hpa/ns/name"; "" if none */
    int line, col;   /* 1-based; 0 when not applicable */
} dg_err_t;

/** Record an error unless one is already recorded. @err may be NULL.
 *  Returns @code, so callers can write `return dg_err_set(err, ...)`. */
int dg_err_set(dg_err_t *err, int code, const char *fmt, ...) DG_PRINTF(3, 4);

/** As dg_err_set(), with the input's name and a 1-based position
 *  (line/col 0 = unknown). */
int dg_err_at(dg_err_t *err, int code, const char *where, int line, int col,
              const char *fmt, ...) DG_PRINTF(6, 7);

/** Forget any recorded error. */
void dg_err_clear(dg_err_t *err);

/** Render as "where:line:col: msg" (the parts that are known) into @buf.
 *  Returns @buf. */
const char *dg_err_format(const dg_err_t *err, char *buf, size_t size);

/** "out of memory" etc.; "unknown error" for codes not in the map. */
const char *dg_strerror(int code);

/** "DG_ENOMEM" etc. */
const char *dg_errname(int code);

#define DG_ASSERT(cond) ((cond) ? (void)0 : dg__assert_fail(#cond, __FILE__, __LINE__))
void dg__assert_fail(const char *expr, const char *file, int line)
    __attribute__((noreturn));

#endif
