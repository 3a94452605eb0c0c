/* policy/episode.c: open episodes by "release|object|path" in a map; the
 * ended ones in a ring. SPDX-License-Identifier: Apache-2.0 */
#include "episode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strmap.h"

struct dg_episodes {
    dg_strmap_t *open;     /* key -> dg_episode_t * */
    dg_episode_t **ended;  /* ring of @max_ended, oldest at @head */
    size_t max_open, max_ended, head, nended;
    size_t untracked;      /* observations past max_open, last pass */
};

static void episode_free(void *p)
{
    dg_episode_t *ep = p;

    if (ep) {
        free(ep->release);
        free(ep->object);
        free(ep->path);
        free(ep->changed_by);
        free(ep);
    }
}

dg_episodes_t *dg_episodes_new(size_t max_open, size_t max_ended)
{
    dg_episodes_t *e = calloc(1, sizeof *e);

    if (e == NULL)
        return NULL;
    e->max_open = max_open ? max_open : 1;
    e->max_ended = max_ended ? max_ended : 1;
    e->open = dg_strmap_new(episode_free);
    e->ended = calloc(e->max_ended, sizeof *e->ended);
    if (e->open == NULL || e->ended == NULL) {
        dg_episodes_free(&e);
        return NULL;
    }
    return e;
}

void dg_episodes_free(dg_episodes_t **ep)
{
    dg_episodes_t *e = ep ? *ep : NULL;

    if (e == NULL)
        return;
    dg_strmap_free(&e->open);
    for (size_t i = 0; e->ended && i < e->max_ended; i++)
        episode_free(e->ended[i]);
    free(e->ended);
    free(e);
    *ep = NULL;
}

static void key_of(const char *release, const char *object, const char *path, char *out,
                   size_t size)
{
    snprintf(out, size, "%s|%s|%s", release ? release : "", object ? object : "",
             path ? path : "");
}

void dg_episodes_begin(dg_episodes_t *e)
{
    dg_strmap_iter_t it = {0};
    const char *k;
    void *v;

    while (dg_strmap_next(e->open, &it, &k, &v))
        ((dg_episode_t *)v)->seen = false;
    e->untracked = 0;
}

static char *dup(const char *s, bool *oom)
{
    char *d = s ? strdup(s) : NULL;

    *oom |= s && !d;
    return d;
}

dg_episode_t *dg_episodes_observe(dg_episodes_t *e, const dg_episode_obs_t *o, int64_t now,
                                  bool *is_new)
{
    char key[2048];
    dg_episode_t *ep;
    bool oom = false;

    key_of(o->release, o->object, o->path, key, sizeof key);
    *is_new = false;
    ep = dg_strmap_get(e->open, key);
    if (ep == NULL) {
        if (dg_strmap_count(e->open) >= e->max_open) {
            e->untracked++;
            return NULL;
        }
        ep = calloc(1, sizeof *ep);
        if (ep == NULL)
            return NULL;
        ep->release = dup(o->release ? o->release : "", &oom);
        ep->object = dup(o->object ? o->object : "", &oom);
        ep->path = dup(o->path ? o->path : "", &oom);
        ep->started = now;
        ep->revision = o->revision;
        if (oom || dg_strmap_put(e->open, key, ep) != 0) {
            if (oom)
                episode_free(ep); /* a failed put has freed it */
            return NULL;
        }
        *is_new = true;
    }
    ep->seen = true;
    ep->last_seen = now;
    /* The field manager owning the path now says who set the value the
     * gate sees; an audit user stays until a manager is known. */
    if (o->changed_by && o->changed_by[0] &&
        (ep->changed_by == NULL || strcmp(ep->changed_by, o->changed_by) != 0)) {
        char *c = strdup(o->changed_by);

        if (c) {
            free(ep->changed_by);
            ep->changed_by = c;
            ep->changed_by_audit = false;
        }
    }
    ep->hold_until = o->hold_until;
    return ep;
}

int dg_episodes_cause(dg_episode_t *ep, int64_t when, const char *user)
{
    if (ep == NULL || when <= 0 || when > ep->started || ep->started_from_audit)
        return 0;
    ep->started = when;
    ep->started_from_audit = true;
    if (user && user[0] && ep->changed_by == NULL) {
        ep->changed_by = strdup(user);
        if (ep->changed_by == NULL)
            return DG_ENOMEM;
        ep->changed_by_audit = true;
    }
    return 0;
}

