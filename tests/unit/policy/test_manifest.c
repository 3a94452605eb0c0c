/* tests/unit/policy/test_manifest.c: manifests -> objects: renders, kubectl
 * Lists, baseline ConfigMaps (plain and gzip'd), hooks, namespaces, errors.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "manifest.h"
#include "support.h"

/* As `helm template test-nginx ... --namespace sandbox-nginx` prints them:
 * no metadata.namespace, a hook Pod among them. */
static const char render[] =
    "---\n"
    "# Source: nginx/templates/service.yaml\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata:\n"
    "  name: test-nginx\n"
    "  labels:\n"
    "    app.kubernetes.io/instance: test-nginx\n"
    "spec:\n"
    "  type: ClusterIP\n"
    "  ports:\n"
    "    - port: 80\n"
    "      targetPort: http\n"
    "      protocol: TCP\n"
    "      name: http\n"
    "---\n"
    "# Source: nginx/templates/hpa.yaml\n"
    "apiVersion: autoscaling/v2\n"
    "kind: HorizontalPodAutoscaler\n"
    "metadata:\n"
    "  name: test-nginx\n"
    "spec:\n"
    "  scaleTargetRef:\n"
    "    apiVersion: apps/v1\n"
    "    kind: Deployment\n"
    "    name: test-nginx\n"
    "  minReplicas: 6\n"
    "  maxReplicas: 10\n"
    "---\n"
    "# Source: nginx/templates/tests/test-connection.yaml\n"
    "apiVersion: v1\n"
    "kind: Pod\n"
    "metadata:\n"
    "  name: \"test-nginx-test-connection\"\n"
    "  annotations:\n"
    "    \"helm.sh/hook\": test\n"
    "spec:\n"
    "  containers:\n"
    "    - name: wget\n"
    "      image: busybox\n";

/* What `kubectl get hpa,svc -n sandbox-nginx -o yaml` prints (trimmed). */
static const char list[] =
    "apiVersion: v1\n"
    "items:\n"
    "- apiVersion: autoscaling/v2\n"
    "  kind: HorizontalPodAutoscaler\n"
    "  metadata:\n"
    "    name: test-nginx\n"
    "    namespace: sandbox-nginx\n"
    "    resourceVersion: \"4711\"\n"
    "  spec:\n"
    "    minReplicas: 4\n"
    "- apiVersion: v1\n"
    "  kind: Service\n"
    "  metadata:\n"
    "    name: test-nginx\n"
    "    namespace: sandbox-nginx\n"
    "  spec:\n"
    "    clusterIP: 10.96.12.34\n"
    "kind: List\n"
    "metadata:\n"
    "  resourceVersion: \"\"\n";

static dg_objset_t *load_ok(const char *text, size_t len, const char *ns, dg_manifest_info_t *info)
{
    dg_manifest_opts_t opts = {.name = "in.yaml", .default_ns = ns};
    dg_objset_t *set = dg_objset_new();
    dg_err_t err = {0};
    char buf[512];

    ck_assert_msg(dg_manifest_load(text, len, &opts, set, info, &err) == 0, "%s",
                  dg_err_format(&err, buf, sizeof buf));
    return set;
}

START_TEST(test_render_takes_release_namespace)
{
    dg_objset_t *set = load_ok(render, sizeof render - 1, "sandbox-nginx", NULL);
    dg_objid_t hpa = {"autoscaling", "HorizontalPodAutoscaler", "sandbox-nginx", "test-nginx"};
    const dg_obj_t *o;

    ck_assert_uint_eq(dg_objset_count(set), 2); /* the hook Pod is not a release resource */
    o = dg_objset_find(set, &hpa);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(o->json, "spec"),
                                                        "minReplicas")),
                     6);
    ck_assert_int_eq(o->line, 18);
    dg_objset_free(&set);
}
END_TEST

START_TEST(test_list_flattened)
{
    dg_objset_t *set = load_ok(list, sizeof list - 1, "other", NULL);
    dg_objid_t svc = {"", "Service", "sandbox-nginx", "test-nginx"};

    ck_assert_uint_eq(dg_objset_count(set), 2);
    ck_assert_ptr_nonnull(dg_objset_find(set, &svc));
    dg_objset_free(&set);
}
END_TEST

