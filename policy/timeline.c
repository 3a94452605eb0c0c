/* policy/timeline.c: audit events classified into the seed's three stages
 * (DESIGN.md "The audit lifecycle"). An event is read for what the API
 * server recorded (verb, user, user agent, response code, the objects)
 * and for what webhooks added: driftgate's own annotations
 * (<webhook>/decision, /release, /rule, /variances, ...), the API
 * server's failed-open annotation, and its "failed calling webhook" error.
 * Pure: jansson in, data out. SPDX-License-Identifier: Apache-2.0 */
#include "timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "obj.h"
#include "path.h"
#include "publish.h"
#include "rfc3339.h"

#define DEFAULT_WEBHOOK "validate.driftgate.io"
#define DEFAULT_BASELINE_NS "driftgate-system"
#define RECORD_PREFIX "sh.helm.release.v1."
#define FAILED_OPEN_PREFIX "failed-open.validating.webhook.admission.k8s.io/"
/* decide.c cuts a value shown in an annotation at this many characters,
 * ending it in "...": such a value is not the value, and is not learned. */
#define SHOWN_MAX 64

const char *dg_timeline_stage_name(dg_timeline_stage_t s)
{
    switch (s) {
    case DG_TL_RENDER: return "baseline-render";
    case DG_TL_MUTATION: return "out-of-band-mutation";
    case DG_TL_RECONCILE: return "controlled-reconcile";
    }
    return "unknown";
}

static void variance_clear(dg_timeline_variance_t *v)
{
    free(v->path);
    json_decref(v->desired);
    json_decref(v->requested);
    json_decref(v->before);
}

void dg_timeline_event_clear(dg_timeline_event_t *e)
{
    if (e == NULL)
        return;
    char *strs[] = {e->time,     e->audit_id, e->verb,        e->user, e->impersonated_by,
                    e->user_agent, e->group,  e->resource,    e->subresource, e->ns,
                    e->name,     e->decision, e->release,     e->rule, e->reason, e->message};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(strs[i]);
    for (size_t i = 0; i < e->nvariances; i++)
        variance_clear(&e->variances[i]);
    free(e->variances);
    json_decref(e->stored);
    memset(e, 0, sizeof *e);
}

/* ---- the state -------------------------------------------------------------------- */

struct dg_timeline_state {
    dg_timeline_opts_t o;
    /* jansson objects as hash maps, keyed by object ("resource.group/ns/name")
     * or by release ("ns/name"). */
    json_t *owners;    /* object -> "ns/release" */
    json_t *revisions; /* release -> {"t": time told, "rev": revision (0 = unknown)} */
    json_t *baselines; /* object -> {"t": time of base, "base": stored render or
                        * null, "desired": {path: {"t": time told, "v": value}}} */
};

int dg_timeline_opts_object(dg_timeline_opts_t *to, const char *what, const char *spec,
                            dg_err_t *err)
{
    const char *slash = strchr(spec, '/');
    const dg_kindinfo_t *ki;
    char kind[128];

    if (slash == NULL || slash == spec || slash[1] == '\0' || (size_t)(slash - spec) >= sizeof kind)
        return dg_err_set(err, DG_EINVAL, "%s %s: want KIND/NAME, e.g. hpa/test-nginx", what,
                          spec);
    snprintf(kind, sizeof kind, "%.*s", (int)(slash - spec), spec);
    if ((ki = dg_kind_lookup(kind)) == NULL)
        return dg_err_set(err, DG_EINVAL, "%s %s: unknown kind '%s'", what, spec, kind);
    to->object_group = ki->group;
    to->object_resource = ki->resource;
    to->object_name = slash + 1;
    return 0;
}

dg_timeline_state_t *dg_timeline_state_new(const dg_timeline_opts_t *opts, dg_err_t *err)
{
    dg_timeline_state_t *st = calloc(1, sizeof *st);

    DG_ASSERT(opts && opts->pol);
    if (st == NULL)
        goto fail;
    st->o = *opts;
    if (st->o.webhook == NULL)
        st->o.webhook = DEFAULT_WEBHOOK;
    if (st->o.baseline_ns == NULL)
        st->o.baseline_ns = DEFAULT_BASELINE_NS;
    st->owners = json_object();
    st->revisions = json_object();
    st->baselines = json_object();
    if (st->owners && st->revisions && st->baselines)
        return st;
fail:
    dg_timeline_state_free(&st);
    dg_err_set(err, DG_ENOMEM, "out of memory starting a timeline");
    return NULL;
}

void dg_timeline_state_free(dg_timeline_state_t **st)
{
    if (st == NULL || *st == NULL)
        return;
    json_decref((*st)->owners);
    json_decref((*st)->revisions);
    json_decref((*st)->baselines);
    free(*st);
    *st = NULL;
}

/* ---- reading an event ------------------------------------------------------------- */

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* A copy of @s, or NULL for NULL; *@oom is set when the copy failed. */
static char *dup(const char *s, bool *oom)
{
    char *d = s ? strdup(s) : NULL;

    if (s && d == NULL)
        *oom = true;
    return d;
}

