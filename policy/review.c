/* policy/review.c: the AdmissionReview codec (admission.k8s.io/v1, v1beta1).
 * Strict and defensive: the body comes from the network, so every field is
 * type-checked and every refusal names the field and what is wrong.
 * Pure: libc, jansson. SPDX-License-Identifier: Apache-2.0 */
#include "review.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "json.h"

#define API_V1 "admission.k8s.io/v1"
#define API_V1BETA1 "admission.k8s.io/v1beta1"

/* A Kubernetes UID is 36 characters; anything far longer is not one. */
#define MAX_UID_LEN 256

/* The API server's limits on what a webhook may return. */
#define WARN_MAX_LEN 120
#define WARN_MAX_COUNT 16
#define WARN_MAX_TOTAL 4096
#define ANNOT_KEY_MAX 63
#define ANNOT_VALUE_MAX 1024

/* ---- decoding ------------------------------------------------------------ */

static const char *type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "unknown";
}

/* Read optional string @key of @obj (named @ctx in messages) into *@out;
 * absent or null leaves "" there. */
static int opt_string(const json_t *obj, const char *ctx, const char *key, const char **out,
                      const char *where, dg_err_t *err)
{
    json_t *v = json_object_get(obj, key);

    *out = "";
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "%s.%s is %s, expected a string", ctx,
                         key, type_name(v));
    *out = json_string_value(v);
    return 0;
}

/* Optional object @key of @obj: *@out NULL when absent or null. */
static int opt_object(const json_t *obj, const char *ctx, const char *key, json_t **out,
                      const char *where, dg_err_t *err)
{
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "%s.%s is %s, expected an object", ctx,
                         key, type_name(v));
    *out = v;
    return 0;
}

static int check_envelope(const json_t *root, const char **api_version, const char *where,
                          dg_err_t *err)
{
    json_t *av = json_object_get(root, "apiVersion");
    json_t *kind = json_object_get(root, "kind");

    /* A bare AdmissionRequest (the request stanza alone) is a common mistake
     * of test tooling; say so rather than complain about apiVersion. */
    if (json_object_get(root, "request") == NULL)
        return dg_err_at(err, DG_EINVAL, where, 0, 0,
                         "body is not an AdmissionReview: missing \"request\"");
    if (kind == NULL)
        return dg_err_at(err, DG_EINVAL, where, 0, 0,
                         "kind is missing, expected \"AdmissionReview\"");
    if (!json_is_string(kind) || strcmp(json_string_value(kind), "AdmissionReview") != 0)
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "kind is %s%s%s, expected \"AdmissionReview\"",
                         json_is_string(kind) ? "\"" : "",
                         json_is_string(kind) ? json_string_value(kind) : type_name(kind),
                         json_is_string(kind) ? "\"" : "");
    if (av == NULL) {
        /* Older clients omit it; the shape is v1's. */
        *api_version = API_V1;
        return 0;
    }
    if (!json_is_string(av))
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "apiVersion is %s, expected \"%s\" or \"%s\"",
                         type_name(av), API_V1, API_V1BETA1);
    if (strcmp(json_string_value(av), API_V1) == 0)
        *api_version = API_V1;
    else if (strcmp(json_string_value(av), API_V1BETA1) == 0)
        *api_version = API_V1BETA1;
    else
        return dg_err_at(err, DG_EINVAL, where, 0, 0,
                         "apiVersion \"%.80s\" is not supported, expected \"%s\" or \"%s\"",
                         json_string_value(av), API_V1, API_V1BETA1);
    return 0;
}

