/* tests/unit/policy/test_path.c: the path language.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "path.h"
#include "support.h"

static const struct {
    const char *in, *canonical;
    size_t nsegs;
} good[] = {
    {"spec.minReplicas", "spec.minReplicas", 2},
    {"metadata.labels['app.kubernetes.io/version']",
     "metadata.labels['app.kubernetes.io/version']", 3},
    {"spec['minReplicas']", "spec.minReplicas", 2},
    {"spec.ports[*].port", "spec.ports[*].port", 4},
    {"spec.ports[name=http].port", "spec.ports[name=http].port", 4},
    {"spec.ports[port=80,protocol=TCP].targetPort", "spec.ports[port=80,protocol=TCP].targetPort",
     4},
    {"a['it\\'s']", "a['it\\'s']", 2},
    {"a[k='x,y']", "a[k='x,y']", 2},
    {"spec.template.spec.containers[name=nginx].resources.limits",
     "spec.template.spec.containers[name=nginx].resources.limits", 7},
};

START_TEST(test_good)
{
    dg_err_t err = {0};
    dg_path_t *p = dg_path_parse(good[_i].in, &err), *again;

    ck_assert_msg(p != NULL, "%s: %s", good[_i].in, err.msg);
    ck_assert_str_eq(dg_path_text(p), good[_i].canonical);
    ck_assert_uint_eq(dg_path_len(p), good[_i].nsegs);
    again = dg_path_parse(dg_path_text(p), &err); /* the canonical text round-trips */
    ck_assert_ptr_nonnull(again);
    ck_assert_str_eq(dg_path_text(again), dg_path_text(p));
    dg_path_free(&again);
    dg_path_free(&p);
    ck_assert_ptr_null(p);
}
END_TEST

static const struct {
    const char *in;
    int col;
    const char *msg;
} bad[] = {
    {"", 1, "empty path"},
    {".spec", 1, "starts with a field name"},
    {"spec.ports[0].port", 12, "list indexes are not allowed"},
    {"spec.ports[*.port", 13, "expected ']'"},
    {"spec..a", 6, "expected a field name"},
    {"spec.", 6, "path ends after '.'"},
    {"a['open", 8, "unterminated quote"},
    {"a[k=]", 5, "expected a value"},
    {"a[=v]", 3, "expected a key name"},
    {"a[k]", 4, "expected '='"},
    {"a b", 2, "expected '.' or '['"},
    {"a['']", 5, "empty field name"},
};

START_TEST(test_bad)
{
    dg_err_t err = {0};
    dg_path_t *p = dg_path_parse(bad[_i].in, &err);

    ck_assert_ptr_null(p);
    ck_assert_int_eq(err.code, DG_EINVAL);
    ck_assert_int_eq(err.col, bad[_i].col);
    ck_assert_msg(strstr(err.msg, bad[_i].msg), "%s: got '%s'", bad[_i].in, err.msg);
}
END_TEST

static const struct {
    const char *pat, *concrete;
    bool covers;
} covers[] = {
    {"spec.ports[*].port", "spec.ports[name=http].port", true},
    {"spec.ports", "spec.ports[name=http].port", true},
    {"spec.ports[name=http]", "spec.ports[name=http].port", true},
    {"spec.ports[name=https]", "spec.ports[name=http].port", false},
    {"spec.ports[protocol=TCP]", "spec.ports[port=80,protocol=TCP].port", true},
    {"spec.ports[*].port", "spec.ports[name=http].targetPort", false},
    {"spec.minReplicas", "spec.maxReplicas", false},
    {"spec.minReplicas.x", "spec.minReplicas", false},
    {"metadata.labels['app.kubernetes.io/version']",
     "metadata.labels['app.kubernetes.io/version']", true},
};

START_TEST(test_covers)
{
    dg_path_t *pat = dg_path_parse(covers[_i].pat, NULL);
    dg_path_t *c = dg_path_parse(covers[_i].concrete, NULL);

    ck_assert(pat && c);
    ck_assert_msg(dg_path_covers(pat, c) == covers[_i].covers, "%s vs %s", covers[_i].pat,
                  covers[_i].concrete);
    dg_path_free(&pat);
    dg_path_free(&c);
}
END_TEST

static const char svc[] = "{\"spec\": {\"type\": \"ClusterIP\", \"ports\": ["
                          "{\"name\": \"http\", \"port\": 80, \"protocol\": \"TCP\"},"
                          "{\"name\": \"metrics\", \"port\": 9090, \"protocol\": \"TCP\"}]}}";

