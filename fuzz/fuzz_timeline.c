/* fuzz/fuzz_timeline.c: audit log lines, as anyone who can make the API
 * server log a request shapes them (and as driftgate's audit backend will
 * receive them), through the whole timeline: each line read as JSON and
 * classified, the lot sorted and resolved, then rendered both ways. It
 * must never crash, leak or read out of bounds; bad lines are refused.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <string.h>

#include "json.h"
#include "report.h"
#include "timeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dg_policy_t *pol;
    const char *p = (const char *)data, *end = p + size;
    dg_timeline_opts_t o = {.ns = "sandbox-nginx", .pol = NULL};
    dg_timeline_t *tl;
    dg_buf_t out;

    if (pol == NULL && (pol = dg_policy_default(NULL)) == NULL)
        __builtin_trap();
    o.pol = pol;
    /* The first byte picks the filters: every release, or test-nginx. */
    if (size && (data[0] & 1))
        o.release = "test-nginx";
    if ((tl = dg_timeline_new(&o, size && (data[0] & 2) ? 1796158425000000000 : INT64_MIN,
                              NULL)) == NULL)
        return 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        json_t *ev = dg_json_parse(p, len, DG_JSON_PRUNE_SERVER, "fuzz", NULL);

        if (ev && dg_timeline_add(tl, ev, NULL) == DG_ENOMEM)
            __builtin_trap();
        json_decref(ev);
        p += len + 1;
    }
    if (dg_timeline_finish(tl, NULL) != 0)
        __builtin_trap();
    for (int fmt = 0; fmt < 2; fmt++) {
        dg_buf_init(&out, 0);
        if (dg_report_timeline(tl, fmt ? DG_FMT_JSON : DG_FMT_TABLE, NULL, &out, NULL) != 0)
            __builtin_trap();
        dg_buf_free(&out);
    }
    dg_timeline_free(&tl);
    return 0;
}
