/* tests/unit/policy/test_publish.c: the baseline ConfigMap writer. Every
 * form it picks must read back, through the loader driftgate uses, to the
 * exact render (the loader checks the digest), with the metadata given.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "manifest.h"
#include "publish.h"
#include "support.h"

static const char hpa[] = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\n"
                          "metadata:\n  name: web\n  labels:\n    helm.sh/chart: web-1.2.3\n"
                          "    app.kubernetes.io/instance: web\nspec:\n  minReplicas: 6\n";

/* Publish @render, read it back; returns the ConfigMap text (caller frees). */
static char *round_trip(const char *render, size_t len, const dg_publish_t *p,
                        dg_manifest_info_t *info, size_t *nobjs)
{
    dg_manifest_opts_t o = {.name = "cm"};
    dg_objset_t *set = dg_objset_new();
    dg_err_t err = {0};
    dg_buf_t out;
    char want[72];

    dg_buf_init(&out, 0);
    ck_assert_msg(dg_publish_configmap(render, len, "render.yaml", p, &out, &err) == 0, "%s",
                  err.msg);
    /* A form tried and dropped on the way leaves no error behind. */
    ck_assert_msg(err.code == 0, "stale error: %s", err.msg);
    ck_assert_msg(dg_manifest_load(out.data, out.len, &o, set, info, &err) == 0, "%s\n%s",
                  err.msg, out.data);
    dg_codec_digest(render, len, want);
    ck_assert_str_eq(info->digest, want);
    *nobjs = dg_objset_count(set);
    dg_objset_free(&set);
    return dg_buf_take(&out);
}

START_TEST(test_literal_and_metadata)
{
    dg_publish_t p = {.ns = "prod", .revision = "7", .source = "git:https://x/y@abc"};
    dg_manifest_info_t info = {0};
    size_t n;
    char *cm = round_trip(hpa, strlen(hpa), &p, &info, &n);

    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(info.release, "web"); /* from app.kubernetes.io/instance */
    ck_assert_str_eq(info.ns, "prod");
    ck_assert_str_eq(info.revision, "7");
    ck_assert_str_eq(info.chart, "web-1.2.3"); /* from helm.sh/chart */
    ck_assert_str_eq(info.source, "git:https://x/y@abc");
    ck_assert_ptr_nonnull(strstr(cm, "name: driftgate-baseline.prod.web\n"));
    /* In the trusted baseline namespace, naming its release namespace. */
    ck_assert_ptr_nonnull(strstr(cm, "  namespace: driftgate-system\n"));
    ck_assert_ptr_nonnull(strstr(cm, "    driftgate.io/release-namespace: prod\n"));
    ck_assert_ptr_nonnull(strstr(cm, "  manifest.yaml: |\n    apiVersion: autoscaling/v2\n"));
    dg_manifest_info_free(&info);
    free(cm);
}
END_TEST

/* Trailing newlines, a leading space, CR, whitespace-only lines: each
 * needs a different header or form, and all must come back byte-exact. */
static const char *const awkward[] = {
    "kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}",           /* no final newline */
    "kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\n\n\n",     /* several */
    "  kind: ConfigMap\n  apiVersion: v1\n  metadata: {name: a}\n",   /* leading space */
    "kind: ConfigMap\r\napiVersion: v1\r\nmetadata: {name: a}\r\n",   /* CRLF */
    "kind: ConfigMap\n   \napiVersion: v1\nmetadata: {name: a}\n",    /* blank with spaces */
    "kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\ndata:\n  t: \"\\ttab\"\n",
    "",                                                                /* empty */
};

START_TEST(test_awkward_renders)
{
    dg_publish_t p = {.release = "a", .ns = "default"};
    dg_manifest_info_t info = {0};
    size_t n;
    char *cm = round_trip(awkward[_i], strlen(awkward[_i]), &p, &info, &n);

    ck_assert_int_eq(n, awkward[_i][0] ? 1 : 0);
    dg_manifest_info_free(&info);
    free(cm);
}
END_TEST