static int read_uid_op(dg_review_t *rv, const json_t *req, const char *where, dg_err_t *err)
{
    static const char *const ops[] = {"CREATE", "UPDATE", "DELETE", "CONNECT"};
    json_t *uid = json_object_get(req, "uid");
    json_t *op = json_object_get(req, "operation");

    if (uid == NULL || json_is_null(uid))
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "request.uid is missing");
    if (!json_is_string(uid))
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "request.uid is %s, expected a string",
                         type_name(uid));
    if (json_string_length(uid) == 0)
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "request.uid is empty");
    if (json_string_length(uid) > MAX_UID_LEN)
        return dg_err_at(err, DG_EINVAL, where, 0, 0,
                         "request.uid is %zu characters, more than %d",
                         json_string_length(uid), MAX_UID_LEN);
    rv->uid = json_string_value(uid);
    if (op == NULL || json_is_null(op))
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "request.operation is missing");
    if (!json_is_string(op))
        return dg_err_at(err, DG_EINVAL, where, 0, 0,
                         "request.operation is %s, expected a string", type_name(op));
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(json_string_value(op), ops[i]) == 0)
            rv->operation = ops[i];
    /* An operation a later API server adds is answered (allowed, untouched
     * by dg_decide), never refused: under failurePolicy Fail a 400 would
     * block it cluster-wide. */
    if (rv->operation == NULL)
        rv->operation = json_string_value(op);
    return 0;
}

/* request.kind and request.resource: group/version/kind|resource strings. */
static int read_gvk(dg_review_t *rv, const json_t *req, const char *where, dg_err_t *err)
{
    json_t *kind, *res;
    const char *ver;
    int rc;

    rc = opt_object(req, "request", "kind", &kind, where, err);
    if (!rc && kind)
        rc = opt_string(kind, "request.kind", "group", &rv->kind_group, where, err);
    if (!rc && kind)
        rc = opt_string(kind, "request.kind", "version", &ver, where, err);
    if (!rc && kind)
        rc = opt_string(kind, "request.kind", "kind", &rv->kind, where, err);
    if (!rc)
        rc = opt_object(req, "request", "resource", &res, where, err);
    if (!rc && res)
        rc = opt_string(res, "request.resource", "group", &rv->group, where, err);
    if (!rc && res)
        rc = opt_string(res, "request.resource", "version", &rv->version, where, err);
    if (!rc && res)
        rc = opt_string(res, "request.resource", "resource", &rv->resource, where, err);
    return rc;
}

static int read_user(dg_review_t *rv, const json_t *req, const char *where, dg_err_t *err)
{
    json_t *ui, *groups, *g;
    size_t i;
    int rc;

    rc = opt_object(req, "request", "userInfo", &ui, where, err);
    if (rc || ui == NULL)
        return rc;
    rc = opt_string(ui, "request.userInfo", "username", &rv->user, where, err);
    if (rc)
        return rc;
    groups = json_object_get(ui, "groups");
    if (groups == NULL || json_is_null(groups))
        return 0;
    if (!json_is_array(groups))
        return dg_err_at(err, DG_EINVAL, where, 0, 0,
                         "request.userInfo.groups is %s, expected an array of strings",
                         type_name(groups));
    rv->groups = calloc(json_array_size(groups) + 1, sizeof *rv->groups);
    if (rv->groups == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory reading request.userInfo.groups");
    json_array_foreach(groups, i, g)
    {
        if (!json_is_string(g))
            return dg_err_at(err, DG_EINVAL, where, 0, 0,
                             "request.userInfo.groups[%zu] is %s, expected a string", i,
                             type_name(g));
        ((const char **)rv->groups)[i] = json_string_value(g);
    }
    rv->ngroups = json_array_size(groups);
    return 0;
}

/* object/oldObject must be objects; their metadata and metadata.name must
 * have the right types because the gate derives identity from them. */
static int read_object(const json_t *req, const char *key, json_t **out, const char *where,
                       dg_err_t *err)
{
    char ctx[32];
    json_t *meta;
    const char *name;
    int rc;

    rc = opt_object(req, "request", key, out, where, err);
    if (rc || *out == NULL)
        return rc;
    snprintf(ctx, sizeof ctx, "request.%s", key);
    rc = opt_object(*out, ctx, "metadata", &meta, where, err);
    if (!rc && meta) {
        snprintf(ctx, sizeof ctx, "request.%s.metadata", key);
        rc = opt_string(meta, ctx, "name", &name, where, err);
    }
    return rc;
}

static int read_request(dg_review_t *rv, const json_t *req, const char *where, dg_err_t *err)
{
    json_t *dry, *meta;
    int rc;

    rc = read_uid_op(rv, req, where, err);
    if (!rc)
        rc = read_gvk(rv, req, where, err);
    if (!rc)
        rc = opt_string(req, "request", "subResource", &rv->subresource, where, err);
    if (!rc)
        rc = opt_string(req, "request", "namespace", &rv->ns, where, err);
    if (!rc)
        rc = opt_string(req, "request", "name", &rv->name, where, err);
    if (!rc)
        rc = read_user(rv, req, where, err);
    if (!rc)
        rc = read_object(req, "object", &rv->object, where, err);
    if (!rc)
        rc = read_object(req, "oldObject", &rv->old_object, where, err);
    if (rc)
        return rc;
    dry = json_object_get(req, "dryRun");
    if (dry != NULL && !json_is_null(dry) && !json_is_boolean(dry))
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "request.dryRun is %s, expected a boolean",
                         type_name(dry));
    rv->dry_run = json_is_true(dry);
    meta = rv->object ? json_object_get(rv->object, "metadata") : NULL;
    if (rv->name[0] == '\0' && json_is_string(json_object_get(meta, "name")))
        rv->name = json_string_value(json_object_get(meta, "name"));
    return 0;
}

