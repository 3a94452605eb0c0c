/* webhook/log.h: driftgate's log: one JSON object per line on stderr,
 * {"ts","level","msg",...fields}, safe from any thread.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_LOG_H
#define DG_LOG_H

#include <jansson.h>

typedef enum dg_log_level { DG_LOG_DEBUG, DG_LOG_INFO, DG_LOG_WARN, DG_LOG_ERROR } dg_log_level_t;

/** Start the writer thread: from here on a line is queued (up to 4 MiB),
 *  never written on the caller's thread; when the queue is full it is
 *  dropped and counted. Without it lines are written directly. */
void dg_log_start(void);

/** Write out what is queued and stop the writer. */
void dg_log_stop(void);

/** Lines dropped because the reader of stderr fell behind. */
unsigned long long dg_log_dropped(void);

/** Lines below @min are dropped (default info). */
void dg_log_set_level(dg_log_level_t min);

/** Parse "debug", "info", "warn", "error"; -1 if unknown. */
int dg_log_level_parse(const char *s);

/** Write one line: @fields (stolen; may be NULL) plus ts, level and msg. */
void dg_log(dg_log_level_t level, const char *msg, json_t *fields);

/** The same, with @fields borrowed (may be NULL). */
void dg_log_fields(dg_log_level_t level, const char *msg, const json_t *fields);

#endif
