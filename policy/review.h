/* policy/review.h: the AdmissionReview codec (admission.k8s.io/v1 and
 * v1beta1), shared by driftgate (HTTP bodies) and driftctl simulate, so the
 * two produce byte-identical responses.
 * Pure: libc, jansson. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_REVIEW_H
#define DG_REVIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "jread.h"
#include "obj.h"
#include "want.h"

/* Cap on a review body: an UPDATE carries two objects of up to ~3 MiB each. */
#define DG_MAX_REVIEW_BYTES ((size_t)8 << 20)

typedef struct dg_review {
    dg_arena_t *arena;        /* the decoded body's nodes and strings, which the
                               * strings below point into; the review itself
                               * lives there too */
    bool owns_arena;          /* dg_review_free() frees @arena (else its caller
                               * resets it) */
    const char *api_version;  /* "admission.k8s.io/v1" or ".../v1beta1" */
    const char *uid;          /* never NULL or empty after a successful parse */
    const char *operation;    /* "CREATE", "UPDATE", "DELETE", "CONNECT", or one a later
                               * API server sends (in @arena) */
    const char *group;        /* request.resource.group ("" = core) */
    const char *version;      /* request.resource.version */
    const char *resource;     /* request.resource.resource, "horizontalpodautoscalers" */
    const dg_kindinfo_t *ki;  /* @group and @resource's row of the kind table, or NULL */
    const char *subresource;  /* request.subResource, "" if none */
    const char *kind_group;   /* request.kind.group */
    const char *kind;         /* request.kind.kind ("Scale" for the scale subresource) */
    const char *ns;           /* request.namespace, "" if none */
    const char *name;         /* request.name, else object.metadata.name, else "" */
    const char *user;         /* request.userInfo.username, "" if none */
    const char *const *groups;/* request.userInfo.groups (in @arena) */
    size_t ngroups;
    const dg_jnode_t *object;     /* in @arena; NULL if absent or null: dg_decide
                                   * builds as jansson only what it reads */
    const dg_jnode_t *old_object; /* in @arena; NULL if absent or null */
    bool dry_run;
    long timeout_ms;          /* from the HTTP ?timeout= (set by the caller); 0 = none */
} dg_review_t;

/** Decode an AdmissionReview from @len bytes named @where (for errors).
 *  Refused with DG_EPARSE/DG_EINVAL and a message naming the problem: not
 *  JSON, not an object, apiVersion other than admission.k8s.io/v1|v1beta1
 *  (absent apiVersion with kind AdmissionReview is read as v1), kind not
 *  AdmissionReview, no "request" object, no non-empty string "uid", a field of
 *  the wrong type. Larger than @max_bytes (0 = DG_MAX_REVIEW_BYTES): DG_ETOOBIG.
 *  Returns a new review (free with dg_review_free()) or NULL. */
dg_review_t *dg_review_parse(const char *data, size_t len, const char *where,
                             size_t max_bytes, dg_err_t *err);

/** As dg_review_parse(), but the review and what it reads live in @arena,
 *  which the caller resets after dg_review_free() (never before): a worker
 *  thread reuses one arena for every request, so a review costs no
 *  allocation. With @want (the policy's: dg_policy_want()), object and
 *  oldObject hold only what dg_decide() under that policy reads of them,
 *  the rest checked and skipped; NULL: whole. */
dg_review_t *dg_review_parse_in(dg_arena_t *arena, const char *data, size_t len,
                                const char *where, size_t max_bytes, const dg_want_t *want,
                                dg_err_t *err);

/** Free what the review owns (and its arena when dg_review_parse() made
 *  it); sets *@rv to NULL. */
void dg_review_free(dg_review_t **rv);

/* A request as the API server would send it to a webhook: what `driftctl
 * simulate` asks about, and what each step of a reconcile plan will send. */
