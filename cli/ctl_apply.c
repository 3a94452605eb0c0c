/* cli/ctl_apply.c: applying a judged reconcile plan with the real kubectl:
 * asked for on a terminal, one object at a time, a conflict (the object
 * changed since it was read) leaving that object untouched, then verified
 * by reading live state again; and the evidence record of it all.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "diff.h"

/* What happened to one operation. */
typedef enum result {
    R_SKIPPED,  /* not attempted: an earlier one stopped the plan */
    R_APPLIED,
    R_DRY_RUN,  /* accepted by the API server as a dry run */
    R_CONFLICT, /* the object changed since it was read: left untouched */
    R_FAILED    /* refused (by the gate or the API server), or kubectl failed */
} result_t;

static const char *const result_names[] = {"skipped", "applied", "dry-run", "conflict", "failed"};

typedef struct outcome {
    result_t result;
    char message[1024];
} outcome_t;

typedef struct run {
    ctl_reconcile_t *r;
    outcome_t *out;          /* one per operation */
    dg_variances_t after;    /* drift read back after applying */
    bool verified, checked;  /* checked: live was read again */
} run_t;

/* ---- asking ---------------------------------------------------------------------------- */

/* Returns CTL_OK to go ahead, CTL_FOUND when declined, CTL_ERROR when no
 * one can be asked. */
static int confirm(const ctl_reconcile_t *r, dg_err_t *err)
{
    char line[64] = "";

    if (r->yes)
        return CTL_OK;
    if (!isatty(STDIN_FILENO)) {
        dg_err_set(err, DG_EINVAL, "stdin is not a terminal, so no one can confirm: give --yes "
                   "to apply %s %zu operation%s", r->plan.n == 1 ? "this" : "these", r->plan.n,
                   r->plan.n == 1 ? "" : "s");
        return CTL_ERROR;
    }
    fprintf(stderr, "Apply %zu operation%s to %s/%s%s? [y/N] ", r->plan.n,
            r->plan.n == 1 ? "" : "s", r->rel->ns, r->rel->name,
            r->dry_run ? " (server-side dry run)" : "");
    if (fgets(line, sizeof line, stdin) == NULL || (strcmp(line, "y\n") != 0 &&
                                                    strcmp(line, "yes\n") != 0 &&
                                                    strcmp(line, "Y\n") != 0)) {
        fprintf(stderr, "driftctl: nothing applied\n");
        return CTL_FOUND;
    }
    return CTL_OK;
}

/* ---- one operation ------------------------------------------------------------------------ */

/* The kubectl words every change shares: namespace, dry run, cluster. */
static void common_flags(const ctl_reconcile_t *r, const dg_plan_op_t *op, bool dry,
                         const char **argv, size_t *n)
{
    if (op->obj.ns[0]) {
        argv[(*n)++] = "--namespace";
        argv[(*n)++] = op->obj.ns;
    }
    if (dry)
        argv[(*n)++] = "--dry-run=server";
    ctl_kube_flags(&r->kube, argv, n);
    argv[*n] = NULL;
}

/* Sort a failed kubectl call: the object changed since it was read (a JSON
 * patch's test failed: the API server answers 422 with no detail; an apply's
 * resourceVersion is stale; a create finds the object), or anything else. */
static void failed(outcome_t *o, const dg_buf_t *said, const dg_err_t *why)
{
    const char *s = said->data ? said->data : "";
    bool changed = strstr(s, "error in our request") || strstr(s, "the object has been modified") ||
                   strstr(s, "AlreadyExists") || strstr(s, "already exists");

    o->result = changed ? R_CONFLICT : R_FAILED;
    if (changed)
        snprintf(o->message, sizeof o->message, "it changed since it was read: the API server "
                 "refused the operation's preconditions (%s); left untouched",
                 strstr(s, "error in our request") ? "a test of the patch failed"
                 : strstr(s, "modified")           ? "resourceVersion"
                                                   : "it exists");
    else
        snprintf(o->message, sizeof o->message, "%s%s%.600s%s", why->msg, s[0] ? ": " : "", s,
                 /* server-side apply keys Service ports by port+protocol */
                 strstr(s, "Duplicate value") ? " (server-side apply keeps a list element another "
                                                "field manager owns, such as a renumbered port; "
                                                "--strategy patch restores it)"
                                              : "");
    /* kubectl ends its message with a newline */
    for (size_t n = strlen(o->message); n && o->message[n - 1] == '\n'; n--)
        o->message[n - 1] = '\0';
}