/* Every refusal of a field names it first ("request.uid is a number, ...",
 * "kind is missing"): place the error at that field in the text, or at the
 * nearest enclosing one that is there (a missing field's object). */
static void place(dg_err_t *err, const char *data, size_t len)
{
    char path[128];
    size_t n;

    if (err == NULL || err->code != DG_EINVAL || err->line != 0)
        return;
    n = strspn(err->msg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.[]");
    if (n == 0 || n >= sizeof path || err->msg[n] != ' ')
        return;
    memcpy(path, err->msg, n);
    path[n] = '\0';
    while (dg_json_locate(data, len, path, &err->line, &err->col) != 0 && path[0]) {
        char *cut = path + strlen(path);

        while (cut > path && *cut != '.' && *cut != '[')
            cut--;
        *cut = '\0';
    }
}

dg_review_t *dg_review_parse(const char *data, size_t len, const char *where, size_t max_bytes,
                             dg_err_t *err)
{
    dg_review_t *rv = NULL;
    json_t *req;

    if (where == NULL)
        where = "<request>";
    if (max_bytes == 0)
        max_bytes = DG_MAX_REVIEW_BYTES;
    if (len > max_bytes) {
        dg_err_at(err, DG_ETOOBIG, where, 0, 0, "body is %zu bytes, more than the limit of %zu",
                  len, max_bytes);
        return NULL;
    }
    rv = calloc(1, sizeof *rv);
    if (rv == NULL) {
        dg_err_set(err, DG_ENOMEM, "out of memory reading %s", where);
        return NULL;
    }
    /* Duplicate keys are refused: two parsers reading different values of
     * one key is how a review smuggles an object past a webhook. */
    rv->root = dg_json_parse(data, len, DG_JSON_PRUNE_SERVER, where, err);
    if (rv->root == NULL)
        goto fail;
    if (!json_is_object(rv->root)) {
        dg_err_at(err, DG_EINVAL, where, 0, 0, "body is %s, expected an AdmissionReview object",
                  type_name(rv->root));
        goto fail;
    }
    if (check_envelope(rv->root, &rv->api_version, where, err))
        goto fail;
    req = json_object_get(rv->root, "request");
    if (!json_is_object(req)) {
        dg_err_at(err, DG_EINVAL, where, 0, 0, "request is %s, expected an object",
                  type_name(req));
        goto fail;
    }
    rv->operation = NULL;
    rv->kind_group = rv->kind = rv->group = rv->version = rv->resource = "";
    rv->subresource = rv->ns = rv->name = rv->user = "";
    if (read_request(rv, req, where, err))
        goto fail;
    return rv;
fail:
    if (rv->root)
        place(err, data, len);
    dg_review_free(&rv);
    return NULL;
}

void dg_review_free(dg_review_t **rv)
{
    if (rv == NULL || *rv == NULL)
        return;
    json_decref((*rv)->root);
    free((void *)(*rv)->groups);
    free(*rv);
    *rv = NULL;
}

/* ---- the response -------------------------------------------------------- */

void dg_response_init(dg_response_t *r)
{
    memset(r, 0, sizeof *r);
}

void dg_response_free(dg_response_t *r)
{
    if (r == NULL)
        return;
    free(r->reason);
    free(r->message);
    for (size_t i = 0; i < r->nwarnings; i++)
        free(r->warnings[i]);
    free(r->warnings);
    for (size_t i = 0; i < r->nannotations; i++) {
        free(r->annotations[i].key);
        free(r->annotations[i].value);
    }
    free(r->annotations);
    memset(r, 0, sizeof *r);
}

/* Length of the valid UTF-8 sequence at @s (at most @avail bytes), or 0 if
 * the bytes there are not one. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
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
    /* Overlong forms, surrogates and values past U+10FFFF. */
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* A copy of @s that is valid UTF-8 (bad bytes become '?', control
 * characters a space), at most @max bytes: when longer, cut on a character
 * boundary and end with "...". Returns malloced text or NULL (ENOMEM). */
static char *clean_text(const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s), i = 0, o = 0, cut = 0;
    char *out = malloc((len < max ? len : max) + 1);

    if (out == NULL)
        return NULL;
    while (i < len) {
        size_t n = utf8_seq(p + i, len - i);
        size_t w = n ? n : 1;

        if (o + w > max) {
            /* Back up to the last boundary that leaves room for "...". */
            o = cut;
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (n == 0)
            out[o] = '?';
        else if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))
            out[o] = ' ';
        else
            memcpy(out + o, p + i, n);
        o += w;
        i += w;
        if (o + 3 <= max)
            cut = o;
    }
    out[o] = '\0';
    return out;
}

