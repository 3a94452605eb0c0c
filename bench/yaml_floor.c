/* bench/yaml_floor.c: the floor for `driftctl diff`: libyaml's parser
 * alone, event by event, over the same files, building nothing.
 * Usage: bench_yaml_floor FILE... ; prints events and seconds.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <yaml.h>

static long parse_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    yaml_parser_t p;
    yaml_event_t ev;
    long events = 0;
    int done = 0;

    if (f == NULL || !yaml_parser_initialize(&p)) {
        perror(path);
        exit(1);
    }
    yaml_parser_set_input_file(&p, f);
    while (!done) {
        if (!yaml_parser_parse(&p, &ev)) {
            fprintf(stderr, "%s: %s\n", path, p.problem ? p.problem : "parse error");
            exit(1);
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        events++;
    }
    yaml_parser_delete(&p);
    fclose(f);
    return events;
}

int main(int argc, char **argv)
{
    struct timespec a, b;
    long events = 0;

    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 1; i < argc; i++)
        events += parse_file(argv[i]);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%ld events in %.3f s\n", events,
           (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
    return 0;
}
