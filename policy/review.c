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
#include "jread.h"
#include "jwrite.h"

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

/* The body is read into nodes in the review's arena (policy/jread.c): the
 * envelope's strings are read there in place, and dg_decide judges object
 * and oldObject as nodes; with a want (the server's), only what the
 * decision reads of them is built. */

typedef const dg_jnode_t jnode_t;

/* What pick() chose the objects' want by, while the body was read. */
typedef struct picked {
    const dg_want_t *want;
    bool done;                 /* request.resource was read (the one: a
                                * second is refused as a duplicate key) */
    const dg_kindinfo_t *ki;   /* its kind */
} picked_t;

/* Member @lit (a literal) of @obj, or NULL when @obj is NULL, not an object
 * or has no such member: the key's length known at compile time, so the
 * compare is a load or two rather than calls to strlen and memcmp
 * (issue 14). The reader refused duplicate keys, so the first match is
 * the only one. */
#define GET(obj, lit) dg_jread_getn((obj), lit, sizeof lit - 1)

/* Optional string member @v, @key of the object named @ctx in messages,
 * into *@out; absent (NULL) or null leaves "" there. */
static int opt_string(jnode_t *v, const char *ctx, const char *key, const char **out,
                      const char *where, dg_err_t *err)
{
    *out = "";
    if (v == NULL || v->type == DG_JNULL)
        return 0;
    if (v->type != DG_JSTRING)
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "%s.%s is %s, expected a string", ctx,
                         key, dg_jread_type_name(v));
    *out = v->v.s;
    return 0;
}

/* Optional object member @v (@key of @ctx): *@out NULL when absent or null. */
static int opt_object(jnode_t *v, const char *ctx, const char *key, jnode_t **out,
                      const char *where, dg_err_t *err)
{
    *out = NULL;
    if (v == NULL || v->type == DG_JNULL)
        return 0;
    if (v->type != DG_JOBJECT)
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "%s.%s is %s, expected an object", ctx,
                         key, dg_jread_type_name(v));
    *out = v;
    return 0;
}

/* @j is the string @lit (a literal). A string node holds no NUL, so
 * its length and bytes decide it. */
#define IS_STR(j, lit)                                                                          \
    ((j) && (j)->type == DG_JSTRING && (j)->n == sizeof lit - 1 &&                              \
     memcmp((j)->v.s, lit, sizeof lit - 1) == 0)

static int check_envelope(jnode_t *root, const char **api_version, const char *where,
                          dg_err_t *err)
{
    jnode_t *av = GET(root, "apiVersion"), *kind = GET(root, "kind");
    bool kstr = kind && kind->type == DG_JSTRING;

    /* A bare AdmissionRequest (the request stanza alone) is a common mistake
     * of test tooling; say so rather than complain about apiVersion. */
    if (GET(root, "request") == NULL)
        return dg_err_at(err, DG_EINVAL, where, 0, 0,
                         "body is not an AdmissionReview: missing \"request\"");
    if (kind == NULL)
        return dg_err_at(err, DG_EINVAL, where, 0, 0,
                         "kind is missing, expected \"AdmissionReview\"");
    if (!IS_STR(kind, "AdmissionReview"))
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "kind is %s%s%s, expected \"AdmissionReview\"",
                         kstr ? "\"" : "", kstr ? kind->v.s : dg_jread_type_name(kind),
                         kstr ? "\"" : "");
    if (av == NULL) {
        /* Older clients omit it; the shape is v1's. */
        *api_version = API_V1;
        return 0;
    }
    if (av->type != DG_JSTRING)
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "apiVersion is %s, expected \"%s\" or \"%s\"",
                         dg_jread_type_name(av), API_V1, API_V1BETA1);
    if (IS_STR(av, API_V1))
        *api_version = API_V1;
    else if (IS_STR(av, API_V1BETA1))
        *api_version = API_V1BETA1;
    else
        return dg_err_at(err, DG_EINVAL, where, 0, 0,
                         "apiVersion \"%.80s\" is not supported, expected \"%s\" or \"%s\"",
                         av->v.s, API_V1, API_V1BETA1);
    return 0;
}

/* The members of request the gate reads (the reader prunes the others the
 * API server sends: requestKind, requestResource, requestSubResource,
 * options). */
