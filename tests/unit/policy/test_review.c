/* tests/unit/policy/test_review.c: the AdmissionReview codec, on the shared
 * real-world reviews (read in place, never copied) and hand-written bad input.
 * SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwrite.h"
#include "review.h"
#include "support.h"

/* ---- the shared fixtures: one expected outcome per file ------------------ */

static const struct {
    const char *file;
    const char *want;       /* NULL = refused */
    const char *uid;        /* when parsed: the uid the answer must echo */
    const char *api;        /* when parsed: the apiVersion the answer keeps */
    const char *op, *name;  /* when parsed */
    const char *msg;        /* when refused: the exact message */
    const char *why;
} shared[] = {
    {"celwebhook_v1_crd-crontab_update_with-oldObject.json", "ok",
     "705ab4f5-6393-11e8-b7cc-42010a800002", "admission.k8s.io/v1", "UPDATE", "my-crontab", NULL,
     "a CRD UPDATE is well-formed; the gate skips kinds it does not govern"},
    {"connaisseur_v1_broken_request-only-operation-create.json", NULL, NULL, NULL, NULL, NULL,
     "request.uid is missing", "without a uid there is nothing to answer"},
    {"connaisseur_v1_replicaset_update_by-deployment-controller.json", "ok",
     "6418f614-b7f1-4c57-94bf-14fc30b2d791", "admission.k8s.io/v1", "UPDATE", "test-58d59c69bf",
     NULL, "a controller's UPDATE, captured"},
    {"connaisseur_v1beta1_deployment_update_both-have-deletionTimestamp.json", "ok",
     "3a3a7b38-5512-4a85-94bb-3562269e0a6a", "admission.k8s.io/v1beta1", "UPDATE",
     "charlie-deployment", NULL, "v1beta1; request.name absent, taken from object.metadata.name"},
    {"connaisseur_v1beta1_deployment_update_new-deletionTimestamp-only.json", "ok",
     "3a3a7b38-5512-4a85-94bb-3562269e0a6a", "admission.k8s.io/v1beta1", "UPDATE",
     "charlie-deployment", NULL, "v1beta1 UPDATE during deletion"},
    {"datree_v1_deployment_create_helm-managed.json", "ok",
     "605ca5c5-02bc-43a9-bbff-aa5892b47d15", "admission.k8s.io/v1", "CREATE", "my-leantime", NULL,
     "a Helm CREATE, the largest document"},
    {"datree_v1_scale-subresource_update_object-is-pod-inconsistent.json", "ok",
     "705ab4f5-6393-11e8-b7cc-42010a800002", "admission.k8s.io/v1", "UPDATE", "my-deployment",
     NULL, "the codec does not trust the body's kind; dg_decide judges by request.resource"},
    {"datree_v1_scale-subresource_update_object-metadata-name-missing.json", "ok",
     "705ab4f5-6393-11e8-b7cc-42010a800002", "admission.k8s.io/v1", "UPDATE", "my-deployment",
     NULL, "object.metadata.name absent; request.name names it"},
    {"eks-pod-identity_no-apiVersion_pod_create.json", "ok", "918ef1dc-928f-4525-99ef-988389f263c3",
     "admission.k8s.io/v1", "CREATE", "balajilovesoreos", NULL,
     "no apiVersion but kind AdmissionReview: read as v1, answered as v1"},
    {"k8sapi_v1_roundtrip_all-fields_dryrun-true_request-and-response.json", "ok", "uidValue",
     "admission.k8s.io/v1", "operationValue", "nameValue", NULL,
     "an operation no API server sends yet: answered (dg_decide allows it), never a 400"},
    {"k8sapi_v1beta1_roundtrip_all-fields_dryrun-true_request-and-response.json", "ok", "uidValue",
     "admission.k8s.io/v1beta1", "operationValue", "nameValue", NULL, "the same in v1beta1"},
    {"kubewarden_bare-request_deployment_delete_oldObject-only.json", NULL, NULL, NULL, NULL, NULL,
     "body is not an AdmissionReview: missing \"request\"", "a bare AdmissionRequest, no envelope"},
    {"kubewarden_bare-request_deployment_update_with-oldObject.json", NULL, NULL, NULL, NULL, NULL,
     "body is not an AdmissionReview: missing \"request\"", "a bare AdmissionRequest, no envelope"},
    {"kubewarden_bare-request_service_create.json", NULL, NULL, NULL, NULL, NULL,
     "body is not an AdmissionReview: missing \"request\"", "a bare AdmissionRequest, no envelope"},
    {"kubewarden_v1_service-loadbalancer_create.json", "ok", "1299d386-525b-4032-98ae-1949f69f9cfc",
     "admission.k8s.io/v1", "CREATE", "nginx", NULL, "a full v1 envelope"},
    {"linkerd_v1beta1_deployment_create_object-missing-apiVersion-kind.json", "ok",
     "3c3c45ff-bee9-11e8-9c41-b4d755961931", "admission.k8s.io/v1beta1", "CREATE", "nginx", NULL,
     "the object lacks apiVersion/kind; the request's resource still names it"},
    {"stackrox_v1_pod_create_kubectl-run.json", "ok", "589e8086-9e9c-468e-a97c-a93ae25eac04",
     "admission.k8s.io/v1", "CREATE", "nginx", NULL, "kubectl run, captured"},
    {"stackrox_v1beta1_pods-exec_connect_subresource.json", "ok",
     "4ec0a829-41c4-4740-9784-1cb69cfbd293", "admission.k8s.io/v1beta1", "CONNECT",
     "sensor-74f6965874-qckz6", NULL, "CONNECT on pods/exec: well-formed, never judged"},
    {"kube-audit-rest_v1_real-capture_59-reviews.ndjson.log", "ndjson", NULL, NULL, NULL, NULL, NULL,
     "59 captured reviews, one per line: each must parse (test_ndjson)"},
};
#define NSHARED (sizeof shared / sizeof shared[0])