static bool ok_code(int code)
{
    return code >= 200 && code < 300;
}

static bool is_write(const char *verb)
{
    return strcmp(verb, "create") == 0 || strcmp(verb, "update") == 0 ||
           strcmp(verb, "patch") == 0 || strcmp(verb, "delete") == 0;
}

/* Is @name (@len bytes) this webhook, or one it registers beside it
 * ("helm-records.validate.driftgate.io")? */
static bool ours(const char *name, size_t len, const char *webhook)
{
    size_t w = strlen(webhook);

    return len >= w && memcmp(name + len - w, webhook, w) == 0 &&
           (len == w || name[len - w - 1] == '.');
}

/* What driftgate and the API server said about the request. */
typedef struct said {
    const char *decision, *release, *rule, *reason, *exempt, *break_glass;
    const char *variances, *reconciled;
    bool failed_open;
} said_t;

static void read_annotations(const json_t *ann, const char *webhook, said_t *s)
{
    const char *key, *slash;
    json_t *v;

    memset(s, 0, sizeof *s);
    json_object_foreach((json_t *)ann, key, v) {
        const char *val = json_string_value(v), *k;

        if (val == NULL || (slash = strrchr(key, '/')) == NULL)
            continue;
        /* The API server names a webhook that failed open in the value. */
        if (strncmp(key, FAILED_OPEN_PREFIX, sizeof FAILED_OPEN_PREFIX - 1) == 0) {
            s->failed_open = s->failed_open || ours(val, strlen(val), webhook);
            continue;
        }
        if (!ours(key, (size_t)(slash - key), webhook))
            continue;
        k = slash + 1;
        if (strcmp(k, "decision") == 0) s->decision = val;
        else if (strcmp(k, "release") == 0) s->release = val;
        else if (strcmp(k, "rule") == 0) s->rule = val;
        else if (strcmp(k, "reason") == 0) s->reason = val;
        else if (strcmp(k, "exempt") == 0) s->exempt = val;
        else if (strcmp(k, "break-glass-reason") == 0) s->break_glass = val;
        else if (strcmp(k, "variances") == 0) s->variances = val;
        else if (strcmp(k, "reconciled") == 0) s->reconciled = val;
    }
}

/* The API server refused the request because the webhook could not be
 * called: 'Internal error occurred: failed calling webhook "NAME": ...'. */
static bool unreachable(int code, const char *message, const char *webhook)
{
    static const char needle[] = "failed calling webhook \"";
    const char *p = message ? strstr(message, needle) : NULL, *q;

    if (code < 500 || p == NULL)
        return false;
    p += sizeof needle - 1;
    q = strchr(p, '"');
    return q && ours(p, (size_t)(q - p), webhook);
}

/* The objects the event recorded, when they are objects (a refusal's
 * responseObject is a Status). */
static const json_t *object_in(const json_t *ev, const char *key)
{
    const json_t *o = json_object_get(ev, key);
    const char *kind = str(o, "kind");

    return json_is_object(o) && (kind == NULL || strcmp(kind, "Status") != 0) ? o : NULL;
}

/* ---- what an event is about ---------------------------------------------------------- */

typedef enum { ABOUT_NOTHING, ABOUT_RECORD, ABOUT_BASELINE, ABOUT_GOVERNED } about_kind_t;

typedef struct about {
    about_kind_t kind;
    const char *group, *resource, *subresource, *ns, *name; /* objectRef */
    const dg_kindinfo_t *ki;   /* ABOUT_GOVERNED */
    char rel_ns[128], rel[256];/* intent: the release it sets */
    long revision;             /* ABOUT_RECORD */
} about_t;

/* "sh.helm.release.v1.<release>.v<N>": the release and N, else false. */
static bool record_name(const char *name, about_t *a)
{
    const char *rel = name + sizeof RECORD_PREFIX - 1, *v, *d;

    if (strncmp(name, RECORD_PREFIX, sizeof RECORD_PREFIX - 1) != 0 ||
        (v = strrchr(rel, '.')) == NULL || v == rel || v[1] != 'v' || v[2] == '\0' ||
        (size_t)(v - rel) >= sizeof a->rel)
        return false;
    for (d = v + 2; *d; d++)
        if (*d < '0' || *d > '9')
            return false;
    a->revision = strtol(v + 2, NULL, 10);
    snprintf(a->rel, sizeof a->rel, "%.*s", (int)(v - rel), rel);
    return true;
}

/* "driftgate-baseline.<namespace>.<release>" (a namespace holds no dot). */
static bool baseline_name(const char *name, about_t *a)
{
    const char *ns = name + sizeof DG_PUBLISH_PREFIX - 1, *dot;

    if (strncmp(name, DG_PUBLISH_PREFIX, sizeof DG_PUBLISH_PREFIX - 1) != 0 ||
        (dot = strchr(ns, '.')) == NULL || dot == ns || dot[1] == '\0' ||
        (size_t)(dot - ns) >= sizeof a->rel_ns)
        return false;
    snprintf(a->rel_ns, sizeof a->rel_ns, "%.*s", (int)(dot - ns), ns);
    snprintf(a->rel, sizeof a->rel, "%s", dot + 1);
    return true;
}

