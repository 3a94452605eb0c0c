/* webhook/timelines.c: one classifier state for every release, fed in
 * arrival order (the audit backend sends batches in time order), so an
 * event is filed under its owner as the log knew it then; each release
 * keeps its raw events, which a GET replays through a fresh dg_timeline_t:
 * the answer is then `driftctl timeline -o json` over the same events, by
 * the same code, with nothing to keep in step.
 * SPDX-License-Identifier: Apache-2.0 */
#include "timelines.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The last events of one release, oldest at @head. */
typedef struct ring {
    char *key;       /* "namespace/name", as dg_timeline_event_t.release */
    json_t **ev;     /* @cap slots */
    size_t cap, head, n;
    uint64_t touched; /* the store's write count when last written */
} ring_t;

struct dg_timelines {
    pthread_mutex_t mu; /* over everything below; never taken by /validate */
    dg_timeline_opts_t opts;
    dg_timeline_state_t *st; /* owners, revisions, baselines: every release */
    ring_t *rings;
    size_t nrings, per_release, max_releases;
    uint64_t writes;
};

static void ring_clear(ring_t *r)
{
    for (size_t i = 0; r->ev && i < r->cap; i++)
        json_decref(r->ev[i]);
    free(r->key);
    free(r->ev);
    memset(r, 0, sizeof *r);
}

dg_timelines_t *dg_timelines_new(const dg_timeline_opts_t *opts, size_t per_release,
                                 size_t releases, dg_err_t *err)
{
    dg_timelines_t *t = calloc(1, sizeof *t);

    if (t == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory"), NULL;
    t->opts = (dg_timeline_opts_t){.webhook = opts->webhook, .baseline_ns = opts->baseline_ns,
                                   .pol = opts->pol};
    t->per_release = per_release ? per_release : 1;
    t->max_releases = releases ? releases : 1;
    t->rings = calloc(t->max_releases, sizeof *t->rings);
    t->st = t->rings ? dg_timeline_state_new(&t->opts, err) : NULL;
    if (t->st == NULL) {
        free(t->rings);
        free(t);
        return dg_err_set(err, DG_ENOMEM, "out of memory"), NULL;
    }
    pthread_mutex_init(&t->mu, NULL);
    return t;
}

void dg_timelines_free(dg_timelines_t **tp)
{
    dg_timelines_t *t = tp ? *tp : NULL;

    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nrings; i++)
        ring_clear(&t->rings[i]);
    free(t->rings);
    dg_timeline_state_free(&t->st);
    pthread_mutex_destroy(&t->mu);
    free(t);
    *tp = NULL;
}

/* "namespace/name"; "" when too long to be a release's. */
static const char *release_key(char *buf, size_t size, const char *ns, const char *release)
{
    int n = snprintf(buf, size, "%s/%s", ns, release);

    return n > 0 && (size_t)n < size ? buf : "";
}

static ring_t *find(dg_timelines_t *t, const char *key)
{
    for (size_t i = 0; i < t->nrings; i++)
        if (strcmp(t->rings[i].key, key) == 0)
            return &t->rings[i];
    return NULL;
}

/* A ring for @key: a free slot, or the one of the release written to
 * longest ago. NULL when out of memory. */
static ring_t *make(dg_timelines_t *t, const char *key)
{
    ring_t *r = &t->rings[t->nrings];

    if (t->nrings == t->max_releases) {
        r = &t->rings[0];
        for (size_t i = 1; i < t->nrings; i++)
            if (t->rings[i].touched < r->touched)
                r = &t->rings[i];
        ring_clear(r);
    } else {
        t->nrings++;
    }
    r->key = strdup(key);
    r->ev = calloc(t->per_release, sizeof *r->ev);
    r->cap = t->per_release;
    if (r->key == NULL || r->ev == NULL) {
        ring_clear(r);
        *r = t->rings[--t->nrings]; /* keep the used slots contiguous */
        memset(&t->rings[t->nrings], 0, sizeof *r);
        return NULL;
    }
    return r;
}