static char *shared_path(const char *file)
{
    static char p[4096];

    snprintf(p, sizeof p, "%s/%s", dg_test_shared_reviews(), file);
    return p;
}

/* The answer must echo the uid and keep the apiVersion. */
static void check_echo(const dg_review_t *rv, const char *api, const char *uid)
{
    dg_response_t r;
    json_t *j, *want;
    char *out;

    dg_response_init(&r);
    r.allowed = true;
    out = dg_review_encode(rv->api_version, rv->uid, &r);
    ck_assert_ptr_nonnull(out);
    j = dg_test_json(out);
    want = json_pack("{s:s, s:s, s:{s:s, s:b}}", "apiVersion", api, "kind", "AdmissionReview",
                     "response", "uid", uid, "allowed", 1);
    ck_assert_msg(json_equal(j, want), "answer %s", out);
    json_decref(want);
    json_decref(j);
    free(out);
    dg_response_free(&r);
}

START_TEST(test_shared_file)
{
    size_t len;
    char *data;
    dg_err_t err = {0};
    dg_review_t *rv;

    if (strcmp(shared[_i].want ? shared[_i].want : "", "ndjson") == 0)
        return; /* line by line in test_ndjson */
    data = dg_test_read(shared_path(shared[_i].file), &len);
    rv = dg_review_parse(data, len, shared[_i].file, 0, &err);
    if (shared[_i].want == NULL) {
        ck_assert_msg(rv == NULL, "%s: parsed, expected refusal (%s)", shared[_i].file,
                      shared[_i].why);
        ck_assert_str_eq(err.msg, shared[_i].msg);
        ck_assert_str_eq(err.where, shared[_i].file);
        ck_assert_int_eq(err.code, DG_EINVAL);
    } else {
        ck_assert_msg(rv != NULL, "%s: refused (%s), expected to parse (%s)", shared[_i].file,
                      err.msg, shared[_i].why);
        ck_assert_str_eq(rv->uid, shared[_i].uid);
        ck_assert_str_eq(rv->api_version, shared[_i].api);
        ck_assert_str_eq(rv->operation, shared[_i].op);
        ck_assert_str_eq(rv->name, shared[_i].name);
        check_echo(rv, shared[_i].api, shared[_i].uid);
    }
    dg_review_free(&rv);
    ck_assert_ptr_null(rv);
    free(data);
}
END_TEST

/* Every file in the shared directory has an entry above: a new file cannot
 * slip in untested. */
START_TEST(test_shared_all_listed)
{
    DIR *d = opendir(dg_test_shared_reviews());
    struct dirent *e;
    size_t seen = 0;

    ck_assert_msg(d != NULL, "cannot open %s", dg_test_shared_reviews());
    while ((e = readdir(d)) != NULL) {
        size_t i;

        if (e->d_name[0] == '.' || strcmp(e->d_name, "SOURCES.md") == 0)
            continue;
        for (i = 0; i < NSHARED && strcmp(shared[i].file, e->d_name) != 0; i++)
            ;
        ck_assert_msg(i < NSHARED, "%s has no expected outcome in test_review.c", e->d_name);
        seen++;
    }
    closedir(d);
    ck_assert_uint_eq(seen, NSHARED);
}
END_TEST

