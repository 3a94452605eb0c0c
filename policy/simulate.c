/* policy/simulate.c: a proposed change, turned into the AdmissionReview the
 * API server would send and judged by dg_decide().
 * SPDX-License-Identifier: Apache-2.0 */
#include "simulate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "patch.h"
#include "path.h"
#include "report.h"

/* "hpa/test-nginx" -> its kind and identity in @ns; @kind holds the text. */
static int parse_target(const dg_sim_change_t *c, const char *ns, char kind[128],
                        const dg_kindinfo_t **ki, dg_objid_t *id, dg_err_t *err)
{
    const char *target = c->target, *slash = target ? strchr(target, '/') : NULL;

    if (slash == NULL || slash == target || slash[1] == '\0' || (size_t)(slash - target) >= 128)
        return dg_err_set(err, DG_EINVAL, "target '%s': expected KIND/NAME, e.g. hpa/test-nginx",
                          target ? target : "");
    memcpy(kind, target, (size_t)(slash - target));
    kind[slash - target] = '\0';
    if ((*ki = dg_kind_lookup(kind)) == NULL)
        return dg_err_set(err, DG_EINVAL, "target '%s': unknown kind '%s'", target, kind);
    if (c->subresource && strcmp(c->subresource, "scale") != 0)
        return dg_err_set(err, DG_EINVAL, "subresource '%s': only scale is judged",
                          c->subresource);
    if (c->subresource && strcmp((*ki)->group, "apps") != 0)
        return dg_err_set(err, DG_EINVAL, "subresource scale: %s has no judged scale subresource",
                          (*ki)->kind);
    *id = (dg_objid_t){(*ki)->group, (*ki)->kind, ns, slash + 1};
    return 0;
}

/* The autoscaling/v1 Scale the API server hands a webhook for /scale. */
static json_t *as_scale(const json_t *obj)
{
    json_t *meta = json_object_get(obj, "metadata");
    json_t *replicas = json_object_get(json_object_get(obj, "spec"), "replicas");

    return json_pack("{s:s, s:s, s:{s:O*, s:O*, s:O*, s:O*}, s:{s:O*}}", "apiVersion",
                     "autoscaling/v1", "kind", "Scale", "metadata", "name",
                     json_object_get(meta, "name"), "namespace", json_object_get(meta, "namespace"),
                     "uid", json_object_get(meta, "uid"), "resourceVersion",
                     json_object_get(meta, "resourceVersion"), "spec", "replicas", replicas);
}

/* Each value set at its path; a missing field on the way is made, a [k=v]
 * element must exist (dg_path_set), so a set changes exactly the element
 * the policy names. */
