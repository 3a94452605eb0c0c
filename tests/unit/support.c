/* tests/unit/support.c: see support.h.
 * SPDX-License-Identifier: Apache-2.0 */
#include "support.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *dg_test_path(const char *rel)
{
    static char path[4096];

    if (rel[0] == '/')
        snprintf(path, sizeof path, "%s", rel);
    else
        snprintf(path, sizeof path, "%s/%s", DG_TEST_SRCDIR, rel);
    return path;
}

char *dg_test_read(const char *path, size_t *len)
{
    const char *full = dg_test_path(path);
    FILE *f = fopen(full, "rb");
    char *data = NULL;
    long n;

    ck_assert_msg(f != NULL, "cannot open %s", full);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(data);
    ck_assert_msg(fread(data, 1, (size_t)n, f) == (size_t)n, "short read %s", full);
    data[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return data;
}

const char *dg_test_shared_reviews(void)
{
    static char path[4096];
    const char *env = getenv("DG_SHARED_FIXTURES");

    if (env && *env)
        return env;
    snprintf(path, sizeof path, "%s/../shared/fixtures/admission-reviews", DG_TEST_SRCDIR);
    return path;
}

json_t *dg_test_json(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);

    ck_assert_msg(j != NULL, "bad JSON in test: %s at %d:%d", e.text, e.line, e.column);
    return j;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of @dir's directories (@dirs) or regular files. */
static char **entries(const char *dir, bool dirs, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = calloc(1, sizeof *names);
    size_t count = 0;

    /* Called from main() to size loop tests, where ck_assert cannot run. */
    if (d == NULL) {
        fprintf(stderr, "cannot open directory %s\n", dir);
        exit(1);
    }
    while ((e = readdir(d)) != NULL) {
        char p[4096];
        struct stat st;

        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &st) != 0 || (dirs ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)))
            continue;
        names = realloc(names, (count + 2) * sizeof *names);
        names[count++] = strdup(e->d_name);
        names[count] = NULL;
    }
    closedir(d);
    qsort(names, count, sizeof *names, cmp);
    *n = count;
    return names;
}

char **dg_test_subdirs(const char *dir, size_t *n)
{
    return entries(dir, true, n);
}

char **dg_test_files(const char *dir, size_t *n)
{
    return entries(dir, false, n);
}

void dg_test_names_free(char **names)
{
    for (size_t i = 0; names && names[i]; i++)
        free(names[i]);
    free(names);
}

int dg_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
