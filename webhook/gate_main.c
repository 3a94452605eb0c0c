/* webhook/gate_main.c: driftgate: flags (one table: each flag, its env
 * twin and its --help line), start-up, the housekeeping loop (certificate
 * rotation, --baseline-dir changes) and the rolling-update shutdown.
 * SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "drift.h"
#include "events.h"
#include "gate.h"
#include "http.h"
#include "kube.h"
#include "log.h"
#include "reread.h"
#include "tls.h"

/* SIGTERM and SIGINT are blocked in every thread (main blocks them before
 * it makes the first; threads inherit the mask) and taken by the main loop
 * with sigtimedwait(): no handler, so no process-wide flag for one. */
static void block_stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

/* Did a stop signal arrive within @ms? */
static bool stop_signal(const sigset_t *set, long ms)
{
    struct timespec wait = {ms / 1000, (ms % 1000) * 1000000L};

    return sigtimedwait(set, NULL, &wait) > 0;
}

/* ---- options: one table drives the flags, their environment twins and --help ---- */

/* O_UINT0: 0 allowed too. */
typedef enum { O_STR, O_TRUE, O_FALSE, O_UINT, O_UINT0, O_SIZE, O_HELP, O_VERSION } otype_t;

typedef struct settings {
    dg_gate_cfg_t cfg;
    const char *level;
} settings_t;

typedef struct opt {
    const char *flag, *arg, *env; /* env NULL: no twin */
    otype_t type;
    size_t off;                   /* into settings_t */
    unsigned long max;            /* O_UINT, O_SIZE */
    const char *help;
} opt_t;

#define F(field) offsetof(settings_t, field)

