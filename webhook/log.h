/* webhook/log.h: driftgate's log: one JSON object per line on stderr,
 * {"ts","level","msg",...fields}, safe from any thread. One dg_log_t per
 * gate, owned by dg_gate_t; every part that logs is handed it.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_LOG_H
#define DG_LOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum dg_log_level { DG_LOG_DEBUG, DG_LOG_INFO, DG_LOG_WARN, DG_LOG_ERROR } dg_log_level_t;

typedef struct dg_log dg_log_t; /* opaque; shared by every thread */

/** A log that drops lines below @min and, until dg_log_start(), writes
 *  each line directly on the caller's thread. NULL when out of memory;
 *  caller frees with dg_log_free(). */
dg_log_t *dg_log_new(dg_log_level_t min);

/** Stop the writer (the queue is written out first), free @log (NULL is
 *  fine) and set it to NULL. After everything that logs to it. */
void dg_log_free(dg_log_t **log);

/** Start the writer thread: from here on a line is queued (up to 4 MiB),
 *  never written on the caller's thread; when the queue is full it is
 *  dropped and counted. */
void dg_log_start(dg_log_t *log);

/** Write out what is queued and stop the writer. */
void dg_log_stop(dg_log_t *log);

/** Lines dropped because the reader of stderr fell behind (0 for NULL). */
unsigned long long dg_log_dropped(dg_log_t *log);

/** Parse "debug", "info", "warn", "error"; -1 if unknown. */
int dg_log_level_parse(const char *s);

/** Write one line to @log: @fields (stolen; may be NULL) plus ts, level
 *  and msg. @log NULL: the line is dropped (a part made without a log,
 *  in tests). */
void dg_log(dg_log_t *log, dg_log_level_t level, const char *msg, json_t *fields);

/** The same, with @fields borrowed (may be NULL). */
void dg_log_fields(dg_log_t *log, dg_log_level_t level, const char *msg, const json_t *fields);

/** The same, the fields given as @len bytes of an object's compact JSON
 *  text ("{...}", e.g. a decision record), spliced in as they are. */
void dg_log_text(dg_log_t *log, dg_log_level_t level, const char *msg, const char *fields,
                 size_t len);

/** Whether a line at @level would be written (false for a NULL @log): a
 *  caller can skip building fields nothing reads. */
bool dg_log_enabled(dg_log_t *log, dg_log_level_t level);

#endif