/* Helm's records and driftgate's baselines set intent; objects of a kind
 * the policy governs hold governed values; nothing else is of interest. */
static void what_about(const dg_timeline_state_t *st, const json_t *ref, about_t *a)
{
    bool core;

    memset(a, 0, sizeof *a);
    a->group = str(ref, "apiGroup") ? str(ref, "apiGroup") : "";
    a->resource = str(ref, "resource");
    a->subresource = str(ref, "subresource");
    a->ns = str(ref, "namespace") ? str(ref, "namespace") : "";
    a->name = str(ref, "name");
    if (a->resource == NULL || a->name == NULL)
        return;
    core = a->group[0] == '\0';
    if (core && (strcmp(a->resource, "configmaps") == 0 || strcmp(a->resource, "secrets") == 0) &&
        record_name(a->name, a)) {
        snprintf(a->rel_ns, sizeof a->rel_ns, "%s", a->ns);
        a->kind = a->subresource ? ABOUT_NOTHING : ABOUT_RECORD;
        return;
    }
    /* Only where driftgate believes one: a labelled ConfigMap anywhere
     * else changes nothing (DESIGN.md "Trust"). */
    if (core && strcmp(a->resource, "configmaps") == 0 && strcmp(a->ns, st->o.baseline_ns) == 0 &&
        baseline_name(a->name, a)) {
        a->kind = a->subresource ? ABOUT_NOTHING : ABOUT_BASELINE;
        return;
    }
    a->ki = dg_kind_by_resource(a->group, a->resource);
    /* The status subresource holds no governed value; scale holds replicas. */
    if (a->ki && dg_policy_governs(st->o.pol, a->ki->group, a->ki->kind) &&
        (a->subresource == NULL || strcmp(a->subresource, "scale") == 0))
        a->kind = ABOUT_GOVERNED;
}

static bool wanted_ns(const dg_timeline_state_t *st, const char *ns)
{
    return st->o.ns == NULL || strcmp(st->o.ns, ns) == 0;
}

static bool wanted_object(const dg_timeline_state_t *st, const about_t *a)
{
    return st->o.object_resource == NULL ||
           (strcmp(st->o.object_resource, a->resource) == 0 &&
            strcmp(st->o.object_group, a->group) == 0 && strcmp(st->o.object_name, a->name) == 0);
}

/* Does owner "ns/release" (NULL = not known yet) match the release asked
 * for? An unknown owner matches for now: dg_timeline_resolve() decides. */
static bool wanted_owner(const dg_timeline_state_t *st, const char *owner)
{
    const char *slash = owner ? strchr(owner, '/') : NULL;

    if (owner == NULL || st->o.release == NULL)
        return true;
    return slash && strcmp(slash + 1, st->o.release) == 0 &&
           (st->o.ns == NULL || (strncmp(owner, st->o.ns, (size_t)(slash - owner)) == 0 &&
                                 st->o.ns[slash - owner] == '\0'));
}

static void object_key(const char *group, const char *resource, const char *ns, const char *name,
                       char *buf, size_t size)
{
    snprintf(buf, size, "%s.%s/%s/%s", resource, group, ns, name);
}

/* Who owns the object, by this event's own word: driftgate's release
 * annotation, else Helm's meta.helm.sh annotations on the object. */
static const char *owner_said(const json_t *ev, const said_t *s, const char *ns, char *buf,
                              size_t size)
{
    static const char *const sides[] = {"responseObject", "requestObject"};

    if (s->release)
        return s->release;
    for (size_t i = 0; i < 2; i++) {
        const json_t *ann = json_object_get(
            json_object_get(object_in(ev, sides[i]), "metadata"), "annotations");
        const char *rel = str(ann, "meta.helm.sh/release-name");
        const char *rns = str(ann, "meta.helm.sh/release-namespace");

        if (rel) {
            snprintf(buf, size, "%s/%s", rns ? rns : ns, rel);
            return buf;
        }
    }
    return NULL;
}

static int learn_owner(dg_timeline_state_t *st, const char *key, const char *owner)
{
    const char *known = str(st->owners, key);

    if (owner == NULL || (known && strcmp(known, owner) == 0))
        return 0;
    return json_object_set_new(st->owners, key, json_string(owner)) ? DG_ENOMEM : 0;
}

/* ---- annotation lists --------------------------------------------------------------- */

/* @needle in the @len bytes at @s, or NULL (memmem is not POSIX). */
static const char *find(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);

    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(s + i, needle, n) == 0)
            return s + i;
    return NULL;
}

/* A value as decide.c shows it: "(none)" is absent (JSON null); JSON where
 * it reads as JSON (6, "6", ["a"], {"k":1}), else a bare string
 * (nginx:1.27.3). A string that reads as a number or boolean is taken as
 * one: the annotation quotes a string only beside a value of another type.
 * NULL only when out of memory. */
static json_t *shown_value(const char *s, size_t len)
{
    json_t *v;

    if (len == 6 && memcmp(s, "(none)", 6) == 0)
        return json_null();
    v = json_loadb(s, len, JSON_DECODE_ANY, NULL);
    return v ? v : json_stringn(s, len);
}

