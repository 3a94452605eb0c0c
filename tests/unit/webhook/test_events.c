/* tests/unit/webhook/test_events.c: driftgate's Event poster against a
 * stand-in API server (plain HTTP on loopback, one connection at a time):
 * a storm of one denial is one Event whose series counts it, filing never
 * blocks and what the queue cannot hold is dropped and counted, every
 * Event posted carries a signature under the serving key, and the timeline
 * rebuilt on start believes only driftgate's own Events: signed with that
 * key, the rest forged or tampered with.
 * SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "gate.h"
#include "metrics.h"
#include "support.h"

/* ---- the stand-in API server ----------------------------------------------------- */

#define MAX_SEEN 4096

static struct {
    int fd, port;
    pthread_t thread;
    pthread_mutex_t mu;
    char *method[MAX_SEEN], *path[MAX_SEEN], *body[MAX_SEEN];
    int n;
    const char *list;          /* the answer to a LIST of Events */
    bool refuse_selector;      /* 400 to a LIST with a fieldSelector */
    volatile bool stop;
} api;

static int read_request(FILE *in, char **method, char **path, char **body)
{
    char line[8192], m[16], p[4096];
    size_t len = 0;

    if (fgets(line, sizeof line, in) == NULL || sscanf(line, "%15s %4095s", m, p) != 2)
        return -1;
    while (fgets(line, sizeof line, in) && strcmp(line, "\r\n") != 0)
        if (strncasecmp(line, "Content-Length:", 15) == 0)
            len = strtoul(line + 15, NULL, 10);
    *body = calloc(1, len + 1);
    if (len && fread(*body, 1, len, in) != len)
        return -1;
    *method = strdup(m);
    *path = strdup(p);
    return 0;
}

static void *serve(void *arg)
{
    (void)arg;
    while (!api.stop) {
        int c = accept(api.fd, NULL, NULL);
        FILE *in, *out;
        char *m, *p, *b;

        if (c < 0)
            continue;
        in = fdopen(c, "r");
        out = fdopen(dup(c), "w");
        while (!api.stop && read_request(in, &m, &p, &b) == 0) {
            int status = strcmp(m, "POST") == 0 ? 201 : 200;
            const char *reply = "{}";

            if (strcmp(m, "GET") == 0) {
                reply = api.list ? api.list : "{\"items\":[]}";
                if (api.refuse_selector && strstr(p, "fieldSelector")) {
                    status = 400;
                    reply = "{\"kind\":\"Status\",\"message\":\"field label not supported\"}";
                }
            }
            pthread_mutex_lock(&api.mu);
            if (api.n < MAX_SEEN) {
                api.method[api.n] = m;
                api.path[api.n] = p;
                api.body[api.n++] = b;
            } else {
                free(m), free(p), free(b);
            }
            pthread_mutex_unlock(&api.mu);
            fprintf(out, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                    status, strlen(reply), reply);
            fflush(out);
        }
        fclose(in);
        fclose(out);
    }
    return NULL;
}

static const char *kubeconfig(void)
{
    static char path[64];
    FILE *f;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;

    memset(&api, 0, sizeof api);
    pthread_mutex_init(&api.mu, NULL);
    api.fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(api.fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(api.fd, 8), 0);
    getsockname(api.fd, (struct sockaddr *)&sa, &sl);
    api.port = ntohs(sa.sin_port);
    ck_assert_int_eq(pthread_create(&api.thread, NULL, serve, NULL), 0);
    snprintf(path, sizeof path, "/tmp/dg-test-events-%d.yaml", (int)getpid());
    f = fopen(path, "w");
    fprintf(f, "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
               "clusters: [{name: k, cluster: {server: 'http://127.0.0.1:%d'}}]\n"
               "users: [{name: u, user: {token: t}}]\n"
               "contexts: [{name: c, context: {cluster: k, user: u}}]\n", api.port);
    fclose(f);
    return path;
}

/* A serving key file for the gate, and the signing key driftgate derives
 * from it. */
static const char key_pem[] = "-----BEGIN PRIVATE KEY-----\ntest events key\n-----END PRIVATE KEY-----\n";