enum { Q_UID, Q_KIND, Q_RESOURCE, Q_SUBRESOURCE, Q_NAME, Q_NAMESPACE, Q_OPERATION,
       Q_USERINFO, Q_OBJECT, Q_OLDOBJECT, Q_DRYRUN, Q_N };

#define IS(k, lit) (memcmp((k), lit, sizeof lit - 1) == 0)

/* Which of them key @k of @n bytes is, or Q_N: by its length, then at most
 * three compares of known length. */
static int request_field(const char *k, size_t n)
{
    switch (n) {
    case 3: return IS(k, "uid") ? Q_UID : Q_N;
    case 4: return IS(k, "kind") ? Q_KIND : IS(k, "name") ? Q_NAME : Q_N;
    case 6: return IS(k, "object") ? Q_OBJECT : IS(k, "dryRun") ? Q_DRYRUN : Q_N;
    case 8: return IS(k, "resource") ? Q_RESOURCE : IS(k, "userInfo") ? Q_USERINFO : Q_N;
    case 9:
        return IS(k, "operation")   ? Q_OPERATION
               : IS(k, "namespace") ? Q_NAMESPACE
               : IS(k, "oldObject") ? Q_OLDOBJECT
                                    : Q_N;
    case 11: return IS(k, "subResource") ? Q_SUBRESOURCE : Q_N;
    default: return Q_N;
    }
}

/* The members of @req into q[Q_*] (NULL: absent), in one pass over them
 * rather than a search per member (issue 14). The reader refused
 * duplicate keys, so this finds what a search would; the fields are then
 * checked in the order the messages have always come in. */
static void request_fields(jnode_t *req, jnode_t **q)
{
    for (int i = 0; i < Q_N; i++)
        q[i] = NULL;
    for (uint32_t i = 0; i < req->n; i++) {
        jnode_t *k = &req->v.kids[i];
        int f = request_field(k->key, k->keylen);

        if (f < Q_N)
            q[f] = k;
    }
}

static int read_uid_op(dg_review_t *rv, jnode_t *uid, jnode_t *op, const char *where,
                       dg_err_t *err)
{
    static const char create[] = "CREATE", update[] = "UPDATE", del[] = "DELETE",
                      connect[] = "CONNECT";

    if (uid == NULL || uid->type == DG_JNULL)
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "request.uid is missing");
    if (uid->type != DG_JSTRING)
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "request.uid is %s, expected a string",
                         dg_jread_type_name(uid));
    if (uid->n == 0)
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "request.uid is empty");
    if (uid->n > MAX_UID_LEN)
        return dg_err_at(err, DG_EINVAL, where, 0, 0,
                         "request.uid is %zu characters, more than %d", (size_t)uid->n,
                         MAX_UID_LEN);
    rv->uid = uid->v.s;
    if (op == NULL || op->type == DG_JNULL)
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "request.operation is missing");
    if (op->type != DG_JSTRING)
        return dg_err_at(err, DG_EINVAL, where, 0, 0,
                         "request.operation is %s, expected a string", dg_jread_type_name(op));
    rv->operation = IS_STR(op, "UPDATE")    ? update
                    : IS_STR(op, "CREATE")  ? create
                    : IS_STR(op, "DELETE")  ? del
                    : IS_STR(op, "CONNECT") ? connect
                                            : NULL;
    /* An operation a later API server adds is answered (allowed, untouched
     * by dg_decide), never refused: under failurePolicy Fail a 400 would
     * block it cluster-wide. */
    if (rv->operation == NULL)
        rv->operation = op->v.s;
    return 0;
}

/* request.kind and request.resource: group/version/kind|resource strings. */
static int read_gvk(dg_review_t *rv, jnode_t *const *q, const picked_t *pc, const char *where,
                    dg_err_t *err)
{
    jnode_t *kind, *res;
    const char *ver;
    int rc;

    rc = opt_object(q[Q_KIND], "request", "kind", &kind, where, err);
    if (!rc && kind)
        rc = opt_string(GET(kind, "group"), "request.kind", "group", &rv->kind_group, where, err);
    if (!rc && kind)
        rc = opt_string(GET(kind, "version"), "request.kind", "version", &ver, where, err);
    if (!rc && kind)
        rc = opt_string(GET(kind, "kind"), "request.kind", "kind", &rv->kind, where, err);
    if (!rc)
        rc = opt_object(q[Q_RESOURCE], "request", "resource", &res, where, err);
    if (!rc && res)
        rc = opt_string(GET(res, "group"), "request.resource", "group", &rv->group, where, err);
    if (!rc && res)
        rc = opt_string(GET(res, "version"), "request.resource", "version", &rv->version, where,
                        err);
    if (!rc && res)
        rc = opt_string(GET(res, "resource"), "request.resource", "resource", &rv->resource,
                        where, err);
    /* pick() read the same member, the same strings: its kind. */
    if (!rc)
        rv->ki = pc->done ? pc->ki : dg_kind_by_resource(rv->group, rv->resource);
    return rc;
}