static const opt_t opts[] = {
    {"listen", "[HOST]:PORT", "DRIFTGATE_LISTEN", O_STR, F(cfg.listen), 0,
     "the webhook's HTTPS address: /validate, /healthz, /readyz (default :8443)"},
    {"metrics-listen", "[HOST]:PORT", "DRIFTGATE_METRICS_LISTEN", O_STR, F(cfg.metrics_listen), 0,
     "plain-HTTP address of /metrics; empty = off (default :9090)"},
    {"console-listen", "[HOST]:PORT", "DRIFTGATE_CONSOLE_LISTEN", O_STR, F(cfg.console_listen), 0,
     "plain-HTTP address of the console and /api/v1; empty = off (default 127.0.0.1:8080:\n"
     "reach it with kubectl port-forward)"},
    {"tls-cert", "FILE", "DRIFTGATE_TLS_CERT", O_STR, F(cfg.tls_cert), 0,
     "serving certificate chain, PEM; reloaded when it changes (required)"},
    {"tls-key", "FILE", "DRIFTGATE_TLS_KEY", O_STR, F(cfg.tls_key), 0, "its private key, PEM (required)"},
    {"client-ca", "FILE", "DRIFTGATE_CLIENT_CA", O_STR, F(cfg.client_ca), 0,
     "require a client certificate from this CA, for TLS client authentication (the API\n"
     "server's); /healthz and /readyz stay open"},
    {"client-allowed-names", "NAME,...", "DRIFTGATE_CLIENT_ALLOWED_NAMES", O_STR, F(cfg.client_names),
     0, "with --client-ca: the certificate's common name or a DNS name must be one of these"},
    {"policy", "FILE", "DRIFTGATE_POLICY", O_STR, F(cfg.policy_file), 0, "DriftPolicy (default: built-in)"},
    {"baseline-dir", "DIR", "DRIFTGATE_BASELINE_DIR", O_STR, F(cfg.baseline_dir), 0,
     "baseline ConfigMap files, re-read when they change"},
    {"kubeconfig", "FILE", "DRIFTGATE_KUBECONFIG", O_STR, F(cfg.kubeconfig), 0,
     "read baselines and live state from this cluster"},
    {"in-cluster", NULL, "DRIFTGATE_IN_CLUSTER", O_TRUE, F(cfg.in_cluster), 0,
     "use the pod's service account"},
    {"baseline-namespace", "NS", "DRIFTGATE_BASELINE_NAMESPACE", O_STR, F(cfg.baseline_ns), 0,
     "the only namespace whose baseline ConfigMaps are believed (default: driftgate's\n"
     "own, $POD_NAMESPACE or the service account's, else driftgate-system)"},
    {"helm-secrets", NULL, "DRIFTGATE_HELM_SECRETS", O_TRUE, F(cfg.helm_secrets), 0,
     "also read Helm's Secret-driver release records; needs RBAC on Secrets"},
    {"webhook-name", "NAME", "DRIFTGATE_WEBHOOK_NAME", O_STR, F(cfg.webhook_name), 0,
     "name in logs and decisions (default validate.driftgate.io)"},
    {"fail-open", NULL, "DRIFTGATE_FAIL_OPEN", O_TRUE, F(cfg.fail_open), 0,
     "while the store has not synced, allow with a warning"},
    {"fail-closed", NULL, NULL, O_FALSE, F(cfg.fail_open), 0,
     "while the store has not synced, refuse with 503 (the default)"},
    {"max-body-bytes", "N", "DRIFTGATE_MAX_BODY_BYTES", O_SIZE, F(cfg.max_body), 1ul << 30,
     "largest AdmissionReview accepted (default 8Mi)"},
    {"max-inflight-bytes", "N", "DRIFTGATE_MAX_INFLIGHT_BYTES", O_SIZE, F(cfg.max_inflight_body),
     1ul << 34, "request bodies held at once across all connections; past it, 503\n(default 32Mi)"},
    {"max-conns-per-ip", "N", "DRIFTGATE_MAX_CONNS_PER_IP", O_UINT, F(cfg.max_conns_per_ip), 4096,
     "connections from one address (default 256)"},
    {"request-timeout", "SEC", "DRIFTGATE_REQUEST_TIMEOUT", O_UINT, F(cfg.request_timeout_s), 3600,
     "drop connections idle or stalled this long (default 10)"},
    {"reread-budget-ms", "MS", "DRIFTGATE_REREAD_BUDGET_MS", O_UINT, F(cfg.reread_budget_ms), 60000,
     "time for the re-read of a Helm release before a denial, never past the\n"
     "request's timeout less 1 s (default 1000)"},
    {"shutdown-delay", "SEC", "DRIFTGATE_SHUTDOWN_DELAY", O_UINT0, F(cfg.shutdown_delay_s), 3600,
     "on SIGTERM, fail /readyz and keep serving this long before draining (default 5)"},
    {"threads", "N", "DRIFTGATE_THREADS", O_UINT, F(cfg.threads), 256,
     "threads judging requests (default: CPUs)"},
    {"audit-interval", "SEC", "DRIFTGATE_AUDIT_INTERVAL", O_UINT, F(cfg.audit_interval_s), 86400,
     "continuous audit period (default 60)"},
    {"helm-record-max-bytes", "N", "DRIFTGATE_HELM_RECORD_MAX_BYTES", O_SIZE,
     F(cfg.helm_record_max), 1ul << 30, "largest Helm release record read, as stored (default 4Mi)"},
    {"helm-release-max-bytes", "N", "DRIFTGATE_HELM_RELEASE_MAX_BYTES", O_SIZE,
     F(cfg.helm_release_max), 1ul << 30,
     "largest Helm release once inflated; a bigger one is logged and skipped\n(default 32Mi)"},
    {"events", NULL, "DRIFTGATE_EVENTS", O_TRUE, F(cfg.events), 0,
     "post Kubernetes Events (DriftDenied, DriftBreakGlass, DriftReconciled,\n"
     "DriftDetected, DriftResolved) on the objects judged and audited (the default\n"
     "with --kubeconfig or --in-cluster; needs create and patch on events.k8s.io events,\n"
     "and list for the timeline rebuilt from them on start)"},
    {"no-events", NULL, NULL, O_FALSE, F(cfg.events), 0, "post no Events"},
    {"events-qps", "N", "DRIFTGATE_EVENTS_QPS", O_UINT, F(cfg.events_qps), 1000,
     "Event writes per second, on average (default 5); repeats are counted into\n"
     "one Event's series while they wait"},
    {"events-burst", "N", "DRIFTGATE_EVENTS_BURST", O_UINT, F(cfg.events_burst), 10000,
     "Event writes allowed at once (default 25)"},
    {"log-level", "LEVEL", "DRIFTGATE_LOG_LEVEL", O_STR, F(level), 0,
     "debug, info, warn or error (default info)"},
    {"help", NULL, NULL, O_HELP, 0, 0, "this text"},
    {"version", NULL, NULL, O_VERSION, 0, 0, "print the version"},
};
#define NOPTS (sizeof opts / sizeof opts[0])

