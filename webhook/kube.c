/* webhook/kube.c: the Kubernetes source, wired together: one client
 * (kube_client.c), a watch per kind (kube_watch.c) feeding the store
 * through its sink (baseline ConfigMaps: kube_published.c; Helm's records:
 * kube_helm.c; live HPAs: here), the re-read of one release before a
 * denial, and the continuous audit (kube_audit.c). While the API is
 * unreachable the watches back off and the store keeps serving the last
 * good baselines. SPDX-License-Identifier: Apache-2.0 */
#include "kube.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_audit.h"
#include "kube_client.h"
#include "kube_helm.h"
#include "kube_published.h"
#include "kube_watch.h"
#include "log.h"
#include "publish.h"

#define MAX_WATCHES 4
#define REFRESH_TIMEOUT_MS 2000L
#define MAX_REFRESH_BYTES ((size_t)64 << 20)

/* A Helm driver's watch: the store hears of releases once every driver
 * being read has listed, so a release is never judged on half its records.
 * Its sink's context: the driver, and through it the source. */
typedef struct helm_driver {
    struct dg_kube *kube;
    const char *kind; /* "ConfigMap" or "Secret": keys records so names cannot collide */
    bool listed;
} helm_driver_t;

/* One gate's source; every other sink's context is this. */
struct dg_kube {
    dg_gate_t *g;
    dg_kube_client_t *client;
    dg_kube_watch_t *watches[MAX_WATCHES];
    int nwatches;
    dg_kube_audit_t *audit;
    dg_kube_published_t *published;
    dg_kube_helm_t *helm;
    pthread_mutex_t helm_mu; /* the drivers' flags, and the order of Helm updates */
    helm_driver_t drivers[2];
    int ndrivers;
    json_t *hpas;            /* "ns/name" -> the HPA reduced to its target; the HPA watch's */
    dg_refresh_ops_t refresh;
};

/* ---- sinks -------------------------------------------------------------------------------- */

static void publish(dg_kube_t *k, dg_source_t src, dg_release_t **rels, size_t n, int rc)
{
    if (rc == 0)
        (void)dg_store_update(k->g->store, src, rels, n, NULL);
    for (size_t i = 0; i < n; i++)
        dg_release_free(&rels[i]);
    free(rels);
}

static void published_put(void *ctx, const char *key, json_t *cm)
{
    dg_kube_t *k = ctx;

    dg_kube_published_put(k->published, key, cm);
}

static void published_del(void *ctx, const char *key)
{
    dg_kube_t *k = ctx;

    dg_kube_published_del(k->published, key);
}

static void published_flush(void *ctx)
{
    dg_kube_t *k = ctx;
    dg_release_t **rels = NULL;
    size_t n = 0;
    int rc = dg_kube_published_releases(k->published, &rels, &n);

    publish(k, DG_SOURCE_PUBLISHED, rels, n, rc);
}

static void helm_key(const helm_driver_t *d, const char *key, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", d->kind, key);
}

static void helm_put(void *ctx, const char *key, json_t *obj)
{
    helm_driver_t *d = ctx;
    char full[700];

    helm_key(d, key, full, sizeof full);
    if (dg_kube_helm_put(d->kube->helm, full, obj) != 0)
        dg_log(d->kube->g->log, DG_LOG_ERROR, "out of memory keeping a Helm record",
               json_pack("{s:s}", "record", full));
}

static void helm_del(void *ctx, const char *key)
{
    helm_driver_t *d = ctx;
    char full[700];

    helm_key(d, key, full, sizeof full);
    dg_kube_helm_del(d->kube->helm, full);
}

static void helm_flush(void *ctx)
{
    helm_driver_t *d = ctx;
    dg_kube_t *k = d->kube;
    dg_release_t **rels = NULL;
    size_t n = 0;
    bool ready = true;

    pthread_mutex_lock(&k->helm_mu);
    d->listed = true;
    for (int i = 0; i < k->ndrivers; i++)
        ready &= k->drivers[i].listed;
    if (ready)
        publish(k, DG_SOURCE_HELM, rels, n, dg_kube_helm_releases(k->helm, &rels, &n));
    pthread_mutex_unlock(&k->helm_mu);
}

/* The live HPAs, reduced to what ownership needs (who they scale): they
 * decide who owns a workload's replicas (DESIGN.md step 9). */
static void hpa_put(void *ctx, const char *key, json_t *hpa)
{
    dg_kube_t *k = ctx;
    json_t *meta = json_object_get(hpa, "metadata");

    json_object_set_new(k->hpas, key,
                        json_pack("{s:s, s:s, s:{s:O, s:O}, s:{s:O?}}", "apiVersion", "autoscaling/v2",
                                  "kind", "HorizontalPodAutoscaler", "metadata", "name",
                                  json_object_get(meta, "name"), "namespace",
                                  json_object_get(meta, "namespace"), "spec", "scaleTargetRef",
                                  json_object_get(json_object_get(hpa, "spec"), "scaleTargetRef")));
}

