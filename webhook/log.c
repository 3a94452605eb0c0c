/* webhook/log.c: JSON lines. Request threads queue whole lines; one
 * writer thread writes them, each line as one write(2) (short writes
 * finished), so lines never interleave, and a stalled reader of stderr (a
 * full pipe, a paused log shipper) costs a dropped, counted line instead of
 * a blocked request. Each gate has its own (level, queue, writer, dropped
 * count); two in one process still never interleave within a line.
 * SPDX-License-Identifier: Apache-2.0 */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const names[] = {"debug", "info", "warn", "error"};

/* Queued lines beyond this many bytes are dropped: a stalled reader must
 * not grow driftgate's memory either. */
#define QUEUE_MAX_BYTES ((size_t)4 << 20)

typedef struct line {
    struct line *next;
    size_t len;
    char text[];
} line_t;

/* One gate's log: its level, its queue and writer, its dropped count. */
struct dg_log {
    atomic_int min_level;
    atomic_ullong dropped;
    pthread_mutex_t mu; /* the queue and the writer's state */
    pthread_cond_t more;
    line_t *head, *tail;
    size_t bytes;
    bool running, stopping;
    pthread_t writer;
};

/* All of it, or give up on a dead descriptor. */
static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void *run_writer(void *arg)
{
    dg_log_t *q = arg;

    pthread_mutex_lock(&q->mu);
    for (;;) {
        line_t *l;

        while (q->head == NULL && !q->stopping)
            pthread_cond_wait(&q->more, &q->mu);
        if ((l = q->head) == NULL)
            break;
        if ((q->head = l->next) == NULL)
            q->tail = NULL;
        q->bytes -= l->len;
        pthread_mutex_unlock(&q->mu);
        write_all(l->text, l->len);
        free(l);
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

dg_log_t *dg_log_new(dg_log_level_t min)
{
    dg_log_t *q = calloc(1, sizeof *q);

    if (q == NULL)
        return NULL;
    atomic_init(&q->min_level, (int)min);
    atomic_init(&q->dropped, 0);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->more, NULL);
    return q;
}

void dg_log_start(dg_log_t *q)
{
    pthread_mutex_lock(&q->mu);
    q->stopping = false;
    q->running = pthread_create(&q->writer, NULL, run_writer, q) == 0;
    pthread_mutex_unlock(&q->mu);
}

void dg_log_stop(dg_log_t *q)
{
    bool running;

    pthread_mutex_lock(&q->mu);
    running = q->running;
    q->stopping = true;
    pthread_cond_signal(&q->more);
    pthread_mutex_unlock(&q->mu);
    if (running)
        pthread_join(q->writer, NULL); /* the queue is written out first */
    q->running = false;
}

void dg_log_free(dg_log_t **log)
{
    dg_log_t *q = log ? *log : NULL;

    if (q == NULL)
        return;
    dg_log_stop(q);
    pthread_cond_destroy(&q->more);
    pthread_mutex_destroy(&q->mu);
    free(q);
    *log = NULL;
}

unsigned long long dg_log_dropped(dg_log_t *q)
{
    return q ? atomic_load(&q->dropped) : 0;
}

/* Hand @l (malloced) to the writer, or write it here when there is none. */
static void emit(dg_log_t *q, line_t *l)
{
    pthread_mutex_lock(&q->mu);
    if (!q->running) {
        pthread_mutex_unlock(&q->mu);
        write_all(l->text, l->len);
        free(l);
        return;
    }
    if (q->bytes + l->len > QUEUE_MAX_BYTES) {
        pthread_mutex_unlock(&q->mu);
        atomic_fetch_add(&q->dropped, 1);
        free(l);
        return;
    }
    l->next = NULL;
    if (q->tail)
        q->tail->next = l;
    else
        q->head = l;
    q->tail = l;
    q->bytes += l->len;
    pthread_cond_signal(&q->more);
    pthread_mutex_unlock(&q->mu);
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
void dg_log_fields(dg_log_t *q, dg_log_level_t level, const char *msg, const json_t *fields)
{
    struct timespec ts;
    struct tm tm;
    char head[160], *m, *rest = NULL;
    line_t *line;
    json_t *ms;
    size_t hn, mn, rn;

    if (q == NULL || (int)level < atomic_load(&q->min_level))
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
    if ((line = malloc(sizeof *line + hn + mn + rn + 2)) != NULL) {
        size_t n = (size_t)sprintf(line->text, "%s%s%s", head, m, rest ? rest : "}");

        if (rest)
            line->text[hn + mn] = ',';
        line->text[n] = '\n'; /* replaces the NUL: written as one line */
        line->len = n + 1;
        emit(q, line);
    } else {
        atomic_fetch_add(&q->dropped, 1);
    }
    free(rest);
    free(m);
}

void dg_log(dg_log_t *q, dg_log_level_t level, const char *msg, json_t *fields)
{
    dg_log_fields(q, level, msg, fields);
    json_decref(fields);
}
