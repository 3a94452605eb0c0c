/* policy/kevent.c: Event bodies, notes, aggregation, signatures and the
 * trust check. No clock and no I/O: webhook/events.c posts what this
 * builds, and reads the key's bytes.
 * SPDX-License-Identifier: Apache-2.0 */
#include "kevent.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rfc3339.h"

static const struct {
    const char *verdict, *reason, *action;
    bool warning;
} decisions[] = {
    {"deny", "DriftDenied", "Deny", true},
    {"break-glass", "DriftBreakGlass", "BreakGlass", true},
    {"reconcile", "DriftReconciled", "Reconcile", false},
};

/* Every reason driftgate posts: an Event with another is not its. */
static const char *const reasons[] = {"DriftDenied", "DriftBreakGlass", "DriftReconciled",
                                      "DriftDetected", "DriftResolved"};

int dg_kevent_for_decision(const char *verdict_name, dg_kevent_t *e)
{
    for (size_t i = 0; verdict_name && i < sizeof decisions / sizeof decisions[0]; i++)
        if (strcmp(decisions[i].verdict, verdict_name) == 0) {
            e->reason = decisions[i].reason;
            e->action = decisions[i].action;
            e->warning = decisions[i].warning;
            e->decision = decisions[i].verdict;
            return 0;
        }
    return -1;
}

static const char *or(const char *s, const char *dflt)
{
    return s && s[0] ? s : dflt;
}

/* Each part of a note is cut to a byte count, which may split a UTF-8
 * sequence (a requested value is anyone's text): such bytes become '?',
 * since the API server, and jansson before it, refuse the whole note. */
