/* tests/unit/policy/test_decide.c: the gate's decision, one fixture
 * directory per branch (tests/fixtures/decide/<case>/): review.json,
 * baseline.yaml, and optionally policy.yaml, pending.yaml (a pending Helm
 * revision in the store), refresh.yaml (what re-reading the release from
 * the API returns), hpas.yaml (the live cluster's HPAs), env.json;
 * expect.json says what the answer must be.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "decide.h"
#include "manifest.h"
#include "report.h"
#include "support.h"

static char **cases;
static size_t ncases;
static const char *dir;

static char *case_file(const char *c, const char *name, size_t *len)
{
    char path[1024];
    struct stat st;

    snprintf(path, sizeof path, "%s/%s/%s", dir, c, name);
    return stat(path, &st) == 0 ? dg_test_read(path, len) : NULL;
}

static dg_objset_t *load_set(const char *c, const char *name, const char *ns,
                             dg_manifest_info_t *info)
{
    size_t len;
    char *text = case_file(c, name, &len);
    dg_manifest_opts_t opts = {.name = name, .default_ns = ns};
    dg_objset_t *set;
    dg_err_t err = {0};

    if (text == NULL)
        return NULL;
    set = dg_objset_new();
    ck_assert_msg(dg_manifest_load(text, len, &opts, set, info, &err) == 0, "%s/%s: %s", c, name,
                  err.msg);
    free(text);
    return set;
}

/* The re-read of step 7: what refresh.yaml says is pending, or nothing newer. */
typedef struct refresher {
    const char *c, *ns;
    int calls;
} refresher_t;

/* As on driftgate's polling thread: the re-read would wait, so it answers
 * DG_EWAIT, which dg_decide must hand back instead of deciding. */
static bool polling;

/* Read as the server reads it: object and oldObject only as far as the
 * policy's decision reads them (dg_policy_want()). */
static bool pruned;

static int refresh(void *ctx, const char *release, const char *ns, long timeout_ms,
                   dg_release_t **fresh, dg_err_t *err)
{
    refresher_t *r = ctx;
    dg_objset_t *pending;

    (void)timeout_ms, (void)err;
    r->calls++;
    *fresh = NULL;
    if (polling)
        return DG_EWAIT;
    pending = load_set(r->c, "refresh.yaml", r->ns, NULL);
    if (pending == NULL)
        return 0;
    *fresh = dg_release_new(release, ns);
    dg_objset_free(&(*fresh)->objs);
    (*fresh)->objs = load_set(r->c, "baseline.yaml", r->ns, NULL);
    (*fresh)->pending = pending;
    (*fresh)->pending_status = strdup("pending-upgrade");
    (*fresh)->pending_revision = 4;
    return 0;
}

static dg_baselines_t *baselines(const char *c, const char *ns)
{
    dg_manifest_info_t info = {0};
    dg_objset_t *objs = load_set(c, "baseline.yaml", ns, &info);
    dg_release_t *rel = dg_release_new(info.release ? info.release : "test-nginx",
                                       info.ns ? info.ns : ns);
    dg_baselines_t *b = dg_baselines_new();

    dg_objset_free(&rel->objs);
    rel->objs = objs;
    rel->origin = info.release ? DG_RELSRC_PUBLISHED : DG_RELSRC_HELM;
    ck_assert_int_ge(dg_release_confine(rel), 0); /* as every source does */
    rel->pending = load_set(c, "pending.yaml", ns, NULL);
    if (rel->pending) {
        rel->pending_status = strdup("pending-upgrade");
        rel->pending_revision = 4;
    }
    ck_assert_int_eq(dg_baselines_add(b, rel, NULL), 0);
    dg_manifest_info_free(&info);
    return b;
}

static dg_policy_t *policy(const char *c)
{
    size_t len;
    char *text = case_file(c, "policy.yaml", &len);
    dg_err_t err = {0};
    dg_policy_t *p = text ? dg_policy_parse(text, len, "policy.yaml", &err) : dg_policy_default(&err);

    ck_assert_msg(p != NULL, "%s: %s", c, err.msg);
    free(text);
    return p;
}

