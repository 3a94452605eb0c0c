/* webhook/metrics.c: counters as C11 atomics; no lock on the request path.
 * SPDX-License-Identifier: Apache-2.0 */
#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NVERDICTS (DG_VERDICT_UNSYNCED + 1)
static const int codes[] = {200, 403, 503};
#define NCODES (sizeof codes / sizeof codes[0])
static const int http_codes[] = {400, 404, 405, 408, 413, 415, 500, 503};
#define NHTTP (sizeof http_codes / sizeof http_codes[0])
/* Latency buckets in seconds: the interesting range is 10us..10ms. */
static const double bounds[] = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
                                0.001,   0.0025,   0.005,   0.01,   0.1,     1.0};
#define NBUCKETS (sizeof bounds / sizeof bounds[0])

/* One gate's counters. Watch slots: a name is written once, before its slot
 * is published by the count, so the renderer reads only complete entries. */
struct dg_metrics {
    atomic_ullong decisions[NVERDICTS][NCODES];
    atomic_ullong rejected[NHTTP];
    atomic_ullong buckets[NBUCKETS + 1]; /* last: +Inf only */
    atomic_ullong sum_ns, count;
    atomic_ullong rereads[3];
    atomic_long baselines, variances, untrusted, shadowed, conflicts;
    atomic_int synced;
    atomic_ullong kube_requests[DG_KUBE_NVERBS], kube_errors[DG_KUBE_NVERBS];
    atomic_long audit_unread, helm_held, helm_skipped;
    atomic_ullong helm_decodes;
    struct {
        const char *name;
        atomic_llong last_ms; /* CLOCK_MONOTONIC */
        atomic_ullong lists;
    } watches[DG_METRICS_MAX_WATCHES];
    atomic_int nwatches;
    pthread_mutex_t watch_mu;
};

static const char *const verb_names[DG_KUBE_NVERBS] = {"get", "list", "watch", "create",
                                                       "patch"};

/* calloc's zeroes start every counter: the atomics here are lock-free
 * integers, whose zero is all-zero bits on every platform we build for. */
