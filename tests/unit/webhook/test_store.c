/* tests/unit/webhook/test_store.c: the baseline store: synced only when
 * every source has synced, published baselines outrank Helm's records,
 * a snapshot outlives the update that replaced it, readers never see a
 * torn snapshot while a writer swaps them, and a --baseline-dir file that
 * breaks keeps its last good release. SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "support.h"

/* Each test's own, made and freed in its forked child. */
static dg_metrics_t *metrics;

static void metrics_setup(void)
{
    metrics = dg_metrics_new();
}

static void metrics_teardown(void)
{
    dg_metrics_free(&metrics);
}

static dg_release_t *rel(const char *name, dg_relsrc_t origin, long revision)
{
    dg_release_t *r = dg_release_new(name, "sandbox-nginx");

    ck_assert_ptr_nonnull(r);
    r->origin = origin;
    r->revision = revision;
    return r;
}

static const dg_release_t *find(const dg_snapshot_t *s, const char *name)
{
    for (size_t i = 0; i < dg_baselines_count(s->bases); i++)
        if (strcmp(dg_baselines_at(s->bases, i)->name, name) == 0)
            return dg_baselines_at(s->bases, i);
    return NULL;
}

START_TEST(test_synced_when_every_source_has)
{
    dg_store_t *st = dg_store_new(metrics, NULL);
    dg_release_t *r = rel("web", DG_RELSRC_HELM, 1);
    dg_snapshot_t *s;

    dg_store_enable(st, DG_SOURCE_PUBLISHED);
    dg_store_enable(st, DG_SOURCE_HELM);
    ck_assert_int_eq(dg_store_update(st, DG_SOURCE_HELM, &r, 1, NULL), 0);
    s = dg_store_acquire(st);
    ck_assert(!s->synced);
    dg_snapshot_release(&s);
    ck_assert_int_eq(dg_store_update(st, DG_SOURCE_PUBLISHED, NULL, 0, NULL), 0);
    s = dg_store_acquire(st);
    ck_assert(s->synced);
    ck_assert_ptr_nonnull(find(s, "web"));
    dg_snapshot_release(&s);
    dg_release_free(&r);
    dg_store_free(&st);
}
END_TEST

START_TEST(test_published_outranks_helm)
{
    dg_store_t *st = dg_store_new(metrics, NULL);
    dg_release_t *helm = rel("web", DG_RELSRC_HELM, 7), *pub = rel("web", DG_RELSRC_PUBLISHED, 3);
    dg_snapshot_t *s;

    dg_store_enable(st, DG_SOURCE_PUBLISHED);
    dg_store_enable(st, DG_SOURCE_HELM);
    ck_assert_int_eq(dg_store_update(st, DG_SOURCE_PUBLISHED, &pub, 1, NULL), 0);
    ck_assert_int_eq(dg_store_update(st, DG_SOURCE_HELM, &helm, 1, NULL), 0);
    s = dg_store_acquire(st);
    ck_assert_int_eq(find(s, "web")->origin, DG_RELSRC_PUBLISHED);
    ck_assert_int_eq(find(s, "web")->revision, 3);
    dg_snapshot_release(&s);
    /* The published baseline deleted: Helm's record governs again. */
    ck_assert_int_eq(dg_store_update(st, DG_SOURCE_PUBLISHED, NULL, 0, NULL), 0);
    s = dg_store_acquire(st);
    ck_assert_int_eq(find(s, "web")->revision, 7);
    dg_snapshot_release(&s);
    dg_release_free(&helm);
    dg_release_free(&pub);
    dg_store_free(&st);
}
END_TEST

START_TEST(test_snapshot_outlives_update)
{
    dg_store_t *st = dg_store_new(metrics, NULL);
    dg_release_t *a = rel("web", DG_RELSRC_HELM, 1), *b = rel("web", DG_RELSRC_HELM, 2);
    dg_snapshot_t *old, *cur;

    dg_store_enable(st, DG_SOURCE_HELM);
    ck_assert_int_eq(dg_store_update(st, DG_SOURCE_HELM, &a, 1, NULL), 0);
    old = dg_store_acquire(st);
    dg_release_free(&a);
    ck_assert_int_eq(dg_store_update(st, DG_SOURCE_HELM, &b, 1, NULL), 0);
    dg_release_free(&b);
    cur = dg_store_acquire(st);
    ck_assert_int_eq(find(old, "web")->revision, 1); /* still readable (ASan would say) */
    ck_assert_int_eq(find(cur, "web")->revision, 2);
    ck_assert_uint_gt(cur->generation, old->generation);
    dg_snapshot_release(&old);
    dg_snapshot_release(&cur);
    dg_store_free(&st);
}
END_TEST