static void keep_ended(dg_episodes_t *e, dg_episode_t *ep)
{
    size_t slot = (e->head + e->nended) % e->max_ended;

    if (e->nended == e->max_ended) {
        episode_free(e->ended[slot]);
        e->head = (e->head + 1) % e->max_ended;
    } else {
        e->nended++;
    }
    e->ended[slot] = ep;
}

void dg_episodes_end_pass(dg_episodes_t *e, int64_t now,
                          bool (*was_read)(void *ctx, const char *release, const char *object),
                          long (*revision)(void *ctx, const char *release),
                          void (*ended)(void *ctx, const dg_episode_t *ep), void *ctx)
{
    dg_strmap_iter_t it = {0};
    const char *k;
    void *v;

    while (dg_strmap_next(e->open, &it, &k, &v)) {
        dg_episode_t *ep = v;
        long rev;

        if (ep->seen || (was_read && !was_read(ctx, ep->release, ep->object)))
            continue;
        rev = revision ? revision(ctx, ep->release) : ep->revision;
        ep->end = rev != ep->revision ? DG_EPISODE_ADOPTED : DG_EPISODE_RECONCILED;
        ep->ended = now;
        if (ended)
            ended(ctx, ep);
        keep_ended(e, dg_strmap_take(e->open, k));
    }
}

const dg_episode_t *dg_episodes_find(const dg_episodes_t *e, const char *release,
                                     const char *object, const char *path)
{
    char key[2048];

    key_of(release, object, path, key, sizeof key);
    return dg_strmap_get(e->open, key);
}

static json_t *when(int64_t t)
{
    char buf[32];
    time_t s = (time_t)t;
    struct tm tm;

    if (t <= 0)
        return json_null();
    gmtime_r(&s, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}

json_t *dg_episode_json(const dg_episode_t *ep, int64_t now)
{
    json_t *hold = json_null();
    int64_t end = ep->ended ? ep->ended : now;

    if (ep->hold_until > 0) {
        bool expired = now >= ep->hold_until;

        hold = json_pack("{s:o, s:b, s:s?}", "until", when(ep->hold_until), "expired", expired,
                         "message", expired ? DG_EPISODE_HOLD_EXPIRED : NULL);
    }
    return json_pack("{s:o, s:s, s:o, s:I, s:s?, s:s?, s:I, s:o, s:o, s:s?}", "started",
                     when(ep->started), "startedFrom",
                     ep->started_from_audit ? "audit-event" : "first-seen", "lastSeen",
                     when(ep->last_seen), "ageSeconds",
                     (json_int_t)(end > ep->started ? end - ep->started : 0), "changedBy",
                     ep->changed_by, "changedByFrom",
                     ep->changed_by == NULL   ? NULL
                     : ep->changed_by_audit ? "audit"
                                            : "field-manager",
                     "revision", (json_int_t)ep->revision, "hold", hold, "ended", when(ep->ended),
                     "endedBy",
                     ep->end == DG_EPISODE_RECONCILED ? "reconciled"
                     : ep->end == DG_EPISODE_ADOPTED  ? "adopted"
                                                      : NULL);
}

json_t *dg_episodes_ended_json(const dg_episodes_t *e, int64_t now)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr && i < e->nended; i++) {
        const dg_episode_t *ep = e->ended[(e->head + i) % e->max_ended];
        json_t *j = dg_episode_json(ep, now);

        if (j == NULL || json_object_set_new(j, "release", json_string(ep->release)) ||
            json_object_set_new(j, "object", json_string(ep->object)) ||
            json_object_set_new(j, "path", json_string(ep->path)) ||
            json_array_append_new(arr, j)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

json_t *dg_episodes_oldest(const dg_episodes_t *e)
{
    json_t *out = json_object();
    dg_strmap_iter_t it = {0};
    const char *k;
    void *v;

    while (out && dg_strmap_next(e->open, &it, &k, &v)) {
        const dg_episode_t *ep = v;
        json_t *cur = json_object_get(out, ep->release);

        if (cur == NULL || json_integer_value(cur) > ep->started)
            json_object_set_new(out, ep->release, json_integer(ep->started));
    }
    return out;
}

size_t dg_episodes_open(const dg_episodes_t *e)
{
    return dg_strmap_count(e->open);
}

size_t dg_episodes_untracked(const dg_episodes_t *e)
{
    return e->untracked;
}
