/* cli/ctl_simulate.c: `driftctl simulate`: the gate's answer to a change,
 * offline. The review goes through the same codec and the same dg_decide()
 * as driftgate's /validate ("simulation is enforcement").
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "decide.h"
#include "path.h"
#include "report.h"
#include "review.h"
#include "simulate.h"

enum { O_REVIEW = 256, O_BASELINE, O_LIVE, O_POLICY, O_RELEASE, O_NS, O_TARGET, O_PATCH, O_TYPE,
       O_OBJECT, O_SET, O_FROM, O_SUB, O_AS, O_GROUP, O_DRY, O_OUTPUT, O_MAX };

static const ctl_opt_t opts[] = {
    {"review", 0, "FILE", O_REVIEW, "an AdmissionReview (admission.k8s.io/v1 or v1beta1);\n"
                                    "'-' = stdin"},
    {"baseline", 0, "FILE", O_BASELINE, "the release baseline (render or baseline ConfigMap);\n"
                                        "'-' = stdin"},
    {"live", 0, "FILE", O_LIVE, "live evidence: the object before the change; '-' = stdin"},
    {"policy", 0, "FILE", O_POLICY, "DriftPolicy (default: the built-in policy); '-' = stdin"},
    {"release", 0, "NAME", O_RELEASE, "the release a plain render belongs to (default: the\n"
                                      "objects' own release label, else \"baseline\")"},
    {"namespace", 'n', "NS", O_NS, "the release namespace"},
    {"target", 0, "KIND/NAME", O_TARGET, "the object to change, e.g. hpa/test-nginx"},
    {"patch", 0, "JSON", O_PATCH, "the change, as kubectl patch takes it"},
    {"type", 0, "merge|json", O_TYPE, "the patch type; merge (default) or json (RFC 6902)"},
    {"object", 0, "FILE", O_OBJECT, "the complete proposed object instead of a patch;\n"
                                    "'-' = stdin"},
    {"set", 0, "PATH=VALUE", O_SET, "the change as a governed path and a value, e.g.\n"
                                    "spec.minReplicas=4 (VALUE is JSON, else a string);\n"
                                    "repeatable"},
    {"from", 0, "live|baseline", O_FROM, "the object changed; live (default): live's (the\n"
                                          "baseline's when --live has none), replaying a change\n"
                                          "live already holds on the baseline's; baseline: the\n"
                                          "baseline's (the web console's \"Starting from\")"},
    {"subresource", 0, "scale", O_SUB, "judge the change through this subresource"},
    {"as", 0, "USER", O_AS, "requester (default \"driftctl-simulate\")"},
    {"as-group", 0, "GROUP", O_GROUP, "requester's group; repeatable"},
    {"dry-run", 0, NULL, O_DRY, "mark the request dryRun (the answer is the same)"},
    {"output", 'o', "response|table|json", O_OUTPUT,
     "the format; response: the AdmissionReview (default\n"
     "with --review); table: default with --target"},
    {"max-bytes", 0, "N", O_MAX, "refuse inputs larger than N bytes (default 64Mi)"},
    {NULL, 0, NULL, 0, NULL},
};

const ctl_cmd_t ctl_simulate_cmd = {
    "simulate",
    "Usage:\n"
    "  driftctl simulate --review FILE --baseline FILE [flags]\n"
    "  driftctl simulate --baseline FILE [--live FILE] --target KIND/NAME -n NS\n"
    "                    (--patch JSON [--type merge|json] | --object FILE |\n"
    "                     --set PATH=VALUE...) [--from live|baseline] [flags]\n"
    "\n"
    "Ask what driftgate answers, before anyone applies the change. The first form\n"
    "judges a recorded AdmissionReview and prints the response exactly as the\n"
    "webhook sends it; the second builds the UPDATE from a proposed change to the\n"
    "live object (from --live, else the baseline's; --from baseline: the\n"
    "baseline's). A change live already holds (the out-of-band change itself) is\n"
    "replayed: judged as made to the baseline's object. The consoles' simulators\n"
    "build the same request with the same code.\n",
    opts,
    "Exit status: 0 allowed, 2 denied, 1 error.\n",
};

#define MAX_GROUPS 32
#define MAX_SETS 32

typedef struct sim_opts {
    const char *review, *baseline, *live, *policy, *release, *ns, *target, *patch, *type,
        *object, *subresource, *user, *output;
    const char *groups[MAX_GROUPS];
    size_t ngroups;
    const char *sets[MAX_SETS]; /* "PATH=VALUE" */
    size_t nsets;
    bool dry_run;
    dg_sim_from_t from;
    size_t max_bytes;
} sim_opts_t;