static dg_store_t *shared;
static atomic_bool done;

static void *reader(void *arg)
{
    long *bad = arg;

    while (!atomic_load(&done)) {
        dg_snapshot_t *s = dg_store_acquire(shared);
        const dg_release_t *a = find(s, "a"), *b = find(s, "b");

        /* Written together: seen together. */
        if (a == NULL || b == NULL || a->revision != b->revision)
            (*bad)++;
        dg_snapshot_release(&s);
    }
    return NULL;
}

START_TEST(test_readers_see_whole_snapshots)
{
    pthread_t t[3];
    long bad[3] = {0};
    dg_release_t *r[2];

    shared = dg_store_new(metrics, NULL);
    dg_store_enable(shared, DG_SOURCE_HELM);
    r[0] = rel("a", DG_RELSRC_HELM, 0);
    r[1] = rel("b", DG_RELSRC_HELM, 0);
    ck_assert_int_eq(dg_store_update(shared, DG_SOURCE_HELM, r, 2, NULL), 0);
    dg_release_free(&r[0]);
    dg_release_free(&r[1]);
    atomic_store(&done, false);
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, reader, &bad[i]);
    for (long gen = 1; gen <= 2000; gen++) {
        r[0] = rel("a", DG_RELSRC_HELM, gen);
        r[1] = rel("b", DG_RELSRC_HELM, gen);
        ck_assert_int_eq(dg_store_update(shared, DG_SOURCE_HELM, r, 2, NULL), 0);
        dg_release_free(&r[0]);
        dg_release_free(&r[1]);
    }
    atomic_store(&done, true);
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(bad[i], 0);
    }
    dg_store_free(&shared);
}
END_TEST

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* A file that breaks keeps the release it held; a file removed drops it. */
START_TEST(test_dir_keeps_last_good)
{
    char dir[] = "/tmp/dg-store-XXXXXX", path[300], cmd[600];
    const char *published = dg_test_path("tests/fixtures/store/published.yaml");
    dg_store_t *st = dg_store_new(metrics, NULL);
    dg_snapshot_t *s;
    dg_err_t err = {0};
    struct timespec later[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/web.yaml", dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", published, path);
    ck_assert_int_eq(system(cmd), 0);
    dg_store_enable(st, DG_SOURCE_DIR);
    ck_assert_int_eq(dg_store_load_dir(st, dir, &err), 1);
    s = dg_store_acquire(st);
    ck_assert_ptr_nonnull(find(s, "test-nginx"));
    dg_snapshot_release(&s);

    write_file(path, "apiVersion: v1\nkind: ConfigMap\nmetadata: [broken\n");
    later[1].tv_sec = time(NULL) + 5;
    later[1].tv_nsec = 0;
    utimensat(AT_FDCWD, path, later, 0); /* a change the loader cannot miss */
    dg_store_load_dir(st, dir, &err);
    s = dg_store_acquire(st);
    ck_assert_msg(find(s, "test-nginx") != NULL, "a broken file dropped its last good baseline");
    dg_snapshot_release(&s);

    ck_assert_int_eq(unlink(path), 0);
    dg_store_load_dir(st, dir, &err);
    s = dg_store_acquire(st);
    ck_assert_ptr_null(find(s, "test-nginx"));
    dg_snapshot_release(&s);
    rmdir(dir);
    dg_store_free(&st);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook/store");
    TCase *tc = tcase_create("store");

    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, metrics_setup, metrics_teardown);
    tcase_add_test(tc, test_synced_when_every_source_has);
    tcase_add_test(tc, test_published_outranks_helm);
    tcase_add_test(tc, test_snapshot_outlives_update);
    tcase_add_test(tc, test_readers_see_whole_snapshots);
    tcase_add_test(tc, test_dir_keeps_last_good);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
