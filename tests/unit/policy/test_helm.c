/* tests/unit/policy/test_helm.c: Helm release records, encoded the way
 * Helm's storage drivers write them (JSON -> gzip -> base64; a Secret read
 * from the API adds one more base64), around the real render in examples/.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <zlib.h>

#include "codec.h"
#include "helm.h"
#include "support.h"

/* A ConfigMap or Secret holding revision @version of test-nginx in @status. */
static json_t *record(const char *kind, long version, const char *status, const char *manifest)
{
    json_t *rel = json_pack("{s:s, s:s, s:I, s:{s:s}, s:{s:{s:s, s:s}}, s:s}", "name", "test-nginx",
                            "namespace", "sandbox-nginx", "version", (json_int_t)version, "info",
                            "status", status, "chart", "metadata", "name", "nginx", "version",
                            "0.1.0", "manifest", manifest);
    char *text = json_dumps(rel, JSON_COMPACT), *gz, *b64, name[64];
    size_t gzlen;
    json_t *obj;

    ck_assert_int_eq(dg_codec_gzip(text, strlen(text), &gz, &gzlen, NULL), 0);
    b64 = dg_codec_base64_encode(gz, gzlen);
    if (strcmp(kind, "Secret") == 0) {
        char *outer = dg_codec_base64_encode(b64, strlen(b64));

        free(b64);
        b64 = outer;
    }
    snprintf(name, sizeof name, "sh.helm.release.v1.test-nginx.v%ld", version);
    obj = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s, s:s}}, s:{s:s}}", "apiVersion", "v1", "kind",
                    kind, "metadata", "name", name, "namespace", "sandbox-nginx", "labels", "owner",
                    "helm", "name", "test-nginx", "status", status, "data", "release", b64);
    free(text);
    free(gz);
    free(b64);
    json_decref(rel);
    return obj;
}

static char *render(void)
{
    size_t len;

    return dg_test_read("examples/release-baseline.yaml", &len);
}

START_TEST(test_decode_both_drivers)
{
    static const char *const kinds[] = {"ConfigMap", "Secret"};
    char *m = render();
    json_t *obj = record(kinds[_i], 3, "deployed", m);
    dg_helm_record_t r;
    dg_err_t err = {0};

    ck_assert_msg(dg_helm_decode(obj, NULL, &r, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(r.name, "test-nginx");
    ck_assert_str_eq(r.ns, "sandbox-nginx");
    ck_assert_int_eq(r.version, 3);
    ck_assert_str_eq(r.status, "deployed");
    ck_assert_str_eq(r.chart, "nginx-0.1.0");
    ck_assert_str_eq(r.manifest, m);
    ck_assert_str_eq(r.record, "sandbox-nginx/sh.helm.release.v1.test-nginx.v3");
    dg_helm_record_free(&r);
    json_decref(obj);
    free(m);
}
END_TEST

/* The baseline is the latest deployed revision; a newer pending one is in flight. */
START_TEST(test_select)
{
    char *m = render(), *m8 = strdup(m);
    const char *statuses[] = {"superseded", "deployed", "pending-upgrade", "failed"};
    dg_helm_record_t recs[4];
    const dg_helm_record_t *ptrs[4];
    dg_release_t *rel;
    dg_objid_t hpa = {"autoscaling", "HorizontalPodAutoscaler", "sandbox-nginx", "test-nginx"};

    memcpy(strstr(m8, "minReplicas: 6"), "minReplicas: 8", 14);
    for (int i = 0; i < 4; i++) {
        json_t *obj = record("ConfigMap", i + 1, statuses[i], i == 2 ? m8 : m);

        ck_assert_int_eq(dg_helm_decode(obj, NULL, &recs[i], NULL), 0);
        ptrs[i] = &recs[i];
        json_decref(obj);
    }
    ck_assert_int_eq(dg_helm_release(ptrs, 4, &rel, NULL), 0);
    ck_assert_int_eq(rel->revision, 2);
    ck_assert_int_eq(rel->origin, DG_RELSRC_HELM);
    ck_assert_uint_eq(dg_objset_count(rel->objs), 3); /* the hook Pod is not a resource */
    ck_assert_ptr_nonnull(rel->pending);
    ck_assert_str_eq(rel->pending_status, "pending-upgrade");
    ck_assert_int_eq(rel->pending_revision, 3);
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_object_get(dg_objset_find(rel->pending, &hpa)->json, "spec"),
                         "minReplicas")),
                     8);
    dg_release_free(&rel);
    ck_assert_int_eq(dg_helm_release(ptrs, 1, &rel, NULL), DG_ENOTFOUND); /* superseded only */
    for (int i = 0; i < 4; i++)
        dg_helm_record_free(&recs[i]);
    free(m);
    free(m8);
}
END_TEST