static int read_user(dg_review_t *rv, jnode_t *v, const char *where, dg_err_t *err)
{
    jnode_t *ui, *groups;
    const char **list;
    int rc;

    rc = opt_object(v, "request", "userInfo", &ui, where, err);
    if (rc || ui == NULL)
        return rc;
    rc = opt_string(GET(ui, "username"), "request.userInfo", "username", &rv->user, where, err);
    if (rc)
        return rc;
    groups = GET(ui, "groups");
    if (groups == NULL || groups->type == DG_JNULL)
        return 0;
    if (groups->type != DG_JARRAY)
        return dg_err_at(err, DG_EINVAL, where, 0, 0,
                         "request.userInfo.groups is %s, expected an array of strings",
                         dg_jread_type_name(groups));
    list = dg_arena_alloc(rv->arena, (groups->n + 1) * sizeof *list);
    if (list == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory reading request.userInfo.groups");
    for (uint32_t i = 0; i < groups->n; i++) {
        jnode_t *g = &groups->v.kids[i];

        if (g->type != DG_JSTRING)
            return dg_err_at(err, DG_EINVAL, where, 0, 0,
                             "request.userInfo.groups[%u] is %s, expected a string", i,
                             dg_jread_type_name(g));
        list[i] = g->v.s;
    }
    list[groups->n] = NULL;
    rv->groups = list;
    rv->ngroups = groups->n;
    return 0;
}

/* object (@old: oldObject), member @v, must be an object; its metadata and
 * metadata.name must have the right types because the gate derives
 * identity from them. *@name: that name, or "". */
static int read_object(jnode_t *v, bool old, jnode_t **out, const char **name,
                       const char *where, dg_err_t *err)
{
    const char *key = old ? "oldObject" : "object";
    const char *ctx = old ? "request.oldObject" : "request.object";
    const char *meta_ctx = old ? "request.oldObject.metadata" : "request.object.metadata";
    jnode_t *meta;
    int rc;

    *name = "";
    rc = opt_object(v, "request", key, out, where, err);
    if (rc || *out == NULL)
        return rc;
    rc = opt_object(GET(*out, "metadata"), ctx, "metadata", &meta, where, err);
    if (rc || meta == NULL)
        return rc;
    return opt_string(GET(meta, "name"), meta_ctx, "name", name, where, err);
}

static int read_request(dg_review_t *rv, jnode_t *req, const picked_t *pc, const char *where,
                        dg_err_t *err)
{
    jnode_t *q[Q_N], *dry, *obj, *old;
    const char *name, *old_name;
    int rc;

    request_fields(req, q);
    rc = read_uid_op(rv, q[Q_UID], q[Q_OPERATION], where, err);
    if (!rc)
        rc = read_gvk(rv, q, pc, where, err);
    if (!rc)
        rc = opt_string(q[Q_SUBRESOURCE], "request", "subResource", &rv->subresource, where, err);
    if (!rc)
        rc = opt_string(q[Q_NAMESPACE], "request", "namespace", &rv->ns, where, err);
    if (!rc)
        rc = opt_string(q[Q_NAME], "request", "name", &rv->name, where, err);
    if (!rc)
        rc = read_user(rv, q[Q_USERINFO], where, err);
    if (!rc)
        rc = read_object(q[Q_OBJECT], false, &obj, &name, where, err);
    if (!rc)
        rc = read_object(q[Q_OLDOBJECT], true, &old, &old_name, where, err);
    if (rc)
        return rc;
    dry = q[Q_DRYRUN];
    if (dry != NULL && dry->type != DG_JNULL && dry->type != DG_JTRUE && dry->type != DG_JFALSE)
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "request.dryRun is %s, expected a boolean",
                         dg_jread_type_name(dry));
    rv->dry_run = dry && dry->type == DG_JTRUE;
    if (rv->name[0] == '\0')
        rv->name = name;
    rv->object = obj;
    rv->old_object = old;
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

/* The want of object and oldObject, for the kind of request.resource
 * (read as read_gvk() reads it: a member of the wrong type refuses the
 * review anyway), which is kept for read_gvk(). */
static const dg_jwant_t *pick(void *ctx, jnode_t *res)
{
    picked_t *pc = ctx;
    jnode_t *g = GET(res, "group"), *r = GET(res, "resource");

    pc->done = true;
    pc->ki = dg_kind_by_resource(g && g->type == DG_JSTRING ? g->v.s : "",
                                 r && r->type == DG_JSTRING ? r->v.s : "");
    return dg_want_for(pc->want, pc->ki);
}

static int read_review(dg_review_t *rv, const char *data, size_t len, const char *where,
                       const dg_want_t *want, dg_err_t *err)
{
    jnode_t *root, *req;
    picked_t pc = {want, false, NULL};

    /* Duplicate keys are refused: two parsers reading different values of
     * one key is how a review smuggles an object past a webhook. */
    root = dg_jread_parse_review(rv->arena, data, len, DG_JSON_PRUNE_SERVER | DG_JSON_PRUNE_REVIEW,
                                 want ? pick : NULL, &pc, where, err);
    if (root == NULL)
        return err ? err->code : DG_EPARSE;
    if (root->type != DG_JOBJECT)
        return dg_err_at(err, DG_EINVAL, where, 0, 0,
                         "body is %s, expected an AdmissionReview object",
                         dg_jread_type_name(root));
    if (check_envelope(root, &rv->api_version, where, err))
        return DG_EINVAL;
    req = GET(root, "request");
    if (req->type != DG_JOBJECT)
        return dg_err_at(err, DG_EINVAL, where, 0, 0, "request is %s, expected an object",
                         dg_jread_type_name(req));
    rv->operation = NULL;
    rv->kind_group = rv->kind = rv->group = rv->version = rv->resource = "";
    rv->subresource = rv->ns = rv->name = rv->user = "";
    return read_request(rv, req, &pc, where, err);
}

/* The review itself and everything read from the body in @a; @own says
 * whether the review frees @a (dg_review_parse) or its caller resets it. */
static dg_review_t *parse_into(dg_arena_t *a, bool own, const char *data, size_t len,
                               const char *where, size_t max_bytes, const dg_want_t *want,
                               dg_err_t *err)
{
    dg_review_t *rv;
    dg_err_t local; /* cleared only when used: it is 400 bytes */

    if (where == NULL)
        where = "<request>";
    if (max_bytes == 0)
        max_bytes = DG_MAX_REVIEW_BYTES;
    if (len > max_bytes) {
        dg_err_at(err, DG_ETOOBIG, where, 0, 0, "body is %zu bytes, more than the limit of %zu",
                  len, max_bytes);
        return NULL;
    }
    if ((rv = dg_arena_alloc(a, sizeof *rv)) == NULL) {
        dg_err_set(err, DG_ENOMEM, "out of memory reading %s", where);
        return NULL;
    }
    *rv = (dg_review_t){.arena = a, .owns_arena = own};
    if (err == NULL)
        dg_err_clear(&local);
    if (read_review(rv, data, len, where, want, err ? err : &local) == 0)
        return rv;
    if (err && err->code == DG_EINVAL)
        place(err, data, len);
    rv->owns_arena = false; /* the caller drops @a */
    dg_review_free(&rv);
    return NULL;
}

dg_review_t *dg_review_parse(const char *data, size_t len, const char *where, size_t max_bytes,
                             dg_err_t *err)
{
    dg_arena_t *a = malloc(sizeof *a);
    dg_review_t *rv;

    if (a == NULL) {
        dg_err_set(err, DG_ENOMEM, "out of memory reading %s", where ? where : "<request>");
        return NULL;
    }
    /* One block holds the nodes and strings of a typical review (they take
     * about the body's size again once managedFields are skipped). */
    dg_arena_init(a, len + 4096);
    rv = parse_into(a, true, data, len, where, max_bytes, NULL, err);
    if (rv == NULL) {
        dg_arena_free(a);
        free(a);
    }
    return rv;
}

dg_review_t *dg_review_parse_in(dg_arena_t *arena, const char *data, size_t len,
                                const char *where, size_t max_bytes, const dg_want_t *want,
                                dg_err_t *err)
{
    return parse_into(arena, false, data, len, where, max_bytes, want, err);
}

void dg_review_free(dg_review_t **rv)
{
    dg_arena_t *a;

    if (rv == NULL || *rv == NULL)
        return;
    /* The review lives in its arena: nothing of it is read after this. */
    a = (*rv)->owns_arena ? (*rv)->arena : NULL;
    *rv = NULL;
    if (a) {
        dg_arena_free(a);
        free(a);
    }
}

/* ---- the response -------------------------------------------------------- */

void dg_response_init(dg_response_t *r)
{
    memset(r, 0, sizeof *r);
}

/* The warnings and annotations, strings and arrays alike, live in a few
 * blocks that the response frees at once: a decision's half dozen of them
 * cost one allocation, not three each. A block is malloced whole at this
 * size, under glibc's per-thread cache limit, so it is cheap to get back. */
#define POOL_BLOCK 1000

struct dg_response_pool {
    struct dg_response_pool *next;
    size_t used, size;
    char data[]; /* after three words: aligned for a pointer */
};

void dg_response_free(dg_response_t *r)
{
    struct dg_response_pool *p, *next;

    if (r == NULL)
        return;
    free(r->message);
    for (p = r->pool; p; p = next) {
        next = p->next;
        free(p);
    }
    memset(r, 0, sizeof *r);
}

/* @n bytes in a new block of @r's pool, or NULL. */
static void *pool_grow(dg_response_t *r, size_t n)
{
    struct dg_response_pool *p;
    size_t size;

    if (n > (size_t)-1 / 2)
        return NULL;
    size = sizeof *p + n > POOL_BLOCK ? sizeof *p + n : POOL_BLOCK;
    if ((p = malloc(size)) == NULL)
        return NULL;
    p->next = r->pool;
    p->size = size - sizeof *p;
    p->used = n;
    r->pool = p;
    return p->data;
}

/* @n bytes aligned to @align (a power of two) in @r's pool, or NULL.
 * Inline: each warning and annotation takes two or three. */
static inline void *pool_alloc(dg_response_t *r, size_t n, size_t align)
{
    struct dg_response_pool *p = r->pool;
    size_t at;

    if (p) {
        at = (p->used + align - 1) & ~(align - 1);
        if (at <= p->size && n <= p->size - at) {
            p->used = at + n;
            return p->data + at;
        }
    }
    return pool_grow(r, n);
}

/* Room for one more after the @n items of @size at *@items: the arrays
 * live in the pool too, with room for 4, 8, 16... (the old one is left
 * there). Returns 0 or DG_ENOMEM. */
static int grow(dg_response_t *r, void **items, size_t n, size_t size)
{
    void *p;

    if (n && (n < 4 || (n & (n - 1))))
        return 0;
    if ((p = pool_alloc(r, (n ? 2 * n : 4) * size, sizeof(void *))) == NULL)
        return DG_ENOMEM;
    if (n)
        memcpy(p, *items, n * size);
    *items = p;
    return 0;
}

/* Make the @len bytes at @s valid UTF-8 in place (bad bytes become '?',
 * control characters a space), at most @max bytes: when longer, cut on a
 * character boundary and end with "...". Each byte maps to one byte, so
 * the text never moves. Returns the new length; @s is NUL-terminated.
 * *@plain (when not NULL) is true when no '"', '\\' or non-ASCII character
 * was kept: the text is then a JSON string as it is (no control character
 * is left either). It may be false of a text that is plain after a cut. */
static size_t clean(char *s, size_t len, size_t max, bool *plain)
{
    unsigned char *p = (unsigned char *)s;
    size_t i = 0, cut = 0;
    bool verbatim = true;

    while (i < len) {
        size_t n, w, j;

        /* A run of printable ASCII, most of any text, stays as it is: only
         * where it may be cut is noted, the last boundary before max - 3. */
        j = i + dg_jwrite_plain(s + i, (len < max ? len : max) - i);
        if (j > i && max >= 3 && (j < max - 3 ? j : max - 3) > i)
            cut = j < max - 3 ? j : max - 3;
        if ((i = j) == len)
            break;
        /* '"' and '\\' are printable too; the rest is read one character at
         * a time. */
        n = dg_jwrite_utf8_seq(p + i, len - i);
        w = n ? n : 1;
        if (i + w > max) {
            /* Back up to the last boundary that leaves room for "...". */
            memcpy(s + cut, "...", 3);
            i = cut + 3;
            break;
        }
        if (n == 0)
            p[i] = '?';
        else if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))
            p[i] = ' ';
        else
            verbatim = false; /* '"', '\\' or a character past ASCII */
        i += w;
        if (i + 3 <= max)
            cut = i;
    }
    s[i] = '\0';
    if (plain)
        *plain = verbatim;
    return i;
}