dg_metrics_t *dg_metrics_new(void)
{
    dg_metrics_t *m = calloc(1, sizeof *m);

    if (m && pthread_mutex_init(&m->watch_mu, NULL) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

void dg_metrics_free(dg_metrics_t **m)
{
    if (m == NULL || *m == NULL)
        return;
    pthread_mutex_destroy(&(*m)->watch_mu);
    free(*m);
    *m = NULL;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t code_index(const int *table, size_t n, int code)
{
    for (size_t i = 0; i < n; i++)
        if (table[i] == code)
            return i;
    return n - 1; /* unknown codes count with the last (server error) */
}

void dg_metrics_decision(dg_metrics_t *m, dg_verdict_t v, int code, uint64_t ns)
{
    double s = (double)ns / 1e9;
    size_t b = 0;

    if ((unsigned)v < NVERDICTS)
        atomic_fetch_add(&m->decisions[v][code_index(codes, NCODES, code)], 1);
    while (b < NBUCKETS && s > bounds[b])
        b++;
    atomic_fetch_add(&m->buckets[b], 1);
    atomic_fetch_add(&m->sum_ns, ns);
    atomic_fetch_add(&m->count, 1);
}

void dg_metrics_rejected(dg_metrics_t *m, int http_code)
{
    atomic_fetch_add(&m->rejected[code_index(http_codes, NHTTP, http_code)], 1);
}

void dg_metrics_reread(dg_metrics_t *m, dg_reread_outcome_t what)
{
    if ((unsigned)what < 3)
        atomic_fetch_add(&m->rereads[what], 1);
}

void dg_metrics_set_baselines(dg_metrics_t *m, long n)
{
    atomic_store(&m->baselines, n);
}

void dg_metrics_set_untrusted(dg_metrics_t *m, long n)
{
    atomic_store(&m->untrusted, n);
}

void dg_metrics_set_shadowed(dg_metrics_t *m, long n)
{
    atomic_store(&m->shadowed, n);
}

void dg_metrics_set_conflicts(dg_metrics_t *m, long n)
{
    atomic_store(&m->conflicts, n);
}

void dg_metrics_set_variances(dg_metrics_t *m, long n)
{
    atomic_store(&m->variances, n);
}

void dg_metrics_set_synced(dg_metrics_t *m, int s)
{
    atomic_store(&m->synced, s);
}

void dg_metrics_kube_request(dg_metrics_t *m, dg_kube_verb_t verb)
{
    if ((unsigned)verb < DG_KUBE_NVERBS)
        atomic_fetch_add(&m->kube_requests[verb], 1);
}

void dg_metrics_kube_error(dg_metrics_t *m, dg_kube_verb_t verb)
{
    if ((unsigned)verb < DG_KUBE_NVERBS)
        atomic_fetch_add(&m->kube_errors[verb], 1);
}

int dg_metrics_watch_register(dg_metrics_t *m, const char *name)
{
    int n, slot = -1;

    pthread_mutex_lock(&m->watch_mu);
    n = atomic_load(&m->nwatches);
    for (int i = 0; i < n && slot < 0; i++)
        if (strcmp(m->watches[i].name, name) == 0)
            slot = i;
    if (slot < 0 && n < DG_METRICS_MAX_WATCHES) {
        slot = n;
        m->watches[slot].name = name;
        atomic_store(&m->nwatches, n + 1);
    }
    if (slot >= 0)
        atomic_store(&m->watches[slot].last_ms, now_ms());
    pthread_mutex_unlock(&m->watch_mu);
    return slot;
}

void dg_metrics_watch_event(dg_metrics_t *m, int w)
{
    if (w >= 0 && w < DG_METRICS_MAX_WATCHES)
        atomic_store(&m->watches[w].last_ms, now_ms());
}

void dg_metrics_watch_list(dg_metrics_t *m, int w)
{
    if (w >= 0 && w < DG_METRICS_MAX_WATCHES)
        atomic_fetch_add(&m->watches[w].lists, 1);
}

void dg_metrics_set_audit_unread(dg_metrics_t *m, long n)
{
    atomic_store(&m->audit_unread, n);
}

void dg_metrics_set_helm_records(dg_metrics_t *m, long held, long skipped)
{
    atomic_store(&m->helm_held, held);
    atomic_store(&m->helm_skipped, skipped);
}

void dg_metrics_helm_decoded(dg_metrics_t *m)
{
    atomic_fetch_add(&m->helm_decodes, 1);
}

static int render_kube(dg_metrics_t *m, dg_buf_t *o)
{
    int n = atomic_load(&m->nwatches);
    long long now = now_ms();
    int rc = dg_buf_puts(o, "# HELP driftgate_kube_requests_total Requests made to the Kubernetes "
                            "API, by verb (a LIST page is one).\n"
                            "# TYPE driftgate_kube_requests_total counter\n");

    for (int v = 0; v < DG_KUBE_NVERBS && !rc; v++)
        rc = dg_buf_printf(o, "driftgate_kube_requests_total{verb=\"%s\"} %llu\n", verb_names[v],
                           atomic_load(&m->kube_requests[v]));
    if (!rc)
        rc = dg_buf_puts(o, "# HELP driftgate_kube_request_errors_total Requests to the Kubernetes "
                            "API that failed or were not answered 200, by verb.\n"
                            "# TYPE driftgate_kube_request_errors_total counter\n");
    for (int v = 0; v < DG_KUBE_NVERBS && !rc; v++)
        rc = dg_buf_printf(o, "driftgate_kube_request_errors_total{verb=\"%s\"} %llu\n",
                           verb_names[v], atomic_load(&m->kube_errors[v]));
    if (!rc)
        rc = dg_buf_puts(o, "# HELP driftgate_watch_last_event_age_seconds Seconds since a watch "
                            "last heard from the API server (event, bookmark or list).\n"
                            "# TYPE driftgate_watch_last_event_age_seconds gauge\n");
    for (int i = 0; i < n && !rc; i++)
        rc = dg_buf_printf(o, "driftgate_watch_last_event_age_seconds{watch=\"%s\"} %.1f\n",
                           m->watches[i].name,
                           (double)(now - atomic_load(&m->watches[i].last_ms)) / 1000.0);
    if (!rc)
        rc = dg_buf_puts(o, "# HELP driftgate_watch_lists_total Full lists made by a watch (the "
                            "first, and each relist).\n"
                            "# TYPE driftgate_watch_lists_total counter\n");
    for (int i = 0; i < n && !rc; i++)
        rc = dg_buf_printf(o, "driftgate_watch_lists_total{watch=\"%s\"} %llu\n",
                           m->watches[i].name, atomic_load(&m->watches[i].lists));
    if (!rc)
        rc = dg_buf_printf(o,
                           "# HELP driftgate_audit_unread_objects Governed objects the continuous "
                           "audit could not read; their last result is kept.\n"
                           "# TYPE driftgate_audit_unread_objects gauge\n"
                           "driftgate_audit_unread_objects %ld\n"
                           "# HELP driftgate_helm_records Helm release records held (superseded "
                           "revisions are not fetched).\n"
                           "# TYPE driftgate_helm_records gauge\ndriftgate_helm_records %ld\n"
                           "# HELP driftgate_helm_records_skipped Helm release records that did "
                           "not decode or were too big.\n"
                           "# TYPE driftgate_helm_records_skipped gauge\n"
                           "driftgate_helm_records_skipped %ld\n"
                           "# HELP driftgate_helm_decodes_total Helm release records decoded "
                           "(each version of a record in use, once).\n"
                           "# TYPE driftgate_helm_decodes_total counter\n"
                           "driftgate_helm_decodes_total %llu\n",
                           atomic_load(&m->audit_unread), atomic_load(&m->helm_held),
                           atomic_load(&m->helm_skipped), atomic_load(&m->helm_decodes));
    return rc;
}

static int render_requests(dg_metrics_t *m, dg_buf_t *o)
{
    int rc = dg_buf_puts(o, "# HELP driftgate_admission_requests_total AdmissionReviews judged, by "
                            "decision and response code.\n"
                            "# TYPE driftgate_admission_requests_total counter\n");

    for (size_t v = 0; v < NVERDICTS && !rc; v++)
        for (size_t c = 0; c < NCODES && !rc; c++) {
            unsigned long long n = atomic_load(&m->decisions[v][c]);

            if (n)
                rc = dg_buf_printf(o,
                                   "driftgate_admission_requests_total{decision=\"%s\",code=\"%d\"} "
                                   "%llu\n",
                                   dg_verdict_name((dg_verdict_t)v), codes[c], n);
        }
    if (!rc)
        rc = dg_buf_puts(o, "# HELP driftgate_http_rejected_total Requests refused before judging, "
                            "by HTTP status.\n# TYPE driftgate_http_rejected_total counter\n");
    for (size_t c = 0; c < NHTTP && !rc; c++)
        rc = dg_buf_printf(o, "driftgate_http_rejected_total{code=\"%d\"} %llu\n", http_codes[c],
                           atomic_load(&m->rejected[c]));
    return rc;
}

static int render_latency(dg_metrics_t *m, dg_buf_t *o)
{
    unsigned long long cum = 0;
    int rc = dg_buf_puts(o, "# HELP driftgate_admission_duration_seconds Time to judge one "
                            "AdmissionReview, body received to answer encoded.\n"
                            "# TYPE driftgate_admission_duration_seconds histogram\n");

    for (size_t b = 0; b < NBUCKETS && !rc; b++) {
        cum += atomic_load(&m->buckets[b]);
        rc = dg_buf_printf(o, "driftgate_admission_duration_seconds_bucket{le=\"%g\"} %llu\n",
                           bounds[b], cum);
    }
    cum += atomic_load(&m->buckets[NBUCKETS]);
    if (!rc)
        rc = dg_buf_printf(o,
                           "driftgate_admission_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                           "driftgate_admission_duration_seconds_sum %.9f\n"
                           "driftgate_admission_duration_seconds_count %llu\n",
                           cum, (double)atomic_load(&m->sum_ns) / 1e9, atomic_load(&m->count));
    return rc;
}

int dg_metrics_render(dg_metrics_t *m, dg_buf_t *o, double cert_expiry_s,
                      unsigned long long log_dropped)
{
    int rc = render_requests(m, o);

    if (!rc)
        rc = render_latency(m, o);
    if (!rc)
        rc = render_kube(m, o);
    if (!rc)
        rc = dg_buf_printf(
            o,
            "# HELP driftgate_baselines_loaded Release baselines in the store.\n"
            "# TYPE driftgate_baselines_loaded gauge\ndriftgate_baselines_loaded %ld\n"
            "# HELP driftgate_active_variances Governed variances found by the continuous audit.\n"
            "# TYPE driftgate_active_variances gauge\ndriftgate_active_variances %ld\n"
            "# HELP driftgate_baselines_untrusted_ignored Baseline ConfigMaps outside the "
            "baseline namespace, ignored.\n"
            "# TYPE driftgate_baselines_untrusted_ignored gauge\n"
            "driftgate_baselines_untrusted_ignored %ld\n"
            "# HELP driftgate_baselines_shadowed Baseline ConfigMaps of a release that has "
            "another, enforced instead.\n"
            "# TYPE driftgate_baselines_shadowed gauge\ndriftgate_baselines_shadowed %ld\n"
            "# HELP driftgate_baseline_conflicts Objects claimed by two releases.\n"
            "# TYPE driftgate_baseline_conflicts gauge\ndriftgate_baseline_conflicts %ld\n"
            "# HELP driftgate_rereads_total Helm releases re-read from the API before a "
            "denial.\n# TYPE driftgate_rereads_total counter\ndriftgate_rereads_total %llu\n"
            "# HELP driftgate_rereads_shared_total Denials answered by a re-read another "
            "request made.\n# TYPE driftgate_rereads_shared_total counter\n"
            "driftgate_rereads_shared_total %llu\n"
            "# HELP driftgate_rereads_unanswered_total Denials whose re-read did not answer within "
            "the budget.\n# TYPE driftgate_rereads_unanswered_total counter\n"
            "driftgate_rereads_unanswered_total %llu\n"
            "# HELP driftgate_log_lines_dropped_total Log lines dropped because the reader "
            "of stderr fell behind.\n"
            "# TYPE driftgate_log_lines_dropped_total counter\n"
            "driftgate_log_lines_dropped_total %llu\n"
            "# HELP driftgate_store_synced 1 once every baseline source has synced.\n"
            "# TYPE driftgate_store_synced gauge\ndriftgate_store_synced %d\n"
            "# HELP driftgate_tls_cert_expiry_seconds Seconds until the serving certificate "
            "expires.\n"
            "# TYPE driftgate_tls_cert_expiry_seconds gauge\ndriftgate_tls_cert_expiry_seconds "
            "%.0f\n",
            atomic_load(&m->baselines), atomic_load(&m->variances), atomic_load(&m->untrusted),
            atomic_load(&m->shadowed), atomic_load(&m->conflicts),
            atomic_load(&m->rereads[DG_REREAD_MADE]), atomic_load(&m->rereads[DG_REREAD_SHARED]),
            atomic_load(&m->rereads[DG_REREAD_UNANSWERED]), log_dropped, atomic_load(&m->synced),
            cert_expiry_s);
    return rc;
}
