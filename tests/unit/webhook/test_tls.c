/* tests/unit/webhook/test_tls.c: the serving pair's rotation, with real
 * certificates made by the openssl command at test time: a new pair is
 * picked up, a broken one (half-written, a key from another pair) keeps the
 * old one serving and is reported once, and handshakes get the current
 * pair; two dg_tls_t in one process each serve their own.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"
#include "tls.h"

static char dir[] = "/tmp/dg-tls-XXXXXX";
static char crt[300], key[300];

static void sh(const char *cmd)
{
    ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

/* A self-signed EC pair NAME.crt/NAME.key valid for @days. */
static void make_pair(const char *name, int days)
{
    char cmd[1024];

    snprintf(cmd, sizeof cmd,
             "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
             "-keyout %s.key -out %s.crt -subj /CN=%s -days %d 2>/dev/null",
             dir, name, name, name, days);
    sh(cmd);
}

/* Put NAME's pair (or only its part @which: "crt", "key") in place, as a
 * new file renamed over the old, the way a Secret volume swaps it. */
static void install(const char *name, const char *which)
{
    char cmd[1024];

    for (int i = 0; i < 2; i++) {
        const char *part = i ? "key" : "crt";

        if (which && strcmp(which, part) != 0)
            continue;
        snprintf(cmd, sizeof cmd, "cd %s && cp %s.%s tls.%s.new && mv tls.%s.new tls.%s", dir, name,
                 part, part, part, part);
        ck_assert_int_eq(system(cmd), 0);
    }
    usleep(20000); /* a distinct mtime */
}

static double days_left(dg_tls_t *tls)
{
    return dg_tls_expiry_seconds(tls) / 86400.0;
}

START_TEST(test_rotation)
{
    dg_err_t err = {0};
    dg_tls_t *tls;
    char cmd[600];

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(crt, sizeof crt, "%s/tls.crt", dir);
    snprintf(key, sizeof key, "%s/tls.key", dir);
    make_pair("one", 10);
    make_pair("two", 30);
    install("one", NULL);
    tls = dg_tls_new(crt, key, NULL, NULL, &err);
    ck_assert_ptr_nonnull(tls);
    ck_assert(days_left(tls) > 9 && days_left(tls) <= 10);
    ck_assert_int_eq(dg_tls_reload(tls, &err), 0); /* unchanged */

    /* Half a rotation: the new certificate, the old key. */
    install("two", "crt");
    memset(&err, 0, sizeof err);
    ck_assert_int_lt(dg_tls_reload(tls, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "does not match"));
    ck_assert(days_left(tls) <= 10); /* the old pair serves on */
    ck_assert_int_eq(dg_tls_reload(tls, &err), 0); /* reported once, not every tick */

    /* The key arrives: the new pair serves. */
    install("two", "key");
    ck_assert_int_eq(dg_tls_reload(tls, &err), 1);
    ck_assert(days_left(tls) > 29 && days_left(tls) <= 30);

    /* A truncated certificate: refused, the current pair stays. */
    snprintf(cmd, sizeof cmd, "cd %s && head -c 100 one.crt > tls.crt.new && mv tls.crt.new tls.crt",
             dir);
    sh(cmd);
    usleep(20000);
    memset(&err, 0, sizeof err);
    ck_assert_int_lt(dg_tls_reload(tls, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, "not a PEM certificate chain"));
    ck_assert(days_left(tls) > 29);
    dg_tls_free(&tls);
    ck_assert_ptr_null(tls);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
}
END_TEST

/* Two objects in one process serve their own pairs: nothing is shared. */
START_TEST(test_two_objects)
{
    char path[4][320], cmd[600];
    dg_tls_t *tls[2];
    gnutls_pcert_st *pcert[2];
    unsigned n[2];
    gnutls_privkey_t pkey[2];

    snprintf(dir, sizeof dir, "/tmp/dg-tls-XXXXXX"); /* unforked, another test used it */
    ck_assert_ptr_nonnull(mkdtemp(dir));
    make_pair("one", 10);
    make_pair("two", 30);
    for (int i = 0; i < 2; i++) {
        snprintf(path[2 * i], sizeof path[0], "%s/%s.crt", dir, i ? "two" : "one");
        snprintf(path[2 * i + 1], sizeof path[0], "%s/%s.key", dir, i ? "two" : "one");
        tls[i] = dg_tls_new(path[2 * i], path[2 * i + 1], NULL, NULL, NULL);
        ck_assert_ptr_nonnull(tls[i]);
        dg_tls_current(tls[i], &pcert[i], &n[i], &pkey[i]);
        ck_assert_uint_eq(n[i], 1);
    }
    ck_assert(days_left(tls[0]) > 9 && days_left(tls[0]) <= 10);
    ck_assert(days_left(tls[1]) > 29 && days_left(tls[1]) <= 30);
    ck_assert(pcert[0]->cert.size != pcert[1]->cert.size ||
              memcmp(pcert[0]->cert.data, pcert[1]->cert.data, pcert[0]->cert.size) != 0);
    ck_assert_ptr_ne(pkey[0], pkey[1]);
    dg_tls_free(&tls[0]);
    dg_tls_free(&tls[1]);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    sh(cmd);
}
END_TEST

START_TEST(test_bad_start)
{
    dg_err_t err = {0};

    ck_assert_ptr_null(
        dg_tls_new("/nonexistent/tls.crt", "/nonexistent/tls.key", NULL, NULL, &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/tls.crt: cannot read"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook/tls");
    TCase *tc = tcase_create("tls");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_rotation);
    tcase_add_test(tc, test_two_objects);
    tcase_add_test(tc, test_bad_start);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
