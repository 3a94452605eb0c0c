/* policy/yaml.h: YAML (and JSON, its subset) text -> jansson trees, with
 * scalars resolved the way sigs.k8s.io/yaml resolves them and, on request,
 * the source position of every node. Pure: libc, jansson, libyaml.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_YAML_H
#define DG_YAML_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

/* Default cap on one input (64 MiB): a 10,000-object release fits. */
#define DG_MAX_MANIFEST_BYTES ((size_t)64 << 20)

/* A 1-based source position. */
typedef struct dg_yaml_mark {
    int line, col;
} dg_yaml_mark_t;

typedef struct dg_yaml_doc {
    json_t *root; /* owned; never NULL for a kept document */
    int line;     /* 1-based position of the document's first node */
    int col;
    dg_yaml_mark_t *items; /* malloced or NULL: where each element of the root
                            * mapping's "items" sequence starts (a List's
                            * objects), so errors can name the object's line */
    size_t nitems;
} dg_yaml_doc_t;

typedef struct dg_posmap dg_posmap_t; /* opaque: node -> source position */

/* The unparsed text of one object's metadata.managedFields (a byte range of
 * the input, widened to the start of its line when only indentation precedes
 * it, so that it parses on its own as YAML). */
typedef struct dg_yaml_raw {
    const json_t *meta; /* the object's metadata mapping (borrowed from a doc) */
    size_t off, len;    /* in the input given to dg_yaml_parse() */
} dg_yaml_raw_t;

typedef struct dg_yaml_docs {
    dg_yaml_doc_t *docs; /* malloced array of @n */
    size_t n;
    dg_posmap_t *pos;    /* NULL unless positions were asked for */
    dg_yaml_raw_t *raws; /* malloced or NULL (DG_YAML_KEEP_MANAGED): one per
                          * object with managedFields, in document order */
    size_t nraws;
} dg_yaml_docs_t;

/* Flags for dg_yaml_parse(). */
#define DG_YAML_POSITIONS 1    /* record every node's position (policy files) */
#define DG_YAML_CAP_VALUES 4   /* refuse a document of more than 500,000 values */
#define DG_YAML_PRUNE_SERVER 2 /* drop what the server owns as it is read:
                                * "status" of any mapping with a "kind", and
                                * "managedFields" of any "metadata" */
#define DG_YAML_KEEP_MANAGED 8 /* with DG_YAML_PRUNE_SERVER: note where each
                                * object's managedFields was (docs->raws), so
                                * that it can be parsed later, for the few
                                * objects that drifted, instead of for all */

/** Parse @len bytes named @name (used in errors) into documents. Empty and
 *  comment-only documents are skipped. @flags: DG_YAML_POSITIONS records
 *  every node's position (used for policy files; costs memory, so manifests
 *  don't); DG_YAML_PRUNE_SERVER never builds server-owned subtrees (a live
 *  snapshot is mostly managedFields and status: half the memory and time);
 *  DG_YAML_KEEP_MANAGED, with it, notes where each object's managedFields
 *  was in @data (out->raws) for parsing later, only where it is needed.
 *  @max_bytes: 0 = DG_MAX_MANIFEST_BYTES; larger input fails with DG_ETOOBIG.
 *  Errors carry @name, line and column (1-based) and what is wrong, a bad
 *  byte (invalid UTF-8, a control character) included.
 *  Returns 0, DG_EPARSE, DG_ETOOBIG or DG_ENOMEM. On failure @out is empty.
 *  Free with dg_yaml_docs_free(). */
DG_MUST_CHECK int dg_yaml_parse(const char *data, size_t len, const char *name,
                                size_t max_bytes, int flags, dg_yaml_docs_t *out,
                                dg_err_t *err);

void dg_yaml_docs_free(dg_yaml_docs_t *docs);

/** Position of @node (any value of a tree returned with want_pos), or of
 *  the key @key within object @node when @key is not NULL. Sets 1-based
 *  *@line and *@col; returns 0, or DG_ENOTFOUND (then *line = *col = 0).
 *  jansson shares true/false/null singletons, so ask for their key instead. */
int dg_posmap_find(const dg_posmap_t *map, const json_t *node, const char *key,
                   int *line, int *col);

/** Resolve a plain (unquoted) YAML scalar as sigs.k8s.io/yaml would:
 *  null (~, null, Null, NULL, empty), bools (true/false/yes/no/on/off/y/n in
 *  their YAML 1.1 spellings), ints (decimal, 0x, 0o, 0b, underscores),
 *  floats, else a string. Returns a new reference, NULL when out of memory. */
json_t *dg_yaml_resolve_plain(const char *s, size_t len);

#endif
