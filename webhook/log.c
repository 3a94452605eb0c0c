/* webhook/log.c: JSON lines. Request threads queue whole lines; one
 * writer thread takes all that is queued and writes it in as few
 * writev(2)s as keep every line whole (short writes finished), so lines
 * never interleave. A line waits at most 2 ms for others to join it, so a
 * busy gate wakes its writer once for many requests, and a stalled reader
 * of stderr (a full pipe, a paused log shipper) costs a dropped, counted
 * line instead of a blocked request. Each gate has its own (level, queue,
 * writer, dropped count); two in one process still never interleave
 * within a line.
 * SPDX-License-Identifier: Apache-2.0 */
#include "log.h"

#include "buf.h"
#include "jwrite.h"
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
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
    enum { WRITING, IDLE, GATHERING } writer_is; /* IDLE: the next line wakes it */
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

/* Lines from @l on, as few writes as keep each line whole: a write of at
 * most PIPE_BUF bytes is atomic even on a pipe that another writer shares
 * (a regular file keeps any write whole), and a longer line goes alone,
 * as it always did. Frees the lines. */
static void write_lines(line_t *l, size_t batch)
{
    struct iovec iov[64];
    line_t *done[64];

    while (l) {
        size_t n = 0, bytes = 0;
        ssize_t w;

        do {
            iov[n] = (struct iovec){l->text, l->len};
            done[n++] = l;
            bytes += l->len;
            l = l->next;
        } while (l && n < 64 && bytes + l->len <= batch);
        do
            w = writev(STDERR_FILENO, iov, (int)n);
        while (w < 0 && errno == EINTR);
        /* A short write: finish the line it cut, then the rest one by one. */
        for (size_t i = 0; i < n; i++) {
            size_t len = iov[i].iov_len;

            if (w >= 0 && (size_t)w < len) {
                write_all((const char *)iov[i].iov_base + w, len - (size_t)w);
                w = 0;
            } else if (w >= 0) {
                w -= (ssize_t)len;
            } /* else a dead descriptor: the batch is dropped, as write_all gives up */
            free(done[i]);
        }
    }
}

/* The first line of a batch waits this long for others, or until this
 * many bytes are queued: a busy gate then wakes its writer once for many
 * requests (once each, it cost a third of a request), and no line waits
 * longer than that to be written. */
#define GATHER_NS 2000000L
#define GATHER_BYTES ((size_t)32 << 10)

static void gather(dg_log_t *q)
{
    struct timespec until;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += GATHER_NS;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    q->writer_is = GATHERING;
    while (!q->stopping && q->bytes < GATHER_BYTES &&
           pthread_cond_timedwait(&q->more, &q->mu, &until) == 0)
        ;
    q->writer_is = WRITING;
}