START_TEST(test_ndjson)
{
    size_t len, lines = 0, updates = 0;
    char *data = dg_test_read(shared_path(shared[NSHARED - 1].file), &len);
    char *p = data, *end = data + len;

    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char where[32];
        dg_err_t err = {0};
        dg_review_t *rv;

        snprintf(where, sizeof where, "line %zu", lines + 1);
        rv = dg_review_parse(p, n, where, 0, &err);
        ck_assert_msg(rv != NULL, "%s: %s", where, err.msg);
        ck_assert_str_eq(rv->api_version, "admission.k8s.io/v1");
        ck_assert_int_eq(rv->dry_run, 0);
        ck_assert_uint_ge(rv->ngroups, 1);
        if (strcmp(rv->operation, "UPDATE") == 0) {
            updates++;
            ck_assert_ptr_nonnull(rv->old_object);
        } else {
            ck_assert_ptr_null(rv->old_object);
        }
        check_echo(rv, "admission.k8s.io/v1", rv->uid);
        dg_review_free(&rv);
        lines++;
        p += n + 1;
    }
    ck_assert_uint_eq(lines, 59);
    ck_assert_uint_eq(updates, 2); /* Endpoints and EndpointSlice */
    free(data);
}
END_TEST

/* ---- hand-written bad input ---------------------------------------------- */

#define ENV(req) "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":" req "}"
#define REQ(extra) ENV("{\"uid\":\"u1\",\"operation\":\"UPDATE\"" extra "}")

static const struct {
    const char *name;
    const char *body;
    int code;
    const char *msg;
    int line, col;
} bad[] = {
    {"not-json", "{\"apiVersion\": ", DG_EPARSE, "not JSON: unexpected end of input", 1, 16},
    {"empty", "", DG_EPARSE, "not JSON: unexpected end of input", 1, 1},
    {"trailing", ENV("{}") " x", DG_EPARSE, "not JSON: unexpected data after the value", 1, 76},
    {"array", "[1,2]", DG_EINVAL, "body is an array, expected an AdmissionReview object", 1, 1},
    {"string", "\"hi\"", DG_EINVAL, "body is a string, expected an AdmissionReview object", 1, 1},
    {"duplicate-key", "{\"request\":{},\"request\":{}}", DG_EPARSE,
     "not JSON: duplicate key \"request\"", 1, 15},
    {"bare-request", "{\"uid\":\"u1\",\"operation\":\"UPDATE\"}", DG_EINVAL,
     "body is not an AdmissionReview: missing \"request\"", 1, 1},
    {"no-kind", "{\"apiVersion\":\"admission.k8s.io/v1\",\"request\":{}}", DG_EINVAL,
     "kind is missing, expected \"AdmissionReview\"", 1, 1},
    {"wrong-kind", "{\"kind\":\"Pod\",\"request\":{}}", DG_EINVAL,
     "kind is \"Pod\", expected \"AdmissionReview\"", 1, 9},
    {"kind-number", "{\"kind\":7,\"request\":{}}", DG_EINVAL,
     "kind is a number, expected \"AdmissionReview\"", 1, 9},
    {"wrong-apiversion",
     "{\"apiVersion\":\"admission.k8s.io/v2\",\"kind\":\"AdmissionReview\",\"request\":{}}",
     DG_EINVAL,
     "apiVersion \"admission.k8s.io/v2\" is not supported, expected \"admission.k8s.io/v1\" or "
     "\"admission.k8s.io/v1beta1\"",
     1, 15},
    {"apiversion-bool", "{\"apiVersion\":true,\"kind\":\"AdmissionReview\",\"request\":{}}",
     DG_EINVAL,
     "apiVersion is a boolean, expected \"admission.k8s.io/v1\" or \"admission.k8s.io/v1beta1\"", 1,
     15},
    {"request-array", ENV("[]"), DG_EINVAL, "request is an array, expected an object", 1, 72},
    {"request-null", ENV("null"), DG_EINVAL, "request is null, expected an object", 1, 72},
    {"uid-missing", ENV("{\"operation\":\"UPDATE\"}"), DG_EINVAL, "request.uid is missing", 1, 72},
    {"uid-number", ENV("{\"uid\":42,\"operation\":\"UPDATE\"}"), DG_EINVAL,
     "request.uid is a number, expected a string", 1, 79},
    {"uid-empty", ENV("{\"uid\":\"\",\"operation\":\"UPDATE\"}"), DG_EINVAL, "request.uid is empty",
     1, 79},
    {"operation-missing", ENV("{\"uid\":\"u1\"}"), DG_EINVAL, "request.operation is missing", 1, 72},
    {"operation-array", ENV("{\"uid\":\"u1\",\"operation\":[]}"), DG_EINVAL,
     "request.operation is an array, expected a string", 1, 96},
    {"object-string", REQ(",\"object\":\"{}\""), DG_EINVAL,
     "request.object is a string, expected an object", 1, 114},
    {"oldobject-array", REQ(",\"oldObject\":[]"), DG_EINVAL,
     "request.oldObject is an array, expected an object", 1, 117},
    {"metadata-array", REQ(",\"object\":{\"metadata\":[]}"), DG_EINVAL,
     "request.object.metadata is an array, expected an object", 1, 126},
    {"metadata-name-number", REQ(",\"object\":{\"metadata\":{\"name\":5}}"), DG_EINVAL,
     "request.object.metadata.name is a number, expected a string", 1, 134},
    {"groups-string", REQ(",\"userInfo\":{\"username\":\"a\",\"groups\":\"system:masters\"}"),
     DG_EINVAL, "request.userInfo.groups is a string, expected an array of strings", 1, 141},
    {"groups-number-element", REQ(",\"userInfo\":{\"groups\":[\"a\",7]}"), DG_EINVAL,
     "request.userInfo.groups[1] is a number, expected a string", 1, 131},
    {"username-object", REQ(",\"userInfo\":{\"username\":{}}"), DG_EINVAL,
     "request.userInfo.username is an object, expected a string", 1, 128},
    {"userinfo-array", REQ(",\"userInfo\":[]"), DG_EINVAL,
     "request.userInfo is an array, expected an object", 1, 116},
    {"resource-string", REQ(",\"resource\":\"deployments\""), DG_EINVAL,
     "request.resource is a string, expected an object", 1, 116},
    {"resource-group-number", REQ(",\"resource\":{\"group\":1}"), DG_EINVAL,
     "request.resource.group is a number, expected a string", 1, 125},
    {"kind-kind-bool", REQ(",\"kind\":{\"kind\":false}"), DG_EINVAL,
     "request.kind.kind is a boolean, expected a string", 1, 120},
    {"namespace-number", REQ(",\"namespace\":3"), DG_EINVAL,
     "request.namespace is a number, expected a string", 1, 117},
    {"subresource-array", REQ(",\"subResource\":[\"scale\"]"), DG_EINVAL,
     "request.subResource is an array, expected a string", 1, 119},
    {"dryrun-string", REQ(",\"dryRun\":\"true\""), DG_EINVAL,
     "request.dryRun is a string, expected a boolean", 1, 114},
    /* Not built (nothing reads them), but read and refused as ever. */
    {"options-bad-json", REQ(",\"options\":{\"fieldManager\":tru}"), DG_EPARSE,
     "not JSON: unexpected 'tru}'", 1, 131},
    {"options-twice", REQ(",\"options\":{},\"options\":{}"), DG_EPARSE,
     "not JSON: duplicate key \"options\"", 1, 118},
};
#define NBAD (sizeof bad / sizeof bad[0])

