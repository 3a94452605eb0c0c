/* tests/unit/webhook/test_decisions.c: the decision records are kept and
 * logged as the text they were written as (issue 14): /api/v1/decisions
 * splices them into the same JSON it served, and a record's log line reads
 * as the line its tree made. SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decisions.h"
#include "log.h"
#include "support.h"

/* As the gate pushes one: written into the bytes of one dropped. */
static void push(dg_decisions_t *d, int i)
{
    dg_buf_t b;

    dg_decisions_reuse(d, &b);
    ck_assert_uint_eq(b.len, 0);
    ck_assert(b.data == NULL || b.data[0] == '\0');
    ck_assert_int_eq(dg_buf_printf(&b, "{\"uid\":\"u%d\",\"n\":%d}", i, i), 0);
    dg_decisions_push(d, &b);
    ck_assert_ptr_null(b.data); /* taken */
}

static json_t *written(dg_decisions_t *d)
{
    dg_buf_t b;
    json_t *j;

    dg_buf_init(&b, 0);
    ck_assert_int_eq(dg_decisions_write(d, &b), 0);
    ck_assert_int_eq(b.data[b.len - 1], '\n');
    j = dg_test_json(b.data);
    dg_buf_free(&b);
    return j;
}

/* How many records were pushed, and the first kept. */
static const int pushes[][2] = {{0, 0}, {1, 0}, {DG_DECISIONS_KEPT, 0}, {DG_DECISIONS_KEPT + 5, 5}};

START_TEST(test_ring)
{
    dg_decisions_t *d = dg_decisions_new();
    int n = pushes[_i][0], first = pushes[_i][1];
    json_t *j, *items, *tree;

    for (int i = 0; i < n; i++)
        push(d, i);
    j = written(d);
    items = json_object_get(j, "decisions");
    ck_assert_uint_eq(json_array_size(items), (size_t)(n - first));
    for (size_t k = 0; k < json_array_size(items); k++)
        ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(items, k), "n")),
                         first + (int)k); /* oldest first */
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), n);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "kept")), DG_DECISIONS_KEPT);
    tree = dg_decisions_json(d); /* the evidence bundle's: the same */
    ck_assert(json_equal(tree, j));
    json_decref(tree);
    json_decref(j);
    dg_decisions_free(&d);
    ck_assert_ptr_null(d);
}
END_TEST

/* Once the ring is full, each record it drops is the next one's bytes: one
 * spare, and no more (a second one dropped is freed). */
START_TEST(test_reuse)
{
    dg_decisions_t *d = dg_decisions_new();
    dg_buf_t b, c;
    char *bytes;
    json_t *j;

    dg_decisions_reuse(d, &b);
    ck_assert_ptr_null(b.data); /* nothing dropped yet */
    for (int i = 0; i < DG_DECISIONS_KEPT + 2; i++) {
        ck_assert_int_eq(dg_buf_printf(&b, "{\"n\":%d,\"pad\":\"%0300d\"}", i, 0), 0);
        dg_decisions_push(d, &b);
    }
    dg_decisions_reuse(d, &b);
    ck_assert_ptr_nonnull(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_str_eq(b.data, "");
    ck_assert_uint_ge(b.size, 300);
    bytes = b.data;
    dg_decisions_reuse(d, &c);
    ck_assert_ptr_null(c.data); /* one spare */
    ck_assert_int_eq(dg_buf_puts(&b, "{\"n\":-1}"), 0);
    dg_decisions_push(d, &b);
    dg_decisions_reuse(d, &c);
    ck_assert_ptr_nonnull(c.data);
    ck_assert_ptr_ne(c.data, bytes); /* the one just dropped, not the one just kept */
    dg_buf_free(&c);
    c = (dg_buf_t){0};
    dg_decisions_push(d, &c); /* nothing written: nothing kept */
    j = written(d);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), DG_DECISIONS_KEPT + 3);
    json_decref(j);
    dg_decisions_free(&d);
}
END_TEST

/* What a log without its writer thread writes to stderr for @fields,
 * given as text (@text) or as its tree; the time is cut off. */
static char *line(const char *text, bool as_text, dg_log_level_t level)
{
    dg_log_t *log = dg_log_new(DG_LOG_INFO);
    char path[] = "/tmp/dg-test-log-XXXXXX", *out, *body;
    int fd = mkstemp(path), saved = dup(STDERR_FILENO);
    json_t *tree = text ? dg_test_json(text) : NULL;
    size_t len;

    ck_assert_int_ge(fd, 0);
    dup2(fd, STDERR_FILENO);
    if (as_text)
        dg_log_text(log, level, "admission \"decision\"", text, text ? strlen(text) : 0);
    else
        dg_log_fields(log, level, "admission \"decision\"", tree);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    out = dg_test_read(path, &len);
    unlink(path);
    json_decref(tree);
    dg_log_free(&log);
    body = strdup(len > 30 ? out + 30 : ""); /* past {"ts":"2026-12-02T01:45:01.123Z" */
    free(out);
    return body;
}

static const char *const fields[] = {
    "{\"uid\":\"u\\\"1\",\"object\":{\"a\":[1,null,true]},\"n\":-3,\"s\":\"\\u0001\\n\"}",
    "{\"x\":1}",
    "{}",
};

START_TEST(test_log_text)
{
    char *spliced = line(fields[_i], true, DG_LOG_WARN);
    char *dumped = line(fields[_i], false, DG_LOG_WARN);

    ck_assert_str_eq(spliced, dumped);
    ck_assert_ptr_nonnull(strstr(spliced, "\"level\":\"warn\",\"msg\":\"admission \\\"decision\\\"\""));
    free(spliced);
    free(dumped);
    /* Below the log's level nothing is written. */
    spliced = line(fields[_i], true, DG_LOG_DEBUG);
    ck_assert_str_eq(spliced, "");
    free(spliced);
}
END_TEST

START_TEST(test_log_enabled)
{
    dg_log_t *log = dg_log_new(DG_LOG_WARN);

    ck_assert(!dg_log_enabled(NULL, DG_LOG_ERROR));
    ck_assert(!dg_log_enabled(log, DG_LOG_INFO));
    ck_assert(dg_log_enabled(log, DG_LOG_WARN));
    ck_assert(dg_log_enabled(log, DG_LOG_ERROR));
    dg_log_free(&log);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook/decisions");
    TCase *tc = tcase_create("core");

    tcase_add_loop_test(tc, test_ring, 0, sizeof pushes / sizeof pushes[0]);
    tcase_add_test(tc, test_reuse);
    tcase_add_loop_test(tc, test_log_text, 0, sizeof fields / sizeof fields[0]);
    tcase_add_test(tc, test_log_enabled);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
