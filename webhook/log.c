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

void dg_log(dg_log_level_t level, const char *msg, json_t *fields)
{
    struct timespec ts;
    struct tm tm;
    char when[64], *line;
    json_t *o;

    if ((int)level < atomic_load(&min_level)) {
        json_decref(fields);
        return;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (ts.tv_nsec / 1000000) % 1000);
    o = json_pack("{s:s, s:s, s:s}", "ts", when, "level", names[level], "msg", msg);
    if (o && json_is_object(fields))
        json_object_update(o, fields);
    json_decref(fields);
    line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (line) {
        size_t n = strlen(line);

        line[n] = '\n'; /* replaces the NUL: written as one line */
        if (write(STDERR_FILENO, line, n + 1) < 0) {
            /* nowhere left to report it */
        }
        free(line);
    }
}