/* A warning's or an annotation's text as kept: in the pool, cleaned. */
typedef struct cleaned {
    char *s;    /* NULL when out of memory */
    size_t len; /* strlen(s) */
    bool plain; /* as clean() says */
} cleaned_t;

/* The @len bytes at @text, cleaned and cut to @max bytes, in @r's pool.
 * Only the first max + 4 bytes are copied: clean() cuts there all the
 * same, reading at most the 4 bytes of one character past @max. */
static cleaned_t clean_copy(dg_response_t *r, size_t max, const char *text, size_t len)
{
    size_t keep = len < max + 4 ? len : max + 4;
    cleaned_t c = {pool_alloc(r, keep + 1, 1), 0, false};

    if (c.s == NULL)
        return c;
    /* Printable ASCII through and through, and short enough: clean() would
     * leave it as it is. */
    if (len <= max && dg_jwrite_plain(text, len) == len) {
        memcpy(c.s, text, len);
        c.s[len] = '\0';
        c.len = len;
        c.plain = true;
        return c;
    }
    memcpy(c.s, text, keep);
    c.len = clean(c.s, keep, max, &c.plain);
    return c;
}

/* What @fmt makes, cleaned and cut to @max bytes, in @r's pool: NULL when
 * out of memory. Nearly every warning and annotation is literals and "%s"
 * (a NULL argument adds nothing): those are measured, then copied into
 * place; any other conversion goes through dg_buf_vprintf(). Only the
 * first max + 4 bytes are kept: clean() cuts there all the same, reading
 * at most the 4 bytes of one character past @max. */
