/* fuzz/fuzz_kevent.c: Events read back on start, as anyone with `create
 * events` in a namespace shapes them: each line read as JSON, judged by
 * the trust check, and the ones believed turned into the audit event they
 * stand for and classified into a timeline, then rendered; some lines are
 * signed first, as driftgate signs its own. It must never
 * crash, leak or read out of bounds. SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <string.h>

#include "json.h"
#include "kevent.h"
#include "report.h"
#include "timeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dg_policy_t *pol;
    static uint8_t key[DG_KEVENT_KEY_LEN];
    const char *p = (const char *)data, *end = p + size;
    dg_timeline_opts_t o = {0};
    dg_timeline_t *tl;
    dg_buf_t out;
    char note[DG_KEVENT_NOTE_MAX];

    if (pol == NULL && (pol = dg_policy_default(NULL)) == NULL)
        __builtin_trap();
    if (key[0] == 0 && dg_kevent_sign_key("fuzz", 4, key) != 0)
        return 0;
    o.pol = pol;
    if ((tl = dg_timeline_new(&o, INT64_MIN, NULL)) == NULL)
        return 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        json_t *ev = dg_json_parse(p, len, 0, "fuzz", NULL), *au = NULL;

        /* The first byte: believe any instance, or driftgate's own pods;
         * and sign each line first, as driftgate would have (else only a
         * forged signature gets past, and the timeline is never reached). */
        if (ev && size && (data[0] & 2) && dg_kevent_sign(ev, key, NULL) != 0 &&
            dg_kevent_verify(ev, key))
            __builtin_trap(); /* not signed, yet verifies */
        if (ev && dg_kevent_trusted(ev, size && (data[0] & 1) ? "driftgate-" : NULL, false, key))
            au = dg_kevent_to_audit(ev, "validate.driftgate.io", INT64_MAX);
        if (au && dg_timeline_add(tl, au, NULL) == DG_ENOMEM)
            __builtin_trap();
        /* Its fields as a note: never past the API server's limit. */
        if (ev) {
            const json_t *reg = json_object_get(ev, "regarding");
            dg_kevent_t e = {.kind = json_string_value(json_object_get(reg, "kind")),
                             .name = json_string_value(json_object_get(reg, "name")),
                             .path = json_string_value(json_object_get(ev, "note")),
                             .user = json_string_value(json_object_get(ev, "reason"))};
            json_t *body;

            dg_kevent_note(&e, note, sizeof note);
            if (strlen(note) >= DG_KEVENT_NOTE_MAX)
                __builtin_trap();
            e.reason = "DriftDenied", e.action = "Deny";
            body = dg_kevent_json(&e, note, "x.1", "i", 0);
            json_decref(body);
        }
        json_decref(au);
        json_decref(ev);
        p += len + 1;
    }
    if (dg_timeline_finish(tl, NULL) != 0)
        __builtin_trap();
    dg_buf_init(&out, 0);
    if (dg_report_timeline(tl, DG_FMT_JSON, NULL, &out, NULL) != 0)
        __builtin_trap();
    dg_buf_free(&out);
    dg_timeline_free(&tl);
    return 0;
}