START_TEST(test_bad)
{
    dg_err_t err = {0};
    dg_review_t *rv = dg_review_parse(bad[_i].body, strlen(bad[_i].body), NULL, 0, &err);

    ck_assert_msg(rv == NULL, "%s: parsed", bad[_i].name);
    ck_assert_msg(err.code == bad[_i].code, "%s: code %s", bad[_i].name, dg_errname(err.code));
    ck_assert_msg(strcmp(err.msg, bad[_i].msg) == 0, "%s: message '%s'", bad[_i].name, err.msg);
    ck_assert_str_eq(err.where, "<request>");
    ck_assert_int_eq(err.line, bad[_i].line);
    ck_assert_int_eq(err.col, bad[_i].col);
}
END_TEST

START_TEST(test_oversize)
{
    const char *body = REQ("");
    dg_err_t err = {0};
    dg_review_t *rv = dg_review_parse(body, strlen(body), "big.json", 16, &err);
    char want[128];

    ck_assert_ptr_null(rv);
    ck_assert_int_eq(err.code, DG_ETOOBIG);
    snprintf(want, sizeof want, "body is %zu bytes, more than the limit of 16", strlen(body));
    ck_assert_str_eq(err.msg, want);
    ck_assert_str_eq(err.where, "big.json");
    /* The same body under the default cap parses. */
    rv = dg_review_parse(body, strlen(body), "big.json", 0, NULL);
    ck_assert_ptr_nonnull(rv);
    dg_review_free(&rv);
}
END_TEST