DG_VPRINTF(3)
static cleaned_t clean_format(dg_response_t *r, size_t max, const char *fmt, va_list ap)
{
    const char *p, *pct, *arg;
    size_t total = 0, keep, n;
    cleaned_t c = {NULL, 0, false};
    char *s, *o;
    va_list aq;
    dg_buf_t b;

    for (p = fmt; (p = strchr(p, '%')) != NULL; p += 2)
        if (p[1] != 's')
            break;
    if (p) {
        dg_buf_init(&b, 0);
        c.s = dg_buf_vprintf(&b, fmt, ap) == 0 ? pool_alloc(r, b.len + 1, 1) : NULL;
        if (c.s) {
            memcpy(c.s, b.data ? b.data : "", b.len + 1);
            c.len = clean(c.s, b.len, max, &c.plain);
        }
        dg_buf_free(&b);
        return c;
    }
    va_copy(aq, ap);
    for (p = fmt; (pct = strchr(p, '%')) != NULL; p = pct + 2) {
        total += (size_t)(pct - p);
        if ((arg = va_arg(aq, const char *)) != NULL)
            total += strlen(arg);
    }
    va_end(aq);
    total += strlen(p);
    keep = total < max + 4 ? total : max + 4;
    if ((s = pool_alloc(r, keep + 1, 1)) == NULL)
        return c;
    /* The same walk, copying what is kept. */
    for (o = s, p = fmt; o < s + keep; p = pct + 2) {
        pct = strchr(p, '%');
        n = pct ? (size_t)(pct - p) : strlen(p);
        n = n < (size_t)(s + keep - o) ? n : (size_t)(s + keep - o);
        memcpy(o, p, n);
        o += n;
        if (pct == NULL)
            break;
        if ((arg = va_arg(ap, const char *)) != NULL) {
            n = strlen(arg);
            n = n < (size_t)(s + keep - o) ? n : (size_t)(s + keep - o);
            memcpy(o, arg, n);
            o += n;
        }
    }
    c.s = s;
    c.len = clean(s, keep, max, &c.plain);
    return c;
}

