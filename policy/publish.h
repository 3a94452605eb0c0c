/* policy/publish.h: a rendered release into the baseline ConfigMap that
 * driftgate reads (DESIGN.md "Baseline sources"): labels, revision, chart,
 * source and the SHA-256 digest of the render, the render itself in
 * data["manifest.yaml"], or gzip'd in binaryData["manifest.yaml.gz"] when it
 * would not fit a ConfigMap. Pure: memory in, YAML text out.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_PUBLISH_H
#define DG_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

/* driftgate's own namespace in the chart, and its default baseline namespace. */
#define DG_BASELINE_NS "driftgate-system"

/* What publish names a baseline ConfigMap: the prefix, then
 * "<namespace>.<release>". */
#define DG_PUBLISH_PREFIX "driftgate-baseline."

/* A ConfigMap holds at most 1 MiB; keep room for metadata. Above this the
 * render is gzip-compressed into binaryData. */
#define DG_PUBLISH_INLINE_MAX ((size_t)900 * 1024)

typedef struct dg_publish {
    const char *release;       /* NULL = the objects' own Helm release */
    const char *ns;            /* required: the release namespace */
    const char *baseline_ns;   /* where the ConfigMap goes: driftgate's trusted
                                * baseline namespace; NULL = DG_BASELINE_NS */
    const char *revision;      /* NULL = "1" */
    const char *chart;         /* "nginx-0.1.0"; NULL = none */
    const char *source;        /* "helm-template", "git:<url>@<sha>", "file:<name>" */
    bool compress;             /* force binaryData even when small */
} dg_publish_t;

/** Append to @out the baseline ConfigMap holding @render (@len bytes, the
 *  text `helm template` printed). The result is read back with the very
 *  loader driftgate uses, so what is published is exactly what will be
 *  enforced; the digest is of @render. @name names the render in errors.
 *  Returns 0, DG_EINVAL (bad or unknown release name, bad namespace, or
 *  @render is itself a baseline ConfigMap), DG_EPARSE (the render is not a
 *  manifest), DG_ETOOBIG or DG_ENOMEM. */
DG_MUST_CHECK int dg_publish_configmap(const char *render, size_t len, const char *name,
                                       const dg_publish_t *p, dg_buf_t *out, dg_err_t *err);

/** 0 when each name given is valid: @release a Helm release name (RFC 1123
 *  label characters and dots, at most 53), @ns and @baseline_ns namespaces
 *  (RFC 1123 labels); NULL skips one. Else DG_EINVAL, @err naming it. They
 *  go into label selectors and ConfigMap names, so nothing else may. */
DG_MUST_CHECK int dg_publish_names(const char *release, const char *ns, const char *baseline_ns,
                                   dg_err_t *err);

/** Of two baseline ConfigMaps, named @a and @b, that both serve release
 *  @ns/@release, whether @a is the one enforced: the one publish names
 *  (driftgate-baseline.<ns>.<release>), else the first by name. driftgate
 *  and driftctl both choose by this, so they agree on which it is. */
bool dg_publish_before(const char *a, const char *b, const char *ns, const char *release);

#endif
