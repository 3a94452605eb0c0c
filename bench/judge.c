/* bench/judge.c: the handler alone, as the server runs it: dg_api_handle()
 * on one AdmissionReview body, N times, against baselines from a directory.
 * Prints microseconds per request. Usage: bench_judge BASELINE_DIR REVIEW [N]
 * DG_BENCH_LOG=1 logs at info, as the server does by default (the lines go
 * to stderr); DG_BENCH_RING=1 keeps the decisions, as the server always does.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "api.h"
#include "decisions.h"
#include "log.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    dg_gate_cfg_t cfg = {.webhook_name = "validate.driftgate.io", .max_body = 8 << 20};
    dg_gate_t gate = {.cfg = &cfg};
    long n = argc > 3 ? atol(argv[3]) : 20000;
    struct timespec t0, t1;
    dg_arena_t arena; /* as a worker thread keeps one */
    dg_err_t err = {0};
    size_t len;
    char *body;

    if (argc < 3 || (body = slurp(argv[2], &len)) == NULL) {
        fprintf(stderr, "usage: bench_judge BASELINE_DIR REVIEW [N]\n");
        return 1;
    }
    gate.log = dg_log_new(getenv("DG_BENCH_LOG") ? DG_LOG_INFO : DG_LOG_ERROR);
    if (getenv("DG_BENCH_RING"))
        gate.decisions = dg_decisions_new();
    gate.metrics = dg_metrics_new();
    gate.store = dg_store_new(gate.metrics, gate.log);
    gate.policy = dg_policy_default(&err);
    dg_store_enable(gate.store, DG_SOURCE_DIR);
    if (!gate.policy || dg_store_load_dir(gate.store, argv[1], &err) < 0) {
        fprintf(stderr, "bench_judge: %s\n", err.msg);
        return 1;
    }
    dg_arena_init(&arena, 64 << 10);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < n; i++) {
        dg_http_req_t req = {.role = DG_ROLE_WEBHOOK, .method = "POST", .path = "/validate",
                             .body = body, .len = len, .arena = &arena};
        dg_http_resp_t resp = {0};

        dg_buf_init(&resp.body, 0);
        dg_api_handle(&gate, &req, &resp);
        if (resp.status != 200) {
            fprintf(stderr, "bench_judge: HTTP %d: %s\n", resp.status, resp.body.data);
            return 1;
        }
        dg_buf_free(&resp.body);
        dg_arena_reset(&arena);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%.2f us/request over %ld requests (%zu bytes)\n",
           ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3 /
               (double)n, n, len);
    dg_policy_free(&gate.policy);
    dg_store_free(&gate.store);
    dg_metrics_free(&gate.metrics);
    dg_log_free(&gate.log);
    dg_decisions_free(&gate.decisions);
    dg_arena_free(&arena);
    free(body);
    return 0;
}
