/* webhook/drift.c: the last pass's episodes, swapped in whole.
 * SPDX-License-Identifier: Apache-2.0 */
#include "drift.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct dg_drift {
    pthread_mutex_t mu;
    json_t *ended, *oldest;
    size_t open, untracked;
};

dg_drift_t *dg_drift_new(void)
{
    dg_drift_t *d = calloc(1, sizeof *d);

    if (d == NULL)
        return NULL;
    pthread_mutex_init(&d->mu, NULL);
    d->ended = json_array();
    d->oldest = json_object();
    if (d->ended == NULL || d->oldest == NULL)
        dg_drift_free(&d);
    return d;
}

void dg_drift_free(dg_drift_t **dp)
{
    dg_drift_t *d = dp ? *dp : NULL;

    if (d == NULL)
        return;
    json_decref(d->ended);
    json_decref(d->oldest);
    pthread_mutex_destroy(&d->mu);
    free(d);
    *dp = NULL;
}

void dg_drift_publish(dg_drift_t *d, json_t *ended, json_t *oldest, size_t open, size_t untracked)
{
    json_t *old_e, *old_o;

    if (ended == NULL || oldest == NULL) { /* out of memory: the last pass's stay */
        json_decref(ended);
        json_decref(oldest);
        return;
    }
    pthread_mutex_lock(&d->mu);
    old_e = d->ended;
    old_o = d->oldest;
    d->ended = ended;
    d->oldest = oldest;
    d->open = open;
    d->untracked = untracked;
    pthread_mutex_unlock(&d->mu);
    json_decref(old_e);
    json_decref(old_o);
}

json_t *dg_drift_ended(dg_drift_t *d)
{
    json_t *e;

    if (d == NULL)
        return json_array();
    pthread_mutex_lock(&d->mu);
    e = json_incref(d->ended);
    pthread_mutex_unlock(&d->mu);
    return e;
}

/* A label value: quotes, backslashes and newlines escaped. */
static int label(dg_buf_t *o, const char *s, size_t n)
{
    int rc = 0;

    for (size_t i = 0; i < n && !rc; i++)
        rc = s[i] == '"' || s[i] == '\\' ? dg_buf_printf(o, "\\%c", s[i])
             : s[i] == '\n'              ? dg_buf_puts(o, "\\n")
                                         : dg_buf_append(o, &s[i], 1);
    return rc;
}

int dg_drift_metrics(dg_drift_t *d, int64_t now, dg_buf_t *o)
{
    const char *rel;
    json_t *started;
    int rc;

    if (d == NULL)
        return 0;
    pthread_mutex_lock(&d->mu);
    rc = dg_buf_puts(o, "# HELP driftgate_drift_episode_oldest_seconds Age of the oldest open "
                        "drift episode, per release.\n"
                        "# TYPE driftgate_drift_episode_oldest_seconds gauge\n");
    json_object_foreach(d->oldest, rel, started) {
        const char *slash = strchr(rel, '/');
        int64_t age = now - (int64_t)json_integer_value(started);

        if (slash == NULL || rc)
            continue;
        rc = dg_buf_puts(o, "driftgate_drift_episode_oldest_seconds{namespace=\"");
        rc = rc ? rc : label(o, rel, (size_t)(slash - rel));
        rc = rc ? rc : dg_buf_puts(o, "\",release=\"");
        rc = rc ? rc : label(o, slash + 1, strlen(slash + 1));
        rc = rc ? rc : dg_buf_printf(o, "\"} %lld\n", (long long)(age > 0 ? age : 0));
    }
    if (!rc)
        rc = dg_buf_printf(o,
                           "# HELP driftgate_drift_episodes_open Drift episodes open.\n"
                           "# TYPE driftgate_drift_episodes_open gauge\n"
                           "driftgate_drift_episodes_open %zu\n"
                           "# HELP driftgate_drift_episodes_untracked Drifted values past the "
                           "episode bound, not tracked.\n"
                           "# TYPE driftgate_drift_episodes_untracked gauge\n"
                           "driftgate_drift_episodes_untracked %zu\n",
                           d->open, d->untracked);
    pthread_mutex_unlock(&d->mu);
    return rc;
}