static void utf8_clean(char *s)
{
    unsigned char *p = (unsigned char *)s;

    while (*p) {
        size_t n = *p < 0x80 ? 1 : (*p >> 5) == 0x6 ? 2 : (*p >> 4) == 0xE ? 3 : (*p >> 3) == 0x1E ? 4 : 0;
        size_t i = 1;

        while (n > 1 && i < n && (p[i] & 0xC0) == 0x80)
            i++;
        if (n == 0 || i < n) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

void dg_kevent_note(const dg_kevent_t *e, char *out, size_t size)
{
    int n;

    if (size == 0)
        return;
    if (size > DG_KEVENT_NOTE_MAX)
        size = DG_KEVENT_NOTE_MAX;
    /* Each part is cut so that the release always fits: a note the API
     * server refuses (over 1 kB) would lose the whole Event. */
    n = snprintf(out, size, "%.60s %.200s %.200s: desired %.120s, %s %.120s", or(e->kind, "object"),
                 or(e->name, "?"), or(e->path, "(object)"), or(e->desired, "absent"),
                 or(e->value_label, "requested"), or(e->value, "absent"));
    if (n > 0 && (size_t)n < size && e->more)
        n += snprintf(out + n, size - (size_t)n, " (+%zu more)", e->more);
    if (n > 0 && (size_t)n < size && e->user && e->user[0])
        n += snprintf(out + n, size - (size_t)n, " by %.120s", e->user);
    if (n > 0 && (size_t)n < size && e->release && e->release[0])
        snprintf(out + n, size - (size_t)n, " (release %.200s)", e->release);
    utf8_clean(out);
}

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull; /* a separator: "ab","c" != "a","bc" */
}

uint64_t dg_kevent_key(const dg_kevent_t *e, const char *note)
{
    uint64_t h = 1469598103934665603ull;

    h = fnv(h, e->kind);
    h = fnv(h, e->ns);
    h = fnv(h, e->name);
    h = fnv(h, e->uid);
    h = fnv(h, e->reason);
    return fnv(h, note);
}

void dg_kevent_microtime(int64_t ns, char *out, size_t size)
{
    time_t s = (time_t)(ns / 1000000000);
    struct tm tm;
    char day[24];

    gmtime_r(&s, &tm);
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%s.%06ldZ", day, (long)(ns % 1000000000 / 1000));
}

/* A copy of @s cut to @max bytes (never inside a UTF-8 sequence). */
static json_t *cut(const char *s, size_t max)
{
    size_t n = strlen(s);

    if (n > max) {
        n = max;
        while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    return json_stringn(s, n);
}

/* The driftgate.io/ annotations an Event carries for the rebuild: each is
 * signed (see the canonical form below). */
static const char *const ann_keys[] = {
    "driftgate.io/decision", "driftgate.io/release",    "driftgate.io/user",
    "driftgate.io/rule",     "driftgate.io/variances",  "driftgate.io/reconciled",
    "driftgate.io/group",    "driftgate.io/resource",
};

static int annotate(json_t *ann, const char *key, const char *val)
{
    return val && val[0] ? json_object_set_new(ann, key, cut(val, DG_KEVENT_ANN_MAX)) : 0;
}

json_t *dg_kevent_json(const dg_kevent_t *e, const char *note, const char *name,
                       const char *instance, int64_t now_ns)
{
    char when[40];
    const char *ns = or(e->ns, "default");
    json_t *ann = json_object(), *reg, *ev;
    int rc = ann ? 0 : -1;

    dg_kevent_microtime(now_ns, when, sizeof when);
    {
        /* In ann_keys[] order. */
        const char *vals[] = {e->decision, e->release, e->user, e->rule,
                              e->variances, e->reconciled, e->group, e->resource};

        for (size_t i = 0; i < sizeof ann_keys / sizeof ann_keys[0]; i++)
            rc |= annotate(ann, ann_keys[i], vals[i]);
    }
    reg = json_pack("{s:s, s:s, s:s, s:s}", "apiVersion", or(e->api_version, "v1"), "kind",
                    or(e->kind, "Object"), "name", or(e->name, "?"), "namespace", or(e->ns, ""));
    if (reg && !(e->ns && e->ns[0]))
        json_object_del(reg, "namespace");
    if (reg && e->uid && e->uid[0])
        rc |= json_object_set_new(reg, "uid", json_string(e->uid));
    if (reg && e->resource_version && e->resource_version[0])
        rc |= json_object_set_new(reg, "resourceVersion", json_string(e->resource_version));
    ev = rc || reg == NULL ? NULL
                           : json_pack("{s:s, s:s, s:{s:s, s:s, s:o}, s:s, s:s, s:s, s:s, s:s, "
                                       "s:s, s:s, s:o}",
                                       "apiVersion", "events.k8s.io/v1", "kind", "Event",
                                       "metadata", "name", name, "namespace", ns, "annotations",
                                       ann, "eventTime", when, "reportingController",
                                       DG_KEVENT_CONTROLLER, "reportingInstance", instance,
                                       "action", e->action, "reason", e->reason, "type",
                                       e->warning ? "Warning" : "Normal", "note", note,
                                       "regarding", reg);
    if (ev == NULL) {
        json_decref(ann);
        json_decref(reg);
    }
    return ev;
}

json_t *dg_kevent_series_patch(long count, int64_t last_ns)
{
    char when[40];

    dg_kevent_microtime(last_ns, when, sizeof when);
    return json_pack("{s:{s:I, s:s}}", "series", "count", (json_int_t)count, "lastObservedTime",
                     when);
}

/* ---- aggregation ------------------------------------------------------------------ */

typedef struct entry {
    uint64_t key;
    char name[254];
    long count;
    int64_t last_ns;
    uint64_t used; /* the last observation's tick: the least is forgotten first */
} entry_t;

struct dg_kevent_agg {
    entry_t *e;
    size_t n, cap;
    int64_t window_ns;
    uint64_t tick;
};

dg_kevent_agg_t *dg_kevent_agg_new(size_t cap, int64_t window_ns)
{
    dg_kevent_agg_t *a = calloc(1, sizeof *a);

    if (a == NULL || (a->e = calloc(cap ? cap : 1, sizeof *a->e)) == NULL) {
        free(a);
        return NULL;
    }
    a->cap = cap ? cap : 1;
    a->window_ns = window_ns;
    return a;
}

void dg_kevent_agg_free(dg_kevent_agg_t **ap)
{
    if (ap && *ap) {
        free((*ap)->e);
        free(*ap);
        *ap = NULL;
    }
}

static entry_t *lookup(dg_kevent_agg_t *a, uint64_t key)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->e[i].key == key)
            return &a->e[i];
    return NULL;
}