typedef struct dg_review_req {
    const char *operation;          /* "UPDATE" or "CREATE" */
    const dg_kindinfo_t *ki;        /* the object's kind (static) */
    const char *version;            /* its API version: "v2" of autoscaling/v2 */
    const char *subresource;        /* NULL, or "scale": the objects are then
                                     * autoscaling/v1 Scales */
    const char *ns, *name;
    const char *user;               /* the requester */
    const char *const *groups;      /* its groups; none = system:authenticated */
    size_t ngroups;
    const char *field_manager;      /* options.fieldManager */
    bool dry_run;
    const json_t *object;           /* borrowed: the object as it would be stored */
    const json_t *old_object;       /* borrowed: as it is; NULL on CREATE */
} dg_review_req_t;

/** The AdmissionReview (admission.k8s.io/v1) the API server would send for
 *  @req, with a uid derived from its content (the same request always gets
 *  the same uid, so the same answer), decoded through the wire format
 *  exactly as driftgate decodes a body. Returns a new review (free with
 *  dg_review_free()), or NULL with @err set (DG_ENOMEM, or what
 *  dg_review_parse() says of an object it refuses). */
dg_review_t *dg_review_build(const dg_review_req_t *req, dg_err_t *err);

/* The gate's answer, before encoding. */
typedef struct dg_annotation {
    char *key;   /* a valid single-segment qualified name, <= 63 chars */
    char *value;
    /* Set with them by dg_response_annotate() and _str(), for the encoder:
     * their strlen, and whether @value is known to be printable ASCII other
     * than '"' and '\\' (a JSON string as it is, between quotes). */
    size_t key_len, value_len;
    bool value_plain;
} dg_annotation_t;

struct dg_response_pool; /* private to policy/review.c */

typedef struct dg_response {
    bool allowed;
    int code;            /* HTTP-style status for a refusal (403, 503); 0 when allowed */
    const char *reason;  /* NULL or a string constant: status.reason ("Forbidden") */
    char *message;       /* NULL or malloced: status.message */
    char **warnings;     /* each <= 120 chars */
    size_t nwarnings;
    dg_annotation_t *annotations; /* in insertion order */
    size_t nannotations;
    struct dg_response_pool *pool; /* where the warnings and annotations live,
                                    * arrays and strings: dg_response_warn()
                                    * and dg_response_annotate() alone add to
                                    * them; dg_response_free() frees them */
} dg_response_t;

void dg_response_init(dg_response_t *r);
void dg_response_free(dg_response_t *r);

/** Append a warning, truncated to 120 characters (with "..."); at most 16
 *  warnings and 4096 characters in all are kept (the API server's limits).
 *  Returns 0 or DG_ENOMEM. */
DG_MUST_CHECK int dg_response_warn(dg_response_t *r, const char *fmt, ...) DG_PRINTF(2, 3);

/** dg_response_warn(@r, "%s", @text), with no format to read. */
DG_MUST_CHECK int dg_response_warn_str(dg_response_t *r, const char *text);

/** Set (or replace) an audit annotation. @key must be a valid single-segment
 *  qualified name (DG_EINVAL otherwise); values are capped at 1024 bytes.
 *  Returns 0, DG_EINVAL or DG_ENOMEM. */
DG_MUST_CHECK int dg_response_annotate(dg_response_t *r, const char *key, const char *fmt,
                                       ...) DG_PRINTF(3, 4);

/** dg_response_annotate(@r, @key, "%s", @value), with no format to read:
 *  the value cleaned and capped all the same. */
DG_MUST_CHECK int dg_response_annotate_str(dg_response_t *r, const char *key, const char *value);

/** Encode the AdmissionReview answering @uid in @api_version: apiVersion,
 *  kind, response {uid, allowed, status {code, reason, message} when refused,
 *  warnings, auditAnnotations}. Keys in a fixed order. Returns the compact
 *  JSON text (caller frees), or NULL when out of memory. */
char *dg_review_encode(const char *api_version, const char *uid, const dg_response_t *r);

/** The same text appended to @b (the HTTP answer's own buffer, so the
 *  server copies nothing). Returns 0, or DG_ENOMEM / DG_ETOOBIG from @b
 *  (then @b holds a partial answer the caller discards). */
DG_MUST_CHECK int dg_review_encode_to(dg_buf_t *b, const char *api_version, const char *uid,
                                      const dg_response_t *r);

#endif