static void usage(FILE *out)
{
    fputs("Usage: driftgate --tls-cert FILE --tls-key FILE [flags]\n\n"
          "The driftgate admission webhook: judges CREATE, UPDATE and DELETE of governed\n"
          "objects against their Helm release baselines. Every flag but --help, --version,\n"
          "--fail-closed and --no-events has the environment twin shown (booleans: true or\n"
          "false).\n\n",
          out);
    for (size_t i = 0; i < NOPTS; i++) {
        const opt_t *o = &opts[i];

        fprintf(out, "  --%s%s%s\n      ", o->flag, o->arg ? " " : "", o->arg ? o->arg : "");
        for (const char *h = o->help; *h; h++) /* continuation lines indented too */
            if (*h == '\n')
                fputs("\n      ", out);
            else
                fputc(*h, out);
        if (o->env)
            fprintf(out, "\n      (%s)", o->env);
        fputc('\n', out);
    }
}

static bool parse_bool(const char *name, const char *s, bool *out)
{
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0 || strcmp(s, "yes") == 0)
        *out = true;
    else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0 || strcmp(s, "no") == 0 || !*s)
        *out = false;
    else {
        fprintf(stderr, "driftgate: %s '%s': expected true or false\n", name, s);
        return false;
    }
    return true;
}

static int parse_uint(const char *name, const char *s, unsigned long max, bool sizes, bool zero,
                      unsigned long *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10), mul = 1;

    if (sizes && strcmp(end, "Ki") == 0)
        mul = 1024;
    else if (sizes && strcmp(end, "Mi") == 0)
        mul = 1024 * 1024;
    else if (sizes && strcmp(end, "Gi") == 0)
        mul = 1024ul * 1024 * 1024;
    else if (*end)
        end = NULL;
    if (end == NULL || end == s || *s == '-' || (v == 0 && !zero) || v > max / mul) {
        fprintf(stderr, "driftgate: %s '%s': expected a %s number up to %lu%s\n", name, s,
                zero ? "whole" : "positive", max, sizes ? " (or with Ki, Mi, Gi)" : "");
        return -1;
    }
    *out = v * mul;
    return 0;
}

/* Store @val for @o, named @name in errors (the flag or its env twin). */
static int set_opt(settings_t *st, const opt_t *o, const char *name, const char *val)
{
    char *p = (char *)st + o->off;
    unsigned long v;
    bool b;

    switch (o->type) {
    case O_STR: *(const char **)p = val; return 0;
    case O_TRUE:
    case O_FALSE:
        if (val && !parse_bool(name, val, &b))
            return -1;
        *(bool *)p = val ? b : o->type == O_TRUE;
        return 0;
    case O_UINT:
    case O_UINT0:
    case O_SIZE:
        if (parse_uint(name, val, o->max, o->type == O_SIZE, o->type == O_UINT0, &v))
            return -1;
        if (o->type == O_SIZE)
            *(size_t *)p = v;
        else
            *(unsigned *)p = (unsigned)v;
        return 0;
    case O_HELP: usage(stdout); exit(0);
    case O_VERSION: puts("driftgate 0.1.0"); exit(0);
    }
    return 0;
}