/* Steals @desired, @requested and @before; NULL @requested is out of
 * memory (absent is JSON null), NULL @desired is "not known". */
static int add_variance(dg_timeline_event_t *e, const char *path, size_t plen, json_t *desired,
                        json_t *requested, json_t *before)
{
    dg_timeline_variance_t *p = realloc(e->variances, (e->nvariances + 1) * sizeof *p);
    char *copy = strndup(path, plen);

    if (p)
        e->variances = p;
    if (p == NULL || copy == NULL || requested == NULL) {
        free(copy);
        json_decref(desired);
        json_decref(requested);
        json_decref(before);
        return DG_ENOMEM;
    }
    p[e->nvariances++] = (dg_timeline_variance_t){copy, desired, requested, before};
    return 0;
}

/* One "path: from -> to" entry of a list annotation. @reconciled: the
 * list is "before -> desired" (decide.c's "reconciled"), else "desired ->
 * requested". An entry that does not read so is skipped. */
static int parse_entry(dg_timeline_event_t *e, const char *s, size_t len, bool reconciled)
{
    const char *colon = find(s, len, ": "), *arrow;
    json_t *from, *to;

    if (colon == NULL || (arrow = find(colon + 2, len - (size_t)(colon + 2 - s), " -> ")) ==
                             NULL)
        return 0;
    from = shown_value(colon + 2, (size_t)(arrow - colon - 2));
    to = shown_value(arrow + 4, len - (size_t)(arrow + 4 - s));
    if (from == NULL || to == NULL) {
        json_decref(from);
        json_decref(to);
        return DG_ENOMEM;
    }
    if (reconciled)
        return add_variance(e, s, (size_t)(colon - s), to, json_incref(to), from);
    return add_variance(e, s, (size_t)(colon - s), from, to, NULL);
}

/* decide.c's list annotations: "path: a -> b; path: c -> d (+N more)". The
 * values are as people read them, so a "; " or " -> " inside a value is
 * read as a separator: the list is evidence, the stored object is truth. */
static int parse_list(dg_timeline_event_t *e, const char *text, bool reconciled)
{
    const char *p = text, *end = text + strlen(text), *more = strstr(text, " (+");
    int rc = 0;

    if (more && more[strlen(more) - 1] == ')' && strstr(more, " more)"))
        end = more;
    while (p < end && !rc) {
        const char *sep = find(p, (size_t)(end - p), "; ");
        size_t len = sep ? (size_t)(sep - p) : (size_t)(end - p);

        rc = parse_entry(e, p, len, reconciled);
        p += len + (sep ? 2 : 0);
    }
    return rc;
}

/* ---- classification ----------------------------------------------------------------- */

static bool by_helm(const json_t *ev)
{
    const char *ua = str(ev, "userAgent");

    return ua && strncmp(ua, "Helm/", 5) == 0;
}

/* The stage of a write to intent; 0 for Helm's own bookkeeping (a record's
 * status moving from pending to deployed to superseded, old revisions
 * pruned), which sets no intent of its own. */
static dg_timeline_stage_t intent_stage(const json_t *ev, const about_t *a, const char *verb,
                                        int code)
{
    if (!ok_code(code))
        return DG_TL_MUTATION; /* an attempt on intent, refused */
    if (a->kind == ABOUT_BASELINE || strcmp(verb, "create") == 0)
        return DG_TL_RENDER;
    return by_helm(ev) ? 0 : DG_TL_MUTATION;
}

static dg_timeline_stage_t governed_stage(const json_t *ev, const said_t *s, int code)
{
    if (s->decision && strcmp(s->decision, "reconcile") == 0)
        return DG_TL_RECONCILE;
    /* Helm applying a render is the render, never an out-of-band change. */
    if ((s->decision && strcmp(s->decision, "helm-change") == 0) || (by_helm(ev) && ok_code(code)))
        return DG_TL_RENDER;
    return DG_TL_MUTATION;
}

/* Let through without driftgate judging its values: nothing called it (no
 * decision), it failed open, or the requester is exempt or the store was
 * not synced. Its variances come from what was stored. */
static bool unjudged(const dg_timeline_event_t *e)
{
    const char *d = e->decision;

    return e->stage == DG_TL_MUTATION && ok_code(e->code) && !e->dry_run &&
           strcmp(e->verb, "delete") != 0 &&
           (d == NULL || strcmp(d, "failed-open") == 0 || strcmp(d, "exempt") == 0 ||
            strcmp(d, "unsynced") == 0);
}

/* The revision a published baseline names, when the log recorded the object. */
static long baseline_revision(const json_t *ev)
{
    static const char *const sides[] = {"responseObject", "requestObject"};

    for (size_t i = 0; i < 2; i++) {
        const char *r = str(json_object_get(json_object_get(object_in(ev, sides[i]), "metadata"),
                                            "annotations"),
                            "driftgate.io/revision");
        if (r)
            return strtol(r, NULL, 10);
    }
    return 0;
}