static json_t *expectations(const char *c, const char *name)
{
    size_t len;
    char *text = case_file(c, name, &len);
    json_t *j = text ? dg_test_json(text) : json_object();

    free(text);
    return j;
}

/* ---- checks every answer must pass ---------------------------------------------- */

static bool valid_key(const char *k)
{
    size_t n = strlen(k);

    if (n == 0 || n > 63 || k[0] == '-' || k[n - 1] == '-')
        return false;
    return strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static char *judge(const char *c, const char *review_text, size_t len, bool flip_dry_run,
                   dg_decision_t *d, int *refresh_calls)
{
    json_t *env_j = expectations(c, "env.json"), *doc = dg_test_json(review_text);
    refresher_t r = {c, NULL, 0};
    dg_refresh_ops_t ops = {refresh, &r};
    dg_decide_env_t env = {
        .now = json_integer_value(json_object_get(env_j, "now"))
                   ? json_integer_value(json_object_get(env_j, "now"))
                   : 1764000000,
        .synced = !json_is_false(json_object_get(env_j, "synced")),
        .fail_open = json_is_true(json_object_get(env_j, "fail_open")),
        .refresh = &ops,
    };
    json_t *req = json_object_get(doc, "request");
    dg_objset_t *hpas;
    char *text, *out;
    dg_review_t *rv;
    dg_baselines_t *b;
    dg_policy_t *p = policy(c);
    dg_err_t err = {0};
    dg_arena_t arena;
    dg_buf_t rec;
    int rc;

    if (flip_dry_run)
        json_object_set_new(req, "dryRun", json_boolean(!json_is_true(json_object_get(req, "dryRun"))));
    text = json_dumps(doc, JSON_COMPACT);
    dg_arena_init(&arena, 4096);
    rv = pruned ? dg_review_parse_in(&arena, text, strlen(text), "review.json", 0,
                                     dg_policy_want(p), &err)
                : dg_review_parse(text, strlen(text), "review.json", 0, &err);
    ck_assert_msg(rv != NULL, "%s: %s", c, err.msg);
    r.ns = rv->ns;
    b = baselines(c, rv->ns);
    env.hpas = hpas = load_set(c, "hpas.yaml", rv->ns, NULL);
    rc = dg_decide(rv, b, p, &env, d, &err);
    ck_assert_msg(rc == (polling && r.calls ? DG_EWAIT : 0), "%s: dg_decide returned %d", c, rc);
    out = dg_review_encode(rv->api_version, rv->uid, &d->response);
    /* The decision record, as the server logs and keeps it, after the answer. */
    dg_buf_init(&rec, 0);
    ck_assert_int_eq(dg_report_decision_record(&rec, d, rv), 0);
    ck_assert_int_eq(dg_buf_cat(&rec, "\n", out), 0);
    free(out);
    out = dg_buf_take(&rec);
    *refresh_calls = r.calls;
    dg_baselines_free(&b);
    dg_objset_free(&hpas);
    dg_policy_free(&p);
    dg_review_free(&rv);
    dg_arena_free(&arena);
    free(text);
    json_decref(doc);
    json_decref(env_j);
    (void)len;
    return out;
}

static void check_wire(const char *c, const char *wire, const char *review_text)
{
    json_t *w = dg_test_json(wire), *rq = dg_test_json(review_text);
    json_t *resp = json_object_get(w, "response"), *v;
    const char *api = json_string_value(json_object_get(rq, "apiVersion"));
    const char *k;
    size_t i;

    ck_assert_str_eq(json_string_value(json_object_get(w, "kind")), "AdmissionReview");
    ck_assert_str_eq(json_string_value(json_object_get(w, "apiVersion")), api ? api : "admission.k8s.io/v1");
    ck_assert_str_eq(json_string_value(json_object_get(resp, "uid")),
                     json_string_value(json_object_get(json_object_get(rq, "request"), "uid")));
    json_array_foreach(json_object_get(resp, "warnings"), i, v)
        ck_assert_msg(json_string_length(v) <= 120, "%s: warning over 120 chars", c);
    json_object_foreach(json_object_get(resp, "auditAnnotations"), k, v)
        ck_assert_msg(valid_key(k), "%s: annotation key '%s' is not a valid name", c, k);
    json_decref(w);
    json_decref(rq);
}

/* ---- expectations --------------------------------------------------------------- */

static bool any_contains(const dg_response_t *r, const char *s)
{
    for (size_t i = 0; i < r->nwarnings; i++)
        if (strstr(r->warnings[i], s))
            return true;
    return false;
}

static const char *annotation(const dg_response_t *r, const char *k)
{
    for (size_t i = 0; i < r->nannotations; i++)
        if (strcmp(r->annotations[i].key, k) == 0)
            return r->annotations[i].value;
    return NULL;
}

static void check_counts(const char *c, const json_t *e, const dg_decision_t *d, int calls)
{
    static const char *const names[] = {"introduced", "preexisting", "reconciled"};
    const dg_variances_t *v[] = {&d->introduced, &d->preexisting, &d->reconciled};
    json_t *x;

    for (int i = 0; i < 3; i++)
        if ((x = json_object_get(e, names[i])))
            ck_assert_msg((size_t)json_integer_value(x) == v[i]->n, "%s: %s %zu", c, names[i], v[i]->n);
    if ((x = json_object_get(e, "nwarnings")))
        ck_assert_msg((size_t)json_integer_value(x) == d->response.nwarnings, "%s: %zu warnings", c,
                      d->response.nwarnings);
    if ((x = json_object_get(e, "nannotations")))
        ck_assert_uint_eq((size_t)json_integer_value(x), d->response.nannotations);
    if ((x = json_object_get(e, "refresh_calls")))
        ck_assert_msg(json_integer_value(x) == calls, "%s: refresh called %d times", c, calls);
}

static void check(const char *c, const json_t *e, const dg_decision_t *d, int calls)
{
    const dg_response_t *r = &d->response;
    json_t *x;
    const char *k;
    size_t i;

    ck_assert_msg(strcmp(dg_verdict_name(d->verdict), json_string_value(json_object_get(e, "verdict"))) == 0,
                  "%s: verdict %s (%s)", c, dg_verdict_name(d->verdict), r->message ? r->message : "");
    ck_assert_msg(r->allowed == json_is_true(json_object_get(e, "allowed")), "%s: allowed", c);
    if ((x = json_object_get(e, "code")))
        ck_assert_int_eq(r->code, json_integer_value(x));
    json_array_foreach(json_object_get(e, "message_contains"), i, x)
        ck_assert_msg(r->message && strstr(r->message, json_string_value(x)), "%s: message '%s' lacks '%s'",
                      c, r->message ? r->message : "", json_string_value(x));
    json_array_foreach(json_object_get(e, "warnings_contains"), i, x)
        ck_assert_msg(any_contains(r, json_string_value(x)), "%s: no warning with '%s'", c,
                      json_string_value(x));
    json_object_foreach(json_object_get(e, "annotations"), k, x) {
        const char *got = annotation(r, k);

        ck_assert_msg(got && strcmp(got, json_string_value(x)) == 0, "%s: annotation %s = '%s'", c, k,
                      got ? got : "(absent)");
    }
    json_object_foreach(json_object_get(e, "annotation_contains"), k, x) {
        const char *got = annotation(r, k);

        ck_assert_msg(got && strstr(got, json_string_value(x)), "%s: annotation %s = '%s'", c, k,
                      got ? got : "(absent)");
    }
    check_counts(c, e, d, calls);
}

/* judge()'s answer, after its decision record. */
static const char *answer(const char *judged)
{
    return strchr(judged, '\n') + 1;
}

START_TEST(test_case)
{
    const char *c = cases[_i];
    size_t len;
    char *review = case_file(c, "review.json", &len), *wire, *flipped;
    json_t *e = expectations(c, "expect.json");
    dg_decision_t d, d2;
    int calls, calls2;

    ck_assert_msg(review != NULL, "%s: no review.json", c);
    dg_decision_init(&d);
    wire = judge(c, review, len, false, &d, &calls);
    check_wire(c, answer(wire), review);
    check(c, e, &d, calls);
    /* Step 9: a dry run gets the very same answer. */
    dg_decision_init(&d2);
    flipped = judge(c, review, len, true, &d2, &calls2);
    ck_assert_msg(strcmp(answer(wire), answer(flipped)) == 0,
                  "%s: dryRun changed the answer:\n%s\n%s", c, wire, flipped);
    dg_decision_free(&d2);
    free(flipped);
    /* On a polling thread: the same answer when no re-read is needed, else DG_EWAIT (asserted in judge). */
    polling = true;
    dg_decision_init(&d2);
    flipped = judge(c, review, len, false, &d2, &calls2);
    polling = false;
    ck_assert_int_eq(calls2, calls);
    ck_assert_msg(calls || strcmp(answer(wire), answer(flipped)) == 0,
                  "%s: polling changed the answer", c);
    dg_decision_free(&d2);
    free(flipped);
    /* Read as the server reads it, only what the decision needs of the
     * objects: the very same answer and record, byte for byte. */
    pruned = true;
    dg_decision_init(&d2);
    flipped = judge(c, review, len, false, &d2, &calls2);
    pruned = false;
    ck_assert_msg(strcmp(wire, flipped) == 0, "%s: the pruned read changed the decision:\n%s\n%s",
                  c, wire, flipped);
    dg_decision_free(&d);
    dg_decision_free(&d2);
    free(wire);
    free(flipped);
    free(review);
    json_decref(e);
}
END_TEST

/* ---- the shared real reviews, read pruned and whole ------------------------------ */

/* Every number one more, every string one longer, but not the identity:
 * a render that differs from the object in every governed value. */
static void shift(json_t *v, const char *key)
{
    const char *k;
    json_t *x;
    size_t i;

    if (key && (strcmp(key, "name") == 0 || strcmp(key, "namespace") == 0 ||
                strcmp(key, "apiVersion") == 0 || strcmp(key, "kind") == 0))
        return;
    if (json_is_integer(v))
        json_integer_set(v, json_integer_value(v) + 1);
    else if (json_is_string(v) && key)
        json_string_set(v, "shifted");
    json_object_foreach(v, k, x)
        shift(x, k);
    json_array_foreach(v, i, x)
        shift(x, NULL);
}

/* The answer and decision record of @text read as the server reads it
 * (@want) and whole, against a release rendering @base: the same. An
 * object no render could hold (no apiVersion or kind) is passed over. */
static void same_pruned(const char *where, const char *text, size_t len, const json_t *base,
                        const dg_policy_t *pol)
{
    dg_decide_env_t env = {.now = 1764000000, .synced = true};
    dg_manifest_opts_t mo = {.name = where};
    char *out[2], *yaml = json_dumps(base, JSON_COMPACT);
    dg_arena_t arena;

    dg_arena_init(&arena, 4096);
    for (int pruned_read = 0; pruned_read < 2; pruned_read++) {
        dg_err_t err = {0};
        dg_review_t *rv = pruned_read ? dg_review_parse_in(&arena, text, len, where, 0,
                                                           dg_policy_want(pol), &err)
                                      : dg_review_parse(text, len, where, 0, &err);
        dg_release_t *rel = dg_release_new("rel", rv ? rv->ns : "");
        dg_baselines_t *b = dg_baselines_new();
        dg_decision_t d;
        dg_buf_t rec;

        ck_assert_msg(rv != NULL, "%s: %s", where, err.msg);
        mo.default_ns = rv->ns;
        if (dg_manifest_load(yaml, strlen(yaml), &mo, rel->objs, NULL, &err) != 0 ||
            dg_objset_count(rel->objs) != 1) {
            ck_assert_int_eq(pruned_read, 0);
            out[1] = out[0] = NULL;
            dg_release_free(&rel);
            dg_baselines_free(&b);
            dg_review_free(&rv);
            break;
        }
        ck_assert_int_eq(dg_baselines_add(b, rel, &err), 0);
        dg_decision_init(&d);
        dg_buf_init(&rec, 0);
        ck_assert_int_eq(dg_decide(rv, b, pol, &env, &d, &err), 0);
        out[pruned_read] = dg_review_encode(rv->api_version, rv->uid, &d.response);
        ck_assert_int_eq(dg_report_decision_record(&rec, &d, rv), 0);
        ck_assert_int_eq(dg_buf_cat(&rec, "\n", out[pruned_read]), 0);
        free(out[pruned_read]);
        out[pruned_read] = dg_buf_take(&rec);
        dg_decision_free(&d);
        dg_baselines_free(&b);
        dg_review_free(&rv);
        dg_arena_reset(&arena);
    }
    ck_assert_msg(out[0] == NULL || strcmp(out[0], out[1]) == 0,
                  "%s: pruned read judged otherwise:\n%s\n%s", where, out[0], out[1]);
    free(out[0]);
    free(out[1]);
    free(yaml);
    dg_arena_free(&arena);
}

/* A policy that governs what the real reviews hold, beside the default. */
static const char wide_policy[] =
    "apiVersion: driftgate.io/v1alpha1\nkind: DriftPolicy\nmetadata: {name: wide}\nspec:\n"
    "  rules:\n  - name: wide\n    action: deny\n"
    "    kinds: [Pod, Service, apps/Deployment, apps/ReplicaSet, Endpoints]\n"
    "    paths: [spec.containers, \"spec.template.spec.containers[*].image\", spec.selector,\n"
    "            \"spec.template.spec.containers[name=nginx].ports\", spec.replicas, spec.type,\n"
    "            \"metadata.labels['app']\", spec.strategy.type, subsets, \"spec.ports[*].port\"]\n";

/* One review, as each object it carries and as that object shifted, under
 * both policies. */
static void judge_shared(const char *where, const char *text, size_t len)
{
    json_t *doc = dg_test_json(text), *req = json_object_get(doc, "request");
    const char *sides[] = {"object", "oldObject"};
    dg_policy_t *pols[2] = {dg_policy_default(NULL), NULL};
    dg_err_t err = {0};

    pols[1] = dg_policy_parse(wide_policy, sizeof wide_policy - 1, "wide", &err);
    ck_assert_msg(pols[1] != NULL, "%s", err.msg);
    for (int side = 0; side < 2; side++) {
        json_t *o = json_object_get(req, sides[side]), *shifted;

        if (!json_is_object(o))
            continue;
        shifted = json_deep_copy(o);
        shift(shifted, NULL);
        for (int p = 0; p < 2; p++) {
            same_pruned(where, text, len, o, pols[p]);
            same_pruned(where, text, len, shifted, pols[p]);
        }
        json_decref(shifted);
    }
    dg_policy_free(&pols[0]);
    dg_policy_free(&pols[1]);
    json_decref(doc);
}

/* Every real review that parses, each line of the captured log too. */
START_TEST(test_shared_pruned)
{
    const char *sd = dg_test_shared_reviews();
    char **files;
    size_t nfiles, judged = 0;

    files = dg_test_files(sd, &nfiles);
    for (size_t i = 0; i < nfiles; i++) {
        char path[4096], *data, *p, *end;
        size_t len;
        dg_err_t err = {0};
        dg_review_t *rv;

        snprintf(path, sizeof path, "%s/%s", sd, files[i]);
        if ((strstr(files[i], ".json") == NULL && strstr(files[i], ".ndjson") == NULL) ||
            (data = dg_test_read(path, &len)) == NULL)
            continue;
        for (p = data, end = data + len; p < end;) {
            char *nl = strstr(files[i], ".ndjson") ? memchr(p, '\n', (size_t)(end - p)) : NULL;
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

            if ((rv = dg_review_parse(p, n, files[i], 0, &err)) != NULL) {
                char *line = strndup(p, n);

                dg_review_free(&rv);
                judge_shared(files[i], line, n);
                free(line);
                judged++;
            }
            p += n + 1;
        }
        free(data);
    }
    ck_assert_uint_ge(judged, 70);
    dg_test_names_free(files);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy/decide");
    TCase *tc = tcase_create("fixtures");
    int rc;

    dir = dg_test_path("tests/fixtures/decide");
    dir = strdup(dir);
    cases = dg_test_subdirs(dir, &ncases);
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_case, 0, (int)ncases);
    tcase_add_test(tc, test_shared_pruned);
    suite_add_tcase(s, tc);
    rc = ncases > 20 ? dg_test_run(s) : (fprintf(stderr, "too few decision cases in %s\n", dir), 1);
    dg_test_names_free(cases);
    free((char *)dir);
    return rc;
}
