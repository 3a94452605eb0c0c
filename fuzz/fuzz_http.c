/* fuzz/fuzz_http.c: arbitrary bytes as the body of a request to driftgate,
 * through dg_api_handle() exactly as the HTTP adapter calls it once a body
 * is complete, with a store that holds the example release. Every request
 * must be answered: 200 with the review's uid, or a 4xx Status naming the
 * problem. The first byte picks the route, so the read-only API and the
 * 405 path are exercised against the same state.
 * SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE /* memmem */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "log.h"
#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The example release's governed objects, as helm renders them. */
static const char release[] =
    "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: test-nginx\n"
    "spec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n"
    "    name: test-nginx\n  minReplicas: 6\n  maxReplicas: 10\n---\n"
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: test-nginx\nspec:\n  type: ClusterIP\n"
    "  ports:\n    - port: 80\n      targetPort: http\n      protocol: TCP\n      name: http\n";

static dg_gate_cfg_t cfg = {.webhook_name = "validate.driftgate.io",
                            .max_body = 1 << 20};
static dg_gate_t gate = {.cfg = &cfg};

static void setup(void)
{
    dg_manifest_opts_t opts = {.name = "release", .default_ns = "sandbox-nginx"};
    dg_release_t *rel = dg_release_new("test-nginx", "sandbox-nginx");

    gate.log = dg_log_new(DG_LOG_ERROR);
    gate.metrics = dg_metrics_new();
    gate.store = gate.metrics ? dg_store_new(gate.metrics, gate.log) : NULL;
    gate.decisions = dg_decisions_new();
    gate.policy = dg_policy_default(NULL);
    if (!rel || !gate.store || !gate.decisions || !gate.policy ||
        dg_manifest_load(release, sizeof release - 1, &opts, rel->objs, NULL, NULL) != 0)
        abort();
    dg_store_enable(gate.store, DG_SOURCE_DIR);
    if (dg_store_update(gate.store, DG_SOURCE_DIR, &rel, 1, NULL) != 0)
        abort();
    dg_release_free(&rel);
}

static const struct {
    dg_role_t role;
    const char *path;
} routes[] = {
    {DG_ROLE_WEBHOOK, "/validate"},         {DG_ROLE_WEBHOOK, "/validate"},
    {DG_ROLE_WEBHOOK, "/validate"},         {DG_ROLE_CONSOLE, "/api/v1/simulate"},
    {DG_ROLE_CONSOLE, "/api/v1/decisions"}, {DG_ROLE_WEBHOOK, "/readyz"},
    {DG_ROLE_METRICS, "/metrics"},          {DG_ROLE_WEBHOOK, "/nope"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned r = size ? data[0] % 8 : 0;
    const char *path = routes[r].path;
    bool validate = strcmp(path, "/validate") == 0;
    bool post = validate || strcmp(path, "/api/v1/simulate") == 0; /* the console's hostile body */
    dg_http_req_t req = {.role = routes[r].role,
                         .method = post ? "POST" : strcmp(path, "/nope") == 0 ? "DELETE" : "GET",
                         .path = path, .timeout = size > 1 && data[1] == 's' ? "3s" : NULL,
                         .body = (const char *)data, .len = size};
    dg_http_resp_t resp = {0};

    if (gate.store == NULL)
        setup();
    dg_buf_init(&resp.body, 0);
    dg_api_handle(&gate, &req, &resp);
    if (resp.body.len == 0 || resp.status < 200 || resp.status >= 500)
        __builtin_trap();
    if (validate && resp.status == 200 &&
        memmem(resp.body.data, resp.body.len, "\"uid\":", 6) == NULL)
        __builtin_trap();
    if (validate && resp.status != 200 && resp.status != 400 &&
        resp.status != 413)
        __builtin_trap();
    dg_buf_free(&resp.body);
    return 0;
}