/* Add the cleaned warning @w, within the API server's limits. */
static int add_warning(dg_response_t *r, cleaned_t w)
{
    size_t total = 0;

    if (w.s == NULL)
        return DG_ENOMEM;
    for (size_t i = 0; i < r->nwarnings; i++)
        total += strlen(r->warnings[i]);
    if (total + w.len > WARN_MAX_TOTAL)
        return 0; /* the text stays in the pool until the response goes */
    if (grow(r, (void **)&r->warnings, r->nwarnings, sizeof *r->warnings) != 0)
        return DG_ENOMEM;
    r->warnings[r->nwarnings++] = w.s;
    return 0;
}

int dg_response_warn(dg_response_t *r, const char *fmt, ...)
{
    cleaned_t w;
    va_list ap;

    /* Past the API server's limits a warning is dropped, not an error: the
     * answer itself must still go out. */
    if (r->nwarnings >= WARN_MAX_COUNT)
        return 0;
    va_start(ap, fmt);
    w = clean_format(r, WARN_MAX_LEN, fmt, ap);
    va_end(ap);
    return add_warning(r, w);
}

int dg_response_warn_str(dg_response_t *r, const char *text)
{
    if (r->nwarnings >= WARN_MAX_COUNT)
        return 0;
    text = text ? text : ""; /* as "%s" of NULL adds nothing here */
    return add_warning(r, clean_copy(r, WARN_MAX_LEN, text, strlen(text)));
}