/* Fields are read, defaults filled, and the body's name is a fallback only. */
START_TEST(test_fields)
{
    const char *body =
        ENV("{\"uid\":\"abc\",\"operation\":\"UPDATE\",\"kind\":{\"group\":\"autoscaling\","
            "\"version\":\"v1\",\"kind\":\"Scale\"},\"resource\":{\"group\":\"apps\",\"version\":"
            "\"v1\",\"resource\":\"deployments\"},\"subResource\":\"scale\",\"namespace\":\"ns1\","
            "\"userInfo\":{\"username\":\"alice\",\"groups\":[\"g1\",\"g2\"]},\"object\":{\"kind\":"
            "\"Scale\",\"metadata\":{\"name\":\"web\"}},\"oldObject\":null,\"dryRun\":true,"
            "\"requestKind\":{\"kind\":7},\"requestResource\":[],\"requestSubResource\":1,"
            "\"options\":{\"kind\":\"UpdateOptions\"}}");
    dg_review_t *rv = dg_review_parse(body, strlen(body), NULL, 0, NULL);

    ck_assert_ptr_nonnull(rv);
    ck_assert_str_eq(rv->kind_group, "autoscaling");
    ck_assert_str_eq(rv->kind, "Scale");
    ck_assert_str_eq(rv->group, "apps");
    ck_assert_str_eq(rv->version, "v1");
    ck_assert_str_eq(rv->resource, "deployments");
    ck_assert_str_eq(rv->subresource, "scale");
    ck_assert_str_eq(rv->ns, "ns1");
    ck_assert_str_eq(rv->name, "web");
    ck_assert_str_eq(rv->user, "alice");
    ck_assert_uint_eq(rv->ngroups, 2);
    ck_assert_str_eq(rv->groups[1], "g2");
    ck_assert_ptr_nonnull(rv->object);
    ck_assert_ptr_null(rv->old_object);
    ck_assert(rv->dry_run);
    ck_assert_int_eq(rv->timeout_ms, 0);
    dg_review_free(&rv);

    body = REQ("");
    rv = dg_review_parse(body, strlen(body), NULL, 0, NULL);
    ck_assert_ptr_nonnull(rv);
    ck_assert_str_eq(rv->name, "");
    ck_assert_str_eq(rv->group, "");
    ck_assert_str_eq(rv->subresource, "");
    ck_assert_str_eq(rv->user, "");
    ck_assert_uint_eq(rv->ngroups, 0);
    ck_assert(!rv->dry_run);
    dg_review_free(&rv);
    dg_review_free(&rv); /* NULL-safe */
}
END_TEST

/* ---- the response -------------------------------------------------------- */

/* Key order is contract (byte-identical answers from driftgate and
 * driftctl simulate), so this one compares text. */
START_TEST(test_encode_order)
{
    dg_response_t r;
    char *out;

    dg_response_init(&r);
    r.allowed = false;
    r.code = 403;
    r.reason = "Forbidden";
    r.message = strdup("no");
    ck_assert_int_eq(dg_response_warn(&r, "w%d", 1), 0);
    ck_assert_int_eq(dg_response_annotate(&r, "decision", "%s", "deny"), 0);
    ck_assert_int_eq(dg_response_annotate(&r, "release", "ns/rel"), 0);
    out = dg_review_encode("admission.k8s.io/v1beta1", "u-1", &r);
    ck_assert_str_eq(out, "{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":"
                          "\"AdmissionReview\",\"response\":{\"uid\":\"u-1\",\"allowed\":false,"
                          "\"status\":{\"code\":403,\"reason\":\"Forbidden\",\"message\":\"no\"},"
                          "\"warnings\":[\"w1\"],\"auditAnnotations\":{\"decision\":\"deny\","
                          "\"release\":\"ns/rel\"}}}");
    free(out);
    dg_response_free(&r);
    dg_response_free(&r); /* reusable after free */
}
END_TEST

static const struct {
    const char *name;
    bool allowed;
    int code;
    const char *reason, *message;
    int nwarn;
    const char *want;
} enc[] = {
    {"allowed-bare", true, 0, NULL, NULL, 0,
     "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":"
     "\"u\",\"allowed\":true}}"},
    {"allowed-warned", true, 0, NULL, NULL, 2,
     "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":"
     "\"u\",\"allowed\":true,\"warnings\":[\"warning 0\",\"warning 1\"]}}"},
    {"unavailable", false, 503, "ServiceUnavailable", "not synced", 0,
     "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":"
     "\"u\",\"allowed\":false,\"status\":{\"code\":503,\"reason\":\"ServiceUnavailable\","
     "\"message\":\"not synced\"}}}"},
    {"refused-defaults", false, 0, NULL, NULL, 0,
     "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":"
     "\"u\",\"allowed\":false,\"status\":{\"code\":403,\"reason\":\"Forbidden\"}}}"},
};

START_TEST(test_encode)
{
    dg_response_t r;
    json_t *got, *want;
    char *out;

    dg_response_init(&r);
    r.allowed = enc[_i].allowed;
    r.code = enc[_i].code;
    r.reason = enc[_i].reason;
    r.message = enc[_i].message ? strdup(enc[_i].message) : NULL;
    for (int k = 0; k < enc[_i].nwarn; k++)
        ck_assert_int_eq(dg_response_warn(&r, "warning %d", k), 0);
    out = dg_review_encode("admission.k8s.io/v1", "u", &r);
    ck_assert_ptr_nonnull(out);
    got = dg_test_json(out);
    want = dg_test_json(enc[_i].want);
    ck_assert_msg(json_equal(got, want), "%s: %s", enc[_i].name, out);
    ck_assert_ptr_null(strstr(out, "patch"));
    json_decref(got);
    json_decref(want);
    free(out);
    dg_response_free(&r);
}
END_TEST

/* The answer is written by hand; it must be what jansson's compact dump of
 * the same tree would be, byte for byte, whatever the strings hold. */