/* Environment first, flags over it. */
static int from_env(settings_t *st)
{
    for (size_t i = 0; i < NOPTS; i++) {
        const char *v = opts[i].env ? getenv(opts[i].env) : NULL;

        if (v && set_opt(st, &opts[i], opts[i].env, v))
            return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, settings_t *st)
{
    struct option longs[NOPTS + 1];
    int o, idx;

    for (size_t i = 0; i < NOPTS; i++)
        longs[i] = (struct option){opts[i].flag, opts[i].arg ? required_argument : no_argument,
                                   NULL, 256 + (int)i};
    longs[NOPTS] = (struct option){NULL, 0, NULL, 0};
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":", longs, &idx)) != -1) {
        char name[64];

        if (o == '?' || o == ':') {
            fprintf(stderr, "driftgate: %s '%s'; see driftgate --help\n",
                    o == ':' ? "missing value for" : "unknown flag", argv[optind - 1]);
            return -1;
        }
        snprintf(name, sizeof name, "--%s", opts[o - 256].flag);
        if (set_opt(st, &opts[o - 256], name, optarg))
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "driftgate: unexpected argument '%s'; see driftgate --help\n", argv[optind]);
        return -1;
    }
    if (st->cfg.tls_cert == NULL || st->cfg.tls_key == NULL) {
        fprintf(stderr, "driftgate: --tls-cert and --tls-key are required (the API server only "
                        "calls webhooks over HTTPS)\n");
        return -1;
    }
    if (st->cfg.client_names && !st->cfg.client_ca) {
        fprintf(stderr, "driftgate: --client-allowed-names needs --client-ca\n");
        return -1;
    }
    return 0;
}

static int load_policy(dg_gate_t *g, dg_err_t *err)
{
    FILE *f;
    char *data;
    long len;

    if (g->cfg->policy_file == NULL) {
        g->policy = dg_policy_default(err);
        return g->policy ? 0 : DG_ENOMEM;
    }
    f = fopen(g->cfg->policy_file, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || len > (16 << 20) ||
        fseek(f, 0, SEEK_SET) != 0 || (data = malloc((size_t)len + 1)) == NULL) {
        if (f)
            fclose(f);
        return dg_err_set(err, DG_EIO, "--policy %s: cannot read", g->cfg->policy_file);
    }
    len = (long)fread(data, 1, (size_t)len, f);
    fclose(f);
    g->policy = dg_policy_parse(data, (size_t)len, g->cfg->policy_file, err);
    free(data);
    return g->policy ? 0 : DG_EPOLICY;
}

static void housekeeping(dg_gate_t *g)
{
    dg_err_t err = {0};
    char msg[600];
    int rc = dg_tls_reload(g->tls, &err);

    if (rc == 1)
        dg_log(g->log, DG_LOG_INFO, "serving certificate reloaded",
               json_pack("{s:s, s:f}", "cert", g->cfg->tls_cert, "expires_in_s",
                         dg_tls_expiry_seconds(g->tls)));
    else if (rc < 0)
        dg_log(g->log, DG_LOG_ERROR,
               "new serving certificate not loaded; the old one keeps serving",
               json_pack("{s:s}", "error", dg_err_format(&err, msg, sizeof msg)));
    if (g->cfg->baseline_dir) {
        memset(&err, 0, sizeof err);
        if (dg_store_load_dir(g->store, g->cfg->baseline_dir, &err) < 0)
            dg_log(g->log, DG_LOG_ERROR,
                   "baseline directory not read; keeping the baselines loaded",
                   json_pack("{s:s}", "error", dg_err_format(&err, msg, sizeof msg)));
    }
}

static const struct {
    dg_role_t role;
    size_t off; /* the address, in dg_gate_cfg_t */
} listeners[] = {
    {DG_ROLE_WEBHOOK, offsetof(dg_gate_cfg_t, listen)},
    {DG_ROLE_METRICS, offsetof(dg_gate_cfg_t, metrics_listen)},
    {DG_ROLE_CONSOLE, offsetof(dg_gate_cfg_t, console_listen)},
};
#define NLISTENERS (sizeof listeners / sizeof listeners[0])

static const char *listen_addr(const dg_gate_cfg_t *cfg, size_t i)
{
    return *(const char *const *)((const char *)cfg + listeners[i].off);
}