static int fill(const json_t *ev, const about_t *a, const said_t *s, const char *owner,
                const char *webhook, dg_timeline_event_t *e)
{
    const json_t *status = json_object_get(ev, "responseStatus");
    const json_t *imp = json_object_get(ev, "impersonatedUser");
    const char *user = str(json_object_get(ev, "user"), "username");
    bool oom = false;

    e->time = dup(str(ev, "requestReceivedTimestamp"), &oom);
    e->audit_id = dup(str(ev, "auditID"), &oom);
    e->verb = dup(str(ev, "verb"), &oom);
    e->dry_run = str(ev, "requestURI") && strstr(str(ev, "requestURI"), "dryRun=");
    e->user = dup(imp ? str(imp, "username") : user, &oom);
    e->impersonated_by = dup(imp ? user : NULL, &oom);
    e->user_agent = dup(str(ev, "userAgent"), &oom);
    e->group = dup(a->group, &oom);
    e->resource = dup(a->resource, &oom);
    e->subresource = dup(a->subresource, &oom);
    e->ns = dup(a->ns, &oom);
    e->name = dup(a->name, &oom);
    e->code = (int)json_integer_value(json_object_get(status, "code"));
    e->message = dup(str(status, "message"), &oom);
    e->rule = dup(s->rule, &oom);
    e->reason = dup(s->reason ? s->reason : s->exempt ? s->exempt : s->break_glass, &oom);
    e->release = dup(owner, &oom);
    e->decision = dup(s->decision                                 ? s->decision
                      : s->failed_open                            ? "failed-open"
                      : unreachable(e->code, e->message, webhook) ? "webhook-unreachable"
                                                                  : NULL,
                      &oom);
    return oom ? DG_ENOMEM : 0;
}

/* What the request changed, as driftgate annotated it: a reconcile's
 * "reconciled" list, else the "variances" it introduced. */
static int annotated_variances(dg_timeline_event_t *e, const said_t *s)
{
    if (e->stage == DG_TL_RECONCILE && s->reconciled)
        return parse_list(e, s->reconciled, true);
    return s->variances ? parse_list(e, s->variances, false) : 0;
}

int dg_timeline_classify(dg_timeline_state_t *st, const json_t *ev, dg_timeline_event_t *out,
                         dg_err_t *err)
{
    const char *stage = str(ev, "stage"), *verb = str(ev, "verb"), *kind = str(ev, "kind");
    const char *ts = str(ev, "requestReceivedTimestamp"), *owner = NULL;
    char key[1024], ownbuf[512];
    dg_timeline_event_t e = {0};
    int64_t when;
    about_t a;
    said_t s;
    int rc;

    if (!kind || strcmp(kind, "Event") != 0 || !stage || !verb || !ts ||
        dg_rfc3339_parse_ns(ts, &when) != 0)
        return dg_err_set(err, DG_EPARSE, "not an audit.k8s.io Event (kind Event, stage, verb "
                                          "and an RFC 3339 requestReceivedTimestamp)");
    if (strcmp(stage, "ResponseComplete") != 0 || !is_write(verb))
        return 0;
    what_about(st, json_object_get(ev, "objectRef"), &a);
    if (a.kind == ABOUT_NOTHING)
        return 0;
    read_annotations(json_object_get(ev, "annotations"), st->o.webhook, &s);
    if (a.kind == ABOUT_GOVERNED) {
        if (!wanted_ns(st, a.ns) || !wanted_object(st, &a))
            return 0;
        object_key(a.group, a.resource, a.ns, a.name, key, sizeof key);
        owner = owner_said(ev, &s, a.ns, ownbuf, sizeof ownbuf);
        if ((rc = learn_owner(st, key, owner)) != 0)
            return dg_err_set(err, rc, "out of memory reading an audit event");
        if (!wanted_owner(st, owner))
            return 0;
    } else {
        snprintf(ownbuf, sizeof ownbuf, "%s/%s", a.rel_ns, a.rel);
        owner = ownbuf;
        if (!wanted_ns(st, a.rel_ns) || !wanted_owner(st, owner))
            return 0;
    }
    e.when = when;
    e.intent = a.kind != ABOUT_GOVERNED;
    rc = fill(ev, &a, &s, owner, st->o.webhook, &e);
    e.stage = e.intent ? intent_stage(ev, &a, verb, e.code) : governed_stage(ev, &s, e.code);
    if (e.stage == 0) {
        dg_timeline_event_clear(&e);
        return rc ? dg_err_set(err, rc, "out of memory reading an audit event") : 0;
    }
    if (!rc && e.stage == DG_TL_RENDER)
        e.revision = a.kind == ABOUT_RECORD ? a.revision
                     : a.kind == ABOUT_BASELINE ? baseline_revision(ev) : 0;
    if (!rc)
        rc = annotated_variances(&e, &s);
    e.unjudged = !rc && !e.intent && unjudged(&e);
    /* Kept for dg_timeline_resolve(): a render's stored object is the next
     * baseline, an unjudged change's is what it did. */
    if (!rc && !e.intent && ok_code(e.code) && !e.dry_run &&
        (e.unjudged || e.stage == DG_TL_RENDER))
        e.stored = json_incref((json_t *)object_in(ev, "responseObject"));
    if (rc) {
        dg_timeline_event_clear(&e);
        return dg_err_set(err, rc, "out of memory reading an audit event");
    }
    *out = e;
    return 1;
}