DG_VPRINTF(1)
static char *vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    char *s;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    s = malloc((size_t)n + 1);
    if (s != NULL)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

int dg_response_warn(dg_response_t *r, const char *fmt, ...)
{
    size_t total = 0;
    char *text, *w, **grown;
    va_list ap;

    va_start(ap, fmt);
    text = vformat(fmt, ap);
    va_end(ap);
    if (text == NULL)
        return DG_ENOMEM;
    w = clean_text(text, WARN_MAX_LEN);
    free(text);
    if (w == NULL)
        return DG_ENOMEM;
    for (size_t i = 0; i < r->nwarnings; i++)
        total += strlen(r->warnings[i]);
    /* Past the API server's limits a warning is dropped, not an error: the
     * answer itself must still go out. */
    if (r->nwarnings >= WARN_MAX_COUNT || total + strlen(w) > WARN_MAX_TOTAL) {
        free(w);
        return 0;
    }
    grown = realloc(r->warnings, (r->nwarnings + 1) * sizeof *grown);
    if (grown == NULL) {
        free(w);
        return DG_ENOMEM;
    }
    r->warnings = grown;
    r->warnings[r->nwarnings++] = w;
    return 0;
}

static int is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A qualified name without prefix: the API server prepends the webhook's
 * name and "/" itself, so a key with a "/" would be rejected there. */
static int valid_key(const char *k)
{
    size_t n = strlen(k);

    if (n == 0 || n > ANNOT_KEY_MAX || !is_alnum(k[0]) || !is_alnum(k[n - 1]))
        return 0;
    for (size_t i = 1; i + 1 < n; i++)
        if (!is_alnum(k[i]) && k[i] != '-' && k[i] != '_' && k[i] != '.')
            return 0;
    return 1;
}