START_TEST(test_encode_matches_jansson)
{
    char ctl[40], *out, *want;
    dg_response_t r;
    json_t *tree;

    for (int c = 1; c < 32; c++)
        ctl[c - 1] = (char)c;
    ctl[31] = '\0';
    dg_response_init(&r);
    r.code = 403;
    r.reason = "Forbidden";
    r.message = strdup("quote \" backslash \\ slash / caf\xc3\xa9 \xe2\x82\xac");
    ck_assert_int_eq(dg_response_annotate(&r, "ctl", "%s", ctl), 0);
    ck_assert_int_eq(dg_response_annotate(&r, "k2", "v\x7f"), 0);
    ck_assert_int_eq(dg_response_warn(&r, "tab\there"), 0);
    out = dg_review_encode("admission.k8s.io/v1", "u\"id", &r);
    tree = json_pack("{s:s, s:s, s:{s:s, s:b, s:{s:i, s:s, s:s}, s:[s], s:{s:s, s:s}}}",
                     "apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview", "response",
                     "uid", "u\"id", "allowed", 0, "status", "code", 403, "reason", "Forbidden",
                     "message", r.message, "warnings", r.warnings[0], "auditAnnotations", "ctl",
                     r.annotations[0].value, "k2", r.annotations[1].value);
    want = json_dumps(tree, JSON_COMPACT | JSON_PRESERVE_ORDER);
    ck_assert_str_eq(out, want);
    free(out);
    free(want);
    json_decref(tree);
    /* Not UTF-8: written cleaned, still JSON. */
    free(r.message);
    r.message = strdup("bad \xff byte");
    out = dg_review_encode("admission.k8s.io/v1", "u", &r);
    tree = dg_test_json(out);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_object_get(tree, "response"), "status"), "message")),
                     "bad ? byte");
    json_decref(tree);
    free(out);
    dg_response_free(&r);
}
END_TEST

static int valid_utf8(const char *s)
{
    json_t *j = json_string(s); /* jansson validates UTF-8 */
    int ok = j != NULL;

    json_decref(j);
    return ok;
}

START_TEST(test_warn_limits)
{
    dg_response_t r;
    char long_ascii[301], long_utf8[301];

    memset(long_ascii, 'a', 300);
    long_ascii[300] = '\0';
    /* 100 x "é" (2 bytes): a cut at byte 117 would split a character. */
    for (int k = 0; k < 150; k++)
        memcpy(long_utf8 + 2 * k, "\xc3\xa9", 2);
    long_utf8[300] = '\0';
    dg_response_init(&r);
    ck_assert_int_eq(dg_response_warn(&r, "%s", long_ascii), 0);
    ck_assert_uint_eq(strlen(r.warnings[0]), 120);
    ck_assert_str_eq(r.warnings[0] + 117, "...");
    ck_assert_int_eq(dg_response_warn(&r, "%s", long_utf8), 0);
    ck_assert_uint_le(strlen(r.warnings[1]), 120);
    ck_assert_uint_eq(strlen(r.warnings[1]), 116 + 3);
    ck_assert(valid_utf8(r.warnings[1]));
    ck_assert_int_eq(dg_response_warn(&r, "exactly\tfits\n"), 0);
    ck_assert_str_eq(r.warnings[2], "exactly fits ");
    ck_assert_int_eq(dg_response_warn(&r, "bad byte \xff here"), 0);
    ck_assert_str_eq(r.warnings[3], "bad byte ? here");
    for (int k = 0; k < 20; k++)
        ck_assert_int_eq(dg_response_warn(&r, "more %d", k), 0);
    ck_assert_uint_eq(r.nwarnings, 16);
    ck_assert_str_eq(r.warnings[15], "more 11");
    dg_response_free(&r);
}
END_TEST

/* Most texts are literals and "%s", appended without printf: they must
 * read as printf makes them, whatever the format. */
START_TEST(test_response_formats)
{
    char big[1101];
    dg_response_t r;

    dg_response_init(&r);
    ck_assert_int_eq(dg_response_annotate(&r, "a", "plain"), 0);
    ck_assert_int_eq(dg_response_annotate(&r, "b", "%s/%s: %s", "ns", "", "x"), 0);
    ck_assert_int_eq(dg_response_annotate(&r, "c", "100%% of %s", "it"), 0);
    ck_assert_int_eq(dg_response_annotate(&r, "d", "rev %ld of %.2s", 42L, "abc"), 0);
    ck_assert_int_eq(dg_response_annotate(&r, "f", "%s%s", "", ""), 0);
    ck_assert_str_eq(r.annotations[0].value, "plain");
    ck_assert_str_eq(r.annotations[1].value, "ns/: x");
    ck_assert_str_eq(r.annotations[2].value, "100% of it");
    ck_assert_str_eq(r.annotations[3].value, "rev 42 of ab");
    ck_assert_str_eq(r.annotations[4].value, "");
    /* Past 1024 bytes, cut with "...", as the one %s or split in two. */
    memset(big, 'x', 1100);
    big[1100] = '\0';
    ck_assert_int_eq(dg_response_annotate(&r, "g", "%s", big), 0);
    ck_assert_int_eq(dg_response_annotate(&r, "h", "%s%s", big + 100, big + 100), 0);
    ck_assert_uint_eq(strlen(r.annotations[5].value), 1024);
    ck_assert_str_eq(r.annotations[5].value + 1021, "...");
    ck_assert_str_eq(r.annotations[6].value, r.annotations[5].value);
    dg_response_free(&r);
}
END_TEST

