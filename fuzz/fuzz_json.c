/* fuzz/fuzz_json.c: differential. driftgate's JSON reader and jansson must
 * agree on every input: both refuse it, or both read the same tree. Two
 * differences are by design: nesting past our lower depth limit, and a NUL
 * byte, which jansson takes as the end of its input and we refuse.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t max_nesting(const uint8_t *d, size_t n)
{
    size_t depth = 0, max = 0;

    for (size_t i = 0; i < n; i++) {
        if (d[i] == '[' || d[i] == '{')
            max = ++depth > max ? depth : max;
        else if ((d[i] == ']' || d[i] == '}') && depth)
            depth--;
    }
    return max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dg_err_t err = {0};
    json_error_t je;
    json_t *ours = dg_json_parse((const char *)data, size, 0, "fuzz", &err);
    json_t *theirs =
        json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);

    if (max_nesting(data, size) < DG_JSON_MAX_DEPTH) {
        if ((ours == NULL) != (theirs == NULL) && !(ours == NULL && memchr(data, 0, size)))
            __builtin_trap();
        if (ours && !json_equal(ours, theirs))
            __builtin_trap();
    }
    if (ours == NULL && (err.code == 0 || err.line < 1 || err.col < 1))
        __builtin_trap();
    json_decref(ours);
    json_decref(theirs);
    return 0;
}