dg_kevent_op_t dg_kevent_agg_observe(dg_kevent_agg_t *a, uint64_t key, const char *obj_name,
                                     long n, int64_t now_ns, char *name, long *count)
{
    entry_t *x = lookup(a, key);

    a->tick++;
    if (x && now_ns - x->last_ns <= a->window_ns) {
        x->count += n;
        x->last_ns = now_ns;
        x->used = a->tick;
        memcpy(name, x->name, sizeof x->name);
        *count = x->count;
        return DG_KEVENT_PATCH;
    }
    if (x == NULL && a->n < a->cap) {
        x = &a->e[a->n++];
    } else if (x == NULL) {
        x = &a->e[0];
        for (size_t i = 1; i < a->n; i++)
            if (a->e[i].used < x->used)
                x = &a->e[i];
    }
    x->key = key;
    /* client-go names an Event "<object>.<unique hex>"; the time keeps
     * names of successive windows apart, the key those of one instant. */
    snprintf(x->name, sizeof x->name, "%.200s.%016llx", or(obj_name, "object"),
             (unsigned long long)(key ^ (uint64_t)now_ns));
    for (char *p = x->name; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    x->count = n;
    x->last_ns = now_ns;
    x->used = a->tick;
    memcpy(name, x->name, sizeof x->name);
    *count = n;
    return DG_KEVENT_CREATE;
}

void dg_kevent_agg_forget(dg_kevent_agg_t *a, uint64_t key)
{
    entry_t *x = lookup(a, key);

    if (x)
        *x = a->e[--a->n];
}

/* ---- signing ------------------------------------------------------------------------- */

/* Why a signature. Everything else on an Event (reportingController,
 * reportingInstance, the field manager) is whatever its creator sent, and
 * every namespace editor may create Events in their namespace: without a
 * secret only driftgate holds, a forged Event would show in the audit
 * timeline as a decision driftgate made. The secret is derived from the
 * serving key, which lives in driftgate's own namespace. */

#define SIG_PREFIX "v1:"
#define SIG_SIZE 48 /* "v1:" + 43 base64url characters + NUL */

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

int dg_kevent_sign_key(const void *secret, size_t len, uint8_t key[DG_KEVENT_KEY_LEN])
{
    static const char label[] = "driftgate.io/events/v1";
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned n = 0;
    int rc = 0;

    /* Failing (libcrypto out of memory) is an error, not a fixed key:
     * Events signed with a key anyone can compute would be believed. */
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(md, label, sizeof label - 1) != 1 ||
        EVP_DigestUpdate(md, secret, len) != 1 || EVP_DigestFinal_ex(md, key, &n) != 1 ||
        n != DG_KEVENT_KEY_LEN)
        rc = DG_ENOMEM;
    EVP_MD_CTX_free(md);
    return rc;
}

/* The fields an Event's signature covers: what the rebuild on start reads,
 * as driftgate wrote it at creation. Not covered:
 *  - series (count, lastObservedTime): driftgate PATCHes it on every repeat
 *    within the aggregation window with a small merge patch, without
 *    reading the Event back or signing it again. Whoever may PATCH an Event
 *    can therefore move a genuine Event's series: the count is not read by
 *    the rebuild, and lastObservedTime (the time the rebuild files the
 *    decision at) is kept between the signed eventTime and the time of the
 *    rebuild by dg_kevent_to_audit(): a real decision can only be slid
 *    later within that range, never invented or moved before it happened.
 *  - what the API server sets (uid, resourceVersion, managedFields,
 *    creationTimestamp) and the regarding object's resourceVersion, which
 *    the rebuild does not read.
 * A verbatim copy under the same namespace and name (once the original has
 * expired) verifies: it repeats a decision driftgate did make. */
static const struct {
    const char *obj, *key; /* obj NULL: a top-level field */
} covered[] = {
    {"metadata", "namespace"}, {"metadata", "name"},
    {"regarding", "apiVersion"}, {"regarding", "kind"}, {"regarding", "namespace"},
    {"regarding", "name"}, {"regarding", "uid"},
    {NULL, "reason"}, {NULL, "note"}, {NULL, "type"}, {NULL, "action"},
    {NULL, "reportingController"}, {NULL, "reportingInstance"},
};

/* "<name>=<length>:<value>\n": the length makes the form unambiguous (no
 * value can end one field and begin the next). Absent and "" are one:
 * Kubernetes omits an empty string, so a field posted empty reads back
 * absent. Any other type is not driftgate's. */
static int put_field(dg_buf_t *out, const char *name, const json_t *v, dg_err_t *err)
{
    const char *s = json_string_value(v);

    if (v && !json_is_string(v))
        return dg_err_set(err, DG_EPARSE, "Event field %s is not a string", name);
    if (dg_buf_printf(out, "%s=%zu:", name, s ? json_string_length(v) : 0) ||
        (s && dg_buf_append(out, s, json_string_length(v))) || dg_buf_puts(out, "\n"))
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    return 0;
}