static const struct {
    const char *release; /* data.release, or NULL for none */
    int code;
    const char *msg;
} bad[] = {
    {NULL, DG_EINVAL, "no data.release"},
    {"!!!not base64", DG_EPARSE, "invalid base64"},
    {"H4sIAAAAAAAA/w==", DG_EPARSE, "not valid gzip data"},     /* a truncated gzip header */
    {"bm90IGpzb24=", DG_EPARSE, "not JSON"},                    /* "not json" */
    {"eyJuYW1lIjoieCIsInZlcnNpb24iOjF9", DG_EINVAL, "no manifest"}, /* {"name":"x","version":1} */
};

START_TEST(test_corrupt)
{
    json_t *obj = json_pack("{s:s, s:{s:s, s:s}, s:{}}", "kind", "ConfigMap", "metadata", "name",
                            "sh.helm.release.v1.x.v1", "namespace", "prod", "data");
    dg_helm_record_t r;
    dg_err_t err = {0};

    if (bad[_i].release)
        json_object_set_new(json_object_get(obj, "data"), "release", json_string(bad[_i].release));
    ck_assert_int_eq(dg_helm_decode(obj, NULL, &r, &err), bad[_i].code);
    ck_assert_msg(strstr(err.msg, bad[_i].msg), "got '%s'", err.msg);
    ck_assert_ptr_nonnull(strstr(err.msg, "prod/sh.helm.release.v1.x.v1")); /* names the record */
    dg_helm_record_free(&r);
    json_decref(obj);
}
END_TEST


/* A record under a name Helm would not give it is not a release record:
 * a forged "revision 99" cannot hide under another name. */
START_TEST(test_forged_name)
{
    char *m = render();
    json_t *obj = record("ConfigMap", 99, "deployed", m);
    dg_helm_record_t r;
    dg_err_t err = {0};

    json_object_set_new(json_object_get(obj, "metadata"), "name", json_string("innocent"));
    ck_assert_int_eq(dg_helm_decode(obj, NULL, &r, &err), DG_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "not Helm's name for release test-nginx revision 99"));
    dg_helm_record_free(&r);
    json_decref(obj);
    free(m);
}
END_TEST

/* helm uninstall marks the record "uninstalling": its objects stay the
 * baseline, and the change in flight renders nothing (deleting is Helm's). */
START_TEST(test_uninstalling)
{
    char *m = render();
    json_t *obj = record("Secret", 4, "uninstalling", m);
    dg_helm_record_t r;
    const dg_helm_record_t *p = &r;
    dg_release_t *rel;

    ck_assert_int_eq(dg_helm_decode(obj, NULL, &r, NULL), 0);
    ck_assert_int_eq(dg_helm_release(&p, 1, &rel, NULL), 0);
    ck_assert_uint_eq(dg_objset_count(rel->objs), 3);
    ck_assert_ptr_nonnull(rel->pending);
    ck_assert_uint_eq(dg_objset_count(rel->pending), 0);
    ck_assert_str_eq(rel->pending_status, "uninstalling");
    dg_release_free(&rel);
    dg_helm_record_free(&r);
    json_decref(obj);
    free(m);
}
END_TEST

/* A record in tenant-b whose manifest names sandbox-nginx's objects governs
 * none of them: the release is confined to the record's namespace. */
