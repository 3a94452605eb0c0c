/* tests/unit/webhook/test_api_oom.c: /validate with every allocation, in
 * turn, failing: jansson's (its allocator is swappable) and our own (this
 * test links with --wrap=malloc,calloc,realloc, so the server's code calls
 * the counting versions below). Whatever
 * fails, the answer is an AdmissionReview echoing the uid (an internal
 * error in dg_decide under the failure stance, annotated decision=error)
 * or a Status error, never a crash or a leak (ASan runs this too); and the
 * internal-error answer is reached. SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "manifest.h"
#include "support.h"

static long allocs_left = -1; /* < 0: never fail */
static bool failed;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

/* A place for a debugger's breakpoint: the allocation that fails. */
void dg_test_oom_hit(void);
void dg_test_oom_hit(void)
{
    failed = true;
}

/* Is this the allocation that fails? */
static bool fail_now(void)
{
    if (allocs_left == 0) {
        dg_test_oom_hit();
        allocs_left = -1;
        return true;
    }
    if (allocs_left > 0)
        allocs_left--;
    return false;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}

static dg_gate_cfg_t cfg = {.webhook_name = "validate.driftgate.io", .max_body = 8 << 20};
static dg_gate_t gate = {.cfg = &cfg};

static void setup(void)
{
    size_t len;
    char *text = dg_test_read("examples/release-baseline.yaml", &len);
    dg_manifest_opts_t opts = {.name = "release", .default_ns = "sandbox-nginx"};
    dg_release_t *rel = dg_release_new("test-nginx", "sandbox-nginx");

    /* No log (gate.log NULL): the sweep would log thousands of lines. */
    gate.metrics = dg_metrics_new();
    gate.store = dg_store_new(gate.metrics, NULL);
    gate.policy = dg_policy_default(NULL);
    ck_assert_int_eq(dg_manifest_load(text, len, &opts, rel->objs, NULL, NULL), 0);
    dg_store_enable(gate.store, DG_SOURCE_DIR);
    ck_assert_int_eq(dg_store_update(gate.store, DG_SOURCE_DIR, &rel, 1, NULL), 0);
    dg_release_free(&rel);
    free(text);
}

static void teardown(void)
{
    dg_store_free(&gate.store);
    dg_policy_free(&gate.policy);
    dg_metrics_free(&gate.metrics);
}

START_TEST(test_every_allocation_fails_in_turn)
{
    size_t len;
    char *body = dg_test_read("examples/reviews/hpa-floor-4.json", &len);
    int internal = 0, denied = 0, refused = 0;

    for (long n = 0; n < 20000; n++) {
        dg_http_req_t req = {.role = DG_ROLE_WEBHOOK, .method = "POST", .path = "/validate",
                             .body = body, .len = len};
        dg_http_resp_t resp = {0};
        json_t *got, *r;
        const char *decision;

        dg_buf_init(&resp.body, 0);
        failed = false;
        allocs_left = n;
        json_set_alloc_funcs(__wrap_malloc, free);
        dg_api_handle(&gate, &req, &resp);
        allocs_left = -1;
        if (resp.status != 200) {
            /* The request is good: running out of memory is ours, never a 4xx. */
            ck_assert_msg(resp.status == 500, "n=%ld: HTTP %d", n, resp.status);
            refused++;
        } else {
            got = json_loadb(resp.body.data, resp.body.len, 0, NULL);
            ck_assert_msg(got != NULL, "n=%ld: 200 with a body that is not JSON", n);
            r = json_object_get(got, "response");
            ck_assert_str_eq(json_string_value(json_object_get(r, "uid")),
                             "1f7c2e4a-8b3d-4c6e-9a15-7d2b0e6f3c81");
            if (json_is_false(json_object_get(r, "allowed")))
                denied++;
            decision = json_string_value(
                json_object_get(json_object_get(r, "auditAnnotations"), "decision"));
            if (decision && strcmp(decision, "error") == 0)
                internal++;
            json_decref(got);
        }
        dg_buf_free(&resp.body);
        if (!failed)
            break; /* every allocation of a whole request has had its turn */
    }
    ck_assert_msg(!failed, "the sweep did not reach a request with no failure");
    ck_assert_int_gt(internal, 0);
    ck_assert_int_gt(refused, 0);
    ck_assert_int_gt(denied, internal); /* fail-closed errors deny, and the last run denies */
    free(body);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook/api out of memory");
    TCase *tc = tcase_create("oom");

    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_every_allocation_fails_in_turn);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