int dg_response_annotate(dg_response_t *r, const char *key, const char *fmt, ...)
{
    dg_annotation_t *grown;
    char *text, *value, *k;
    va_list ap;

    if (key == NULL || !valid_key(key))
        return DG_EINVAL;
    va_start(ap, fmt);
    text = vformat(fmt, ap);
    va_end(ap);
    if (text == NULL)
        return DG_ENOMEM;
    value = clean_text(text, ANNOT_VALUE_MAX);
    free(text);
    if (value == NULL)
        return DG_ENOMEM;
    for (size_t i = 0; i < r->nannotations; i++) {
        if (strcmp(r->annotations[i].key, key) == 0) {
            free(r->annotations[i].value);
            r->annotations[i].value = value;
            return 0;
        }
    }
    k = strdup(key);
    grown = k ? realloc(r->annotations, (r->nannotations + 1) * sizeof *grown) : NULL;
    if (grown == NULL) {
        free(k);
        free(value);
        return DG_ENOMEM;
    }
    r->annotations = grown;
    r->annotations[r->nannotations].key = k;
    r->annotations[r->nannotations].value = value;
    r->nannotations++;
    return 0;
}

/* ---- encoding ------------------------------------------------------------ */

/* @s as a JSON string, as jansson's compact dump writes one (so the answer
 * is byte for byte what it always was): '"', '\\' and control characters
 * escaped, UTF-8 kept. A string that is not valid UTF-8 is written as its
 * cleaned copy, so a bad byte never costs the answer. */
static int put_str(dg_buf_t *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    char *clean = NULL;
    int rc = 0;

    for (size_t i = 0, n; i < len; i += n)
        if ((n = utf8_seq(p + i, len - i)) == 0) {
            if ((clean = clean_text(s, len + 3)) == NULL)
                return DG_ENOMEM;
            p = (const unsigned char *)clean;
            len = strlen(clean);
            break;
        }
    rc = dg_buf_puts(b, "\"");
    for (size_t i = 0; i < len && !rc; i++) {
        unsigned char c = p[i];
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};

        if (c >= 0x20 && c != '"' && c != '\\') {
            rc = dg_buf_append(b, (const char *)&p[i], 1);
            continue;
        }
        esc[1] = c == '"' ? '"' : c == '\\' ? '\\' : c == '\b' ? 'b' : c == '\f' ? 'f'
               : c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : 'u';
        if (esc[1] == 'u')
            memcpy(esc + 2, (char[]){'0', '0', hex[c >> 4], hex[c & 15]}, 4);
        rc = dg_buf_append(b, esc, esc[1] == 'u' ? 6 : 2);
    }
    if (!rc)
        rc = dg_buf_puts(b, "\"");
    free(clean);
    return rc;
}

/* "KEY":"VALUE" with @sep before it. */
static int put_member(dg_buf_t *b, const char *sep, const char *key, const char *value)
{
    int rc = dg_buf_puts(b, sep);

    if (!rc)
        rc = put_str(b, key);
    if (!rc)
        rc = dg_buf_puts(b, ":");
    return rc ? rc : put_str(b, value);
}

static int encode_status(dg_buf_t *b, const dg_response_t *r)
{
    int rc = dg_buf_printf(b, ",\"status\":{\"code\":%d", r->code ? r->code : 403);

    if (!rc)
        rc = put_member(b, ",", "reason", r->reason ? r->reason : "Forbidden");
    if (!rc && r->message)
        rc = put_member(b, ",", "message", r->message);
    return rc ? rc : dg_buf_puts(b, "}");
}

static int encode_lists(dg_buf_t *b, const dg_response_t *r)
{
    int rc = 0;

    if (r->nwarnings)
        rc = dg_buf_puts(b, ",\"warnings\":[");
    for (size_t i = 0; i < r->nwarnings && !rc; i++)
        if ((rc = dg_buf_puts(b, i ? "," : "")) == 0)
            rc = put_str(b, r->warnings[i]);
    if (!rc && r->nwarnings)
        rc = dg_buf_puts(b, "]");
    if (!rc && r->nannotations)
        rc = dg_buf_puts(b, ",\"auditAnnotations\":{");
    for (size_t i = 0; i < r->nannotations && !rc; i++)
        rc = put_member(b, i ? "," : "", r->annotations[i].key, r->annotations[i].value);
    if (!rc && r->nannotations)
        rc = dg_buf_puts(b, "}");
    return rc;
}

/* Written directly, not through jansson: its dump can drop a key and still
 * return text when an allocation fails inside it, and an answer the API
 * server cannot parse is worse than none. */