START_TEST(test_confined)
{
    char *m = render(), *claim = malloc(strlen(m) * 2);
    const char *from = m;
    char *to = claim;
    json_t *obj;
    dg_helm_record_t r;
    const dg_helm_record_t *p = &r;
    dg_release_t *rel;
    dg_err_t err = {0};

    /* every object says "namespace: sandbox-nginx" after its name */
    static const char key[] = "\n  name: test-nginx\n";
    const size_t klen = sizeof key - 1;

    for (const char *hit; (hit = strstr(from, key)) != NULL; from = hit + klen) {
        memcpy(to, from, (size_t)(hit - from) + klen);
        to += hit - from + klen;
        to += sprintf(to, "  namespace: sandbox-nginx\n");
    }
    strcpy(to, from);
    obj = record("ConfigMap", 1, "deployed", claim);
    json_object_set_new(json_object_get(obj, "metadata"), "namespace", json_string("tenant-b"));
    ck_assert_int_eq(dg_helm_decode(obj, NULL, &r, NULL), 0);
    ck_assert_str_eq(r.ns, "tenant-b"); /* where it is stored, not what it says */
    ck_assert_msg(dg_helm_release(&p, 1, &rel, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(dg_objset_count(rel->objs), 0);
    ck_assert_ptr_nonnull(strstr(rel->note, "3 objects outside namespace tenant-b dropped"));
    dg_release_free(&rel);
    dg_helm_record_free(&r);
    json_decref(obj);
    free(claim);
    free(m);
}
END_TEST

/* A gzip bomb, made the way an attacker makes one: a release whose manifest
 * is @inflated bytes of spaces, deflated a chunk at a time (never held
 * whole), base64'd as the Secret driver stores it. Returns the record. */
static json_t *bomb_record(size_t inflated)
{
    static const char head[] = "{\"name\":\"test-nginx\",\"version\":1,\"info\":{\"status\":"
                               "\"deployed\"},\"manifest\":\"";
    static char pad[1 << 20];
    size_t cap = inflated / 512 + 4096, left = inflated;
    unsigned char *gz = malloc(cap);
    z_stream zs = {0};
    char *b64, *outer;
    json_t *obj;

    ck_assert_ptr_nonnull(gz);
    memset(pad, ' ', sizeof pad);
    ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_out = gz;
    zs.avail_out = (uInt)cap;
    zs.next_in = (Bytef *)head;
    zs.avail_in = sizeof head - 1;
    ck_assert_int_eq(deflate(&zs, Z_NO_FLUSH), Z_OK);
    while (left) {
        size_t n = left < sizeof pad ? left : sizeof pad;

        zs.next_in = (Bytef *)pad;
        zs.avail_in = (uInt)n;
        ck_assert_int_eq(deflate(&zs, Z_NO_FLUSH), Z_OK);
        left -= n;
    }
    zs.next_in = (Bytef *)"\"}";
    zs.avail_in = 2;
    ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    b64 = dg_codec_base64_encode(gz, zs.total_out);
    outer = dg_codec_base64_encode(b64, strlen(b64));
    obj = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}}", "apiVersion", "v1", "kind", "Secret",
                    "metadata", "name", "sh.helm.release.v1.test-nginx.v1", "namespace",
                    "sandbox-nginx", "data", "release", outer);
    deflateEnd(&zs);
    free(gz);
    free(b64);
    free(outer);
    return obj;
}

static long peak_rss_mib(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

/* 256 MiB of release in ~300 KB of Secret: refused once 32 MiB (the
 * default --helm-release-max-bytes) have inflated, by name, and the
 * decoder never holds more than that cap. */
START_TEST(test_gzip_bomb)
{
    json_t *obj = bomb_record((size_t)256 << 20);
    size_t stored = strlen(json_string_value(json_object_get(json_object_get(obj, "data"), "release")));
    dg_helm_record_t r;
    dg_err_t err = {0};

    ck_assert_msg(stored < DG_HELM_MAX_RECORD_BYTES, "the bomb is %zu bytes stored", stored);
    ck_assert_int_eq(dg_helm_decode(obj, NULL, &r, &err), DG_ETOOBIG);
    ck_assert_msg(strstr(err.msg, "sandbox-nginx/sh.helm.release.v1.test-nginx.v1") &&
                      strstr(err.msg, "inflates to more than 33554432 bytes"),
                  "got '%s'", err.msg);
    ck_assert_msg(peak_rss_mib() < 128, "peak RSS %ld MiB decoding a bomb", peak_rss_mib());
    dg_helm_record_free(&r);
    json_decref(obj);
}
END_TEST

/* Past --helm-record-max-bytes nothing is decoded at all. */
START_TEST(test_record_cap)
{
    char *m = render();
    json_t *obj = record("Secret", 3, "deployed", m);
    dg_helm_limits_t lim = {.max_record = 1000};
    dg_helm_record_t r;
    dg_err_t err = {0};

    ck_assert_int_eq(dg_helm_decode(obj, &lim, &r, &err), DG_ETOOBIG);
    ck_assert_msg(strstr(err.msg, "sandbox-nginx/sh.helm.release.v1.test-nginx.v3: data.release is") &&
                      strstr(err.msg, "more than 1000"),
                  "got '%s'", err.msg);
    dg_helm_record_free(&r);
    lim = (dg_helm_limits_t){.max_release = 1000}; /* and the inflated cap, on a real record */
    ck_assert_int_eq(dg_helm_decode(obj, &lim, &r, &err), DG_ETOOBIG);
    dg_helm_record_free(&r);
    json_decref(obj);
    free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/helm");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_decode_both_drivers, 0, 2);
    tcase_add_test(tc, test_select);
    tcase_add_test(tc, test_forged_name);
    tcase_add_test(tc, test_uninstalling);
    tcase_add_test(tc, test_confined);
    tcase_add_loop_test(tc, test_corrupt, 0, sizeof bad / sizeof bad[0]);
    tcase_add_test(tc, test_gzip_bomb);
    tcase_add_test(tc, test_record_cap);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