static int kubectl_run(const char *const *argv, const char *in, dg_buf_t *out, outcome_t *o)
{
    dg_buf_t said;
    dg_err_t why = {0};
    int rc;

    dg_buf_init(&said, 16384);
    rc = ctl_kubectl((char *const *)argv, in, in ? strlen(in) : 0, out, &said, &why);
    if (rc) {
        failed(o, &said, &why);
        ctl_detail_clear(); /* the outcome says it; the run goes on */
    }
    dg_buf_free(&said);
    return rc;
}

static int do_patch(const ctl_reconcile_t *r, const dg_plan_op_t *op, const char *name,
                    outcome_t *o)
{
    char *patch = json_dumps(op->patch, JSON_COMPACT);
    const char *argv[20] = {ctl_tool(r->kube.kubectl, "KUBECTL", "kubectl"), "patch", name,
                            "--type=json", "-p", patch ? patch : "[]",
                            "--field-manager=" CTL_RECONCILE_MANAGER};
    size_t n = 7;
    int rc;

    common_flags(r, op, r->dry_run, argv, &n);
    rc = kubectl_run(argv, NULL, NULL, o);
    free(patch);
    return rc;
}

static int do_create(const ctl_reconcile_t *r, const dg_plan_op_t *op, outcome_t *o)
{
    char *body = json_dumps(op->object, JSON_COMPACT);
    const char *argv[20] = {ctl_tool(r->kube.kubectl, "KUBECTL", "kubectl"), "create", "-f", "-",
                            "--field-manager=" CTL_RECONCILE_MANAGER};
    size_t n = 5;
    int rc;

    common_flags(r, op, r->dry_run, argv, &n);
    rc = kubectl_run(argv, body ? body : "{}", NULL, o);
    free(body);
    return rc;
}

/* The seed's path: `kubectl apply --server-side --field-manager=helm` of
 * the baseline object, with the live resourceVersion as its precondition
 * (server-side apply has no tests). @dry: a server dry run, whose result
 * (the object the API server would store) goes into @stored. */
static int server_side_apply(const ctl_reconcile_t *r, const dg_plan_op_t *op, bool dry,
                             json_t **stored, outcome_t *o)
{
    json_t *obj = json_deep_copy(op->object), *meta = json_object_get(obj, "metadata");
    char *body;
    const char *argv[24] = {ctl_tool(r->kube.kubectl, "KUBECTL", "kubectl"), "apply",
                            "--server-side", "--field-manager=helm", "--force-conflicts", "-f",
                            "-"};
    size_t n = 7;
    dg_buf_t out;
    int rc;

    if (op->resource_version)
        json_object_set_new(meta, "resourceVersion", json_string(op->resource_version));
    body = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (dry) {
        argv[n++] = "-o";
        argv[n++] = "json";
    }
    common_flags(r, op, dry, argv, &n);
    dg_buf_init(&out, DG_MAX_MANIFEST_BYTES);
    rc = kubectl_run(argv, body ? body : "{}", dry ? &out : NULL, o);
    if (!rc && dry && (*stored = json_loadb(out.data ? out.data : "", out.len, 0, NULL)) == NULL) {
        o->result = R_FAILED;
        snprintf(o->message, sizeof o->message, "kubectl apply --dry-run=server printed no object");
        rc = DG_EPARSE;
    }
    dg_buf_free(&out);
    free(body);
    return rc;
}