static int is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A qualified name without prefix: the API server prepends the webhook's
 * name and "/" itself, so a key with a "/" would be rejected there.
 * Returns its length, 0 when it is not one. */
static size_t valid_key(const char *k)
{
    size_t n = strlen(k);

    if (n == 0 || n > ANNOT_KEY_MAX || !is_alnum(k[0]) || !is_alnum(k[n - 1]))
        return 0;
    for (size_t i = 1; i + 1 < n; i++)
        if (!is_alnum(k[i]) && k[i] != '-' && k[i] != '_' && k[i] != '.')
            return 0;
    return n;
}

/* Set @key (@klen bytes, valid) to the cleaned @value. */
static int annotate(dg_response_t *r, const char *key, size_t klen, cleaned_t value)
{
    dg_annotation_t *a;
    char *k;

    if (value.s == NULL)
        return DG_ENOMEM;
    for (size_t i = 0; i < r->nannotations; i++) {
        a = &r->annotations[i];
        if (a->key_len == klen && memcmp(a->key, key, klen) == 0) {
            a->value = value.s; /* the old one stays in the pool */
            a->value_len = value.len;
            a->value_plain = value.plain;
            return 0;
        }
    }
    if ((k = pool_alloc(r, klen + 1, 1)) == NULL ||
        grow(r, (void **)&r->annotations, r->nannotations, sizeof *r->annotations) != 0)
        return DG_ENOMEM;
    memcpy(k, key, klen + 1);
    r->annotations[r->nannotations++] = (dg_annotation_t){k, value.s, klen, value.len, value.plain};
    return 0;
}

int dg_response_annotate(dg_response_t *r, const char *key, const char *fmt, ...)
{
    size_t klen = key ? valid_key(key) : 0;
    cleaned_t value;
    va_list ap;

    if (klen == 0)
        return DG_EINVAL;
    va_start(ap, fmt);
    value = clean_format(r, ANNOT_VALUE_MAX, fmt, ap);
    va_end(ap);
    return annotate(r, key, klen, value);
}

int dg_response_annotate_str(dg_response_t *r, const char *key, const char *value)
{
    size_t klen = key ? valid_key(key) : 0;

    if (klen == 0)
        return DG_EINVAL;
    value = value ? value : "";
    return annotate(r, key, klen, clean_copy(r, ANNOT_VALUE_MAX, value, strlen(value)));
}

/* ---- encoding ------------------------------------------------------------ */

#define PUT_LIT(b, lit) dg_buf_append((b), (lit), sizeof(lit) - 1)

/* @s as a JSON string, as jansson's compact dump writes one (so the answer
 * is byte for byte what it always was). A string that is not valid UTF-8
 * is written as its cleaned copy, so a bad byte never costs the answer. */
