/* fuzz/fuzz_path.c: arbitrary bytes as a path. A parse either fails with a
 * column inside the text, or yields a canonical text that parses back to
 * itself. SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    dg_err_t err = {0};
    dg_path_t *p, *again;

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    p = dg_path_parse(text, &err);
    if (p == NULL) {
        if (err.code == 0 || (err.code == DG_EINVAL && (err.col < 1 || (size_t)err.col > strlen(text) + 1)))
            __builtin_trap();
    } else {
        again = dg_path_parse(dg_path_text(p), NULL);
        if (again == NULL || strcmp(dg_path_text(again), dg_path_text(p)) != 0 ||
            dg_path_len(again) != dg_path_len(p) || !dg_path_covers(p, again))
            __builtin_trap();
        dg_path_free(&again);
        dg_path_free(&p);
    }
    free(text);
    return 0;
}
