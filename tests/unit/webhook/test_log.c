/* tests/unit/webhook/test_log.c: the writer batches queued lines into
 * few writes; every line must still arrive whole, once, in each thread's
 * order, to a regular file and to a pipe, short lines and ones longer than
 * PIPE_BUF alike.
 * SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "support.h"

#define THREADS 4
#define LINES 3000

static dg_log_t *log_;

static void *emitter(void *arg)
{
    long t = (long)arg;
    char pad[PIPE_BUF + 200];

    for (int i = 0; i < LINES; i++) {
        /* Every 97th line is longer than PIPE_BUF: it goes out alone. */
        size_t n = i % 97 == 0 ? sizeof pad - 1 : (size_t)(i % 300);

        memset(pad, 'x', n);
        pad[n] = '\0';
        dg_log(log_, DG_LOG_INFO, "line", json_pack("{s:i, s:i, s:s}", "t", (int)t, "i", i, "pad", pad));
    }
    return NULL;
}

/* Every line of @in whole JSON, each thread's in its order, all of them. */
static void check_lines(FILE *in)
{
    int next[THREADS] = {0}, count = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    while ((n = getline(&line, &cap, in)) > 0) {
        json_error_t e;
        json_t *j = json_loads(line, 0, &e);
        int t, i;

        ck_assert_msg(j != NULL, "line %d is not whole JSON: %s (%.80s)", count, e.text, line);
        ck_assert_int_eq(json_unpack(j, "{s:i, s:i}", "t", &t, "i", &i), 0);
        ck_assert_msg(t >= 0 && t < THREADS && i == next[t], "thread %d: line %d after %d", t, i,
                      next[t] - 1);
        next[t]++;
        count++;
        json_decref(j);
    }
    free(line);
    ck_assert_int_eq(count, THREADS * LINES);
}

static void run_emitters(int fd)
{
    pthread_t th[THREADS];
    int saved = dup(STDERR_FILENO);

    ck_assert_int_ge(saved, 0);
    ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
    log_ = dg_log_new(DG_LOG_INFO);
    dg_log_start(log_);
    for (long t = 0; t < THREADS; t++)
        ck_assert_int_eq(pthread_create(&th[t], NULL, emitter, (void *)t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    dg_log_stop(log_);
    ck_assert_uint_eq(dg_log_dropped(log_), 0);
    dg_log_free(&log_);
    dup2(saved, STDERR_FILENO);
    close(saved);
}

START_TEST(test_file)
{
    FILE *f = tmpfile();

    ck_assert_ptr_nonnull(f);
    run_emitters(fileno(f));
    rewind(f);
    check_lines(f);
    fclose(f);
}
END_TEST

static void *drain(void *arg)
{
    int *p = arg;
    FILE *out = fdopen(p[1], "w");
    char buf[8192];
    ssize_t n;

    while ((n = read(p[0], buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, out);
    fclose(out);
    return NULL;
}

START_TEST(test_pipe)
{
    int pfd[2], io[2];
    FILE *f = tmpfile();
    pthread_t reader;

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(pipe(pfd), 0);
    io[0] = pfd[0];
    io[1] = dup(fileno(f));
    ck_assert_int_eq(pthread_create(&reader, NULL, drain, io), 0);
    run_emitters(pfd[1]);
    close(pfd[1]);
    pthread_join(reader, NULL);
    close(pfd[0]);
    rewind(f);
    check_lines(f);
    fclose(f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook/log");
    TCase *tc = tcase_create("log");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_file);
    tcase_add_test(tc, test_pipe);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
