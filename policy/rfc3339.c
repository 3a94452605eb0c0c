/* policy/rfc3339.c: RFC 3339 times without the C library's time zone
 * machinery: a break-glass expiry and an audit event's timestamp must not
 * depend on the TZ of the host judging them.
 * SPDX-License-Identifier: Apache-2.0 */
#include "rfc3339.h"

#include <string.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 ? 28 + leap : dm[m - 1];
}

/* ".068409" at @p: its nanoseconds into *@nsec; returns past the digits,
 * or NULL when a dot has no digit after it. */
static const char *fraction(const char *p, int32_t *nsec)
{
    int32_t v = 0, scale = 100000000;

    *nsec = 0;
    if (*p != '.')
        return p;
    if (p[1] < '0' || p[1] > '9')
        return NULL;
    for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
        v += scale ? (*p - '0') * scale : 0;
    *nsec = v;
    return p;
}

int dg_rfc3339_parse(const char *s, int64_t *sec, int32_t *nsec)
{
    int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
    int32_t ns;
    const char *p;

    if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':' || digits(s, 4, &y) || digits(s + 5, 2, &mo) ||
        digits(s + 8, 2, &d) || digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
        digits(s + 17, 2, &se))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 60)
        return -1;
    if ((p = fraction(s + 19, &ns)) == NULL)
        return -1;
    if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
        sign = 0;
    } else if ((p[0] == '+' || p[0] == '-') && strlen(p) == 6 && p[3] == ':' &&
               !digits(p + 1, 2, &oh) && !digits(p + 4, 2, &om) && oh <= 23 && om <= 59) {
        sign = p[0] == '+' ? 1 : -1;
    } else {
        return -1;
    }
    *sec = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
           sign * (oh * 3600 + om * 60);
    if (nsec)
        *nsec = ns;
    return 0;
}

int dg_rfc3339_parse_ns(const char *s, int64_t *ns)
{
    int64_t sec;
    int32_t frac;

    if (dg_rfc3339_parse(s, &sec, &frac) != 0 || sec > INT64_MAX / 1000000000 - 1 ||
        sec < INT64_MIN / 1000000000 + 1)
        return -1;
    *ns = sec * 1000000000 + frac;
    return 0;
}