/* Server-side apply cannot remove what another field manager owns (a port
 * someone renumbered is another list element to it): the dry run shows
 * what would be stored, judged exactly, and must restore every variance. */
static int apply_checked(ctl_reconcile_t *r, dg_plan_op_t *op, outcome_t *o, dg_err_t *err)
{
    const dg_obj_t *lo = dg_objset_find(r->live, &op->obj);
    const dg_obj_t *base = dg_objset_find(r->rel->objs, &op->obj);
    json_t *stored = NULL;
    dg_variances_t left;
    int rc;

    if ((rc = server_side_apply(r, op, true, &stored, o)) != 0)
        return rc == DG_ENOMEM ? dg_err_set(err, rc, "out of memory") : 0;
    rc = dg_plan_judge_object(op, stored, lo ? lo->json : NULL, r->bases, r->pol, &r->env,
                              &r->who, err);
    dg_variances_init(&left);
    if (!rc)
        rc = dg_diff_object(base, stored, r->env.hpas ? r->env.hpas : r->rel->objs, r->pol,
                            &left, err);
    json_decref(stored);
    if (!rc && op->state == DG_PLAN_REFUSED) {
        o->result = R_FAILED;
        snprintf(o->message, sizeof o->message, "driftgate would refuse what server-side apply "
                 "stores (%s): %s", dg_verdict_name(op->verdict), op->message);
    } else if (!rc && left.n) {
        char *v = left.items[0].live ? json_dumps(left.items[0].live, JSON_ENCODE_ANY | JSON_COMPACT)
                                     : NULL;

        o->result = R_FAILED;
        snprintf(o->message, sizeof o->message, "server-side apply would leave %s at %.200s: "
                 "another field manager owns it, so helm's apply cannot take it back; "
                 "--strategy patch restores it", left.items[0].path, v ? v : "(none)");
        free(v);
    } else if (!rc && !r->dry_run) {
        server_side_apply(r, op, false, NULL, o);
    }
    dg_variances_free(&left);
    return rc;
}

static int run_op(ctl_reconcile_t *r, dg_plan_op_t *op, outcome_t *o, dg_err_t *err)
{
    char name[600];
    dg_err_t why = {0};
    int rc = 0;

    o->result = R_FAILED;
    if (op->state == DG_PLAN_CONFLICT) { /* a saved plan whose tests fail against live */
        o->result = R_CONFLICT;
        snprintf(o->message, sizeof o->message, "%s; left untouched", op->message);
        return 0;
    }
    if (ctl_kube_name(&op->obj, name, sizeof name, &why))
        return dg_err_set(err, why.code, "%s", why.msg);
    o->result = R_APPLIED;
    if (op->action == DG_PLAN_PATCH)
        do_patch(r, op, name, o);
    else if (op->action == DG_PLAN_CREATE)
        do_create(r, op, o);
    else
        rc = apply_checked(r, op, o, err);
    if (o->result == R_APPLIED && r->dry_run)
        o->result = R_DRY_RUN;
    return rc;
}

static void say(const dg_plan_op_t *op, const outcome_t *o)
{
    char shown[256];

    dg_objid_short(&op->obj, shown, sizeof shown);
    fprintf(stderr, "%s: %s%s%s\n", shown, result_names[o->result], o->message[0] ? ": " : "",
            o->message);
}

/* ---- verifying ----------------------------------------------------------------------------- */

static bool restored(const run_t *run, const dg_plan_op_t *op, const dg_variance_t **left)
{
    for (size_t i = 0; i < run->after.n; i++) {
        const dg_variance_t *x = &run->after.items[i];

        if (!dg_objid_equal(&x->obj, &op->obj))
            continue;
        for (size_t j = 0; j < op->variances.n; j++)
            if (strcmp(op->variances.items[j].path, x->path) == 0) {
                *left = x;
                return false;
            }
    }
    return true;
}

/* Read live state again: the drift each applied operation restores must
 * be gone. */