/* ---- what the log teaches ---------------------------------------------------------------- */

/* Every fact is stored with the time of the event that told it, and a
 * newer one wins: so events before --since can be learned from in any
 * order, and events in time order simply overwrite. */

static json_int_t when_of(const json_t *fact)
{
    return json_integer_value(json_object_get(fact, "t"));
}

/* The baseline entry of an object: {"t": time of its base, "base": the
 * stored render or null, "desired": {path: {"t", "v"}}}. Borrowed; NULL
 * when out of memory (@create) or unknown. */
static json_t *baseline_of(dg_timeline_state_t *st, const char *key, bool create)
{
    json_t *b = json_object_get(st->baselines, key);

    if (b || !create)
        return b;
    b = json_pack("{s:I, s:n, s:{}}", "t", (json_int_t)INT64_MIN, "base", "desired");
    if (b == NULL || json_object_set_new(st->baselines, key, b))
        return NULL;
    return b;
}

/* A value the annotation cut short is not the value. */
static bool whole(const json_t *v)
{
    size_t n = json_string_length(v);

    return v && !(json_is_string(v) && n == SHOWN_MAX &&
                  strcmp(json_string_value(v) + n - 3, "...") == 0);
}

/* Set @obj[@key] to {"t": @when, @vkey: @v} unless it holds newer. @v is
 * borrowed. */
static int set_newer(json_t *obj, const char *key, int64_t when, const char *vkey, json_t *v)
{
    json_t *old = json_object_get(obj, key);

    if (old && when_of(old) > when)
        return 0;
    return json_object_set_new(obj, key, json_pack("{s:I, s:O}", "t", (json_int_t)when, vkey, v))
               ? DG_ENOMEM
               : 0;
}

/* A render's stored object is the object's baseline from then on. */
static int learn_render(dg_timeline_state_t *st, const char *key, const dg_timeline_event_t *e)
{
    json_t *b = baseline_of(st, key, true);

    if (b == NULL)
        return DG_ENOMEM;
    if (when_of(b) > e->when)
        return 0;
    return json_object_set_new(b, "t", json_integer(e->when)) ||
                   json_object_set(b, "base", e->stored)
               ? DG_ENOMEM
               : 0;
}

/* driftgate knew the desired value of each path it judged (a published
 * baseline the log holds no copy of, for instance). */
static int learn_desired(dg_timeline_state_t *st, const char *key, const dg_timeline_event_t *e)
{
    json_t *b;
    int rc = 0;

    for (size_t i = 0; i < e->nvariances && !rc; i++) {
        const dg_timeline_variance_t *v = &e->variances[i];

        if (!whole(v->desired) || strcmp(v->path, "(object)") == 0)
            continue;
        rc = (b = baseline_of(st, key, true)) == NULL
                 ? DG_ENOMEM
                 : set_newer(json_object_get(b, "desired"), v->path, e->when, "v", v->desired);
    }
    return rc;
}

int dg_timeline_learn(dg_timeline_state_t *st, const dg_timeline_event_t *e, dg_err_t *err)
{
    char key[1024];
    int rc = 0;

    object_key(e->group, e->resource, e->ns, e->name, key, sizeof key);
    if (e->intent && e->stage == DG_TL_RENDER && e->release) {
        json_t *rev = json_integer(e->revision);

        rc = rev ? set_newer(st->revisions, e->release, e->when, "rev", rev) : DG_ENOMEM;
        json_decref(rev);
    }
    else if (!e->intent && e->stage == DG_TL_RENDER && e->stored)
        rc = learn_render(st, key, e);
    else if (!e->intent && e->stage != DG_TL_RENDER)
        rc = learn_desired(st, key, e);
    return rc ? dg_err_set(err, rc, "out of memory following the timeline") : 0;
}

/* ---- what the log knew when an event happened -------------------------------------------- */

/* The value at concrete path @text of @obj, or NULL. Borrowed. */
static json_t *value_at(json_t *obj, const char *text)
{
    dg_path_t *p = dg_path_parse(text, NULL);
    json_t *v = p ? dg_path_get(p, obj) : NULL;

    dg_path_free(&p);
    return v;
}

static bool listed(const dg_timeline_event_t *e, const char *path)
{
    for (size_t i = 0; i < e->nvariances; i++)
        if (strcmp(e->variances[i].path, path) == 0)
            return true;
    return false;
}

/* A value for a variance: a new reference, JSON null for absent. */
static json_t *ref(const json_t *v)
{
    return v ? json_incref((json_t *)v) : json_null();
}

/* Equal as drift sees it, absent and null alike. */
static bool same(const json_t *a, const json_t *b)
{
    return dg_diff_equal(json_is_null(a) ? NULL : a, json_is_null(b) ? NULL : b);
}