static const struct {
    const char *key;
    int ok;
} keys[] = {
    {"decision", 1},      {"break-glass-user", 1}, {"a", 1},   {"a.b_c-D9", 1},
    {"9lives", 1},        {"", 0},                 {"-a", 0},  {"a-", 0},
    {"a_", 0},            {".a", 0},               {"a/b", 0}, {"driftgate.io/decision", 0},
    {"a b", 0},           {"é", 0},
    {"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc", 1},
    {"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcd", 0},
};

START_TEST(test_annotation_keys)
{
    dg_response_t r;
    int rc;

    dg_response_init(&r);
    rc = dg_response_annotate(&r, keys[_i].key, "v");
    ck_assert_msg(rc == (keys[_i].ok ? 0 : DG_EINVAL), "key '%s': %d", keys[_i].key, rc);
    ck_assert_uint_eq(r.nannotations, keys[_i].ok ? 1 : 0);
    dg_response_free(&r);
}
END_TEST

START_TEST(test_annotation_values)
{
    dg_response_t r;
    char big[2001];

    memset(big, 'x', 2000);
    big[2000] = '\0';
    dg_response_init(&r);
    ck_assert_int_eq(dg_response_annotate(&r, "variances", "%s", big), 0);
    ck_assert_uint_eq(strlen(r.annotations[0].value), 1024);
    ck_assert_str_eq(r.annotations[0].value + 1021, "...");
    ck_assert_int_eq(dg_response_annotate(&r, "decision", "allow"), 0);
    ck_assert_int_eq(dg_response_annotate(&r, "variances", "short"), 0); /* replaces */
    ck_assert_uint_eq(r.nannotations, 2);
    ck_assert_str_eq(r.annotations[0].key, "variances");
    ck_assert_str_eq(r.annotations[0].value, "short");
    ck_assert_str_eq(r.annotations[1].value, "allow");
    dg_response_free(&r);
}
END_TEST


/* ---- cleaning, against the way it always was ----------------------------- */

/* The cleaning of warnings and annotations as review.c first wrote it, a
 * character at a time over the whole formatted text: the reference. */
static size_t ref_seq(const unsigned char *s, size_t avail)
{
    size_t n;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static size_t ref_clean(char *s, size_t len, size_t max)
{
    unsigned char *p = (unsigned char *)s;
    size_t i = 0, cut = 0;

    while (i < len) {
        size_t n = ref_seq(p + i, len - i);
        size_t w = n ? n : 1;

        if (i + w > max) {
            memcpy(s + cut, "...", 3);
            i = cut + 3;
            break;
        }
        if (n == 0)
            p[i] = '?';
        else if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))
            p[i] = ' ';
        i += w;
        if (i + 3 <= max)
            cut = i;
    }
    s[i] = '\0';
    return i;
}

/* What texts are made of: plain runs, controls, DEL, quotes, characters
 * of 2 to 4 bytes, and bytes that are not UTF-8 (stray continuations,
 * overlong forms, surrogates, cut sequences). */
static const char *const bits[] = {
    "abcdefgh", "x", "\"", "\\", "\t", "\n", "\x01", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
    "\xf0\x9f\x98\x80", "\xff", "\x80", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80",
};

static size_t random_text(char *s, size_t want)
{
    size_t len = 0;

    while (len < want) {
        const char *b = rand() % 3 ? "abcdefgh" : bits[rand() % (int)(sizeof bits / sizeof bits[0])];

        memcpy(s + len, b, strlen(b));
        len += strlen(b);
    }
    s[len] = '\0';
    return len;
}

/* Warnings (120 bytes) and annotations (1024), of one "%s", of literal
 * text around two, and with a NULL argument (nothing), at every length
 * around the limits and past them: as the reference cleans the whole
 * text. The answer writes each as JSON that jansson reads back to it. */
