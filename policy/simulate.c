/* policy/simulate.c: a proposed change, turned into the AdmissionReview the
 * API server would send and judged by dg_decide().
 * SPDX-License-Identifier: Apache-2.0 */
#include "simulate.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "patch.h"
#include "path.h"
#include "report.h"
#include "review.h"

/* "hpa/test-nginx" -> its kind and identity in @ns; @kind holds the text. */
static int parse_target(const char *target, const char *ns, char kind[128],
                        const dg_kindinfo_t **ki, dg_objid_t *id, dg_err_t *err)
{
    const char *slash = target ? strchr(target, '/') : NULL;

    if (slash == NULL || slash == target || slash[1] == '\0' || (size_t)(slash - target) >= 128)
        return dg_err_set(err, DG_EINVAL, "object '%s': expected KIND/NAME, e.g. hpa/test-nginx",
                          target ? target : "");
    memcpy(kind, target, (size_t)(slash - target));
    kind[slash - target] = '\0';
    if ((*ki = dg_kind_lookup(kind)) == NULL)
        return dg_err_set(err, DG_EINVAL, "object '%s': unknown kind '%s'", target, kind);
    *id = (dg_objid_t){(*ki)->group, (*ki)->kind, ns, slash + 1};
    return 0;
}

/* The JSON pointer of @path in @doc: a field is a member, a [k=v] segment
 * the index of the element it selects there (so the patch changes exactly
 * the element the policy names, as a reviewer reads it). */
static int pointer_of(const char *text, const json_t *doc, dg_buf_t *ptr, dg_err_t *err)
{
    dg_path_t *path = dg_path_parse(text, err);
    const json_t *at = doc;
    char idx[32];
    size_t i, n;
    int rc = 0;

    if (path == NULL)
        return err && err->code ? err->code : DG_EINVAL;
    for (i = 0; !rc && i < dg_path_len(path); i++) {
        const dg_seg_t *s = dg_path_seg(path, i);

        if (s->kind == DG_SEG_FIELD) {
            rc = dg_patch_ptr_field(ptr, s->name) ? DG_ENOMEM : 0;
            at = at ? json_object_get(at, s->name) : NULL;
        } else if (s->kind == DG_SEG_ALL || !json_is_array(at) ||
                   dg_path_elem(s, at, &n) == NULL) {
            rc = dg_err_set(err, DG_EINVAL, "path '%s': %s", text,
                            s->kind == DG_SEG_ALL ? "[*] names no one element; name it by key"
                                                  : "no list element has those keys");
        } else {
            snprintf(idx, sizeof idx, "/%zu", n);
            rc = dg_buf_puts(ptr, idx) ? DG_ENOMEM : 0;
            at = json_array_get(at, n);
        }
    }
    dg_path_free(&path);
    return rc;
}

/* The object as it would be stored: @old with the change applied. */
static int changed(const dg_sim_change_t *c, const json_t *old, json_t **out, dg_err_t *err)
{
    dg_buf_t ptr;
    json_t *ops;
    int rc;

    if (c->patch && json_is_object(c->patch))
        return dg_patch_merge(old, c->patch, out, err);
    if (c->patch && json_is_array(c->patch))
        return dg_patch_json(old, c->patch, out, err);
    if (c->patch || c->path == NULL || c->value == NULL)
        return dg_err_set(err, DG_EINVAL, "give a path and a value, or a patch (a merge patch "
                                          "object or a JSON patch array)");
    dg_buf_init(&ptr, 0);
    rc = pointer_of(c->path, old, &ptr, err);
    if (rc == 0 && ptr.len == 0)
        rc = dg_err_set(err, DG_EINVAL, "path '%s' names no field", c->path);
    ops = rc ? NULL : json_pack("[{s:s, s:s#, s:O}]", "op", "add", "path", ptr.data, ptr.len,
                                "value", c->value);
    if (rc == 0 && ops == NULL)
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    if (rc == 0)
        rc = dg_patch_json(old, ops, out, err);
    json_decref(ops);
    dg_buf_free(&ptr);
    return rc;
}

static json_t *answer(const dg_review_t *rv, const dg_decision_t *d, dg_err_t *err)
{
    char *text = dg_review_encode(rv->api_version, rv->uid, &d->response);
    json_t *review = text ? json_loads(text, 0, NULL) : NULL;
    json_t *out = review ? json_pack("{s:o, s:o*}", "admissionReview", review, "decision",
                                     dg_report_decision_json(d, rv))
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
    const dg_kindinfo_t *ki = NULL;
    const dg_obj_t *cur;
    const char *api, *slash;
    char kind[128], shown[256];
    json_t *obj = NULL;
    dg_review_t *rv = NULL;
    dg_decision_t d;
    dg_objid_t id;
    int rc;

    *out = NULL;
    dg_decision_init(&d);
    if ((rc = parse_target(c->target, rel->ns, kind, &ki, &id, err)) != 0)
        goto out;
    cur = live && !c->from_baseline ? dg_objset_find(live, &id) : NULL;
    if (cur == NULL && (cur = dg_objset_find(rel->objs, &id)) == NULL) {
        rc = dg_err_set(err, DG_ENOTFOUND, "no %s in release %s/%s",
                        dg_objid_short(&id, shown, sizeof shown), rel->ns, rel->name);
        goto out;
    }
    if ((rc = changed(c, cur->json, &obj, err)) != 0)
        goto out;
    api = json_string_value(json_object_get(cur->json, "apiVersion"));
    slash = api ? strchr(api, '/') : NULL;
    rv = dg_review_build(&(dg_review_req_t){.operation = "UPDATE", .ki = ki,
                                            .version = slash ? slash + 1 : api ? api : "v1",
                                            .ns = rel->ns, .name = id.name,
                                            .user = c->user ? c->user : "driftctl-simulate",
                                            .field_manager = "driftctl-simulate",
                                            .object = obj, .old_object = cur->json},
                         err);
    if (rv == NULL) {
        rc = err && err->code ? err->code : DG_EINVAL;
        goto out;
    }
    if ((rc = dg_decide(rv, bases, pol, env, &d, err)) == 0 && (*out = answer(rv, &d, err)) == NULL)
        rc = DG_ENOMEM;
out:
    dg_decision_free(&d);
    dg_review_free(&rv);
    json_decref(obj);
    return rc;
}
