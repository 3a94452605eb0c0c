/* webhook/kube_watch.h: the reflector. One thread per watched kind LISTs
 * it in pages, then WATCHes from the list's resourceVersion with
 * bookmarks, resuming from the last resourceVersion seen after a transient
 * error and relisting only on 410 Gone or an event it cannot read, the way
 * client-go's reflector does. What changed goes to a sink; objects whose
 * uid and resourceVersion it already handed over are not handed again.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_KUBE_WATCH_H
#define DG_KUBE_WATCH_H

#include <jansson.h>

#include "err.h"
#include "kube_client.h"

/* Where a watch's changes go. Every call comes from the watch's own
 * thread, one at a time. */
typedef struct dg_kube_sink {
    /* @obj (borrowed: take a reference to keep it) was added or changed;
     * its kind and apiVersion are filled in. @key is "ns/name". */
    void (*upsert)(void *ctx, const char *key, json_t *obj);
    /* The object under @key is gone (deleted, or out of the selector). */
    void (*remove)(void *ctx, const char *key);
    /* A list has completed, or the last of a burst of events was applied:
     * publish. The first call means this watch has synced. */
    void (*flush)(void *ctx);
    void *ctx;
} dg_kube_sink_t;

typedef struct dg_kube_watch_spec {
    const char *name;        /* "helm-secrets": logs and metrics (static string) */
    const char *path;        /* the collection, "/api/v1/secrets" */
    const char *selector;    /* labelSelector, URL-encoded; NULL = every object */
    const char *kind;        /* what an item is ("Secret"): list items say neither */
    const char *api_version; /* "v1" */
    dg_kube_sink_t sink;
} dg_kube_watch_spec_t;

typedef struct dg_kube_watch dg_kube_watch_t; /* opaque */

/** Start watching @spec (copied; its strings must outlive the watch) with
 *  a connection of its own from @c, keeping its metrics (a watch slot) in
 *  @c's dg_kube_client_metrics() and logging to its dg_kube_client_log().
 *  Returns NULL with @err set when the thread cannot start. */
dg_kube_watch_t *dg_kube_watch_start(dg_kube_client_t *c, const dg_kube_watch_spec_t *spec,
                                     dg_err_t *err);

/** Join the watch's thread and free it; call dg_kube_client_stop() first,
 *  which ends its requests. Sets *@w to NULL. NULL-safe. */
void dg_kube_watch_stop(dg_kube_watch_t **w);

/** Sleep @ms in short steps, returning early once @c is stopping. */
void dg_kube_nap(const dg_kube_client_t *c, long ms);

#endif