START_TEST(test_clean_as_always)
{
    static char text[4200], other[4200], want[8500];
    const char *volatile none = NULL; /* a NULL argument adds nothing */
    dg_response_t r;

    srand(14);
    for (int k = 0; k < 4000; k++) {
        size_t len = random_text(text, k < 1400 ? (size_t)k : (size_t)(rand() % 4000));
        size_t olen = random_text(other, (size_t)(rand() % 200));
        const char *v;
        char *out;
        json_t *tree;

        dg_response_init(&r);
        ck_assert_int_eq(dg_response_warn(&r, "%s", text), 0);
        ck_assert_int_eq(dg_response_annotate(&r, "a", "%s", text), 0);
        ck_assert_int_eq(dg_response_annotate(&r, "b", "<%s|%s>%s", other, text, none), 0);
        ck_assert_int_eq(dg_response_warn_str(&r, text), 0);
        ck_assert_int_eq(dg_response_annotate_str(&r, "c", text), 0);
        memcpy(want, text, len + 1);
        ref_clean(want, len, 120);
        ck_assert_str_eq(r.warnings[0], want);
        ck_assert_str_eq(r.warnings[1], want);
        memcpy(want, text, len + 1);
        ref_clean(want, len, 1024);
        ck_assert_str_eq(r.annotations[0].value, want);
        ck_assert_str_eq(r.annotations[2].value, want);
        for (size_t i = 0; i < r.nannotations; i++) {
            const dg_annotation_t *a = &r.annotations[i];

            ck_assert_uint_eq(a->key_len, strlen(a->key));
            ck_assert_uint_eq(a->value_len, strlen(a->value));
            ck_assert(!a->value_plain || dg_jwrite_plain(a->value, a->value_len) == a->value_len);
        }
        snprintf(want, sizeof want, "<%s|%s>", other, text);
        ref_clean(want, olen + len + 3, 1024);
        ck_assert_str_eq(r.annotations[1].value, want);
        out = dg_review_encode("admission.k8s.io/v1", "u", &r);
        tree = dg_test_json(out);
        v = json_string_value(json_array_get(
            json_object_get(json_object_get(tree, "response"), "warnings"), 0));
        ck_assert_str_eq(v, r.warnings[0]);
        /* Each annotation, plain or not, written as jansson writes it. */
        for (size_t i = 0; i < r.nannotations; i++) {
            json_t *one = json_pack("{s:s}", r.annotations[i].key, r.annotations[i].value);
            char *dump = json_dumps(one, JSON_COMPACT);

            dump[strlen(dump) - 1] = '\0'; /* "key":"value" */
            ck_assert_msg(strstr(out, dump + 1) != NULL, "%s not in %s", dump + 1, out);
            free(dump);
            json_decref(one);
        }
        json_decref(tree);
        free(out);
        dg_response_free(&r);
    }
}
END_TEST

/* A response's texts are kept in blocks of its own: many of them, large
 * and small, replaced and dropped, all read back as written. */
START_TEST(test_response_pool)
{
    char big[3001], want[64];
    dg_response_t r;

    memset(big, 'b', 3000);
    big[3000] = '\0';
    dg_response_init(&r);
    for (int k = 0; k < 40; k++) {
        char key[16];

        snprintf(key, sizeof key, "k%d", k);
        ck_assert_int_eq(dg_response_annotate(&r, key, "value %d", k), 0);
        ck_assert_int_eq(dg_response_annotate(&r, "big", "%s", big), 0); /* replaced each time */
        ck_assert_int_eq(dg_response_warn(&r, "w%s", k % 2 ? big : "x"), 0);
    }
    ck_assert_uint_eq(r.nannotations, 41);
    ck_assert_uint_eq(r.nwarnings, 16);
    for (int k = 0; k < 40; k++) {
        snprintf(want, sizeof want, "value %d", k);
        ck_assert_str_eq(r.annotations[k < 1 ? 0 : k + 1].value, want);
    }
    ck_assert_str_eq(r.annotations[1].key, "big");
    ck_assert_uint_eq(strlen(r.annotations[1].value), 1024);
    ck_assert_str_eq(r.warnings[0], "wx");
    ck_assert_uint_eq(strlen(r.warnings[1]), 120);
    dg_response_free(&r);
    ck_assert_ptr_null(r.pool);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/review");
    TCase *tc = tcase_create("review");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_shared_file, 0, NSHARED);
    tcase_add_test(tc, test_shared_all_listed);
    tcase_add_test(tc, test_ndjson);
    tcase_add_loop_test(tc, test_bad, 0, NBAD);
    tcase_add_test(tc, test_oversize);
    tcase_add_test(tc, test_fields);
    tcase_add_test(tc, test_encode_order);
    tcase_add_test(tc, test_encode_matches_jansson);
    tcase_add_test(tc, test_clean_as_always);
    tcase_add_test(tc, test_response_pool);
    tcase_add_loop_test(tc, test_encode, 0, sizeof enc / sizeof enc[0]);
    tcase_add_test(tc, test_warn_limits);
    tcase_add_test(tc, test_response_formats);
    tcase_add_loop_test(tc, test_annotation_keys, 0, sizeof keys / sizeof keys[0]);
    tcase_add_test(tc, test_annotation_values);
    suite_add_tcase(s, tc);
    return dg_test_run(s);
}