/* The '=' that ends PATH in "PATH=VALUE": the first outside [k=v] keys. */
static const char *set_eq(const char *spec)
{
    int depth = 0;

    for (const char *c = spec; *c; c++) {
        if (*c == '[')
            depth++;
        else if (*c == ']' && depth > 0)
            depth--;
        else if (*c == '=' && depth == 0)
            return c;
    }
    return NULL;
}

static int check_opts(const sim_opts_t *o)
{
    if (o->baseline == NULL)
        return ctl_usage_error("simulate", "--baseline is required");
    if (o->review && (o->target || o->patch || o->object || o->nsets || o->from))
        return ctl_usage_error("simulate", "--review cannot be combined with --target, --patch, "
                                           "--object, --set or --from");
    if (o->review == NULL && o->target == NULL)
        return ctl_usage_error("simulate", "give --review FILE, or --target KIND/NAME with "
                                           "--patch, --object or --set");
    if (o->target && (o->patch != NULL) + (o->object != NULL) + (o->nsets > 0) != 1)
        return ctl_usage_error("simulate", "--target needs exactly one of --patch, --object and "
                                           "--set");
    if (o->subresource && strcmp(o->subresource, "scale") != 0)
        return ctl_usage_error("simulate", "--subresource: only 'scale' is judged");
    if (ctl_stdio(o->review) + ctl_stdio(o->baseline) + ctl_stdio(o->live) +
            ctl_stdio(o->policy) + ctl_stdio(o->object) > 1)
        return ctl_usage_error("simulate", "only one input can be '-' (stdin)");
    return 0;
}

static int parse_args(int argc, char **argv, sim_opts_t *o)
{
    ctl_args_t a = {argc, argv, 1, NULL};
    dg_err_t err = {0};
    int c;

    while ((c = ctl_opts_next(&ctl_simulate_cmd, &a)) > 0) {
        switch (c) {
        case O_REVIEW: o->review = a.val; break;
        case O_BASELINE: o->baseline = a.val; break;
        case O_LIVE: o->live = a.val; break;
        case O_POLICY: o->policy = a.val; break;
        case O_RELEASE: o->release = a.val; break;
        case O_NS: o->ns = a.val; break;
        case O_TARGET: o->target = a.val; break;
        case O_PATCH: o->patch = a.val; break;
        case O_TYPE: o->type = a.val; break;
        case O_OBJECT: o->object = a.val; break;
        case O_SET:
            if (o->nsets == MAX_SETS)
                return ctl_usage_error("simulate", "at most %d --set", MAX_SETS);
            if (set_eq(a.val) == NULL || a.val[0] == '=')
                return ctl_usage_error("simulate", "--set '%s': expected PATH=VALUE, e.g. "
                                       "spec.minReplicas=4", a.val);
            o->sets[o->nsets++] = a.val;
            break;
        case O_FROM:
            if (strcmp(a.val, "live") != 0 && strcmp(a.val, "baseline") != 0)
                return ctl_usage_error("simulate", "--from '%s': live or baseline", a.val);
            o->from = strcmp(a.val, "baseline") == 0 ? DG_SIM_FROM_BASELINE : DG_SIM_FROM_LIVE;
            break;
        case O_SUB: o->subresource = a.val; break;
        case O_AS: o->user = a.val; break;
        case O_GROUP:
            if (o->ngroups == MAX_GROUPS)
                return ctl_usage_error("simulate", "at most %d --as-group", MAX_GROUPS);
            o->groups[o->ngroups++] = a.val;
            break;
        case O_DRY: o->dry_run = true; break;
        case O_OUTPUT: o->output = a.val; break;
        case O_MAX:
            if (ctl_parse_size(a.val, &o->max_bytes, &err))
                return ctl_usage_error("simulate", "--max-bytes: %s", err.msg);
            break;
        }
    }
    return c < 0 ? c : check_opts(o);
}