/* A baseline ConfigMap built the way `driftctl publish` builds it. */
static char *baseline_cm(bool gz, const char *digest_override)
{
    char digest[72];
    json_t *cm, *ann;
    char *out;

    dg_codec_digest(render, sizeof render - 1, digest);
    cm = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s}}}", "apiVersion", "v1",
                   "kind", "ConfigMap", "metadata", "name", "driftgate-baseline.test-nginx",
                   "namespace", "sandbox-nginx", "labels", "driftgate.io/baseline", "true",
                   "driftgate.io/release", "test-nginx", "annotations", "driftgate.io/revision",
                   "3", "driftgate.io/chart", "nginx-0.1.0", "driftgate.io/source",
                   "helm-template");
    ann = json_object_get(json_object_get(cm, "metadata"), "annotations");
    json_object_set_new(ann, "driftgate.io/digest",
                        json_string(digest_override ? digest_override : digest));
    if (gz) {
        char *z, *b64;
        size_t zlen;

        ck_assert_int_eq(dg_codec_gzip(render, sizeof render - 1, &z, &zlen, NULL), 0);
        b64 = dg_codec_base64_encode(z, zlen);
        json_object_set_new(cm, "binaryData", json_pack("{s:s}", "manifest.yaml.gz", b64));
        free(z);
        free(b64);
    } else {
        json_object_set_new(cm, "data", json_pack("{s:s}", "manifest.yaml", render));
    }
    out = json_dumps(cm, JSON_INDENT(2));
    json_decref(cm);
    return out;
}

START_TEST(test_baseline_configmap)
{
    char *text = baseline_cm(_i == 1, NULL);
    dg_manifest_info_t info = {0};
    dg_objset_t *set = load_ok(text, strlen(text), NULL, &info);
    dg_objid_t svc = {"", "Service", "sandbox-nginx", "test-nginx"};

    ck_assert_uint_eq(dg_objset_count(set), 2);
    ck_assert_ptr_nonnull(dg_objset_find(set, &svc)); /* the ConfigMap's namespace */
    ck_assert_str_eq(info.release, "test-nginx");
    ck_assert_str_eq(info.ns, "sandbox-nginx");
    ck_assert_str_eq(info.revision, "3");
    ck_assert_str_eq(info.chart, "nginx-0.1.0");
    ck_assert_str_eq(info.source, "helm-template");
    ck_assert_int_eq(strncmp(info.digest, "sha256:", 7), 0);
    dg_manifest_info_free(&info);
    dg_objset_free(&set);
    free(text);
}
END_TEST

/* ---- refusals ---------------------------------------------------------------- */

static const struct {
    const char *text;
    int code, line;
    const char *msg;
} bad[] = {
    {"apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n- 1\n- 2\n", DG_EINVAL, 5,
     "document is a list, not a Kubernetes object"},
    {"apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\n"
     "metadata: {name: a}\n",
     DG_EINVAL, 5, "duplicate"},
    {"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  labels: {driftgate.io/baseline: "
     "\"true\"}\n",
     DG_EINVAL, 1, "neither data[\"manifest.yaml\"] nor binaryData"},
    {"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  labels: {driftgate.io/baseline: "
     "\"true\"}\nbinaryData: {manifest.yaml.gz: \"!!!!\"}\n",
     DG_EPARSE, 0, "invalid base64"},
    {"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  labels: {driftgate.io/baseline: "
     "\"true\"}\nbinaryData: {manifest.yaml.gz: \"aGVsbG8=\"}\n",
     DG_EPARSE, 0, "gzip"},
    {"kind: Service\nmetadata: {name: x}\n", DG_EINVAL, 1, "no apiVersion"},
    {"apiVersion: v1\nkind: Service\nmetadata: {name: [x]}\n", DG_EINVAL, 1, "name"},
};

START_TEST(test_bad)
{
    dg_manifest_opts_t opts = {.name = "bad.yaml", .default_ns = "ns"};
    dg_objset_t *set = dg_objset_new();
    dg_err_t err = {0};

    ck_assert_int_eq(dg_manifest_load(bad[_i].text, strlen(bad[_i].text), &opts, set, NULL, &err),
                     bad[_i].code);
    ck_assert_msg(strstr(err.msg, bad[_i].msg), "got '%s'", err.msg);
    if (bad[_i].line)
        ck_assert_int_eq(err.line, bad[_i].line);
    ck_assert_msg(strstr(err.where, "bad.yaml") || strstr(err.msg, "bad.yaml"), "where '%s' msg '%s'",
                  err.where, err.msg);
    dg_objset_free(&set);
}
END_TEST

