/* bench/audit_gen.c: a large API server audit log grown from real events
 * (a log e2e/run.sh kept, or tests/fixtures/timeline/e2e-audit.log).
 * The seed is written once as it is, then again and again, varied: every
 * copy in its own namespaces ("sandbox-nginx" becomes "sandbox-nginx-c7",
 * and so on for every namespace the seed names), with its own auditIDs and
 * its times shifted a minute per copy. So the seed's own release is the one
 * thing a timeline of it keeps, however large the log grows.
 * Usage: bench_audit_gen SEED MIB OUT. SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The namespaces the seed holds (each renamed per copy): "namespace":"x"
 * values, and the namespace parts of names that embed one. */
static const char *const namespaces[] = {"sandbox-nginx", "sandbox-plain", "sandbox-deploy",
                                         "tenant-b", "driftgate-system", "default"};
#define NNS (sizeof namespaces / sizeof namespaces[0])

/* Append @n bytes to the growing line @out. */
static void put(char **out, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        if ((*out = realloc(*out, *cap)) == NULL) {
            perror("realloc");
            exit(1);
        }
    }
    memcpy(*out + *len, s, n);
    *len += n;
    (*out)[*len] = '\0';
}

/* "2026-12-01T20:52:35.068409Z" at @p moved @shift seconds; writes 20
 * bytes (the fraction and zone that follow are kept as they are). */
static int shift_time(const char *p, long shift, char *out)
{
    struct tm tm = {0};
    time_t t;

    if (sscanf(p, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    t = timegm(&tm) + shift;
    gmtime_r(&t, &tm);
    return strftime(out, 21, "%Y-%m-%dT%H:%M:%S", &tm) == 19 ? 0 : -1;
}

/* One seed line, copy @k: namespaces suffixed, auditIDs prefixed, times shifted. */
static void vary(const char *in, long k, char **out, size_t *len, size_t *cap)
{
    static const char ts[] = "Timestamp\":\"", id[] = "\"auditID\":\"";
    char suffix[32], when[24];
    const char *p = in;

    snprintf(suffix, sizeof suffix, "-c%ld", k);
    *len = 0;
    while (*p) {
        size_t i, n = 0;

        for (i = 0; i < NNS && n == 0; i++)
            if (strncmp(p, namespaces[i], strlen(namespaces[i])) == 0)
                n = strlen(namespaces[i]);
        if (n) {
            put(out, len, cap, p, n);
            put(out, len, cap, suffix, strlen(suffix));
            p += n;
        } else if (strncmp(p, ts, sizeof ts - 1) == 0 && shift_time(p + sizeof ts - 1, k * 60, when) == 0) {
            put(out, len, cap, p, sizeof ts - 1);
            put(out, len, cap, when, 19);
            p += sizeof ts - 1 + 19;
        } else if (strncmp(p, id, sizeof id - 1) == 0) {
            snprintf(when, sizeof when, "%08lx", k);
            put(out, len, cap, p, sizeof id - 1);
            put(out, len, cap, when, 8);
            p += sizeof id - 1 + 8;
        } else {
            put(out, len, cap, p++, 1);
        }
    }
}

int main(int argc, char **argv)
{
    FILE *seed, *out;
    char **lines = NULL, *line = NULL, *v = NULL;
    size_t nlines = 0, cap = 0, vlen = 0, vcap = 0;
    long long want, written = 0;
    ssize_t n;

    if (argc != 4) {
        fprintf(stderr, "usage: bench_audit_gen SEED MIB OUT\n");
        return 1;
    }
    want = atoll(argv[2]) << 20;
    if ((seed = fopen(argv[1], "r")) == NULL || (out = fopen(argv[3], "w")) == NULL) {
        perror(argv[1]);
        return 1;
    }
    while ((n = getline(&line, &cap, seed)) > 0) {
        if ((lines = realloc(lines, (nlines + 1) * sizeof *lines)) == NULL)
            return perror("realloc"), 1;
        lines[nlines++] = strdup(line);
    }
    for (long k = 0; written < want && nlines; k++)
        for (size_t i = 0; i < nlines && written < want; i++) {
            if (k == 0) {
                fputs(lines[i], out);
                written += (long long)strlen(lines[i]);
                continue;
            }
            vary(lines[i], k, &v, &vlen, &vcap);
            fwrite(v, 1, vlen, out);
            written += (long long)vlen;
        }
    if (fclose(out) != 0)
        return perror(argv[3]), 1;
    printf("%lld bytes from %zu seed lines\n", written, nlines);
    return 0;
}