START_TEST(test_gzip)
{
    dg_publish_t p = {.ns = "prod", .compress = true};
    dg_manifest_info_t info = {0};
    size_t n;
    char *cm = round_trip(hpa, strlen(hpa), &p, &info, &n);

    ck_assert_ptr_nonnull(strstr(cm, "binaryData:\n  manifest.yaml.gz: H4sI"));
    ck_assert_ptr_null(strstr(cm, "\ndata:"));
    dg_manifest_info_free(&info);
    free(cm);
}
END_TEST

/* A render past the ConfigMap size goes to binaryData without being asked. */
START_TEST(test_large_render_compressed)
{
    size_t cap = DG_PUBLISH_INLINE_MAX + 4096, len = 0;
    char *big = malloc(cap + 200);
    dg_publish_t p = {.release = "big", .ns = "prod"};
    dg_manifest_info_t info = {0};
    size_t n;
    char *cm;

    for (int i = 0; len < cap; i++)
        len += (size_t)sprintf(big + len, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                          "  name: c%d\ndata: {k: v}\n", i);
    cm = round_trip(big, len, &p, &info, &n);
    ck_assert_ptr_nonnull(strstr(cm, "manifest.yaml.gz: "));
    ck_assert_uint_lt(strlen(cm), DG_PUBLISH_INLINE_MAX);
    ck_assert_uint_gt(n, 10000);
    dg_manifest_info_free(&info);
    free(cm);
    free(big);
}
END_TEST

static const struct {
    const char *render, *release, *ns, *msg;
    int code;
} bad[] = {
    {hpa, "Web", "prod", "release name 'Web' is not valid", DG_EINVAL},
    {hpa, "web", "prod_1", "namespace 'prod_1' is not a valid RFC 1123 label", DG_EINVAL},
    {hpa, "web", NULL, "namespace '' is not a valid", DG_EINVAL},
    {"kind: [\n", "web", "prod", "render.yaml:2:1", DG_EPARSE},
    {"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", NULL, "prod",
     "render.yaml: its objects name no single Helm release", DG_EINVAL},
    {"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: driftgate-baseline.x\n  labels:\n"
     "    driftgate.io/baseline: \"true\"\n    driftgate.io/release: x\n"
     "data:\n  manifest.yaml: \"\"\n",
     NULL, "prod", "render.yaml is already a baseline ConfigMap (release x)", DG_EINVAL},
};

START_TEST(test_refused)
{
    dg_publish_t p = {.release = bad[_i].release, .ns = bad[_i].ns};
    dg_err_t err = {0};
    dg_buf_t out;

    dg_buf_init(&out, 0);
    ck_assert_int_eq(dg_publish_configmap(bad[_i].render, strlen(bad[_i].render), "render.yaml",
                                          &p, &out, &err),
                     bad[_i].code);
    ck_assert_msg(strstr(dg_err_format(&err, (char[300]){0}, 300), bad[_i].msg), "got '%s'",
                  err.msg);
    ck_assert_uint_eq(out.len, 0);
    dg_buf_free(&out);
}
END_TEST

/* Which of two ConfigMaps serving release ns/web is enforced: the one
 * publish names, else the first by name; never both, never neither. */
START_TEST(test_before)
{
    static const char *const names[] = {
        "driftgate-baseline.ns.web", "driftgate-baseline.copy", "a", "zz",
        "driftgate-baseline.ns.web2", "driftgate-baseline.ns2.web", "driftgate-baseline.ns.we",
        "driftgate-baseline.ns",
    };
    size_t n = sizeof names / sizeof names[0];

    for (size_t i = 1; i < n; i++) {
        ck_assert_msg(dg_publish_before(names[0], names[i], "ns", "web"), "%s first", names[0]);
        ck_assert(!dg_publish_before(names[i], names[0], "ns", "web"));
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = 1; j < n; j++)
            ck_assert_int_eq(dg_publish_before(names[i], names[j], "ns", "web"),
                             strcmp(names[i], names[j]) < 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/publish");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_literal_and_metadata);
    tcase_add_loop_test(tc, test_awkward_renders, 0, sizeof awkward / sizeof awkward[0]);
    tcase_add_test(tc, test_gzip);
    tcase_add_test(tc, test_large_render_compressed);
    tcase_add_loop_test(tc, test_refused, 0, sizeof bad / sizeof bad[0]);
    tcase_add_test(tc, test_before);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