/* driftgate's word on @path since the base was stored, or NULL. Borrowed. */
static json_t *said_since(const json_t *b, const char *path)
{
    json_t *fact = json_object_get(json_object_get(b, "desired"), path);

    return fact && when_of(fact) > when_of(b) ? json_object_get(fact, "v") : NULL;
}

/* The governed values of @e->stored against the baseline (a stored
 * render, through the one diff), with driftgate's later word taking
 * precedence path by path. */
static int measure_against(const dg_timeline_state_t *st, dg_timeline_event_t *e,
                           const dg_objid_t *id, const json_t *b)
{
    json_t *base = json_object_get(b, "base"), *fact, *want;
    dg_variances_t vs;
    const char *path;
    int rc = 0;

    dg_variances_init(&vs);
    if (json_is_object(base)) {
        dg_obj_t bo = {.json = base, .id = *id};

        rc = dg_diff_object(&bo, e->stored, NULL, st->o.pol, &vs, NULL);
    }
    for (size_t i = 0; i < vs.n && !rc; i++) {
        const dg_variance_t *x = &vs.items[i];

        want = said_since(b, x->path);
        if (want && same(want, x->live))
            continue;
        rc = add_variance(e, x->path, strlen(x->path), ref(want ? want : x->desired),
                          ref(x->live), NULL);
    }
    json_object_foreach(json_object_get(b, "desired"), path, fact) {
        json_t *now = value_at(e->stored, path);

        want = said_since(b, path);
        if (rc || want == NULL || listed(e, path) || same(want, now))
            continue;
        rc = add_variance(e, path, strlen(path), ref(want), ref(now), NULL);
    }
    dg_variances_free(&vs);
    return rc;
}

/* No baseline in the log: every governed value of the stored object, the
 * desired side unknown (the diff of the object against an empty one). */
static int measure_alone(const dg_timeline_state_t *st, dg_timeline_event_t *e,
                         const dg_objid_t *id)
{
    json_t *stub = json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", "v1", "kind", id->kind,
                             "metadata", "name", id->name, "namespace", id->ns);
    dg_obj_t b = {.json = e->stored, .id = *id};
    dg_variances_t vs;
    int rc = stub ? 0 : DG_ENOMEM;

    dg_variances_init(&vs);
    if (!rc)
        rc = dg_diff_object(&b, stub, NULL, st->o.pol, &vs, NULL);
    for (size_t i = 0; i < vs.n && !rc; i++)
        rc = add_variance(e, vs.items[i].path, strlen(vs.items[i].path), NULL,
                          ref(vs.items[i].desired), NULL);
    dg_variances_free(&vs);
    json_decref(stub);
    return rc;
}

static int measure(const dg_timeline_state_t *st, const char *key, dg_timeline_event_t *e)
{
    const dg_kindinfo_t *ki = dg_kind_by_resource(e->group, e->resource);
    json_t *b = json_object_get(st->baselines, key);
    dg_objid_t id;

    if (ki == NULL || !json_is_object(e->stored) || e->subresource)
        return 0;
    id = (dg_objid_t){ki->group, ki->kind, e->ns, e->name};
    if (json_is_object(json_object_get(b, "base")) || json_object_size(json_object_get(b, "desired")))
        return measure_against(st, e, &id, b);
    return measure_alone(st, e, &id);
}