/* ---- building the review from a proposed change ------------------------------- */

typedef struct sim {
    const sim_opts_t *o;
    dg_release_t *rel;
    dg_objset_t *live;
    dg_policy_t *pol;
    dg_baselines_t *bases;
    dg_review_t *rv;
} sim_t;

/* The values of --set, each JSON when it reads as JSON (4, true, "4",
 * {"a":1}), else a string, as `helm --set` takes nginx:1.28. */
static int parse_sets(const sim_opts_t *o, dg_sim_set_t *sets, char (*paths)[512],
                      dg_err_t *err)
{
    for (size_t i = 0; i < o->nsets; i++) {
        const char *eq = set_eq(o->sets[i]);

        snprintf(paths[i], sizeof paths[i], "%.*s", (int)(eq - o->sets[i]), o->sets[i]);
        sets[i].path = paths[i];
        sets[i].value = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
        if (sets[i].value == NULL)
            sets[i].value = json_string(eq + 1);
        if (sets[i].value == NULL)
            return dg_err_set(err, DG_EINVAL, "--set '%s': not UTF-8", o->sets[i]);
    }
    return 0;
}

/* --patch and --type: the text, parsed, as kubectl patch takes it. */
static int parse_patch(const sim_opts_t *o, dg_sim_change_t *c, json_t **patch, dg_err_t *err)
{
    const char *type = o->type ? o->type : "merge";
    json_error_t jerr;

    if (strcmp(type, "merge") != 0 && strcmp(type, "json") != 0)
        return dg_err_set(err, DG_EINVAL, "--type: '%s' is not merge or json", type);
    if ((*patch = json_loads(o->patch, JSON_DECODE_ANY, &jerr)) == NULL)
        return dg_err_set(err, DG_EPARSE, "--patch: not JSON: %s at column %d", jerr.text,
                          jerr.column);
    c->patch = *patch;
    c->json_patch = strcmp(type, "json") == 0;
    return 0;
}

/* --object: exactly one object, in the release namespace. */
static int load_object(const sim_t *s, json_t **obj, dg_err_t *err)
{
    dg_objset_t *set = NULL;
    int rc = ctl_load_objects("--object", s->o->object, s->rel->ns, s->o->max_bytes, 0, &set,
                              NULL, err);

    if (rc == 0 && dg_objset_count(set) != 1)
        rc = dg_err_set(err, DG_EINVAL, "%s: --object must hold exactly one object, not %zu",
                        s->o->object, dg_objset_count(set));
    else if (rc == 0)
        *obj = json_incref(dg_objset_at(set, 0)->json);
    dg_objset_free(&set);
    return rc;
}

/* The flags as the one change libdrift simulates (policy/simulate.c), as
 * the consoles ask it too. */
static int review_from_change(sim_t *s, dg_err_t *err)
{
    const sim_opts_t *o = s->o;
    dg_sim_set_t sets[MAX_SETS] = {{0}};
    char paths[MAX_SETS][512];
    dg_sim_change_t c = {.target = o->target, .sets = sets, .nsets = o->nsets,
                         .subresource = o->subresource, .user = o->user, .groups = o->groups,
                         .ngroups = o->ngroups, .dry_run = o->dry_run, .from = o->from};
    dg_sim_result_t res = {0};
    json_t *patch = NULL, *obj = NULL;
    int rc = parse_sets(o, sets, paths, err);

    if (rc == 0 && o->patch)
        rc = parse_patch(o, &c, &patch, err);
    if (rc == 0 && o->object && (rc = load_object(s, &obj, err)) == 0)
        c.object = obj;
    if (rc == 0)
        rc = dg_simulate_review(s->rel, s->live, &c, &res, err);
    if (res.replayed)
        fprintf(stderr, "driftctl simulate: note: %s\n", res.note);
    s->rv = res.rv;
    for (size_t i = 0; i < o->nsets; i++)
        json_decref((json_t *)sets[i].value);
    json_decref(patch);
    json_decref(obj);
    return rc;
}

