/* policy/rfc3339.h: RFC 3339 times ("2025-06-01T12:00:00Z",
 * "2026-12-01T20:52:35.068409Z", "2025-06-01T12:00:00.5+02:00"), as
 * Kubernetes writes them in objects and audit events. Pure arithmetic: no
 * timegm(), no TZ, no clock. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_RFC3339_H
#define DG_RFC3339_H

#include <stdint.h>

/** Parse @s (the whole string: a date, 'T', a time with optional
 *  fraction, then 'Z' or a +hh:mm/-hh:mm offset). On success *@sec gets
 *  the Unix seconds and *@nsec (may be NULL) the nanoseconds of the
 *  fraction (digits past the ninth are dropped). Returns 0, or -1 when @s
 *  is not such a time (nothing written). */
int dg_rfc3339_parse(const char *s, int64_t *sec, int32_t *nsec);

/** The same, as nanoseconds since the epoch in one number (times up to
 *  the year 2262), for ordering events. Returns 0 or -1. */
int dg_rfc3339_parse_ns(const char *s, int64_t *ns);

#endif