char *dg_review_encode(const char *api_version, const char *uid, const dg_response_t *r)
{
    dg_buf_t b;
    int rc;

    dg_buf_init(&b, 0);
    rc = put_member(&b, "{", "apiVersion", api_version ? api_version : API_V1);
    if (!rc)
        rc = put_member(&b, ",", "kind", "AdmissionReview");
    if (!rc)
        rc = put_member(&b, ",\"response\":{", "uid", uid ? uid : "");
    if (!rc)
        rc = dg_buf_puts(&b, r->allowed ? ",\"allowed\":true" : ",\"allowed\":false");
    if (!rc && !r->allowed)
        rc = encode_status(&b, r);
    if (!rc)
        rc = encode_lists(&b, r);
    if (!rc)
        rc = dg_buf_puts(&b, "}}");
    if (rc) {
        dg_buf_free(&b);
        return NULL;
    }
    return dg_buf_take(&b);
}

/* ---- building a request ------------------------------------------------------------ */

/* A stable uid from the request's text: the same request, the same answer. */
static void make_uid(const char *text, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t d[32];
    int j = 0;

    dg_codec_sha256(text, strlen(text), d);
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[j++] = '-';
        out[j++] = hex[d[i] >> 4];
        out[j++] = hex[d[i] & 15];
    }
    out[j] = '\0';
}

static json_t *user_info(const dg_review_req_t *r)
{
    json_t *groups = json_array();

    for (size_t i = 0; i < r->ngroups; i++)
        json_array_append_new(groups, json_string(r->groups[i]));
    if (r->ngroups == 0)
        json_array_append_new(groups, json_string("system:authenticated"));
    return json_pack("{s:s, s:o}", "username", r->user, "groups", groups);
}

static json_t *build_request(const dg_review_req_t *r)
{
    bool scale = r->subresource != NULL;
    bool create = strcmp(r->operation, "CREATE") == 0;
    json_t *kind = scale ? json_pack("{s:s,s:s,s:s}", "group", "autoscaling", "version", "v1",
                                     "kind", "Scale")
                         : json_pack("{s:s,s:s,s:s}", "group", r->ki->group, "version",
                                     r->version, "kind", r->ki->kind);
    json_t *res = json_pack("{s:s,s:s,s:s}", "group", r->ki->group, "version", r->version,
                            "resource", r->ki->resource);
    json_t *req = json_pack(
        "{s:s, s:O, s:O, s:O, s:O, s:s, s:s, s:s, s:o, s:O, s:O?, s:b, s:{s:s,s:s,s:s}}", "uid",
        "", "kind", kind, "resource", res, "requestKind", kind, "requestResource", res, "name",
        r->name, "namespace", r->ns, "operation", r->operation, "userInfo", user_info(r),
        "object", r->object, "oldObject", r->old_object, "dryRun", r->dry_run, "options",
        "apiVersion", "meta.k8s.io/v1", "kind", create ? "CreateOptions" : "UpdateOptions",
        "fieldManager", r->field_manager);
    char *text, uid[37];

    json_decref(kind);
    json_decref(res);
    if (req == NULL)
        return NULL;
    if (scale)
        json_object_set_new(req, "subResource", json_string(r->subresource));
    text = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
    make_uid(text ? text : "", uid);
    free(text);
    json_object_set_new(req, "uid", json_string(uid));
    return json_pack("{s:s, s:s, s:o}", "apiVersion", "admission.k8s.io/v1", "kind",
                     "AdmissionReview", "request", req);
}

dg_review_t *dg_review_build(const dg_review_req_t *req, dg_err_t *err)
{
    json_t *doc = build_request(req);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    dg_review_t *rv;

    json_decref(doc);
    if (text == NULL) {
        dg_err_set(err, DG_ENOMEM, "out of memory building a request");
        return NULL;
    }
    /* Through the wire format, exactly as driftgate receives it. */
    rv = dg_review_parse(text, strlen(text), "<simulated request>", 0, err);
    free(text);
    return rv;
}