static int put_str(dg_buf_t *b, const char *s)
{
    size_t len = strlen(s);
    char *copy;
    int rc = dg_jwrite_utf8n(b, s, len);

    if (rc != DG_EINVAL)
        return rc;
    if ((copy = strdup(s)) == NULL)
        return DG_ENOMEM;
    rc = dg_jwrite_strn(b, copy, clean(copy, len, len + 3, NULL));
    free(copy);
    return rc;
}

static int encode_status(dg_buf_t *b, const dg_response_t *r)
{
    int rc = PUT_LIT(b, ",\"status\":{\"code\":");

    if (!rc)
        rc = dg_jwrite_int(b, r->code ? r->code : 403);
    if (!rc)
        rc = PUT_LIT(b, ",\"reason\":");
    if (!rc)
        rc = r->reason == NULL || strcmp(r->reason, "Forbidden") == 0 ? PUT_LIT(b, "\"Forbidden\"")
                                                                      : put_str(b, r->reason);
    if (!rc && r->message && (rc = PUT_LIT(b, ",\"message\":")) == 0)
        rc = put_str(b, r->message);
    return rc ? rc : PUT_LIT(b, "}");
}

/* "key":"value", after a comma unless @first. A key is plain (valid_key()
 * allows nothing else), and so is nearly every value: those two are copied
 * in one go, without a pass over either. */
static int put_annotation(dg_buf_t *b, const dg_annotation_t *a, bool first)
{
    char *o;
    int rc;

    if (!a->value_plain) {
        rc = first ? 0 : PUT_LIT(b, ",");
        if (!rc)
            rc = put_str(b, a->key);
        if (!rc)
            rc = PUT_LIT(b, ":");
        return rc ? rc : put_str(b, a->value);
    }
    if ((rc = dg_buf_reserve(b, a->key_len + a->value_len + 6)) != 0)
        return rc;
    o = b->data + b->len;
    if (!first)
        *o++ = ',';
    *o++ = '"';
    memcpy(o, a->key, a->key_len);
    o += a->key_len;
    memcpy(o, "\":\"", 3);
    o += 3;
    memcpy(o, a->value, a->value_len);
    o += a->value_len;
    *o++ = '"';
    *o = '\0';
    b->len = (size_t)(o - b->data);
    return 0;
}

static int encode_lists(dg_buf_t *b, const dg_response_t *r)
{
    int rc = 0;

    if (r->nwarnings)
        rc = PUT_LIT(b, ",\"warnings\":[");
    for (size_t i = 0; i < r->nwarnings && !rc; i++)
        if ((rc = i ? PUT_LIT(b, ",") : 0) == 0)
            rc = put_str(b, r->warnings[i]);
    if (!rc && r->nwarnings)
        rc = PUT_LIT(b, "]");
    if (!rc && r->nannotations)
        rc = PUT_LIT(b, ",\"auditAnnotations\":{");
    for (size_t i = 0; i < r->nannotations && !rc; i++)
        rc = put_annotation(b, &r->annotations[i], i == 0);
    if (!rc && r->nannotations)
        rc = PUT_LIT(b, "}");
    return rc;
}

/* Written directly, not through jansson: its dump can drop a key and still
 * return text when an allocation fails inside it, and an answer the API
 * server cannot parse is worse than none. */
int dg_review_encode_to(dg_buf_t *b, const char *api_version, const char *uid,
                        const dg_response_t *r)
{
    int rc;

    /* The review's own, nearly always: written with what follows it. */
    if (api_version == NULL || strcmp(api_version, API_V1) == 0)
        rc = PUT_LIT(b, "{\"apiVersion\":\"" API_V1
                        "\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":");
    else if ((rc = PUT_LIT(b, "{\"apiVersion\":")) == 0 && (rc = put_str(b, api_version)) == 0)
        rc = PUT_LIT(b, ",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":");
    if (!rc)
        rc = put_str(b, uid ? uid : "");
    if (!rc)
        rc = r->allowed ? PUT_LIT(b, ",\"allowed\":true") : PUT_LIT(b, ",\"allowed\":false");
    if (!rc && !r->allowed)
        rc = encode_status(b, r);
    if (!rc)
        rc = encode_lists(b, r);
    return rc ? rc : PUT_LIT(b, "}}");
}

char *dg_review_encode(const char *api_version, const char *uid, const dg_response_t *r)
{
    dg_buf_t b;

    dg_buf_init(&b, 0);
    if (dg_review_encode_to(&b, api_version, uid, r) != 0) {
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