int dg_kevent_canonical(const json_t *ev, dg_buf_t *out, dg_err_t *err)
{
    const json_t *ann = json_object_get(json_object_get(ev, "metadata"), "annotations");
    const char *when = str(ev, "eventTime");
    char name[96];
    int64_t t;
    int rc = 0;

    if (!json_is_object(ev))
        return dg_err_set(err, DG_EPARSE, "an Event is an object");
    if (dg_buf_puts(out, "driftgate.io/events/v1\n"))
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < sizeof covered / sizeof covered[0]; i++) {
        const json_t *o = covered[i].obj ? json_object_get(ev, covered[i].obj) : ev;

        snprintf(name, sizeof name, "%s%s%s", covered[i].obj ? covered[i].obj : "",
                 covered[i].obj ? "." : "", covered[i].key);
        rc = put_field(out, name, json_object_get(o, covered[i].key), err);
    }
    for (size_t i = 0; !rc && i < sizeof ann_keys / sizeof ann_keys[0]; i++)
        rc = put_field(out, ann_keys[i], json_object_get(ann, ann_keys[i]), err);
    if (rc)
        return rc;
    /* As the instant, not the text: the same time written another way
     * (the API server re-formats MicroTime) still verifies. */
    if (when == NULL || dg_rfc3339_parse_ns(when, &t) != 0)
        return dg_err_set(err, DG_EPARSE, "Event eventTime is not a time");
    if (dg_buf_printf(out, "eventTime=%lld\n", (long long)t))
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    return 0;
}

/* The signature of @ev's canonical form into @out (SIG_SIZE bytes). */
static int signature(const json_t *ev, const uint8_t key[DG_KEVENT_KEY_LEN], char *out,
                     dg_err_t *err)
{
    unsigned char mac[EVP_MAX_MD_SIZE], b64[64];
    unsigned maclen = 0;
    dg_buf_t c;
    int rc, n;

    dg_buf_init(&c, 0);
    rc = dg_kevent_canonical(ev, &c, err);
    if (!rc && HMAC(EVP_sha256(), key, DG_KEVENT_KEY_LEN, (const unsigned char *)c.data, c.len,
                    mac, &maclen) == NULL)
        rc = dg_err_set(err, DG_ENOMEM, "out of memory signing an Event");
    dg_buf_free(&c);
    if (rc)
        return rc;
    /* base64url without padding: the value travels in an annotation. */
    n = EVP_EncodeBlock(b64, mac, (int)maclen);
    while (n > 0 && b64[n - 1] == '=')
        n--;
    for (int i = 0; i < n; i++)
        b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
    snprintf(out, SIG_SIZE, SIG_PREFIX "%.*s", n, (const char *)b64);
    return 0;
}

int dg_kevent_sign(json_t *ev, const uint8_t key[DG_KEVENT_KEY_LEN], dg_err_t *err)
{
    json_t *meta = json_object_get(ev, "metadata"), *ann = json_object_get(meta, "annotations");
    char sig[SIG_SIZE];
    int rc;

    if (!json_is_object(meta))
        return dg_err_set(err, DG_EPARSE, "an Event without metadata");
    if (ann == NULL) {
        if (json_object_set_new(meta, "annotations", json_object()))
            return dg_err_set(err, DG_ENOMEM, "out of memory");
        ann = json_object_get(meta, "annotations");
    }
    rc = signature(ev, key, sig, err);
    if (!rc && json_object_set_new(ann, DG_KEVENT_SIG_ANNOTATION, json_string(sig)))
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    return rc;
}

bool dg_kevent_verify(const json_t *ev, const uint8_t key[DG_KEVENT_KEY_LEN])
{
    const json_t *ann = json_object_get(json_object_get(ev, "metadata"), "annotations");
    const char *got = str(ann, DG_KEVENT_SIG_ANNOTATION);
    char want[SIG_SIZE];
    size_t n;

    if (got == NULL || signature(ev, key, want, NULL) != 0)
        return false;
    n = strlen(want);
    /* The length is no secret; the bytes are compared in constant time,
     * so a forger learns nothing from how long a wrong guess took. */
    return strlen(got) == n && CRYPTO_memcmp(got, want, n) == 0;
}

/* ---- reading Events back --------------------------------------------------------------- */

static bool bounded(const char *s, size_t max)
{
    return s && s[0] && strlen(s) <= max;
}

void dg_kevent_instance_prefix(const char *own, char *out, size_t size, bool *exact)
{
    const char *last = own ? strrchr(own, '-') : NULL, *prev = last;

    while (prev && prev > own && prev[-1] != '-')
        prev--;
    *exact = last == NULL || prev == NULL || prev == own;
    snprintf(out, size, "%.*s", *exact ? 200 : (int)(prev - own), own ? own : "");
}