/* Errors inside a `kind: List` name the item's own line and column, not
 * the List's (the first hour, point 4). */
static const struct {
    const char *text;
    int line, col;
    const char *msg;
} located[] = {
    {"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n"
     "  metadata: {name: a}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n",
     7, 3, "duplicate object Service ns/a (first defined at line 4)"},
    {"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n"
     "  metadata: {name: a}\n- 5\n",
     7, 3, "document is a number"},
    {"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n"
     "  metadata: {name: a}\n-   apiVersion: v1\n    kind: Service\n    metadata: {}\n",
     7, 5, "Service has no metadata.name"},
    {"{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n"
     " {\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"a\"}},\n"
     " {\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"a\"}}]}\n",
     3, 2, "(first defined at line 2)"},
    {"---\napiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n\n"
     "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n",
     7, 1, "(first defined at line 2)"},
};

START_TEST(test_located)
{
    dg_manifest_opts_t opts = {.name = "list.yaml", .default_ns = "ns"};
    dg_objset_t *set = dg_objset_new();
    dg_err_t err = {0};

    ck_assert_int_eq(dg_manifest_load(located[_i].text, strlen(located[_i].text), &opts, set,
                                      NULL, &err),
                     DG_EINVAL);
    ck_assert_msg(strstr(err.msg, located[_i].msg), "got '%s'", err.msg);
    ck_assert_str_eq(err.where, "list.yaml");
    ck_assert_msg(err.line == located[_i].line && err.col == located[_i].col,
                  "case %d: at %d:%d", _i, err.line, err.col);
    dg_objset_free(&set);
}
END_TEST

/* Counted for every input: what explains one that holds no objects. */
START_TEST(test_counts)
{
    static const char text[] = "# c\n---\napiVersion: v1\nkind: List\nitems: []\n---\n"
                               "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n"
                               "  annotations: {helm.sh/hook: test}\n";
    dg_manifest_opts_t opts = {.name = "c.yaml"};
    dg_manifest_info_t info = {0};
    dg_objset_t *set = dg_objset_new();

    ck_assert_int_eq(dg_manifest_load(text, sizeof text - 1, &opts, set, &info, NULL), 0);
    ck_assert_uint_eq(dg_objset_count(set), 0);
    ck_assert_uint_eq(info.docs, 2);
    ck_assert_uint_eq(info.lists, 1);
    ck_assert_uint_eq(info.hooks, 1);
    dg_manifest_info_free(&info);
    dg_objset_free(&set);
}
END_TEST

START_TEST(test_digest_mismatch)
{
    char *text = baseline_cm(false, "sha256:0000");
    dg_manifest_opts_t opts = {.name = "cm.yaml"};
    dg_objset_t *set = dg_objset_new();
    dg_err_t err = {0};

    ck_assert_int_eq(dg_manifest_load(text, strlen(text), &opts, set, NULL, &err), DG_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "digest mismatch"));
    ck_assert_uint_eq(dg_objset_count(set), 0);
    dg_objset_free(&set);
    free(text);
}
END_TEST

START_TEST(test_cap)
{
    dg_manifest_opts_t opts = {.name = "big.yaml", .max_bytes = 100};
    dg_objset_t *set = dg_objset_new();
    dg_err_t err = {0};

    ck_assert_int_eq(dg_manifest_load(render, sizeof render - 1, &opts, set, NULL, &err),
                     DG_ETOOBIG);
    ck_assert_str_eq(err.where, "big.yaml");
    dg_objset_free(&set);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/manifest");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_render_takes_release_namespace);
    tcase_add_test(tc, test_list_flattened);
    tcase_add_loop_test(tc, test_baseline_configmap, 0, 2);
    tcase_add_loop_test(tc, test_bad, 0, sizeof bad / sizeof bad[0]);
    tcase_add_loop_test(tc, test_located, 0, sizeof located / sizeof located[0]);
    tcase_add_test(tc, test_counts);
    tcase_add_test(tc, test_digest_mismatch);
    tcase_add_test(tc, test_cap);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
