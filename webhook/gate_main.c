/* webhook/gate_main.c: driftgate: flags (each with an env twin), start-up,
 * the housekeeping loop (certificate rotation, --baseline-dir changes) and
 * graceful shutdown on SIGTERM. SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "gate.h"
#include "http.h"
#include "kube.h"
#include "log.h"
#include "tls.h"

static const char usage[] =
    "Usage: driftgate --tls-cert FILE --tls-key FILE [flags]\n"
    "\n"
    "The driftgate admission webhook: judges UPDATEs of governed objects against\n"
    "their Helm release baselines. Every flag has an environment twin.\n"
    "\n"
    "  --listen [HOST]:PORT     address to serve HTTPS on (DRIFTGATE_LISTEN, default :8443)\n"
    "  --tls-cert FILE          serving certificate chain, PEM; reloaded when it changes\n"
    "                           (DRIFTGATE_TLS_CERT)\n"
    "  --tls-key FILE           its private key, PEM (DRIFTGATE_TLS_KEY)\n"
    "  --client-ca FILE         require client certificates from this CA, e.g. the API\n"
    "                           server's; /healthz and /readyz stay open (DRIFTGATE_CLIENT_CA)\n"
    "  --policy FILE            DriftPolicy (DRIFTGATE_POLICY, default: built-in)\n"
    "  --baseline-dir DIR       baseline ConfigMap files, re-read when they change\n"
    "                           (DRIFTGATE_BASELINE_DIR)\n"
    "  --kubeconfig FILE        read baselines and live state from this cluster\n"
    "                           (DRIFTGATE_KUBECONFIG)\n"
    "  --in-cluster             use the pod's service account (DRIFTGATE_IN_CLUSTER=true)\n"
    "  --baseline-namespace NS  the only namespace whose baseline ConfigMaps are believed\n"
    "                           (DRIFTGATE_BASELINE_NAMESPACE, default: driftgate's own,\n"
    "                           $POD_NAMESPACE or the service account's, else\n"
    "                           driftgate-system)\n"
    "  --helm-secrets           also read Helm's Secret-driver release records; needs RBAC\n"
    "                           on Secrets (DRIFTGATE_HELM_SECRETS=true)\n"
    "  --webhook-name NAME      name in logs and decisions (DRIFTGATE_WEBHOOK_NAME,\n"
    "                           default validate.driftgate.io)\n"
    "  --fail-open|--fail-closed  answer while the store has not synced: allow with a\n"
    "                           warning, or refuse with 503 (DRIFTGATE_FAIL_OPEN=true|false,\n"
    "                           default closed)\n"
    "  --max-body-bytes N       largest AdmissionReview accepted (DRIFTGATE_MAX_BODY_BYTES,\n"
    "                           default 8Mi)\n"
    "  --request-timeout SEC    drop connections idle or stalled this long\n"
    "                           (DRIFTGATE_REQUEST_TIMEOUT, default 10)\n"
    "  --threads N              worker threads (DRIFTGATE_THREADS, default: CPUs)\n"
    "  --audit-interval SEC     continuous audit period (DRIFTGATE_AUDIT_INTERVAL, default 60)\n"
    "  --helm-record-max-bytes N  largest Helm release record read, as stored\n"
    "                           (DRIFTGATE_HELM_RECORD_MAX_BYTES, default 4Mi)\n"
    "  --helm-release-max-bytes N  largest Helm release once inflated; a bigger one is\n"
    "                           logged and skipped (DRIFTGATE_HELM_RELEASE_MAX_BYTES, default 32Mi)\n"
    "  --log-level LEVEL        debug|info|warn|error (DRIFTGATE_LOG_LEVEL, default info)\n";

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static bool truthy(const char *s)
{
    return s && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0 || strcmp(s, "yes") == 0);
}

static int parse_uint(const char *flag, const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    unsigned long mul = 1;

    if (strcmp(end, "Ki") == 0)
        mul = 1024;
    else if (strcmp(end, "Mi") == 0)
        mul = 1024 * 1024;
    else if (*end)
        end = NULL;
    if (end == NULL || end == s || v == 0 || v > max / mul) {
        fprintf(stderr, "driftgate: %s '%s': expected a positive number\n", flag, s);
        return -1;
    }
    *out = v * mul;
    return 0;
}

/* Environment first, flags over it. */
static void from_env(dg_gate_cfg_t *c, const char **level)
{
    const char *v;

    if ((v = getenv("DRIFTGATE_LISTEN")))
        snprintf(c->listen, sizeof c->listen, "%s", v);
    c->tls_cert = getenv("DRIFTGATE_TLS_CERT");
    c->tls_key = getenv("DRIFTGATE_TLS_KEY");
    c->client_ca = getenv("DRIFTGATE_CLIENT_CA");
    c->policy_file = getenv("DRIFTGATE_POLICY");
    c->baseline_dir = getenv("DRIFTGATE_BASELINE_DIR");
    c->kubeconfig = getenv("DRIFTGATE_KUBECONFIG");
    c->in_cluster = truthy(getenv("DRIFTGATE_IN_CLUSTER"));
    c->helm_secrets = truthy(getenv("DRIFTGATE_HELM_SECRETS"));
    c->baseline_ns = getenv("DRIFTGATE_BASELINE_NAMESPACE");
    if ((v = getenv("DRIFTGATE_WEBHOOK_NAME")))
        c->webhook_name = v;
    c->fail_open = truthy(getenv("DRIFTGATE_FAIL_OPEN"));
    if ((v = getenv("DRIFTGATE_LOG_LEVEL")))
        *level = v;
}