static const char *key_file(uint8_t key[DG_KEVENT_KEY_LEN])
{
    static char path[64];
    FILE *f;

    snprintf(path, sizeof path, "/tmp/dg-test-events-%d.key", (int)getpid());
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(key_pem, f);
    fclose(f);
    ck_assert_int_eq(dg_kevent_sign_key(key_pem, sizeof key_pem - 1, key), 0);
    return path;
}

static int count(const char *method)
{
    int n = 0;

    pthread_mutex_lock(&api.mu);
    for (int i = 0; i < api.n; i++)
        n += strcmp(api.method[i], method) == 0;
    pthread_mutex_unlock(&api.mu);
    return n;
}

/* The series count of the last PATCH (or 1 after a POST only). */
static long last_count(void)
{
    long c = 0;

    pthread_mutex_lock(&api.mu);
    for (int i = 0; i < api.n; i++) {
        json_t *b = json_loads(api.body[i], 0, NULL);
        json_t *s = json_object_get(json_object_get(b, "series"), "count");

        if (strcmp(api.method[i], "POST") == 0)
            c = s ? (long)json_integer_value(s) : 1;
        else if (strcmp(api.method[i], "PATCH") == 0)
            c = (long)json_integer_value(s);
        json_decref(b);
    }
    pthread_mutex_unlock(&api.mu);
    return c;
}

static void wait_until(bool (*cond)(void), const char *what)
{
    for (int i = 0; i < 500 && !cond(); i++)
        usleep(10000);
    ck_assert_msg(cond(), "timed out waiting for %s", what);
}

static long metric(dg_events_t *ev, const char *name)
{
    dg_buf_t b;
    const char *p;
    long v = -1;

    dg_buf_init(&b, 0);
    ck_assert_int_eq(dg_events_metrics(ev, &b), 0);
    p = strstr(b.data, name);
    while (p && p > b.data && p[-1] != '\n')
        p = strstr(p + 1, name);
    if (p)
        v = strtol(p + strlen(name), NULL, 10);
    dg_buf_free(&b);
    return v;
}

static dg_kevent_t denial(const char *name)
{
    dg_kevent_t e = {.reason = "DriftDenied", .action = "Deny", .warning = true,
                     .api_version = "autoscaling/v2", .kind = "HorizontalPodAutoscaler",
                     .ns = "sandbox-nginx", .name = name, .uid = "u-1", .path = "spec.minReplicas",
                     .desired = "6", .value = "4", .value_label = "requested", .user = "jane",
                     .release = "sandbox-nginx/test-nginx", .decision = "deny",
                     .group = "autoscaling", .resource = "horizontalpodautoscalers",
                     .variances = "spec.minReplicas: 6 -> 4"};

    return e;
}

static bool storm_counted(void)
{
    return last_count() == 500;
}

/* 500 identical denials: one Event created, its series patched to 500. */
START_TEST(test_storm_is_one_event)
{
    uint8_t key[DG_KEVENT_KEY_LEN];
    dg_gate_cfg_t cfg = {.kubeconfig = kubeconfig(), .tls_key = key_file(key), .events_qps = 1000,
                         .events_burst = 1000};
    dg_gate_t g = {.cfg = &cfg, .metrics = dg_metrics_new()};
    dg_events_t *ev = dg_events_start(&g, "driftgate-5d8f-abcde", NULL);
    dg_kevent_t e = denial("test-nginx");

    ck_assert_ptr_nonnull(ev);
    for (int i = 0; i < 500; i++)
        dg_events_post(ev, &e);
    wait_until(storm_counted, "the series to count 500");
    /* The sender counts a POST once its answer is read, which may be after
     * the stand-in server has seen the series at 500 (in that very POST). */
    for (int i = 0; i < 500 && metric(ev, "driftgate_events_posted_total{op=\"create\"} ") != 1; i++)
        usleep(10000);
    ck_assert_int_eq(count("POST"), 1);
    ck_assert_int_le(count("PATCH"), 499);
    ck_assert_int_eq(metric(ev, "driftgate_events_dropped_total "), 0);
    ck_assert_int_eq(metric(ev, "driftgate_events_posted_total{op=\"create\"} "), 1);
    pthread_mutex_lock(&api.mu);
    ck_assert_str_eq(api.path[0], "/apis/events.k8s.io/v1/namespaces/sandbox-nginx/events");
    {
        json_t *b = json_loads(api.body[0], 0, NULL);

        ck_assert_str_eq(json_string_value(json_object_get(b, "reportingInstance")), "driftgate-5d8f-abcde");
        ck_assert_str_eq(json_string_value(json_object_get(b, "reason")), "DriftDenied");
        /* Signed under the serving key; its series, patched since, is not signed. */
        ck_assert(dg_kevent_verify(b, key));
        json_object_set_new(b, "series", json_pack("{s:i}", "count", 500));
        ck_assert(dg_kevent_verify(b, key));
        json_decref(b);
    }
    pthread_mutex_unlock(&api.mu);
    dg_events_stop(&ev);
    ck_assert_ptr_null(ev);
    dg_metrics_free(&g.metrics);
    api.stop = true;
    shutdown(api.fd, SHUT_RDWR);
}
END_TEST