/* The writer takes every queued line at once. */
static void *run_writer(void *arg)
{
    dg_log_t *q = arg;
    struct stat st;
    size_t batch = fstat(STDERR_FILENO, &st) == 0 && S_ISREG(st.st_mode) ? 64 << 10 : PIPE_BUF;

    pthread_mutex_lock(&q->mu);
    for (;;) {
        line_t *l;

        q->writer_is = IDLE;
        while (q->head == NULL && !q->stopping)
            pthread_cond_wait(&q->more, &q->mu);
        gather(q);
        if ((l = q->head) == NULL)
            break;
        q->head = q->tail = NULL;
        q->bytes = 0;
        pthread_mutex_unlock(&q->mu);
        write_lines(l, batch);
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

dg_log_t *dg_log_new(dg_log_level_t min)
{
    dg_log_t *q = calloc(1, sizeof *q);
    pthread_condattr_t ca;

    if (q == NULL)
        return NULL;
    atomic_init(&q->min_level, (int)min);
    atomic_init(&q->dropped, 0);
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* gather() waits on it */
    pthread_cond_init(&q->more, &ca);
    pthread_condattr_destroy(&ca);
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
    if (q->writer_is == IDLE || (q->writer_is == GATHERING && q->bytes >= GATHER_BYTES))
        pthread_cond_signal(&q->more); /* else the writer finds it soon enough */
    pthread_mutex_unlock(&q->mu);
}

int dg_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* "2026-12-02T01:45:01.123Z": @v in @n digits at @p. */
static char *digits(char *p, long v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

/* {"ts":"...","level":"...","msg": into @p (HEAD_MAX bytes), the time
 * written by hand: printf's cost showed on every decision's line. The
 * date and time to the second are made once a second on each thread.
 * Returns the length. */
#define HEAD_MAX 64

static size_t stamp(char *p)
{
    static _Thread_local time_t last = (time_t)-1;
    static _Thread_local char date[20]; /* "2026-12-02T01:45:01" */
    struct timespec now;
    struct tm tm;
    char *d = date, *start = p;

    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec != last) {
        gmtime_r(&now.tv_sec, &tm);
        d = digits(d, tm.tm_year + 1900, 4);
        *d++ = '-';
        d = digits(d, tm.tm_mon + 1, 2);
        *d++ = '-';
        d = digits(d, tm.tm_mday, 2);
        *d++ = 'T';
        d = digits(d, tm.tm_hour, 2);
        *d++ = ':';
        d = digits(d, tm.tm_min, 2);
        *d++ = ':';
        digits(d, tm.tm_sec, 2);
        last = now.tv_sec;
    }
    memcpy(p, "{\"ts\":\"", 7);
    memcpy(p + 7, date, 19);
    p += 26;
    *p++ = '.';
    p = digits(p, (now.tv_nsec / 1000000) % 1000, 3);
    memcpy(p, "Z\",\"level\":\"", 12);
    return (size_t)(p + 12 - start);
}

/* The head through "msg": (no closing brace) into @b. */
static int head(dg_buf_t *b, dg_log_level_t level, const char *msg)
{
    char ts[HEAD_MAX];
    int rc = dg_buf_append(b, ts, stamp(ts));

    if (!rc)
        rc = dg_buf_puts(b, names[level]);
    if (!rc)
        rc = dg_buf_append(b, "\",\"msg\":", 8);
    return rc ? rc : dg_jwrite_strn(b, msg, strlen(msg));
}

/* The fields, an object's compact text, spliced in: their '{' becomes our
 * ','. No fields, or "{}", close the line as it is. */
static int splice(dg_buf_t *b, const char *fields, size_t len)
{
    int rc = 0;

    if (len > 2 && fields[0] == '{' && (rc = dg_buf_append(b, ",", 1)) == 0)
        rc = dg_buf_append(b, fields + 1, len - 1);
    else
        rc = dg_buf_append(b, "}", 1);
    return rc ? rc : dg_buf_append(b, "\n", 1);
}

/* Queue @b's line: one line, one write. */
static void queue(dg_log_t *q, const dg_buf_t *b)
{
    line_t *line = malloc(sizeof *line + b->len);

    if (line == NULL) {
        atomic_fetch_add(&q->dropped, 1);
        return;
    }
    memcpy(line->text, b->data, b->len);
    line->len = b->len;
    emit(q, line);
}

bool dg_log_enabled(dg_log_t *q, dg_log_level_t level)
{
    return q && (int)level >= atomic_load(&q->min_level);
}

/* A decision's line takes the record's text as it was written for
 * /api/v1/decisions too (policy/report.c): not built twice, nor read back
 * into a tree. The line is made in its own allocation, the one queued:
 * the head, its message as it is when it is plain ASCII (nearly always: a
 * literal), the fields. */
void dg_log_text(dg_log_t *q, dg_log_level_t level, const char *msg, const char *fields,
                 size_t len)
{
    size_t mlen = strlen(msg), h;
    char *p;
    line_t *line;
    dg_buf_t b;

    if (!dg_log_enabled(q, level))
        return;
    if (dg_jwrite_plain(msg, mlen) != mlen) {
        dg_buf_init(&b, 0);
        if (dg_buf_reserve(&b, 96 + mlen + len) == 0 && head(&b, level, msg) == 0 &&
            splice(&b, fields, len) == 0)
            queue(q, &b);
        else
            atomic_fetch_add(&q->dropped, 1);
        dg_buf_free(&b);
        return;
    }
    /* head, "level", '"', ",\"msg\":", '"' msg '"', ',' or '}', fields, '\n' */
    if ((line = malloc(sizeof *line + HEAD_MAX + 16 + mlen + len)) == NULL) {
        atomic_fetch_add(&q->dropped, 1);
        return;
    }
    p = line->text;
    p += stamp(p);
    h = strlen(names[level]);
    memcpy(p, names[level], h);
    p += h;
    memcpy(p, "\",\"msg\":\"", 9);
    memcpy(p + 9, msg, mlen);
    p += 9 + mlen;
    *p++ = '"';
    if (len > 2 && fields[0] == '{') {
        *p++ = ',';
        memcpy(p, fields + 1, len - 1);
        p += len - 1;
    } else {
        *p++ = '}';
    }
    *p++ = '\n';
    line->len = (size_t)(p - line->text);
    emit(q, line);
}

/* Other lines' fields are small trees, written with policy/jwrite.c (as
 * jansson dumps them, reals to 6 digits) after the head, their '{' then
 * made our ','. */
void dg_log_fields(dg_log_t *q, dg_log_level_t level, const char *msg, const json_t *fields)
{
    bool some = json_is_object(fields) && json_object_size(fields) > 0;
    dg_buf_t b;
    size_t brace;
    int rc;

    if (!dg_log_enabled(q, level))
        return;
    dg_buf_init(&b, 0);
    rc = head(&b, level, msg);
    brace = b.len;
    if (!rc && some && (rc = dg_jwrite_value(&b, fields, 6)) == 0)
        b.data[brace] = ',';
    else if (!rc)
        rc = dg_buf_append(&b, "}", 1);
    if (!rc && (rc = dg_buf_append(&b, "\n", 1)) == 0)
        queue(q, &b);
    else
        atomic_fetch_add(&q->dropped, 1);
    dg_buf_free(&b);
}

void dg_log(dg_log_t *q, dg_log_level_t level, const char *msg, json_t *fields)
{
    dg_log_fields(q, level, msg, fields);
    json_decref(fields);
}