static int env_numbers(dg_gate_cfg_t *c)
{
    static const struct {
        const char *env, *flag;
        unsigned long max;
        int which;
    } nums[] = {
        {"DRIFTGATE_MAX_BODY_BYTES", "--max-body-bytes", 1ul << 30, 0},
        {"DRIFTGATE_REQUEST_TIMEOUT", "--request-timeout", 3600, 1},
        {"DRIFTGATE_THREADS", "--threads", 256, 2},
        {"DRIFTGATE_AUDIT_INTERVAL", "--audit-interval", 86400, 3},
        {"DRIFTGATE_HELM_RECORD_MAX_BYTES", "--helm-record-max-bytes", 1ul << 30, 4},
        {"DRIFTGATE_HELM_RELEASE_MAX_BYTES", "--helm-release-max-bytes", 1ul << 30, 5},
    };
    unsigned long v;

    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        const char *s = getenv(nums[i].env);

        if (s == NULL)
            continue;
        if (parse_uint(nums[i].env, s, nums[i].max, &v))
            return -1;
        if (nums[i].which == 0)
            c->max_body = v;
        else if (nums[i].which == 1)
            c->request_timeout_s = (unsigned)v;
        else if (nums[i].which == 2)
            c->threads = (unsigned)v;
        else if (nums[i].which == 4)
            c->helm_record_max = v;
        else if (nums[i].which == 5)
            c->helm_release_max = v;
        else
            c->audit_interval_s = (unsigned)v;
    }
    return 0;
}

