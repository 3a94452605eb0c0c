/* cli/ctl.h: driftctl's shared plumbing: reading inputs, loading
 * baselines and policies, and the subcommands. Every judgement is libdrift's.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_CTL_H
#define DG_CTL_H

#include <jansson.h>
#include <stddef.h>

#include "baselines.h"
#include "buf.h"
#include "err.h"
#include "manifest.h"
#include "obj.h"
#include "policy.h"
#include "report.h"

/* Exit statuses, like diff(1) and `helm diff --detailed-exitcode`. */
enum { CTL_OK = 0, CTL_ERROR = 1, CTL_FOUND = 2 };

/** Read @path ("-" = stdin) whole, refusing more than @max bytes. *@data is
 *  malloced and NUL-terminated. Returns 0, DG_EIO, DG_ETOOBIG or DG_ENOMEM. */
int ctl_read(const char *path, size_t max, char **data, size_t *len, dg_err_t *err);

/** Load a manifest file (plain render, kubectl List or baseline ConfigMap)
 *  into a new set; objects without a namespace take @ns. @info may be NULL. */
int ctl_load_objects(const char *path, const char *ns, size_t max, dg_objset_t **set,
                     dg_manifest_info_t *info, dg_err_t *err);

/** Load @path as a DriftPolicy, or the built-in policy when @path is NULL. */
int ctl_load_policy(const char *path, dg_policy_t **pol, dg_err_t *err);

/** A release built from a baseline file: its name is @name, else the
 *  ConfigMap's release label, else the objects' own release (Helm's
 *  meta.helm.sh/release-name annotation or app.kubernetes.io/instance
 *  label), else "baseline"; its namespace @ns, else the ConfigMap's. */
int ctl_load_release(const char *path, const char *name, const char *ns, size_t max,
                     dg_release_t **rel, dg_err_t *err);

/** Load a baseline (as ctl_load_release) and, when @live_path is not NULL, a
 *  live snapshot (objects without a namespace take @ns, else "default"),
 *  the two on separate threads: they are independent and each is mostly
 *  YAML parsing. On failure nothing is returned and @err names the input. */
int ctl_load_pair(const char *base_path, const char *release, const char *live_path,
                  const char *ns, size_t max, dg_release_t **rel, dg_objset_t **live,
                  dg_err_t *err);

/** Parse "hpa,svc,deployments.apps" into kinds (static strings). */
int ctl_parse_kinds(const char *list, dg_gk_t **kinds, size_t *n, dg_err_t *err);

/** Parse a byte count ("65536", "64Ki", "8Mi"). Returns 0 or DG_EINVAL. */
int ctl_parse_size(const char *s, size_t *out, dg_err_t *err);

/** Print "driftctl: <error>" on stderr; returns CTL_ERROR. */
int ctl_fail(const dg_err_t *err);

/** Print a usage error naming the command and the problem; returns CTL_ERROR. */
int ctl_usage_error(const char *cmd, const char *fmt, ...) DG_PRINTF(2, 3);

/** Apply @patch (JSON text) to @doc, a new reference returned in *@out:
 *  RFC 7386 merge patch (@type "merge") or RFC 6902 JSON patch ("json"). */
int ctl_patch_apply(const json_t *doc, const char *patch, const char *type, json_t **out,
                    dg_err_t *err);

/** Run @argv (argv[0] found on PATH, no shell) with @in on its stdin and
 *  its stdout appended to @out (NULL = discarded); its stderr goes to ours.
 *  Returns 0 when it exits 0, else DG_EIO naming the tool and its status. */
int ctl_exec(char *const argv[], const char *in, size_t inlen, dg_buf_t *out, dg_err_t *err);

/** The binary of a tool: @flag (--kubectl/--helm) if given, else $@env,
 *  else @name, found on PATH. */
const char *ctl_tool(const char *flag, const char *env, const char *name);

/** How driftctl reaches a cluster through kubectl (--kubeconfig, --context). */
typedef struct ctl_kube {
    const char *kubeconfig, *context, *kubectl;
} ctl_kube_t;

/** Append kubectl's --kubeconfig/--context for @k at argv[*n]; at most 4. */
void ctl_kube_flags(const ctl_kube_t *k, const char **argv, size_t *n);

/* Where SARIF results point (cli/ctl_sarif.c). */
typedef struct ctl_sarif {
    dg_report_loc_t *locs; /* one per variance; uris malloced */
    size_t n;
    char *root_uri;        /* malloced "file:///abs/root/" */
} ctl_sarif_t;

/** For each variance of @v (from @rel, loaded from @baseline), the line of
 *  the chart template that sets its value, found from the render's
 *  "# Source:" comment under @root (NULL = the current directory), else the
 *  line of the value in @baseline; URIs relative to @root. Fills @out (free
 *  with ctl_sarif_free()). Returns 0, DG_EIO (bad @root or baseline) or
 *  DG_ENOMEM. */
int ctl_sarif_locate(const char *baseline, const dg_release_t *rel, const dg_variances_t *v,
                     const char *root, ctl_sarif_t *out, dg_err_t *err);
void ctl_sarif_free(ctl_sarif_t *s);

int ctl_diff_main(int argc, char **argv);
int ctl_render_main(int argc, char **argv);
int ctl_capture_main(int argc, char **argv);
int ctl_publish_main(int argc, char **argv);
int ctl_simulate_main(int argc, char **argv);
int ctl_policy_main(int argc, char **argv);
int ctl_completion_main(int argc, char **argv);

#endif