static int keep(dg_timelines_t *t, const char *key, json_t *ev, dg_err_t *err)
{
    ring_t *r = find(t, key);
    size_t slot;

    if (r == NULL && (r = make(t, key)) == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory keeping the timeline of %s", key);
    slot = (r->head + r->n) % t->per_release;
    if (r->n == t->per_release) {
        json_decref(r->ev[slot]); /* the oldest */
        r->head = (r->head + 1) % t->per_release;
    } else {
        r->n++;
    }
    r->ev[slot] = json_incref(ev);
    r->touched = ++t->writes;
    return 0;
}

/* Classify and resolve @ev now, so its owner is the one the events before
 * it taught; keep it (raw) under that owner. */
static int take(dg_timelines_t *t, json_t *ev, size_t *skipped, dg_err_t *err)
{
    dg_timeline_event_t e;
    dg_err_t bad = {0};
    int rc;

    /* An EventList's items carry no kind of their own (the list's is
     * theirs); the audit log's lines, which the classifier reads, do. */
    if (json_is_object(ev) && json_object_get(ev, "kind") == NULL &&
        json_object_set_new(ev, "kind", json_string("Event")) != 0)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    rc = dg_timeline_classify(t->st, ev, &e, &bad);

    if (rc == DG_EPARSE) {
        ++*skipped;
        return 0;
    }
    if (rc <= 0)
        return rc ? dg_err_set(err, rc, "%s", bad.msg) : 0;
    rc = dg_timeline_resolve(t->st, &e, err);
    if (rc == 1 && e.release)
        rc = keep(t, e.release, ev, err);
    dg_timeline_event_clear(&e);
    return rc < 0 ? rc : 0;
}

int dg_timelines_add(dg_timelines_t *t, json_t *list, size_t *skipped, dg_err_t *err)
{
    json_t *items = json_object_get(list, "items");
    const char *kind = json_string_value(json_object_get(list, "kind"));
    size_t i, none = 0;
    json_t *ev;
    int rc = 0;

    if (skipped == NULL)
        skipped = &none;
    if (kind == NULL || strcmp(kind, "EventList") != 0 || !json_is_array(items))
        return dg_err_set(err, DG_EPARSE,
                          "not an audit.k8s.io/v1 EventList (kind EventList with items)");
    pthread_mutex_lock(&t->mu);
    json_array_foreach(items, i, ev)
        if ((rc = take(t, ev, skipped, err)) != 0)
            break;
    pthread_mutex_unlock(&t->mu);
    return rc;
}

/* New references to @key's events, oldest first, in *@out (malloced). */
static int snapshot(dg_timelines_t *t, const char *key, json_t ***out, size_t *n)
{
    ring_t *r;
    int rc = 0;

    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&t->mu);
    if ((r = find(t, key)) != NULL && r->n) {
        if ((*out = malloc(r->n * sizeof **out)) == NULL)
            rc = DG_ENOMEM;
        for (size_t i = 0; *out && i < r->n; i++)
            (*out)[(*n)++] = json_incref(r->ev[(r->head + i) % t->per_release]);
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}

static int replay(dg_timeline_t *tl, json_t **ev, size_t n, dg_err_t *err)
{
    int rc = 0;

    for (size_t i = 0; i < n && rc != DG_ENOMEM; i++)
        rc = dg_timeline_add(tl, ev[i], err);
    return rc == DG_ENOMEM ? rc : dg_timeline_finish(tl, err);
}

int dg_timelines_render(dg_timelines_t *t, const char *ns, const char *release,
                        const char *object, dg_format_t fmt, dg_buf_t *out, dg_err_t *err)
{
    dg_timeline_opts_t to = t->opts;
    dg_timeline_t *tl = NULL;
    json_t **ev = NULL;
    size_t n = 0;
    char key[320];
    int rc;

    to.ns = ns;
    to.release = release;
    if (object && (rc = dg_timeline_opts_object(&to, "object", object, err)) != 0)
        return rc;
    rc = snapshot(t, release_key(key, sizeof key, ns, release), &ev, &n);
    if (!rc && (tl = dg_timeline_new(&to, INT64_MIN, err)) == NULL)
        rc = DG_ENOMEM;
    if (!rc)
        rc = replay(tl, ev, n, err);
    if (!rc)
        rc = dg_report_timeline(tl, fmt, &(dg_report_timeline_ctx_t){n, 0}, out, err);
    for (size_t i = 0; i < n; i++)
        json_decref(ev[i]);
    free(ev);
    dg_timeline_free(&tl);
    return rc == DG_ENOMEM ? dg_err_set(err, rc, "out of memory rendering the timeline") : rc;
}

size_t dg_timelines_count(dg_timelines_t *t, const char *ns, const char *release)
{
    char key[320];
    ring_t *r;
    size_t n = 0;

    pthread_mutex_lock(&t->mu);
    if ((r = find(t, release_key(key, sizeof key, ns, release))) != NULL)
        n = r->n;
    pthread_mutex_unlock(&t->mu);
    return n;
}