int dg_timeline_resolve(dg_timeline_state_t *st, dg_timeline_event_t *e, dg_err_t *err)
{
    const char *owner;
    char key[1024];
    int rc = 0;

    object_key(e->group, e->resource, e->ns, e->name, key, sizeof key);
    owner = str(st->owners, key);
    if (e->release == NULL && !e->intent && owner && (e->release = strdup(owner)) == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory following the timeline");
    /* An object no event ties to a release is no release's governed
     * object (the API server's own Service, say), unless asked for. */
    if ((e->release == NULL && st->o.object_name == NULL) ||
        (st->o.release && (e->release == NULL || !wanted_owner(st, e->release)))) {
        json_decref(e->stored);
        e->stored = NULL;
        return 0;
    }
    if (e->revision == 0 && !(e->intent && e->stage == DG_TL_RENDER) && e->release)
        e->revision = (long)json_integer_value(
            json_object_get(json_object_get(st->revisions, e->release), "rev"));
    if (!e->intent && e->unjudged && e->stored)
        rc = measure(st, key, e);
    if (rc)
        return dg_err_set(err, rc, "out of memory following the timeline");
    rc = dg_timeline_learn(st, e, err);
    json_decref(e->stored);
    e->stored = NULL;
    return rc ? rc : 1;
}

/* ---- the event as JSON ------------------------------------------------------------------- */

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *variances_json(const dg_timeline_event_t *e)
{
    json_t *a = json_array(), *v;

    for (size_t i = 0; a && i < e->nvariances; i++) {
        const dg_timeline_variance_t *x = &e->variances[i];

        v = json_pack("{s:s, s:O*, s:O}", "path", x->path, "desired", x->desired, "requested",
                      x->requested);
        if (v && x->before && json_object_set(v, "before", x->before))
            json_decref(v), v = NULL;
        if (v == NULL || json_array_append_new(a, v)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *dg_timeline_event_json(const dg_timeline_event_t *e)
{
    json_t *obj = json_pack("{s:s, s:s, s:o, s:o, s:s}", "group", e->group ? e->group : "",
                            "resource", e->resource ? e->resource : "", "subresource",
                            jstr(e->subresource), "namespace", jstr(e->ns), "name",
                            e->name ? e->name : "");
    json_t *vars = variances_json(e);

    if (obj == NULL || vars == NULL) {
        json_decref(obj);
        json_decref(vars);
        return NULL;
    }
    return json_pack("{s:o, s:s, s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
                     "s:o, s:o}",
                     "time", jstr(e->time), "stage", dg_timeline_stage_name(e->stage), "verb",
                     jstr(e->verb), "dryRun", e->dry_run, "user", jstr(e->user), "impersonatedBy",
                     jstr(e->impersonated_by), "userAgent", jstr(e->user_agent), "object", obj,
                     "code", e->code ? json_integer(e->code) : json_null(), "decision",
                     jstr(e->decision), "release", jstr(e->release), "revision",
                     e->revision ? json_integer(e->revision) : json_null(), "rule",
                     jstr(e->rule), "reason", jstr(e->reason), "variances", vars, "message",
                     jstr(e->message));
}

/* ---- a whole log ---------------------------------------------------------------------------- */

typedef struct kept {
    dg_timeline_event_t e;
    size_t seq; /* input order: ties in time keep it */
} kept_t;

struct dg_timeline {
    dg_timeline_state_t *st;
    int64_t since;
    kept_t *items;
    size_t n, cap, seq;
};

dg_timeline_t *dg_timeline_new(const dg_timeline_opts_t *opts, int64_t since, dg_err_t *err)
{
    dg_timeline_t *tl = calloc(1, sizeof *tl);

    if (tl == NULL) {
        dg_err_set(err, DG_ENOMEM, "out of memory starting a timeline");
        return NULL;
    }
    tl->since = since;
    tl->st = dg_timeline_state_new(opts, err);
    if (tl->st == NULL)
        dg_timeline_free(&tl);
    return tl;
}

void dg_timeline_free(dg_timeline_t **tl)
{
    if (tl == NULL || *tl == NULL)
        return;
    for (size_t i = 0; i < (*tl)->n; i++)
        dg_timeline_event_clear(&(*tl)->items[i].e);
    free((*tl)->items);
    dg_timeline_state_free(&(*tl)->st);
    free(*tl);
    *tl = NULL;
}

int dg_timeline_add(dg_timeline_t *tl, const json_t *ev, dg_err_t *err)
{
    dg_timeline_event_t e;
    kept_t *p;
    int rc = dg_timeline_classify(tl->st, ev, &e, err);

    if (rc <= 0)
        return rc;
    /* Before --since: learned from (newest first, whatever the order) and
     * forgotten. */
    if (e.when < tl->since) {
        rc = dg_timeline_learn(tl->st, &e, err);
        dg_timeline_event_clear(&e);
        return rc;
    }
    if (tl->n == tl->cap) {
        size_t cap = tl->cap ? tl->cap * 2 : 64;

        if ((p = realloc(tl->items, cap * sizeof *p)) == NULL) {
            dg_timeline_event_clear(&e);
            return dg_err_set(err, DG_ENOMEM, "out of memory keeping timeline events");
        }
        tl->items = p;
        tl->cap = cap;
    }
    tl->items[tl->n++] = (kept_t){e, tl->seq++};
    return 0;
}

static int by_time(const void *a, const void *b)
{
    const kept_t *x = a, *y = b;

    if (x->e.when != y->e.when)
        return x->e.when < y->e.when ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The same event twice (a log given twice, overlapping copies): same
 * auditID at the same time, among the events kept before @i. */
static bool repeated(const dg_timeline_t *tl, size_t i, size_t out)
{
    const dg_timeline_event_t *e = &tl->items[i].e;

    for (size_t j = out; j-- > 0 && tl->items[j].e.when == e->when;)
        if (e->audit_id && tl->items[j].e.audit_id &&
            strcmp(e->audit_id, tl->items[j].e.audit_id) == 0)
            return true;
    return false;
}

int dg_timeline_finish(dg_timeline_t *tl, dg_err_t *err)
{
    size_t out = 0;
    int rc = 0;

    if (tl->n)
        qsort(tl->items, tl->n, sizeof *tl->items, by_time);
    for (size_t i = 0; i < tl->n; i++) {
        int keep = rc ? 0 : repeated(tl, i, out) ? 0 : dg_timeline_resolve(tl->st, &tl->items[i].e, err);

        if (keep < 0)
            rc = keep;
        if (keep > 0)
            tl->items[out++] = tl->items[i];
        else
            dg_timeline_event_clear(&tl->items[i].e);
    }
    tl->n = out;
    return rc;
}

size_t dg_timeline_count(const dg_timeline_t *tl)
{
    return tl->n;
}

const dg_timeline_event_t *dg_timeline_at(const dg_timeline_t *tl, size_t i)
{
    DG_ASSERT(i < tl->n);
    return &tl->items[i].e;
}
