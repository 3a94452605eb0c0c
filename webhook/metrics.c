/* webhook/metrics.c: counters as C11 atomics; no lock on the request path.
 * SPDX-License-Identifier: Apache-2.0 */
#include "metrics.h"

#include <stdatomic.h>
#include <stddef.h>

#include "log.h"

#define NVERDICTS (DG_VERDICT_UNSYNCED + 1)
static const int codes[] = {200, 403, 503};
#define NCODES (sizeof codes / sizeof codes[0])
static const int http_codes[] = {400, 404, 405, 408, 413, 415, 500, 503};
#define NHTTP (sizeof http_codes / sizeof http_codes[0])
/* Latency buckets in seconds: the interesting range is 10us..10ms. */
static const double bounds[] = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
                                0.001,   0.0025,   0.005,   0.01,   0.1,     1.0};
#define NBUCKETS (sizeof bounds / sizeof bounds[0])

static atomic_ullong decisions[NVERDICTS][NCODES];
static atomic_ullong rejected[NHTTP];
static atomic_ullong buckets[NBUCKETS + 1]; /* last: +Inf only */
static atomic_ullong sum_ns, count;
static atomic_ullong rereads, rereads_shared;
static atomic_long baselines, variances, untrusted, conflicts;
static atomic_int synced;

static size_t code_index(const int *table, size_t n, int code)
{
    for (size_t i = 0; i < n; i++)
        if (table[i] == code)
            return i;
    return n - 1; /* unknown codes count with the last (server error) */
}

void dg_metrics_decision(dg_verdict_t v, int code, uint64_t ns)
{
    double s = (double)ns / 1e9;
    size_t b = 0;

    if ((unsigned)v < NVERDICTS)
        atomic_fetch_add(&decisions[v][code_index(codes, NCODES, code)], 1);
    while (b < NBUCKETS && s > bounds[b])
        b++;
    atomic_fetch_add(&buckets[b], 1);
    atomic_fetch_add(&sum_ns, ns);
    atomic_fetch_add(&count, 1);
}

void dg_metrics_rejected(int http_code)
{
    atomic_fetch_add(&rejected[code_index(http_codes, NHTTP, http_code)], 1);
}

void dg_metrics_reread(bool shared)
{
    atomic_fetch_add(shared ? &rereads_shared : &rereads, 1);
}

void dg_metrics_set_baselines(long n)
{
    atomic_store(&baselines, n);
}

void dg_metrics_set_untrusted(long n)
{
    atomic_store(&untrusted, n);
}

void dg_metrics_set_conflicts(long n)
{
    atomic_store(&conflicts, n);
}

void dg_metrics_set_variances(long n)
{
    atomic_store(&variances, n);
}

void dg_metrics_set_synced(int s)
{
    atomic_store(&synced, s);
}

static int render_requests(dg_buf_t *o)
{
    int rc = dg_buf_puts(o, "# HELP driftgate_admission_requests_total AdmissionReviews judged, by "
                            "decision and response code.\n"
                            "# TYPE driftgate_admission_requests_total counter\n");

    for (size_t v = 0; v < NVERDICTS && !rc; v++)
        for (size_t c = 0; c < NCODES && !rc; c++) {
            unsigned long long n = atomic_load(&decisions[v][c]);

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
                           atomic_load(&rejected[c]));
    return rc;
}

static int render_latency(dg_buf_t *o)
{
    unsigned long long cum = 0;
    int rc = dg_buf_puts(o, "# HELP driftgate_admission_duration_seconds Time to judge one "
                            "AdmissionReview, body received to answer encoded.\n"
                            "# TYPE driftgate_admission_duration_seconds histogram\n");

    for (size_t b = 0; b < NBUCKETS && !rc; b++) {
        cum += atomic_load(&buckets[b]);
        rc = dg_buf_printf(o, "driftgate_admission_duration_seconds_bucket{le=\"%g\"} %llu\n",
                           bounds[b], cum);
    }
    cum += atomic_load(&buckets[NBUCKETS]);
    if (!rc)
        rc = dg_buf_printf(o,
                           "driftgate_admission_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                           "driftgate_admission_duration_seconds_sum %.9f\n"
                           "driftgate_admission_duration_seconds_count %llu\n",
                           cum, (double)atomic_load(&sum_ns) / 1e9, atomic_load(&count));
    return rc;
}

int dg_metrics_render(dg_buf_t *o, double cert_expiry_s)
{
    int rc = render_requests(o);

    if (!rc)
        rc = render_latency(o);
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
            "# HELP driftgate_baseline_conflicts Objects claimed by two releases.\n"
            "# TYPE driftgate_baseline_conflicts gauge\ndriftgate_baseline_conflicts %ld\n"
            "# HELP driftgate_rereads_total Helm releases re-read from the API before a "
            "denial.\n# TYPE driftgate_rereads_total counter\ndriftgate_rereads_total %llu\n"
            "# HELP driftgate_rereads_shared_total Denials answered by a re-read another "
            "request made.\n# TYPE driftgate_rereads_shared_total counter\n"
            "driftgate_rereads_shared_total %llu\n"
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
            atomic_load(&baselines), atomic_load(&variances), atomic_load(&untrusted),
            atomic_load(&conflicts), atomic_load(&rereads), atomic_load(&rereads_shared),
            dg_log_dropped(), atomic_load(&synced), cert_expiry_s);
    return rc;
}
