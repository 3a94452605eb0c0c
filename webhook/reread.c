/* webhook/reread.c: one flight of re-reads per release. Each caller takes a
 * ticket; a re-read covers every ticket taken before it started, and a
 * caller waits (within its budget) until one that covers its ticket has
 * finished, starting it itself when none is running.
 * SPDX-License-Identifier: Apache-2.0 */
#include "reread.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"

typedef struct flight {
    struct flight *next;
    char key[512];              /* "ns/release" */
    unsigned long taken;        /* tickets handed out */
    unsigned long covered;      /* every ticket up to this one has its answer */
    bool running;
    unsigned users;             /* callers inside dg_reread for this key */
    int rc;                     /* the last re-read's outcome ... */
    dg_release_t *result;       /* ... and its release (NULL: nothing newer) */
} flight_t;

struct dg_reread {
    dg_refresh_ops_t ops;       /* ours */
    const dg_refresh_ops_t *inner;
    dg_metrics_t *metrics;      /* borrowed: the gate's */
    unsigned budget_ms;
    pthread_mutex_t mu;
    pthread_cond_t done;        /* some flight finished */
    flight_t *flights;
};

long dg_reread_budget_ms(unsigned budget_ms, long timeout_ms)
{
    long b = budget_ms;

    if (timeout_ms > 0 && timeout_ms - DG_REREAD_MARGIN_MS < b)
        b = timeout_ms - DG_REREAD_MARGIN_MS;
    return b > 0 ? b : 0;
}

static flight_t *flight_get(dg_reread_t *r, const char *key)
{
    flight_t *f;

    for (f = r->flights; f; f = f->next)
        if (strcmp(f->key, key) == 0)
            return f;
    if ((f = calloc(1, sizeof *f)) == NULL)
        return NULL;
    snprintf(f->key, sizeof f->key, "%s", key);
    f->next = r->flights;
    r->flights = f;
    return f;
}

static void flight_put(dg_reread_t *r, flight_t *f)
{
    flight_t **p;

    if (--f->users > 0 || f->running)
        return;
    for (p = &r->flights; *p != f; p = &(*p)->next)
        ;
    *p = f->next;
    dg_release_free(&f->result);
    free(f);
}

static struct timespec deadline_after(long ms)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static long ms_left(const struct timespec *deadline)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Called with r->mu held; returns with it held. */
static void fly(dg_reread_t *r, flight_t *f, const char *release, const char *ns, long ms)
{
    unsigned long upto = f->taken;
    dg_release_t *fresh = NULL;
    dg_err_t err = {0};
    int rc;

    f->running = true;
    pthread_mutex_unlock(&r->mu);
    dg_metrics_reread(r->metrics, DG_REREAD_MADE);
    rc = r->inner->refresh(r->inner->ctx, release, ns, ms, &fresh, &err);
    pthread_mutex_lock(&r->mu);
    dg_release_free(&f->result);
    f->result = rc ? NULL : fresh;
    if (rc)
        dg_release_free(&fresh);
    f->rc = rc;
    f->covered = upto;
    f->running = false;
    pthread_cond_broadcast(&r->done);
}

static int reread(void *ctx, const char *release, const char *ns, long timeout_ms,
                  dg_release_t **fresh, dg_err_t *err)
{
    dg_reread_t *r = ctx;
    long budget = dg_reread_budget_ms(r->budget_ms, timeout_ms);
    struct timespec deadline = deadline_after(budget);
    char key[512];
    flight_t *f;
    unsigned long ticket;
    bool flew = false;
    int rc = DG_EIO;

    *fresh = NULL;
    if (budget == 0)
        return dg_err_set(err, DG_EIO, "no time left to re-read release %s/%s", ns, release);
    snprintf(key, sizeof key, "%s/%s", ns, release);
    pthread_mutex_lock(&r->mu);
    if ((f = flight_get(r, key)) == NULL) {
        pthread_mutex_unlock(&r->mu);
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    }
    f->users++;
    ticket = ++f->taken;
    while (f->covered < ticket) {
        long left = ms_left(&deadline);

        if (left <= 0)
            break;
        if (!f->running) {
            fly(r, f, release, ns, left);
            flew = true; /* it covered our ticket: taken before it started */
        } else {
            pthread_cond_timedwait(&r->done, &r->mu, &deadline);
        }
    }
    if (f->covered >= ticket) {
        rc = f->rc;
        *fresh = f->result ? dg_release_ref(f->result) : NULL;
        if (!flew)
            dg_metrics_reread(r->metrics, DG_REREAD_SHARED);
    } else {
        dg_metrics_reread(r->metrics, DG_REREAD_UNANSWERED);
        dg_err_set(err, DG_EIO, "re-reading release %s: no answer within %ld ms", key, budget);
    }
    flight_put(r, f);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

dg_reread_t *dg_reread_new(const dg_refresh_ops_t *inner, unsigned budget_ms,
                           dg_metrics_t *metrics, dg_err_t *err)
{
    dg_reread_t *r = calloc(1, sizeof *r);
    pthread_condattr_t ca;

    if (r == NULL) {
        dg_err_set(err, DG_ENOMEM, "out of memory");
        return NULL;
    }
    r->inner = inner;
    r->metrics = metrics;
    r->budget_ms = budget_ms;
    r->ops = (dg_refresh_ops_t){reread, r};
    pthread_mutex_init(&r->mu, NULL);
    /* Deadlines on the monotonic clock: a wall-clock step must not stretch them. */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->done, &ca);
    pthread_condattr_destroy(&ca);
    return r;
}

const dg_refresh_ops_t *dg_reread_ops(dg_reread_t *r)
{
    return &r->ops;
}

void dg_reread_free(dg_reread_t **rp)
{
    dg_reread_t *r = rp ? *rp : NULL;

    if (r == NULL)
        return;
    while (r->flights) {
        flight_t *f = r->flights;

        r->flights = f->next;
        dg_release_free(&f->result);
        free(f);
    }
    pthread_cond_destroy(&r->done);
    pthread_mutex_destroy(&r->mu);
    free(r);
    *rp = NULL;
}