static void hpa_del(void *ctx, const char *key)
{
    dg_kube_t *k = ctx;

    json_object_del(k->hpas, key);
}

static void hpa_flush(void *ctx)
{
    dg_kube_t *k = ctx;
    dg_objset_t *set = dg_objset_new();
    const char *key;
    json_t *slim;

    json_object_foreach(k->hpas, key, slim) {
        /* shared, never changed once made */
        if (set && dg_objset_add(set, json_incref(slim), "", "hpa watch", 0, NULL) == DG_ENOMEM)
            dg_objset_free(&set);
    }
    if (set)
        (void)dg_store_set_hpas(k->g->store, set, NULL);
}

/* ---- step 7: re-read one release before denying ------------------------------------------------ */

/* Its records of one driver, appended to @items. */
static int read_records(dg_kube_conn_t *conn, const char *kind, const char *release,
                        const char *ns, long timeout_ms, json_t *items, dg_err_t *err)
{
    dg_kube_req_t req = {.verb = DG_KUBE_LIST, .timeout_ms = timeout_ms,
                         .max_bytes = MAX_REFRESH_BYTES};
    dg_buf_t path, body;
    json_t *doc = NULL, *item;
    size_t i;
    int rc;

    dg_buf_init(&path, 0);
    dg_buf_init(&body, 0);
    rc = dg_buf_printf(&path, "/api/v1/namespaces/%s/%ss?labelSelector=%s%%2Cname%%3D", ns, kind,
                       DG_KUBE_HELM_SELECTOR);
    if (!rc)
        rc = dg_kube_client_escape(&path, release);
    if (!rc && dg_kube_client_get(conn, path.data, &req, &body, err) == 200 && err->code == 0)
        doc = dg_kube_client_json(body.data, body.len, err);
    if (doc == NULL)
        rc = rc ? dg_err_set(err, DG_ENOMEM, "out of memory") : DG_EIO;
    json_array_foreach(json_object_get(doc, "items"), i, item) {
        json_object_set_new(item, "kind", json_string(strcmp(kind, "secret") ? "ConfigMap" : "Secret"));
        json_object_set_new(item, "apiVersion", json_string("v1"));
        json_array_append(items, item);
    }
    json_decref(doc);
    dg_buf_free(&path);
    dg_buf_free(&body);
    return rc;
}

static int refresh(void *ctx, const char *release, const char *ns, long timeout_ms,
                   dg_release_t **fresh, dg_err_t *err)
{
    static const char *const kinds[] = {"configmap", "secret"};
    dg_kube_t *k = ctx;
    dg_kube_conn_t *conn = dg_kube_client_acquire(k->client);
    json_t *items = json_array();
    int rc = conn ? 0 : dg_err_set(err, DG_ENOMEM, "out of memory");

    *fresh = NULL;
    for (int i = 0; i < (k->g->cfg->helm_secrets ? 2 : 1) && !rc; i++)
        rc = read_records(conn, kinds[i], release, ns,
                          timeout_ms > 0 ? timeout_ms : REFRESH_TIMEOUT_MS, items, err);
    dg_kube_client_release(k->client, &conn);
    if (!rc)
        rc = dg_kube_helm_build(k->helm, ns, release, items, fresh, err);
    json_decref(items);
    return rc;
}

/* ---- start and stop ------------------------------------------------------------------------------ */

/* driftgate's own namespace: where RBAC keeps baseline writers to the
 * platform team (DESIGN.md "Trust"). */
const char *dg_kube_baseline_namespace(const dg_gate_t *g)
{
    const dg_gate_cfg_t *cfg = g->cfg;
    const char *env = getenv("POD_NAMESPACE");
    const dg_kube_client_t *client = g->kube ? g->kube->client : NULL;

    if (cfg->baseline_ns && cfg->baseline_ns[0])
        return cfg->baseline_ns;
    if (env && env[0])
        return env;
    if (cfg->in_cluster && client && dg_kube_client_namespace(client))
        return dg_kube_client_namespace(client);
    return DG_BASELINE_NS;
}

static int watch(dg_kube_t *k, const char *name, const char *path, const char *selector,
                 const char *kind, const char *api, dg_kube_sink_t sink, dg_err_t *err)
{
    dg_kube_watch_spec_t spec = {name, path, selector, kind, api, sink};
    dg_kube_watch_t *w = dg_kube_watch_start(k->client, &spec, err);

    if (w == NULL)
        return err && err->code ? err->code : DG_ENOMEM;
    k->watches[k->nwatches++] = w;
    return 0;
}