static const struct {
    const char *path, *want; /* JSON, NULL = absent */
} gets[] = {
    {"spec.type", "\"ClusterIP\""},
    {"spec.ports[name=metrics].port", "9090"},
    {"spec.ports[port=80].name", "\"http\""},
    {"spec.ports[port=80,protocol=TCP].name", "\"http\""},
    {"spec.ports[port=80,protocol=UDP].name", NULL},
    {"spec.ports[*].port", "80"},
    {"spec.clusterIP", NULL},
    {"spec.type.x", NULL},
};

START_TEST(test_get)
{
    json_t *root = dg_test_json(svc);
    dg_path_t *p = dg_path_parse(gets[_i].path, NULL);
    json_t *got = dg_path_get(p, root);

    if (gets[_i].want == NULL) {
        ck_assert_ptr_null(got);
    } else {
        json_t *want = dg_test_json(gets[_i].want);

        ck_assert_msg(got && json_equal(got, want), "%s", gets[_i].path);
        json_decref(want);
    }
    dg_path_free(&p);
    json_decref(root);
}
END_TEST

/* Set 42 at each path of the Service; @want is the result (NULL: refused,
 * the Service unchanged). */
static const struct {
    const char *path, *want;
} sets[] = {
    {"spec.type", "{\"spec\": {\"type\": 42, \"ports\": ["
                  "{\"name\": \"http\", \"port\": 80, \"protocol\": \"TCP\"},"
                  "{\"name\": \"metrics\", \"port\": 9090, \"protocol\": \"TCP\"}]}}"},
    {"spec.ports[name=metrics].port", "{\"spec\": {\"type\": \"ClusterIP\", \"ports\": ["
                  "{\"name\": \"http\", \"port\": 80, \"protocol\": \"TCP\"},"
                  "{\"name\": \"metrics\", \"port\": 42, \"protocol\": \"TCP\"}]}}"},
    {"metadata.labels.app", "{\"metadata\": {\"labels\": {\"app\": 42}}, \"spec\": "
                  "{\"type\": \"ClusterIP\", \"ports\": ["
                  "{\"name\": \"http\", \"port\": 80, \"protocol\": \"TCP\"},"
                  "{\"name\": \"metrics\", \"port\": 9090, \"protocol\": \"TCP\"}]}}"},
    {"spec.ports[name=grpc].port", NULL},
    {"spec.ports[*].port", NULL},
    {"spec.type.x", NULL},
    {"spec.ports[name=http]", NULL},
};

START_TEST(test_set)
{
    json_t *root = dg_test_json(svc), *want = dg_test_json(sets[_i].want ? sets[_i].want : svc);
    dg_path_t *p = dg_path_parse(sets[_i].path, NULL);
    dg_err_t err = {0};
    int rc = dg_path_set(p, root, json_integer(42), &err);

    ck_assert_msg(sets[_i].want ? rc == 0 : rc == DG_EINVAL, "%s: rc %d (%s)", sets[_i].path,
                  rc, err.msg);
    ck_assert_msg(json_equal(root, want), "%s: %s", sets[_i].path,
                  json_dumps(root, JSON_COMPACT));
    dg_path_free(&p);
    json_decref(want);
    json_decref(root);
}
END_TEST

START_TEST(test_buf)
{
    static const char *const keys[] = {"port", "protocol"}, *const vals[] = {"80", "TCP"};
    dg_buf_t b;

    dg_buf_init(&b, 0);
    ck_assert_int_eq(dg_path_buf_field(&b, "metadata"), 0);
    ck_assert_int_eq(dg_path_buf_field(&b, "labels"), 0);
    ck_assert_int_eq(dg_path_buf_field(&b, "helm.sh/chart"), 0);
    ck_assert_str_eq(b.data, "metadata.labels['helm.sh/chart']");
    dg_buf_reset(&b);
    ck_assert_int_eq(dg_path_buf_field(&b, "spec"), 0);
    ck_assert_int_eq(dg_path_buf_field(&b, "ports"), 0);
    ck_assert_int_eq(dg_path_buf_key(&b, 2, keys, vals), 0);
    ck_assert_str_eq(b.data, "spec.ports[port=80,protocol=TCP]");
    dg_buf_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/path");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_good, 0, sizeof good / sizeof good[0]);
    tcase_add_loop_test(tc, test_bad, 0, sizeof bad / sizeof bad[0]);
    tcase_add_loop_test(tc, test_covers, 0, sizeof covers / sizeof covers[0]);
    tcase_add_loop_test(tc, test_get, 0, sizeof gets / sizeof gets[0]);
    tcase_add_loop_test(tc, test_set, 0, sizeof sets / sizeof sets[0]);
    tcase_add_test(tc, test_buf);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