static int parse_args(int argc, char **argv, dg_gate_cfg_t *c, const char **level)
{
    enum { O_LISTEN = 256, O_CERT, O_KEY, O_CA, O_POLICY, O_DIR, O_KUBECONFIG, O_INCLUSTER,
           O_SECRETS, O_NAME, O_OPEN, O_CLOSED, O_MAXBODY, O_TIMEOUT, O_THREADS, O_AUDIT,
           O_LEVEL, O_BASELINE_NS, O_RECORD_MAX, O_RELEASE_MAX };
    static const struct option longs[] = {
        {"listen", required_argument, NULL, O_LISTEN},
        {"tls-cert", required_argument, NULL, O_CERT},
        {"tls-key", required_argument, NULL, O_KEY},
        {"client-ca", required_argument, NULL, O_CA},
        {"policy", required_argument, NULL, O_POLICY},
        {"baseline-dir", required_argument, NULL, O_DIR},
        {"kubeconfig", required_argument, NULL, O_KUBECONFIG},
        {"in-cluster", no_argument, NULL, O_INCLUSTER},
        {"helm-secrets", no_argument, NULL, O_SECRETS},
        {"baseline-namespace", required_argument, NULL, O_BASELINE_NS},
        {"webhook-name", required_argument, NULL, O_NAME},
        {"fail-open", no_argument, NULL, O_OPEN},
        {"fail-closed", no_argument, NULL, O_CLOSED},
        {"max-body-bytes", required_argument, NULL, O_MAXBODY},
        {"request-timeout", required_argument, NULL, O_TIMEOUT},
        {"threads", required_argument, NULL, O_THREADS},
        {"audit-interval", required_argument, NULL, O_AUDIT},
        {"log-level", required_argument, NULL, O_LEVEL},
        {"helm-record-max-bytes", required_argument, NULL, O_RECORD_MAX},
        {"helm-release-max-bytes", required_argument, NULL, O_RELEASE_MAX},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    unsigned long v;
    int o;

    while ((o = getopt_long(argc, argv, "hV", longs, NULL)) != -1) {
        switch (o) {
        case O_LISTEN: snprintf(c->listen, sizeof c->listen, "%s", optarg); break;
        case O_CERT: c->tls_cert = optarg; break;
        case O_KEY: c->tls_key = optarg; break;
        case O_CA: c->client_ca = optarg; break;
        case O_POLICY: c->policy_file = optarg; break;
        case O_DIR: c->baseline_dir = optarg; break;
        case O_KUBECONFIG: c->kubeconfig = optarg; break;
        case O_INCLUSTER: c->in_cluster = true; break;
        case O_SECRETS: c->helm_secrets = true; break;
        case O_BASELINE_NS: c->baseline_ns = optarg; break;
        case O_NAME: c->webhook_name = optarg; break;
        case O_OPEN: c->fail_open = true; break;
        case O_CLOSED: c->fail_open = false; break;
        case O_MAXBODY:
            if (parse_uint("--max-body-bytes", optarg, 1ul << 30, &v))
                return -1;
            c->max_body = v;
            break;
        case O_TIMEOUT:
            if (parse_uint("--request-timeout", optarg, 3600, &v))
                return -1;
            c->request_timeout_s = (unsigned)v;
            break;
        case O_THREADS:
            if (parse_uint("--threads", optarg, 256, &v))
                return -1;
            c->threads = (unsigned)v;
            break;
        case O_AUDIT:
            if (parse_uint("--audit-interval", optarg, 86400, &v))
                return -1;
            c->audit_interval_s = (unsigned)v;
            break;
        case O_RECORD_MAX:
        case O_RELEASE_MAX:
            if (parse_uint(o == O_RECORD_MAX ? "--helm-record-max-bytes" : "--helm-release-max-bytes",
                           optarg, 1ul << 30, &v))
                return -1;
            *(o == O_RECORD_MAX ? &c->helm_record_max : &c->helm_release_max) = v;
            break;
        case O_LEVEL: *level = optarg; break;
        case 'V': puts("driftgate 0.1.0"); exit(0);
        case 'h': fputs(usage, stdout); exit(0);
        default: fputs(usage, stderr); return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "driftgate: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (c->tls_cert == NULL || c->tls_key == NULL) {
        fprintf(stderr, "driftgate: --tls-cert and --tls-key are required (the API server only "
                        "calls webhooks over HTTPS)\n");
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
    int rc = dg_tls_reload(&err);

    if (rc == 1)
        dg_log(DG_LOG_INFO, "serving certificate reloaded",
               json_pack("{s:s, s:f}", "cert", g->cfg->tls_cert, "expires_in_s",
                         dg_tls_expiry_seconds()));
    else if (rc < 0)
        dg_log(DG_LOG_ERROR, "new serving certificate not loaded; the old one keeps serving",
               json_pack("{s:s}", "error", dg_err_format(&err, msg, sizeof msg)));
    if (g->cfg->baseline_dir) {
        memset(&err, 0, sizeof err);
        if (dg_store_load_dir(g->store, g->cfg->baseline_dir, &err) < 0)
            dg_log(DG_LOG_ERROR, "baseline directory not read; keeping the baselines loaded",
                   json_pack("{s:s}", "error", dg_err_format(&err, msg, sizeof msg)));
    }
}

static int serve(dg_gate_t *g)
{
    struct sigaction sa = {.sa_handler = on_signal};
    struct timespec tick = {0, 100 * 1000 * 1000};
    dg_http_t *http = NULL;
    dg_err_t err = {0};
    char msg[600];
    unsigned ticks = 0;

    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (dg_http_start(g, &http, &err) != 0) {
        fprintf(stderr, "driftgate: %s\n", dg_err_format(&err, msg, sizeof msg));
        return 1;
    }
    dg_log(DG_LOG_INFO, "serving",
           json_pack("{s:s, s:s, s:b, s:b}", "listen", g->cfg->listen, "webhook",
                     g->cfg->webhook_name, "fail_open", g->cfg->fail_open, "client_auth",
                     g->cfg->client_ca != NULL));
    while (!stop_requested) {
        nanosleep(&tick, NULL);
        if (++ticks % (10 * g->cfg->dir_poll_s) == 0)
            housekeeping(g);
    }
    dg_log(DG_LOG_INFO, "SIGTERM: draining in-flight requests",
           json_pack("{s:I}", "inflight", (json_int_t)g->inflight));
    dg_http_stop(&http, g->cfg->request_timeout_s);
    dg_log(DG_LOG_INFO, "stopped", NULL);
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
        dg_log(DG_LOG_WARN, "the policy names no deployers: anyone who can write Helm's release "
                            "records can release (set spec.deployers)",
               json_pack("{s:s}", "policy", dg_policy_name(g->policy)));
    if (g->cfg->kubeconfig || g->cfg->in_cluster)
        return dg_kube_start(g, err);
    if (!g->cfg->baseline_dir)
        dg_log(DG_LOG_WARN, "no baseline source (--baseline-dir, --kubeconfig or --in-cluster): "
                            "every request is allowed as no-baseline",
               NULL);
    return 0;
}

int main(int argc, char **argv)
{
    dg_gate_cfg_t cfg = {.listen = ":8443", .webhook_name = "validate.driftgate.io",
                         .max_body = DG_GATE_DEFAULT_MAX_BODY, .request_timeout_s = 10,
                         .audit_interval_s = 60, .dir_poll_s = 1};
    dg_gate_t g = {.cfg = &cfg};
    const char *level = "info";
    dg_err_t err = {0};
    char msg[600];
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int rc = 1;

    cfg.threads = cpus > 0 ? (unsigned)cpus : 2;
    from_env(&cfg, &level);
    if (env_numbers(&cfg) || parse_args(argc, argv, &cfg, &level))
        return 2;
    if (dg_log_level_parse(level) < 0) {
        fprintf(stderr, "driftgate: --log-level '%s': expected debug, info, warn or error\n", level);
        return 2;
    }
    dg_log_set_level((dg_log_level_t)dg_log_level_parse(level));
    g.store = dg_store_new();
    if (g.store == NULL || dg_tls_init(cfg.tls_cert, cfg.tls_key, cfg.client_ca, &err) != 0 ||
        load_policy(&g, &err) != 0 || start_sources(&g, &err) < 0) {
        fprintf(stderr, "driftgate: %s\n",
                err.code ? dg_err_format(&err, msg, sizeof msg) : "out of memory");
        goto out;
    }
    rc = serve(&g);
out:
    dg_kube_stop();
    dg_store_free(&g.store);
    dg_policy_free(&g.policy);
    dg_tls_shutdown();
    dg_api_shutdown();
    return rc;
}