static int apply_sets(const dg_sim_change_t *c, const json_t *old, json_t **out, dg_err_t *err)
{
    dg_path_t *path;
    int rc = 0;

    if ((*out = json_deep_copy(old)) == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    for (size_t i = 0; i < c->nsets && !rc; i++) {
        if (c->sets[i].path == NULL || c->sets[i].value == NULL)
            rc = dg_err_set(err, DG_EINVAL, "a path and a value are both needed");
        else if ((path = dg_path_parse(c->sets[i].path, err)) == NULL)
            rc = err && err->code ? err->code : DG_EINVAL;
        else {
            rc = dg_path_set(path, *out, json_deep_copy(c->sets[i].value), err);
            dg_path_free(&path);
        }
    }
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}

/* The object as it would be stored: @old with the change applied. */
static int changed(const dg_sim_change_t *c, const json_t *old, json_t **out, dg_err_t *err)
{
    dg_err_t why = {0};
    int rc;

    if ((c->nsets > 0) + (c->patch != NULL) + (c->object != NULL) != 1)
        return dg_err_set(err, DG_EINVAL, "give a path and a value, a patch (a merge patch "
                                          "object or a JSON patch array) or an object");
    if (c->nsets)
        return apply_sets(c, old, out, err);
    if (c->object) {
        *out = json_incref((json_t *)c->object);
        return 0;
    }
    rc = c->json_patch ? dg_patch_json(old, c->patch, out, &why)
                       : dg_patch_merge(old, c->patch, out, &why);
    return rc ? dg_err_set(err, rc, "patch: %s", why.msg) : 0;
}

/* The object before the change (as the webhook would see it) and after. */
static int change(const dg_sim_change_t *c, const json_t *cur, json_t **old, json_t **obj,
                  dg_err_t *err)
{
    json_decref(*old);
    json_decref(*obj);
    *obj = NULL;
    *old = c->subresource ? as_scale(cur) : json_deep_copy(cur);
    if (*old == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    return changed(c, *old, obj, err);
}

/* A change live already holds is a no-op there, and the gate would allow
 * it untouched; what the operator asks is whether the gate lets that change
 * in, so it is judged as made to the baseline's object: the out-of-band
 * change, replayed (the seed's "replay governed changes"). */
static int replay(const dg_sim_change_t *c, const dg_obj_t *base, const json_t *cur,
                  json_t **old, json_t **obj, dg_sim_result_t *res, dg_err_t *err)
{
    if (base == NULL || base->json == cur || !json_equal(*old, *obj))
        return 0;
    res->replayed = true;
    snprintf(res->note, sizeof res->note, "live %s already holds this change; judging it as "
             "made to the baseline's object (the out-of-band change, replayed)", c->target);
    return change(c, base->json, old, obj, err);
}

static dg_review_t *build(const dg_release_t *rel, const dg_sim_change_t *c,
                          const dg_kindinfo_t *ki, const char *name, const json_t *old,
                          const json_t *obj, const json_t *cur, dg_err_t *err)
{
    const char *api = json_string_value(json_object_get(cur, "apiVersion"));
    const char *slash = api ? strchr(api, '/') : NULL;

    return dg_review_build(&(dg_review_req_t){
                               .operation = "UPDATE", .ki = ki,
                               .version = slash ? slash + 1 : api ? api : "v1",
                               .subresource = c->subresource, .ns = rel->ns, .name = name,
                               .user = c->user ? c->user : "driftctl-simulate",
                               .groups = c->groups, .ngroups = c->ngroups,
                               .field_manager = "driftctl-simulate", .dry_run = c->dry_run,
                               .object = obj, .old_object = old},
                           err);
}

int dg_simulate_review(const dg_release_t *rel, const dg_objset_t *live,
                       const dg_sim_change_t *c, dg_sim_result_t *res, dg_err_t *err)
{
    const dg_kindinfo_t *ki = NULL;
    const dg_obj_t *base, *cur;
    char kind[128], shown[256];
    json_t *old = NULL, *obj = NULL;
    dg_objid_t id;
    int rc;

    *res = (dg_sim_result_t){0};
    if ((rc = parse_target(c, rel->ns, kind, &ki, &id, err)) != 0)
        return rc;
    base = dg_objset_find(rel->objs, &id);
    cur = live && c->from == DG_SIM_FROM_LIVE ? dg_objset_find(live, &id) : NULL;
    if (cur == NULL && (cur = base) == NULL)
        return dg_err_set(err, DG_ENOTFOUND, "target: no %s in the baseline%s",
                          dg_objid_format(&id, shown, sizeof shown), live ? " or live" : "");
    if ((rc = change(c, cur->json, &old, &obj, err)) == 0 &&
        (rc = replay(c, base, cur->json, &old, &obj, res, err)) == 0) {
        res->rv = build(rel, c, ki, id.name, old, obj, cur->json, err);
        rc = res->rv ? 0 : err && err->code ? err->code : DG_EINVAL;
    }
    json_decref(obj);
    json_decref(old);
    return rc;
}

static json_t *answer(const dg_sim_result_t *res, const dg_decision_t *d, dg_err_t *err)
{
    const dg_review_t *rv = res->rv;
    char *text = dg_review_encode(rv->api_version, rv->uid, &d->response);
    json_t *review = text ? json_loads(text, 0, NULL) : NULL;
    json_t *out = review ? json_pack("{s:o, s:o*, s:b, s:s*}", "admissionReview", review,
                                     "decision", dg_report_decision_json(d, rv), "replayed",
                                     res->replayed, "note", res->replayed ? res->note : NULL)
                         : NULL;

    free(text);
    if (out == NULL)
        dg_err_set(err, DG_ENOMEM, "out of memory");
    return out;
}

int dg_simulate_change(const dg_release_t *rel, const dg_objset_t *live,
                       const dg_baselines_t *bases, const dg_policy_t *pol,
                       const dg_decide_env_t *env, const dg_sim_change_t *c, json_t **out,
                       dg_err_t *err)
{
    dg_sim_result_t res;
    dg_decision_t d;
    int rc;

    *out = NULL;
    dg_decision_init(&d);
    if ((rc = dg_simulate_review(rel, live, c, &res, err)) == 0 &&
        (rc = dg_decide(res.rv, bases, pol, env, &d, err)) == 0 &&
        (*out = answer(&res, &d, err)) == NULL)
        rc = DG_ENOMEM;
    dg_decision_free(&d);
    dg_review_free(&res.rv);
    return rc;
}

/* ---- a console's request ------------------------------------------------------------ */

int dg_simulate_request(const json_t *body, dg_sim_request_t *req, dg_err_t *err)
{
    const json_t *patch = json_object_get(body, "patch"), *value = json_object_get(body, "value");
    const char *from = json_string_value(json_object_get(body, "from"));
    const char *text = json_string_value(patch);

    *req = (dg_sim_request_t){.set = {json_string_value(json_object_get(body, "path")), value}};
    req->change = (dg_sim_change_t){
        .target = json_string_value(json_object_get(body, "object")),
        .user = json_string_value(json_object_get(body, "user")),
        .from = from && strcmp(from, "baseline") == 0 ? DG_SIM_FROM_BASELINE : DG_SIM_FROM_LIVE};
    if (!json_is_object(body))
        return dg_err_set(err, DG_EINVAL, "request body: expected a JSON object");
    if (req->change.target == NULL)
        return dg_err_set(err, DG_EINVAL, "\"object\" (KIND/NAME, e.g. hpa/test-nginx) is required");
    if (from && strcmp(from, "baseline") != 0 && strcmp(from, "live") != 0)
        return dg_err_set(err, DG_EINVAL, "\"from\" is \"live\" or \"baseline\", not '%.40s'", from);
    if (text) {
        /* Pasted text: parsed with the same depth and node limits. */
        if ((req->parsed = dg_json_parse(text, strlen(text), 0, "patch", err)) == NULL)
            return err && err->code ? err->code : DG_EPARSE;
        patch = req->parsed;
    }
    if (patch && !json_is_null(patch)) {
        req->change.patch = patch;
        req->change.json_patch = json_is_array(patch);
    } else if (req->set.path || (value && !json_is_null(value))) {
        req->change.sets = &req->set;
        req->change.nsets = 1;
    }
    return 0;
}

void dg_simulate_request_free(dg_sim_request_t *req)
{
    json_decref(req->parsed);
    req->parsed = NULL;
}