/* SIGTERM as a rolling update needs it: /readyz fails at once, so the
 * endpoints controller takes the pod out of the Service, but until every
 * API server has seen that, new connections still arrive and must be
 * served; only then stop accepting and let in-flight requests finish. A
 * second signal skips the wait. */
static void shut_down(dg_gate_t *g, dg_http_t **http, const sigset_t *stop)
{
    atomic_store(&g->draining, true);
    dg_log(g->log, DG_LOG_INFO, "SIGTERM: /readyz fails; serving on for the shutdown delay",
           json_pack("{s:i}", "shutdown_delay_s", (int)g->cfg->shutdown_delay_s));
    for (unsigned i = 0; i < g->cfg->shutdown_delay_s * 20; i++)
        if (stop_signal(stop, 50)) /* a second signal ends the wait */
            break;
    for (size_t i = 0; i < NLISTENERS; i++)
        dg_http_quiesce(http[i]);
    dg_log(g->log, DG_LOG_INFO, "not accepting; draining in-flight requests",
           json_pack("{s:I}", "inflight", (json_int_t)g->inflight));
    for (size_t i = 0; i < NLISTENERS; i++)
        dg_http_stop(&http[i], g->cfg->request_timeout_s);
}

static int serve(dg_gate_t *g, const sigset_t *stop)
{
    dg_http_t *http[NLISTENERS] = {0};
    dg_err_t err = {0};
    char msg[600];
    unsigned ticks = 0;

    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; i < NLISTENERS; i++) {
        const char *addr = listen_addr(g->cfg, i);

        if (addr && *addr && dg_http_start(g, listeners[i].role, addr, &http[i], &err) != 0) {
            fprintf(stderr, "driftgate: %s\n", dg_err_format(&err, msg, sizeof msg));
            for (size_t j = 0; j < i; j++)
                dg_http_stop(&http[j], 0);
            return 1;
        }
    }
    dg_log(g->log, DG_LOG_INFO, "serving",
           json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "listen", g->cfg->listen, "metrics",
                     g->cfg->metrics_listen, "console", g->cfg->console_listen, "webhook",
                     g->cfg->webhook_name, "fail_open", g->cfg->fail_open, "client_auth",
                     g->cfg->client_ca != NULL));
    while (!stop_signal(stop, 100)) {
        if (++ticks % (10 * g->cfg->dir_poll_s) == 0)
            housekeeping(g);
    }
    shut_down(g, http, stop);
    dg_log(g->log, DG_LOG_INFO, "stopped", NULL);
    return 0;
}

static int start_sources(dg_gate_t *g, dg_err_t *err)
{
    int n;

    if (g->cfg->baseline_dir) {
        dg_store_enable(g->store, DG_SOURCE_DIR);
        if ((n = dg_store_load_dir(g->store, g->cfg->baseline_dir, err)) < 0)
            return n;
    }
    /* Said at every start: the trust the policy gives away. */
    if (!dg_policy_has_deployers(g->policy))
        dg_log(g->log, DG_LOG_WARN,
               "the policy names no deployers: anyone who can write Helm's release "
               "records can release (set spec.deployers)",
               json_pack("{s:s}", "policy", dg_policy_name(g->policy)));
    if (g->cfg->kubeconfig || g->cfg->in_cluster)
        return dg_kube_start(g, err);
    if (!g->cfg->baseline_dir)
        dg_log(g->log, DG_LOG_WARN,
               "no baseline source (--baseline-dir, --kubeconfig or --in-cluster): "
               "every request is allowed as no-baseline",
               NULL);
    return 0;
}

/* POST /audit's store reads the events as driftctl timeline would, with
 * the gate's own policy, webhook name and baseline namespace. */
static dg_timelines_t *new_timelines(const dg_gate_t *g, dg_err_t *err)
{
    dg_timeline_opts_t to = {.webhook = g->cfg->webhook_name,
                             .baseline_ns = dg_kube_baseline_namespace(g), .pol = g->policy};

    return dg_timelines_new(&to, DG_TIMELINES_PER_RELEASE, DG_TIMELINES_RELEASES, err);
}

/* Events go to the cluster the Kubernetes source reads, from the pod
 * ($POD_NAME, the chart's downward API; else the host name). Without a
 * cluster there is nowhere to post them. */