static int review_from_file(sim_t *s, dg_err_t *err)
{
    char *data;
    size_t len;
    int rc;

    rc = ctl_read("--review", s->o->review, DG_MAX_REVIEW_BYTES, &data, &len, err);
    if (rc)
        return rc;
    s->rv = dg_review_parse(data, len, ctl_stdio(s->o->review) ? "<stdin>" : s->o->review, 0,
                            err);
    rc = s->rv ? 0 : err && err->code ? err->code : DG_EINVAL;
    if (rc && rc != DG_ENOMEM)
        rc = ctl_wrong_input("--review", ctl_stdio(s->o->review) ? "<stdin>" : s->o->review, data,
                             len, CTL_LOOKS_REVIEW, rc, err);
    free(data);
    return rc;
}

/* ---- judging ---------------------------------------------------------------------- */

static int answer(const sim_t *s, const dg_decision_t *d, dg_buf_t *out, dg_err_t *err)
{
    const char *fmt = s->o->output ? s->o->output : s->o->review ? "response" : "table";
    dg_format_t f;
    char *text;
    int rc;

    if (strcmp(fmt, "response") == 0) {
        text = dg_review_encode(s->rv->api_version, s->rv->uid, &d->response);
        rc = text == NULL || dg_buf_printf(out, "%s\n", text)
                 ? dg_err_set(err, DG_ENOMEM, "out of memory") : 0;
        free(text);
        return rc;
    }
    if ((rc = dg_format_parse(fmt, &f, err)) != 0)
        return rc;
    if (f != DG_FMT_TABLE && f != DG_FMT_JSON)
        return dg_err_set(err, DG_EINVAL, "-o %s: simulate prints response, table or json", fmt);
    return dg_report_decision(d, s->rv, f, out, err);
}

/* The review first, when there is one: its namespace is the release's
 * when -n is not given. */
static int load(sim_t *s, dg_err_t *err)
{
    ctl_inputs_t in = {.baseline = s->o->baseline, .release = s->o->release,
                       .live = s->o->live, .ns = s->o->ns,
                       .request_ns = s->rv ? s->rv->ns : NULL, .max = s->o->max_bytes};
    ctl_ns_from_t from;
    int rc;

    if ((rc = ctl_load_policy(s->o->policy, &s->pol, err)) != 0 ||
        (rc = ctl_load_inputs(&in, &s->rel, &s->live, &from, err)) != 0)
        return rc;
    if (s->o->target && from == CTL_NS_DEFAULT)
        return dg_err_set(err, DG_EINVAL, "--target needs -n NAMESPACE: %s names no namespace",
                          s->o->baseline);
    return 0;
}

static int judge(sim_t *s, bool *denied, dg_buf_t *out, dg_err_t *err)
{
    dg_decide_env_t env = {.now = (int64_t)time(NULL), .synced = true};
    dg_decision_t d;
    dg_release_t *rel = s->rel;
    int rc;

    rc = s->o->review ? review_from_file(s, err) : 0;
    if (!rc)
        rc = load(s, err);
    if (!rc && !s->o->review)
        rc = review_from_change(s, err);
    if (rc)
        return rc;
    s->bases = dg_baselines_new();
    if (s->bases == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    rel = s->rel;
    s->rel = NULL; /* owned by the set from here on, even on failure */
    if ((rc = dg_baselines_add(s->bases, rel, err)) != 0)
        return rc;
    dg_decision_init(&d);
    rc = dg_decide(s->rv, s->bases, s->pol, &env, &d, err);
    if (!rc)
        rc = answer(s, &d, out, err);
    *denied = !d.response.allowed;
    dg_decision_free(&d);
    return rc;
}

int ctl_simulate_main(int argc, char **argv)
{
    sim_opts_t o = {0};
    sim_t s = {.o = &o};
    dg_err_t err = {0};
    bool denied = false;
    dg_buf_t out;
    int rc;

    if ((rc = parse_args(argc, argv, &o)) != 0)
        return ctl_parse_status(rc);
    dg_buf_init(&out, 0);
    rc = judge(&s, &denied, &out, &err);
    rc = ctl_finish(rc, &err, &out, denied ? CTL_FOUND : CTL_OK);
    dg_buf_free(&out);
    dg_review_free(&s.rv);
    dg_baselines_free(&s.bases);
    dg_release_free(&s.rel);
    dg_objset_free(&s.live);
    dg_policy_free(&s.pol);
    return rc;
}