bool dg_kevent_trusted(const json_t *ev, const char *prefix, bool exact,
                       const uint8_t key[DG_KEVENT_KEY_LEN])
{
    const json_t *meta = json_object_get(ev, "metadata"), *reg = json_object_get(ev, "regarding");
    const char *ctl = str(ev, "reportingController"), *inst = str(ev, "reportingInstance");
    const char *reason = str(ev, "reason"), *ns = str(meta, "namespace");
    bool known = false;

    if (!ctl || strcmp(ctl, DG_KEVENT_CONTROLLER) != 0 || !bounded(inst, 128) || !reason)
        return false;
    if (prefix && (exact ? strcmp(inst, prefix) != 0 : strncmp(inst, prefix, strlen(prefix)) != 0))
        return false;
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        known |= strcmp(reasons[i], reason) == 0;
    /* An Event about an object in another namespace is not one driftgate
     * posts (it posts in the object's own); the API server allows it. */
    if (!known || !bounded(ns, DG_KEVENT_FIELD_MAX) || !bounded(str(reg, "name"), DG_KEVENT_FIELD_MAX) ||
        !bounded(str(reg, "kind"), 63))
        return false;
    if (str(reg, "namespace") && strcmp(str(reg, "namespace"), ns) != 0)
        return false;
    if (str(ev, "note") && strlen(str(ev, "note")) >= DG_KEVENT_NOTE_MAX)
        return false;
    /* The checks above are cheap filters; this is the proof. (The field
     * manager is no longer one of them: anyone forges it, and the API
     * server drops driftgate's managedFields entry when the Event is
     * patched through core/v1, so a genuine Event whose series someone
     * patched would be refused.) */
    return dg_kevent_verify(ev, key);
}

/* The time the rebuild files @ev's decision at, into @out: when its
 * series was last observed, kept between its signed eventTime and @now_ns
 * (the series is not signed: see covered[]), else its eventTime. -1 when
 * it has no eventTime. */
static int event_time(const json_t *ev, int64_t now_ns, char *out, size_t size)
{
    const char *first = str(ev, "eventTime");
    const char *last = str(json_object_get(ev, "series"), "lastObservedTime");
    int64_t t0, t;

    if (first == NULL || dg_rfc3339_parse_ns(first, &t0) != 0 || t0 < 0)
        return -1;
    if (last == NULL || dg_rfc3339_parse_ns(last, &t) != 0 || t < t0)
        t = t0;
    if (t > now_ns)
        t = now_ns > t0 ? now_ns : t0;
    dg_kevent_microtime(t, out, size);
    return 0;
}

json_t *dg_kevent_to_audit(const json_t *ev, const char *webhook, int64_t now_ns)
{
    const json_t *meta = json_object_get(ev, "metadata"), *reg = json_object_get(ev, "regarding");
    const json_t *ann = json_object_get(meta, "annotations");
    const char *decision = str(ann, "driftgate.io/decision"), *res = str(ann, "driftgate.io/resource");
    static const char *const keys[] = {"release", "rule", "variances", "reconciled"};
    char key[300], when[40];
    json_t *out, *a;
    int rc = 0;

    if (!decision || !bounded(res, 63) || !webhook || event_time(ev, now_ns, when, sizeof when))
        return NULL;
    a = json_object();
    for (size_t i = 0; a && i < sizeof keys / sizeof keys[0]; i++) {
        char ak[64];
        const char *v;

        snprintf(ak, sizeof ak, "driftgate.io/%s", keys[i]);
        v = str(ann, ak);
        snprintf(key, sizeof key, "%.200s/%s", webhook, keys[i]);
        if (v && strlen(v) <= DG_KEVENT_ANN_MAX)
            rc |= json_object_set_new(a, key, json_string(v));
    }
    snprintf(key, sizeof key, "%.200s/decision", webhook);
    if (a)
        rc |= json_object_set_new(a, key, cut(decision, 64));
    out = a == NULL || rc ? NULL
                          : json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:{s:s, "
                                      "s:s, s:s, s:s}, s:{s:i}, s:o}",
                                      "userAgent", DG_KEVENT_USER_AGENT,
                                      "kind", "Event", "apiVersion", "audit.k8s.io/v1", "level",
                                      "Metadata", "auditID", or(str(meta, "uid"), or(str(meta, "name"), "")),
                                      "stage", "ResponseComplete", "verb", "patch",
                                      "requestReceivedTimestamp", when, "user", "username",
                                      or(str(ann, "driftgate.io/user"), "unknown"), "objectRef",
                                      "apiGroup", or(str(ann, "driftgate.io/group"), ""),
                                      "resource", res, "namespace", or(str(reg, "namespace"), ""),
                                      "name", or(str(reg, "name"), ""), "responseStatus", "code",
                                      strcmp(decision, "deny") == 0 ? 403 : 200, "annotations", a);
    if (out == NULL)
        json_decref(a);
    return out;
}