static int start_events(dg_gate_t *g)
{
    const char *pod = getenv("POD_NAME");
    char host[256] = "";
    dg_events_t *ev;
    dg_err_t err = {0};
    char msg[600];

    if (!g->cfg->events || !(g->cfg->kubeconfig || g->cfg->in_cluster))
        return 0;
    if (pod == NULL || !pod[0])
        gethostname(host, sizeof host - 1);
    ev = dg_events_start(g, pod && pod[0] ? pod : host, &err);
    atomic_store(&g->events, ev);
    if (ev == NULL) {
        fprintf(stderr, "driftgate: %s\n", dg_err_format(&err, msg, sizeof msg));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    settings_t st = {.cfg = {.listen = ":8443", .metrics_listen = ":9090",
                             .console_listen = "127.0.0.1:8080",
                             .webhook_name = "validate.driftgate.io",
                             .max_body = DG_GATE_DEFAULT_MAX_BODY,
                             .max_inflight_body = (size_t)32 << 20, .max_conns_per_ip = 256,
                             .request_timeout_s = 10, .shutdown_delay_s = 5,
                             .reread_budget_ms = 1000, .audit_interval_s = 60, .dir_poll_s = 1,
                             .events = true, .events_qps = 5, .events_burst = 25},
                     .level = "info"};
    dg_gate_cfg_t *cfg = &st.cfg;
    dg_gate_t g = {.cfg = cfg};
    dg_reread_t *reread = NULL;
    dg_events_t *events;
    sigset_t stop;
    dg_err_t err = {0};
    char msg[600];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int rc = 1;

    cfg->threads = cpus > 0 ? (unsigned)cpus : 2;
    if (from_env(&st) || parse_args(argc, argv, &st))
        return 1;
    if (dg_log_level_parse(st.level) < 0) {
        fprintf(stderr, "driftgate: --log-level '%s': expected debug, info, warn or error\n",
                st.level);
        return 1;
    }
    block_stop_signals(&stop); /* before the first thread */
    g.log = dg_log_new((dg_log_level_t)dg_log_level_parse(st.level));
    if (g.log == NULL) {
        fprintf(stderr, "driftgate: out of memory\n");
        return 1;
    }
    dg_log_start(g.log);
    g.metrics = dg_metrics_new();
    g.store = g.metrics ? dg_store_new(g.metrics, g.log) : NULL;
    g.decisions = dg_decisions_new();
    g.drift = dg_drift_new();
    if (g.store == NULL || g.decisions == NULL || g.drift == NULL ||
        (g.tls = dg_tls_new(cfg->tls_cert, cfg->tls_key, cfg->client_ca, cfg->client_names,
                            &err)) == NULL ||
        load_policy(&g, &err) != 0 || start_sources(&g, &err) < 0 ||
        (g.refresh &&
         (reread = dg_reread_new(g.refresh, cfg->reread_budget_ms, g.metrics, &err)) == NULL)) {
        fprintf(stderr, "driftgate: %s\n",
                err.code ? dg_err_format(&err, msg, sizeof msg) : "out of memory");
        goto out;
    }
    if (reread)
        g.refresh = dg_reread_ops(reread);
    if ((g.timelines = new_timelines(&g, &err)) == NULL) {
        fprintf(stderr, "driftgate: out of memory\n");
        goto out;
    }
    if (start_events(&g) != 0)
        goto out;
    rc = serve(&g, &stop);
out:
    dg_kube_stop(&g.kube); /* the audit posts Events: it stops first */
    events = atomic_exchange(&g.events, NULL);
    dg_events_stop(&events);
    dg_reread_free(&reread);
    dg_store_free(&g.store);
    dg_policy_free(&g.policy);
    dg_tls_free(&g.tls);
    dg_decisions_free(&g.decisions);
    dg_timelines_free(&g.timelines);
    dg_drift_free(&g.drift);
    dg_metrics_free(&g.metrics); /* everything above counted in it ... */
    dg_log_free(&g.log);         /* ... and logged to it: written out here */
    return rc;
}