/* A slow bucket: filing never waits, the queue holds DG_EVENTS_QUEUE, the
 * rest are dropped and counted. */
START_TEST(test_full_queue_drops)
{
    uint8_t key[DG_KEVENT_KEY_LEN];
    dg_gate_cfg_t cfg = {.kubeconfig = kubeconfig(), .tls_key = key_file(key), .events_qps = 1,
                         .events_burst = 1};
    dg_gate_t g = {.cfg = &cfg, .metrics = dg_metrics_new()};
    dg_events_t *ev = dg_events_start(&g, "dg", NULL);
    struct timespec t0, t1;
    char name[32];

    ck_assert_ptr_nonnull(ev);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < DG_EVENTS_QUEUE + 100; i++) {
        dg_kevent_t e;

        snprintf(name, sizeof name, "obj-%d", i);
        e = denial(name);
        dg_events_post(ev, &e);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_msg((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 500,
                  "filing waited");
    ck_assert_int_ge(metric(ev, "driftgate_events_dropped_total "), 99);
    ck_assert_int_le(metric(ev, "driftgate_events_queued "), DG_EVENTS_QUEUE);
    dg_events_stop(&ev);
    dg_metrics_free(&g.metrics);
    api.stop = true;
    shutdown(api.fd, SHUT_RDWR);
}
END_TEST

static dg_timelines_t *tls_;
static bool rebuilt(void)
{
    return dg_timelines_count(tls_, "sandbox-nginx", "test-nginx") >= 1;
}

#define EV(ctl, inst, mgr)                                                                         \
    "{\"metadata\":{\"name\":\"test-nginx.1\",\"namespace\":\"sandbox-nginx\",\"uid\":\"" inst "\","  \
    "\"managedFields\":[{\"manager\":\"" mgr "\"}],\"annotations\":{\"driftgate.io/decision\":\"deny\","  \
    "\"driftgate.io/release\":\"sandbox-nginx/test-nginx\",\"driftgate.io/user\":\"jane\","        \
    "\"driftgate.io/resource\":\"horizontalpodautoscalers\",\"driftgate.io/group\":\"autoscaling\"," \
    "\"driftgate.io/variances\":\"spec.minReplicas: 6 -> 4\"}},"                                    \
    "\"eventTime\":\"2026-12-01T23:00:00.000000Z\",\"reportingController\":\"" ctl "\","           \
    "\"reportingInstance\":\"" inst "\",\"reason\":\"DriftDenied\",\"action\":\"Deny\","            \
    "\"regarding\":{\"kind\":\"HorizontalPodAutoscaler\",\"name\":\"test-nginx\",\"namespace\":\"sandbox-nginx\"}}"

/* The Events the stand-in lists on start: the first is driftgate's own,
 * every other is not to be believed. How each is made: signed with
 * driftgate's key, with another, or not at all; then one field changed. */
static const struct {
    const char *what, *event;
    int sign;          /* 1: driftgate's key, 2: another key, 0: none */
    const char *user;  /* non-NULL: the user annotation changed after signing */
} listed[] = {
    {"driftgate's own", EV("driftgate.io/driftgate", "driftgate-5d8f-abcde", "driftgate"), 1, NULL},
    {"another controller", EV("evil.io/forger", "driftgate-5d8f-x", "driftgate"), 1, NULL},
    {"another Deployment", EV("driftgate.io/driftgate", "mallory-5d8f-x", "driftgate"), 1, NULL},
    {"forged: every filtered field right, unsigned",
     EV("driftgate.io/driftgate", "driftgate-5d8f-abcde", "driftgate"), 0, NULL},
    {"signed under another serving key", EV("driftgate.io/driftgate", "driftgate-5d8f-abcde", "driftgate"),
     2, NULL},
    {"a genuine Event's user changed", EV("driftgate.io/driftgate", "driftgate-5d8f-abcde", "driftgate"),
     1, "mallory"},
};

static char *event_list(const uint8_t key[DG_KEVENT_KEY_LEN])
{
    json_t *items = json_array(), *list;
    uint8_t other[DG_KEVENT_KEY_LEN];
    char *text;

    ck_assert_int_eq(dg_kevent_sign_key("rotated", 7, other), 0);
    for (size_t i = 0; i < sizeof listed / sizeof listed[0]; i++) {
        json_t *e = json_loads(listed[i].event, 0, NULL);

        ck_assert_msg(e != NULL, "%s", listed[i].what);
        if (listed[i].sign)
            ck_assert_int_eq(dg_kevent_sign(e, listed[i].sign == 1 ? key : other, NULL), 0);
        if (listed[i].user)
            json_object_set_new(json_object_get(json_object_get(e, "metadata"), "annotations"),
                                "driftgate.io/user", json_string(listed[i].user));
        json_array_append_new(items, e);
    }
    list = json_pack("{s:o}", "items", items);
    text = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    return text;
}

/* On start: the Events listed (a 400 to the fieldSelector read without
 * it), only driftgate's own believed. */
START_TEST(test_rebuild_trusts_only_its_own)
{
    uint8_t key[DG_KEVENT_KEY_LEN];
    dg_gate_cfg_t cfg = {.kubeconfig = kubeconfig(), .tls_key = key_file(key), .events_qps = 5,
                         .events_burst = 5, .webhook_name = "validate.driftgate.io"};
    dg_gate_t g = {.cfg = &cfg, .metrics = dg_metrics_new()};
    dg_timeline_opts_t to = {0};
    dg_policy_t *pol = dg_policy_default(NULL);
    dg_events_t *ev;
    char *list = event_list(key);

    to.pol = pol;
    tls_ = dg_timelines_new(&to, 16, 8, NULL);
    api.refuse_selector = true;
    api.list = list;
    g.timelines = tls_;
    ev = dg_events_start(&g, "driftgate-77aa-zzzzz", NULL);
    ck_assert_ptr_nonnull(ev);
    wait_until(rebuilt, "the timeline to be rebuilt");
    ck_assert_uint_eq(dg_timelines_count(tls_, "sandbox-nginx", "test-nginx"), 1);
    ck_assert_int_eq(metric(ev, "driftgate_events_distrusted "),
                     (long)(sizeof listed / sizeof listed[0]) - 1);
    ck_assert_int_eq(count("GET"), 2); /* with the selector (400), then without */
    dg_events_stop(&ev);
    free(list);
    dg_metrics_free(&g.metrics);
    dg_timelines_free(&tls_);
    dg_policy_free(&pol);
    api.stop = true;
    shutdown(api.fd, SHUT_RDWR);
}
END_TEST

/* No serving key to sign with: the poster does not start. */
START_TEST(test_no_key_no_events)
{
    dg_gate_cfg_t cfg = {.kubeconfig = "/nonexistent", .tls_key = "/nonexistent/tls.key",
                         .events_qps = 1, .events_burst = 1};
    dg_gate_t g = {.cfg = &cfg};
    dg_err_t err = {0};

    ck_assert_ptr_null(dg_events_start(&g, "dg", &err));
    ck_assert_int_eq(err.code, DG_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/tls.key"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook/events");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_storm_is_one_event);
    tcase_add_test(tc, test_full_queue_drops);
    tcase_add_test(tc, test_rebuild_trusts_only_its_own);
    tcase_add_test(tc, test_no_key_no_events);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