static int verify(run_t *run, dg_err_t *err)
{
    ctl_reconcile_t *r = run->r;
    ctl_live_t again = {0};
    int rc = ctl_capture_live(r->rel, r->pol, false, &r->kube, NULL, &again, err);

    if (!rc)
        rc = dg_diff_sets(r->rel->objs, again.objs, again.kinds, again.nkinds, r->pol,
                          &run->after, err);
    ctl_live_free(&again);
    if (rc)
        return rc;
    run->checked = true;
    run->verified = true;
    for (size_t i = 0; i < r->plan.n; i++) {
        const dg_variance_t *left = NULL;
        char shown[256];

        if (run->out[i].result != R_APPLIED || restored(run, &r->plan.ops[i], &left))
            continue;
        run->verified = false;
        dg_objid_short(&left->obj, shown, sizeof shown);
        fprintf(stderr, "%s: %s still drifts after the reconcile\n", shown,
                left->path[0] ? left->path : "(the object)");
    }
    return 0;
}

/* ---- the evidence record ------------------------------------------------------------------- */

static json_t *when(int64_t t)
{
    char buf[32];
    time_t tt = (time_t)t;
    struct tm tm;

    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
    return json_string(buf);
}

/* The value a governed path has after the run: what drift is left there,
 * else the baseline's (null before live was read again). */
static json_t *value_after(const run_t *run, const dg_plan_op_t *op, const dg_variance_t *x)
{
    if (!run->checked)
        return json_null();
    for (size_t i = 0; i < run->after.n; i++) {
        const dg_variance_t *y = &run->after.items[i];

        if (dg_objid_equal(&y->obj, &op->obj) && strcmp(y->path, x->path) == 0)
            return y->live ? json_incref(y->live) : json_null();
    }
    return x->desired ? json_incref(x->desired) : json_null();
}

static json_t *values(const run_t *run)
{
    const dg_plan_t *p = &run->r->plan;
    json_t *arr = json_array();

    for (size_t i = 0; arr && i < p->n; i++)
        for (size_t j = 0; j < p->ops[i].variances.n; j++) {
            const dg_variance_t *x = &p->ops[i].variances.items[j];

            json_array_append_new(
                arr, json_pack("{s:{s:s, s:s, s:s, s:s}, s:s, s:s, s:o, s:o, s:o}", "object",
                               "group", x->obj.group, "kind", x->obj.kind, "namespace", x->obj.ns,
                               "name", x->obj.name, "path", x->path, "rule", x->rule, "desired",
                               x->desired ? json_incref(x->desired) : json_null(), "before",
                               x->live ? json_incref(x->live) : json_null(), "after",
                               value_after(run, &p->ops[i], x)));
        }
    return arr;
}

static json_t *results(const run_t *run)
{
    const dg_plan_t *p = &run->r->plan;
    json_t *arr = json_array();

    for (size_t i = 0; arr && i < p->n; i++) {
        const dg_plan_op_t *op = &p->ops[i];

        json_array_append_new(
            arr, json_pack("{s:{s:s, s:s, s:s, s:s}, s:s, s:s, s:s?}", "object", "group",
                           op->obj.group, "kind", op->obj.kind, "namespace", op->obj.ns, "name",
                           op->obj.name, "action", dg_plan_action_name(op->action), "result",
                           result_names[run->out[i].result], "message",
                           run->out[i].message[0] ? run->out[i].message : NULL));
    }
    return arr;
}

