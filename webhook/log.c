/* webhook/log.c: JSON lines. One write(2) per line, so lines from the
 * server's threads never interleave. SPDX-License-Identifier: Apache-2.0 */
#include "log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int min_level = DG_LOG_INFO;
static const char *const names[] = {"debug", "info", "warn", "error"};

void dg_log_set_level(dg_log_level_t min)
{
    atomic_store(&min_level, (int)min);
}

int dg_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* The line is spliced rather than built as one object: the fields are a
 * decision record that is also kept for /api/v1/decisions, and copying it
 * per request cost as much as judging the request. */
void dg_log_fields(dg_log_level_t level, const char *msg, const json_t *fields)
{
    struct timespec ts;
    struct tm tm;
    char head[160], *m, *rest = NULL, *line;
    json_t *ms;
    size_t hn, mn, rn;

    if ((int)level < atomic_load(&min_level))
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    ms = json_string(msg);
    m = ms ? json_dumps(ms, JSON_ENCODE_ANY) : NULL;
    json_decref(ms);
    if (m == NULL)
        return;
    hn = (size_t)snprintf(head, sizeof head,
                          "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\",\"msg\":",
                          tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                          tm.tm_sec, (ts.tv_nsec / 1000000) % 1000, names[level]);
    /* The fields dump as "{...}": their '{' becomes our ','. */
    if (json_is_object(fields) && json_object_size(fields) > 0)
        rest = json_dumps(fields, JSON_COMPACT | JSON_REAL_PRECISION(6));
    mn = strlen(m);
    rn = rest ? strlen(rest) : 1;
    if ((line = malloc(hn + mn + rn + 2)) != NULL) {
        size_t n = (size_t)sprintf(line, "%s%s%s", head, m, rest ? rest : "}");

        if (rest)
            line[hn + mn] = ',';
        line[n] = '\n'; /* replaces the NUL: written as one line */
        if (write(STDERR_FILENO, line, n + 1) < 0) {
            /* nowhere left to report it */
        }
        free(line);
    }
    free(rest);
    free(m);
}

void dg_log(dg_log_level_t level, const char *msg, json_t *fields)
{
    dg_log_fields(level, msg, fields);
    json_decref(fields);
}