static int start_watches(dg_kube_t *k, dg_err_t *err)
{
    bool secrets = k->g->cfg->helm_secrets;
    int rc;

    /* Every labelled ConfigMap is listed, so that one outside the baseline
     * namespace can be said to be ignored rather than silently unseen. */
    rc = watch(k, "baseline-configmaps", "/api/v1/configmaps", "driftgate.io%2Fbaseline%3Dtrue",
               "ConfigMap", "v1",
               (dg_kube_sink_t){published_put, published_del, published_flush, k}, err);
    k->drivers[k->ndrivers++] = (helm_driver_t){k, "ConfigMap", false};
    if (secrets)
        k->drivers[k->ndrivers++] = (helm_driver_t){k, "Secret", false};
    if (!rc)
        rc = watch(k, "helm-configmaps", "/api/v1/configmaps", DG_KUBE_HELM_SELECTOR, "ConfigMap",
                   "v1", (dg_kube_sink_t){helm_put, helm_del, helm_flush, &k->drivers[0]}, err);
    if (!rc && secrets)
        rc = watch(k, "helm-secrets", "/api/v1/secrets", DG_KUBE_HELM_SELECTOR, "Secret", "v1",
                   (dg_kube_sink_t){helm_put, helm_del, helm_flush, &k->drivers[1]}, err);
    if (!rc)
        rc = watch(k, "hpas", "/apis/autoscaling/v2/horizontalpodautoscalers", NULL,
                   "HorizontalPodAutoscaler", "autoscaling/v2",
                   (dg_kube_sink_t){hpa_put, hpa_del, hpa_flush, k}, err);
    return rc;
}

/* Everything but the threads: the client and what the sinks fill. */
static int kube_init(dg_kube_t *k, dg_gate_t *g, dg_err_t *err)
{
    dg_helm_limits_t lim = {g->cfg->helm_record_max, g->cfg->helm_release_max};

    k->g = g;
    pthread_mutex_init(&k->helm_mu, NULL);
    k->client = dg_kube_client_new(g->cfg, g->metrics, g->log, err);
    if (k->client == NULL)
        return err && err->code ? err->code : DG_ENOMEM;
    k->published = dg_kube_published_new(dg_kube_baseline_namespace(g), g->metrics, g->log);
    k->helm = dg_kube_helm_new(&lim, g->metrics, g->log);
    k->hpas = json_object();
    if (!k->published || !k->helm || !k->hpas)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    k->refresh = (dg_refresh_ops_t){refresh, k};
    return 0;
}

bool dg_kube_reads_live(const dg_gate_t *g)
{
    return g->kube && g->kube->client;
}

int dg_kube_read_live(dg_gate_t *g, const dg_release_t *rel, dg_live_read_t *out, dg_err_t *err)
{
    if (!dg_kube_reads_live(g))
        return dg_err_set(err, DG_ENOTFOUND, "driftgate reads no live state here (no Kubernetes "
                          "source)");
    return dg_kube_read_release(g->kube->client, rel, g->policy, out, err);
}

int dg_kube_start(dg_gate_t *g, dg_err_t *err)
{
    dg_kube_t *k = calloc(1, sizeof *k);
    int rc;

    if (k == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    g->kube = k; /* from here dg_kube_stop() undoes whatever was started */
    if ((rc = kube_init(k, g, err)) != 0)
        return rc;
    dg_store_enable(g->store, DG_SOURCE_PUBLISHED);
    dg_store_enable(g->store, DG_SOURCE_HELM);
    dg_store_enable(g->store, DG_SOURCE_HPAS);
    rc = start_watches(k, err);
    if (!rc) {
        k->audit = dg_kube_audit_start(k->client, g, err);
        rc = k->audit ? 0 : DG_ENOMEM;
    }
    if (rc)
        return rc;
    g->refresh = &k->refresh;
    dg_log(g->log, DG_LOG_INFO, "watching the Kubernetes API",
           json_pack("{s:s, s:b, s:s}", "server", dg_kube_client_server(k->client), "helm_secrets",
                     g->cfg->helm_secrets, "baseline_namespace", dg_kube_baseline_namespace(g)));
    return 0;
}

void dg_kube_stop(dg_kube_t **kp)
{
    dg_kube_t *k = kp ? *kp : NULL;

    if (k == NULL)
        return;
    if (k->client)
        dg_kube_client_stop(k->client); /* ends every transfer in progress */
    for (int i = 0; i < k->nwatches; i++)
        dg_kube_watch_stop(&k->watches[i]);
    dg_kube_audit_stop(&k->audit);
    k->g->refresh = NULL;
    dg_kube_published_free(&k->published);
    dg_kube_helm_free(&k->helm);
    json_decref(k->hpas);
    dg_kube_client_free(&k->client);
    pthread_mutex_destroy(&k->helm_mu);
    free(k);
    *kp = NULL;
}