static int write_evidence(const run_t *run, int status, dg_err_t *err)
{
    const ctl_reconcile_t *r = run->r;
    json_t *doc = json_pack(
        "{s:s, s:s, s:O?, s:s?, s:o, s:o, s:{s:s, s:s, s:I, s:s?, s:s?}, s:s, s:b, s:o, s:o, "
        "s:o, s:o, s:i}",
        "apiVersion", "driftgate.io/v1alpha1", "kind", "ReconcileEvidence", "who", r->user,
        "whoError", r->user ? NULL : r->user_error, "startedAt", when(r->started), "finishedAt",
        when((int64_t)time(NULL)), "release", "namespace", r->rel->ns, "name", r->rel->name,
        "revision", (json_int_t)r->rel->revision, "digest", r->rel->digest, "source",
        r->rel->source, "strategy", r->strategy, "dryRun", r->dry_run, "plan",
        dg_plan_json(&r->plan), "results", results(run), "values", values(run), "verified",
        run->checked ? json_boolean(run->verified) : json_null(), "exitStatus", status);
    char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    dg_buf_t b;
    int rc;

    json_decref(doc);
    if (text == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory writing the evidence");
    dg_buf_init(&b, 0);
    rc = dg_buf_puts(&b, text) || dg_buf_puts(&b, "\n")
             ? dg_err_set(err, DG_ENOMEM, "out of memory")
             : ctl_write("--evidence", r->evidence, &b, err);
    dg_buf_free(&b);
    free(text);
    return rc;
}

/* ---- the whole run --------------------------------------------------------------------------- */

/* Each operation in order; a failure stops the plan, and so does a
 * conflict unless told to go on. Returns how many were applied. */
static size_t apply_all(run_t *run, dg_err_t *err, int *rc)
{
    ctl_reconcile_t *r = run->r;
    size_t applied = 0;

    for (size_t i = 0; i < r->plan.n && !*rc; i++) {
        outcome_t *o = &run->out[i];

        *rc = run_op(r, &r->plan.ops[i], o, err);
        say(&r->plan.ops[i], o);
        applied += o->result == R_APPLIED;
        if (o->result == R_FAILED || (o->result == R_CONFLICT && !r->keep_going))
            break;
    }
    return applied;
}

/* The exit status, and the error that explains it. */
static int status_of(const run_t *run, dg_err_t *err)
{
    size_t n[5] = {0};

    for (size_t i = 0; i < run->r->plan.n; i++)
        n[run->out[i].result]++;
    if (n[R_FAILED] || n[R_CONFLICT] || n[R_SKIPPED]) {
        dg_err_set(err, DG_EINVAL, "reconcile of %s/%s incomplete: %zu applied, %zu conflict%s, "
                   "%zu failed, %zu not attempted", run->r->rel->ns, run->r->rel->name,
                   n[R_APPLIED] + n[R_DRY_RUN], n[R_CONFLICT], n[R_CONFLICT] == 1 ? "" : "s",
                   n[R_FAILED], n[R_SKIPPED]);
        return CTL_ERROR;
    }
    if (run->checked && !run->verified) {
        dg_err_set(err, DG_EINVAL, "reconcile of %s/%s applied, but drift is left (see above)",
                   run->r->rel->ns, run->r->rel->name);
        return CTL_ERROR;
    }
    fprintf(stderr, "%s %zu operation%s on %s/%s%s\n", run->r->dry_run ? "server dry run of" : "applied",
            run->r->plan.n, run->r->plan.n == 1 ? "" : "s", run->r->rel->ns, run->r->rel->name,
            run->checked ? "; live state read again: the drift is gone" : "");
    return CTL_OK;
}

int ctl_apply_plan(ctl_reconcile_t *r, dg_err_t *err)
{
    run_t run = {.r = r};
    int rc = 0, status;
    size_t applied;

    if (r->plan.n == 0) {
        fprintf(stderr, "driftctl: nothing to apply\n");
        return CTL_OK;
    }
    status = confirm(r, err);
    if (status != CTL_OK)
        return status;
    run.out = calloc(r->plan.n, sizeof *run.out);
    if (run.out == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    dg_variances_init(&run.after);
    applied = apply_all(&run, err, &rc);
    if (!rc && applied && !r->dry_run)
        rc = verify(&run, err);
    status = rc ? CTL_ERROR : status_of(&run, err);
    if (r->evidence && write_evidence(&run, status, err))
        status = CTL_ERROR;
    dg_variances_free(&run.after);
    free(run.out);
    return status;
}
