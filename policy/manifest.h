/* policy/manifest.h: Kubernetes manifests, as Kubernetes reads them.
 * YAML or JSON, multi-document, `---` separated, empty documents skipped,
 * `kind: List` flattened, scalars resolved the way sigs.k8s.io/yaml does
 * (quoted -> string; plain -> int/float/bool/null/string), and baselines
 * wrapped in a driftgate baseline ConfigMap unwrapped.
 * Pure: memory in, jansson out; libc, jansson, libyaml, zlib.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_MANIFEST_H
#define DG_MANIFEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "obj.h"
#include "yaml.h"

typedef struct dg_manifest_opts {
    const char *name;       /* input name for errors: path, "-" shown as "<stdin>" */
    const char *default_ns; /* namespace for objects without one; NULL = "" */
    size_t max_bytes;       /* 0 = DG_MAX_MANIFEST_BYTES */
    bool uncapped;          /* no cap on values per document: a user's own file,
                             * such as a kubectl List of a whole namespace
                             * (driftgate's inputs, which anyone may write,
                             * keep the cap) */
    bool keep_managed;      /* keep each object's metadata.managedFields as
                             * unparsed text (dg_obj_t.managed), for saying
                             * who changed a drifted field (live snapshots) */
} dg_manifest_opts_t;

/* What a baseline ConfigMap said about itself (all NULL when the input was a
 * plain manifest), and counts that explain an input with no objects (kept
 * for every input). Strings are malloced; free with dg_manifest_info_free(). */
typedef struct dg_manifest_info {
    char *release;  /* label driftgate.io/release */
    char *ns;       /* the release namespace: label driftgate.io/release-namespace,
                     * else (the older form) metadata.namespace */
    char *revision; /* annotation driftgate.io/revision */
    char *chart;    /* annotation driftgate.io/chart */
    char *source;   /* annotation driftgate.io/source */
    char *digest;   /* annotation driftgate.io/digest ("sha256:<hex>") */
    size_t docs;    /* non-empty YAML documents read */
    size_t lists;   /* of them, `kind: List` documents */
    size_t hooks;   /* Helm hook objects skipped */
} dg_manifest_info_t;

/** Load every object of a manifest into @set (which may already hold
 *  objects). `kind: List` documents are flattened; Helm hook objects
 *  (annotation helm.sh/hook) are skipped. A single document that is a
 *  driftgate baseline ConfigMap (label driftgate.io/baseline: "true") is
 *  unwrapped: its data["manifest.yaml"] (or gzip'd base64
 *  binaryData["manifest.yaml.gz"]) is loaded instead, the digest is checked
 *  when present, and @info (may be NULL) is filled; its namespace becomes the
 *  default namespace. Errors name opts->name, line, column and the problem.
 *  Returns 0, DG_EPARSE, DG_EINVAL, DG_ETOOBIG or DG_ENOMEM. */
DG_MUST_CHECK int dg_manifest_load(const char *data, size_t len,
                                   const dg_manifest_opts_t *opts, dg_objset_t *set,
                                   dg_manifest_info_t *info, dg_err_t *err);

void dg_manifest_info_free(dg_manifest_info_t *info);

#endif
