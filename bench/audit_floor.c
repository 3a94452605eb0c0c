/* bench/audit_floor.c: the floor for `driftctl timeline`: read an audit
 * log line by line and parse each line with jansson, building nothing
 * else (no classification, no sorting, no output). With --libdrift, each
 * line is parsed by libdrift's reader instead (policy/json.c, which
 * driftctl timeline uses: jansson trees without managedFields and status),
 * to show what classifying adds to parsing alone.
 * Usage: bench_audit_floor [--libdrift] FILE... ; prints lines, malformed
 * and seconds. SPDX-License-Identifier: Apache-2.0 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "json.h"

int main(int argc, char **argv)
{
    struct timespec a, b;
    long lines = 0, bad = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    bool libdrift = argc > 1 && strcmp(argv[1], "--libdrift") == 0;

    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 1 + libdrift; i < argc; i++) {
        FILE *f = fopen(argv[i], "r");

        if (f == NULL) {
            perror(argv[i]);
            return 1;
        }
        while ((n = getline(&line, &cap, f)) > 0) {
            json_t *j = libdrift ? dg_json_parse(line, (size_t)n, DG_JSON_PRUNE_SERVER, argv[i], NULL)
                                 : json_loadb(line, (size_t)n, 0, NULL);

            lines++;
            bad += j == NULL;
            json_decref(j);
        }
        fclose(f);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    free(line);
    printf("%ld lines (%ld malformed) in %.3f s\n", lines, bad,
           (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
    return 0;
}
