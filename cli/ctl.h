/* cli/ctl.h: driftctl's shared plumbing: reading inputs, loading
 * baselines and policies, and the subcommands. Every judgement is libdrift's.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_CTL_H
#define DG_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "baselines.h"
#include "buf.h"
#include "err.h"
#include "manifest.h"
#include "decide.h"
#include "obj.h"
#include "plan.h"
#include "policy.h"
#include "report.h"
#include "status.h"

/* Exit statuses, like diff(1) and `helm diff --detailed-exitcode`. */
enum { CTL_OK = 0, CTL_ERROR = 1, CTL_FOUND = 2 };

/* ---- flags (ctl_opts.c) ------------------------------------------------------------ */

/* One flag of a command. The table drives the parser and --help alike. */
typedef struct ctl_opt {
    const char *name;  /* long name without "--"; NULL ends a table */
    char shortname;    /* 'n' for -n, or 0 */
    const char *arg;   /* what the value is ("FILE"); "[FILE]" when it may be left
                        * out (ctl_args_t.val is then NULL); NULL for a switch */
    int key;           /* what ctl_opts_next() returns for it; > 0 */
    const char *help;  /* one or more lines, '\n'-separated */
} ctl_opt_t;

/* A command: the text before its flags, the flags, the text after them. */
typedef struct ctl_cmd {
    const char *name;      /* "diff", "policy kinds": for messages */
    const char *usage;     /* usage and description, ending in '\n' */
    const ctl_opt_t *opts; /* ends with {NULL} */
    const char *footer;    /* NULL, or text after the flags ending in '\n' */
} ctl_cmd_t;

/* The parser's position; start with {argc, argv, 1}. */
typedef struct ctl_args {
    int argc;
    char **argv;
    int i;
    const char *val; /* the value of the flag just returned, NULL for a switch */
} ctl_args_t;

/* Returned for -h/--help, which every command takes (and handles itself). */
#define CTL_OPT_HELP 'h'

/* What ctl_opts_next() returns after printing --help: stop, successfully. */
#define CTL_HELPED (-2)

/** The next flag's key; 0 when done; -1 after printing a usage error (an
 *  unknown flag, a missing value, an argument where none is taken);
 *  CTL_HELPED after printing the help for -h and --help. "--flag=value" and
 *  "-nvalue" work; a value that is one of the command's flags is "missing",
 *  not taken. */
int ctl_opts_next(const ctl_cmd_t *cmd, ctl_args_t *a);

/** The exit status of a command whose flags stopped it with @rc (nonzero:
 *  CTL_HELPED, -1 or CTL_ERROR): CTL_OK after --help, else CTL_ERROR. */
int ctl_parse_status(int rc);

/** Print @cmd's help (usage, one line per flag, footer) on @f. */
void ctl_opts_help(const ctl_cmd_t *cmd, FILE *f);

/** True when @path is "-": stdin for an input flag, stdout for an output one. */
bool ctl_stdio(const char *path);

/** Read @path ("-" = stdin) whole, refusing more than @max bytes; @flag
 *  (the flag that named it) words errors such as a directory given. *@data
 *  is malloced and NUL-terminated. Returns 0, DG_EIO, DG_ETOOBIG or DG_ENOMEM. */
int ctl_read(const char *flag, const char *path, size_t max, char **data, size_t *len,
             dg_err_t *err);

/** Write @b to @path ("-" = stdout) through a temporary file renamed into
 *  place. Errors name @flag and @path. Returns 0, DG_EIO or DG_EINVAL. */
int ctl_write(const char *flag, const char *path, const dg_buf_t *b, dg_err_t *err);

/* How ctl_load_objects() reads. */
#define CTL_LOAD_EMPTY_LIST_OK 1 /* an empty List is a snapshot of nothing */
#define CTL_LOAD_MANAGED 2       /* keep managedFields, to say who changed what */

/** Load a manifest file named by @flag (plain render, kubectl List or
 *  baseline ConfigMap) into a new set; objects without a namespace take
 *  @ns. An input without objects is an error naming it (an empty List is
 *  accepted with CTL_LOAD_EMPTY_LIST_OK in @flags). @info may be NULL; its digest is the
 *  ConfigMap's, else the SHA-256 of the file (what publish would stamp). */
int ctl_load_objects(const char *flag, const char *path, const char *ns, size_t max,
                     unsigned flags, dg_objset_t **set, dg_manifest_info_t *info,
                     dg_err_t *err);

/** Load @path as a DriftPolicy, or the built-in policy when @path is NULL. */
int ctl_load_policy(const char *path, dg_policy_t **pol, dg_err_t *err);

/* ---- what a file looks like (ctl_sniff.c) ------------------------------------------- */

typedef enum ctl_looks {
    CTL_LOOKS_UNKNOWN,     /* not YAML, or no kind */
    CTL_LOOKS_MANIFEST,    /* Kubernetes objects */
    CTL_LOOKS_REVIEW,      /* an AdmissionReview in JSON */
    CTL_LOOKS_REVIEW_YAML, /* an AdmissionReview in YAML */
    CTL_LOOKS_POLICY       /* a DriftPolicy */
} ctl_looks_t;

/** What @data looks like, by its first object's kind; *@what gets it in
 *  words ("an AdmissionReview", "a Kubernetes manifest (Service x, ...)"). */
ctl_looks_t ctl_sniff(const char *data, size_t len, char *what, size_t size);

/** After loading @data (named @shown) for @flag failed with @rc (or with
 *  0, when it loaded as something suspicious): when it looks like another
 *  kind of input than @want, replace @err with one saying what it is, what
 *  @flag wants and which flag takes it, and return DG_EINVAL; else @rc. */
int ctl_wrong_input(const char *flag, const char *shown, const char *data, size_t len,
                    ctl_looks_t want, int rc, dg_err_t *err);

/* ---- a release and its live snapshot (ctl_release.c) --------------------------------- */

typedef struct ctl_inputs {
    const char *baseline;   /* --baseline */
    const char *release;    /* --release, or NULL */
    const char *live;       /* --live, or NULL */
    const char *ns;         /* -n, or NULL */
    const char *request_ns; /* the namespace of the request judged (simulate --review) */
    size_t max;             /* --max-bytes; 0 = the default */
    bool live_empty_ok;     /* an empty List is a snapshot of nothing (diff --kinds) */
} ctl_inputs_t;

/* Where the release namespace came from. */
typedef enum ctl_ns_from {
    CTL_NS_FLAG,     /* -n */
    CTL_NS_BASELINE, /* the ConfigMap's release namespace, or the objects' one */
    CTL_NS_REQUEST,  /* the review's namespace */
    CTL_NS_LIVE,     /* where the snapshot holds the release's objects */
    CTL_NS_DEFAULT   /* none of them: "default" */
} ctl_ns_from_t;

/** Load a baseline and, when in->live is set, a live snapshot (side by side
 *  on two threads). The release is named --release, else by its ConfigMap,
 *  else by its objects' own release (meta.helm.sh/release-name or
 *  app.kubernetes.io/instance), else "baseline"; its namespace is -n, else
 *  the baseline's, else the request's, else where the snapshot holds the
 *  release's objects, else "default" (*@from says which; may be NULL).
 *  Objects without a namespace take it, and the release is confined to it
 *  as driftgate confines it. Guesses, disagreements and a snapshot holding
 *  none of the release's objects are said on stderr. @live may be NULL.
 *  On failure nothing is returned and @err names the input. */
int ctl_load_inputs(const ctl_inputs_t *in, dg_release_t **rel, dg_objset_t **live,
                    ctl_ns_from_t *from, dg_err_t *err);

/** A release named @name (NULL: the ConfigMap's, else its objects' own,
 *  else "baseline") in @ns from the baseline objects *@objs (stolen: set
 *  to NULL) and what its ConfigMap said (@info), confined to @ns as
 *  driftgate confines it; @where names the baseline in messages. An
 *  origin of published when @info names a release, else helm. Returns 0,
 *  DG_EINVAL (no object left in @ns) or DG_ENOMEM; *@rel is set either way
 *  (free it). */
int ctl_release_make(const char *name, const char *ns, const char *where, dg_objset_t **objs,
                     const dg_manifest_info_t *info, dg_release_t **rel, dg_err_t *err);

/** ctl_load_inputs() for a baseline alone. */
int ctl_load_release(const char *path, const char *ns, size_t max, dg_release_t **rel,
                     dg_err_t *err);

/** Parse "hpa,svc,deployments.apps" into kinds (static strings). */
int ctl_parse_kinds(const char *list, dg_gk_t **kinds, size_t *n, dg_err_t *err);

/** Parse a byte count ("65536", "64Ki", "8Mi"). Returns 0 or DG_EINVAL. */
int ctl_parse_size(const char *s, size_t *out, dg_err_t *err);

/** Print "driftctl: <error>" on stderr; returns CTL_ERROR. */
int ctl_fail(const dg_err_t *err);

/** How a subcommand ends: @rc (a DG_E* code) is reported as ctl_fail()
 *  reports it and CTL_ERROR returned; else @out (NULL = nothing) goes to
 *  stdout whole and @status is returned. */
int ctl_finish(int rc, const dg_err_t *err, const dg_buf_t *out, int status);

/** Print a usage error naming the command and the problem; returns CTL_ERROR. */
int ctl_usage_error(const char *cmd, const char *fmt, ...) DG_PRINTF(2, 3);

/** Run @argv (argv[0] found on PATH, no shell) with @in on its stdin and
 *  its stdout appended to @out (NULL = discarded; its cap is the most taken:
 *  past it the tool is killed and reaped, DG_ETOOBIG). Its stderr goes to
 *  ours, or into @errout (NULL = ours) up to @errout's cap. Returns 0 when it
 *  exits 0, else DG_EIO naming the tool and its status. */
int ctl_exec(char *const argv[], const char *in, size_t inlen, dg_buf_t *out, dg_buf_t *errout,
             dg_err_t *err);

/** ctl_exec() without stdin that reports how the tool ended instead of
 *  failing on it: *@status is its exit status (128 + the signal when it was
 *  killed). Returns 0 when it ran, else as ctl_exec() (could not run it). */
int ctl_exec_status(char *const argv[], dg_buf_t *out, dg_buf_t *errout, int *status,
                    dg_err_t *err);

/** ctl_exec() for kubectl: on failure @err says its status and the likely
 *  cause (no kubeconfig, wrong context, unreachable cluster, a webhook's
 *  denial, ...) and ctl_detail() gets the command line and the gist of its
 *  stderr. What kubectl said on stderr goes into @said when not NULL
 *  (warnings on success; the refusal on failure), up to its cap. */
int ctl_kubectl(char *const argv[], const char *in, size_t inlen, dg_buf_t *out,
                dg_buf_t *said, dg_err_t *err);

/** Add a line that ctl_fail() prints under the error ("  ran: kubectl ..."). */
void ctl_detail(const char *fmt, ...) DG_PRINTF(1, 2);

/** Forget those lines: the failure they explain was handled and reported. */
void ctl_detail_clear(void);

/** The binary of a tool: @flag (--kubectl/--helm) if given, else $@env,
 *  else @name, found on PATH. */
const char *ctl_tool(const char *flag, const char *env, const char *name);

/** How driftctl reaches a cluster through kubectl (--kubeconfig, --context). */
typedef struct ctl_kube {
    const char *kubeconfig, *context, *kubectl;
} ctl_kube_t;

/* The flags that pass through to kubectl, the same in every command that
 * reads the cluster: their keys sit above any command's own. */
enum { CTL_O_KUBECONFIG = 900, CTL_O_CONTEXT, CTL_O_KUBECTL };
#define CTL_KUBE_OPTS                                                                          \
    {"kubeconfig", 0, "FILE", CTL_O_KUBECONFIG, "passed to kubectl"},                           \
    {"context", 0, "NAME", CTL_O_CONTEXT, "passed to kubectl"},                                 \
    {"kubectl", 0, "PATH", CTL_O_KUBECTL, "the kubectl binary (default: $KUBECTL, else kubectl on\n" \
                                          "PATH)"}

/** Take flag @key's value @val into @k when it is one of CTL_KUBE_OPTS;
 *  returns whether it was. */
bool ctl_kube_opt(ctl_kube_t *k, int key, const char *val);

/** Append kubectl's --kubeconfig/--context for @k at argv[*n]; at most 4. */
void ctl_kube_flags(const ctl_kube_t *k, const char **argv, size_t *n);

/* ---- live state, read with kubectl (ctl_capture.c) ---------------------------------- */

typedef struct ctl_live {
    dg_objset_t *objs; /* what the cluster holds of the objects asked for */
    dg_gk_t *kinds;    /* the kinds asked for (a snapshot covers them); malloced */
    size_t nkinds;
    char *kinds_text;  /* the same as diff --kinds takes them: "svc,deploy,hpa"; malloced */
    size_t wanted;     /* objects asked for */
} ctl_live_t;

/** Read the objects of @rel that @pol governs (every object with @all) with
 *  `kubectl get TYPE/NAME... --ignore-not-found -o yaml`, one call per
 *  namespace, into @out (free with ctl_live_free()). What kubectl printed
 *  is appended to @raw when not NULL (its cap is the most taken). Objects
 *  the cluster lacks are simply absent. Returns 0, DG_EINVAL (nothing
 *  governed, a kind kubectl cannot be asked for), DG_EIO, DG_ETOOBIG,
 *  DG_EPARSE or DG_ENOMEM. */
int ctl_capture_live(const dg_release_t *rel, const dg_policy_t *pol, bool all,
                     const ctl_kube_t *kube, dg_buf_t *raw, ctl_live_t *out, dg_err_t *err);
void ctl_live_free(ctl_live_t *l);

/** "horizontalpodautoscalers.autoscaling/test-nginx": @id as kubectl names
 *  it. Returns 0, or DG_EINVAL for a kind driftctl does not know. */
int ctl_kube_name(const dg_objid_t *id, char *buf, size_t size, dg_err_t *err);

/* ---- who kubectl acts as (ctl_source.c) ---------------------------------------------- */

/** Who kubectl acts as: `kubectl auth whoami -o json`'s status.userInfo
 *  ({username, groups, ...}), a new reference in *@user. */
int ctl_whoami(const ctl_kube_t *kube, json_t **user, dg_err_t *err);

/** `kubectl get ARGS... [--kubeconfig F] [--context C]` (@args ends with
 *  NULL) with its output appended to @out; as ctl_kubectl(), or DG_ENOMEM. */
int ctl_kubectl_get(const ctl_kube_t *k, const char *const args[], dg_buf_t *out,
                    dg_err_t *err);

/** ctl_kubectl_get() of JSON (give "-o", "json" in @args) into *@out, a new
 *  reference; NULL when kubectl printed nothing (--ignore-not-found of an
 *  absent object). Returns 0, DG_EPARSE or as ctl_kubectl(). */
int ctl_kubectl_json(const ctl_kube_t *k, const char *const args[], json_t **out,
                     dg_err_t *err);

/* The baseline driftgate enforces, read from the cluster (cli/ctl_source.c). */
typedef struct ctl_source_opts {
    const char *release, *ns;  /* the release */
    const char *baseline_ns;   /* where published baselines are believed */
    const ctl_kube_t *kube;
} ctl_source_opts_t;

/* Where it came from, for the status card. */
typedef struct ctl_source {
    char origin[16];    /* "published" or "helm"; "" when none was found */
    char location[700]; /* "ns/name" of the ConfigMap or record; why none */
    char digest[72];    /* "sha256:<hex>" of the render; "" = unknown */
    long age;           /* seconds since it was written; -1 = unknown */
} ctl_source_t;

/** The baseline of release @o->release in @o->ns as driftgate takes it:
 *  the ConfigMap labelled for the release in @o->baseline_ns (of two, the
 *  one driftgate enforces, the other named in a warning; driftgate's
 *  loader: digest checked), else the latest deployed Helm
 *  release record (ConfigMaps and Secrets labelled owner=helm,name=<release>;
 *  Secrets we may not read are said and skipped). @now dates it. *@rel is
 *  NULL when neither exists (then @src->location says what was looked
 *  for). rel->digest is the ConfigMap's digest, or the SHA-256 of the
 *  record's manifest. Returns 0, DG_EIO (kubectl), DG_EPARSE, DG_EINVAL or
 *  DG_ENOMEM. */
int ctl_source_read(const ctl_source_opts_t *o, time_t now, dg_release_t **rel,
                    ctl_source_t *src, dg_err_t *err);

/** ctl_source_read(), for a command that cannot go on without a baseline
 *  (reconcile; the console's completion): DG_ENOTFOUND when there is none
 *  (@err says where it looked), DG_EINVAL while Helm is changing the release
 *  (a pending-* revision newer than the deployed one). */
int ctl_source_baseline(const ctl_source_opts_t *o, dg_release_t **rel, dg_err_t *err);

/* The admission gate in front of a release (cli/ctl_gate.c). */
typedef struct ctl_gate_opts {
    const char *webhook;   /* driftgate's webhook name: "validate.driftgate.io" */
    const char *policy_ns; /* where its policy ConfigMap is when it is registered
                            * by URL (no Service names its namespace) */
    const ctl_kube_t *kube;
} ctl_gate_opts_t;

typedef struct ctl_gate {
    dg_status_gate_t view; /* for the status card; points into the buffers */
    char configuration[256], webhook[256], failure_policy[16], endpoint[600];
    char ca_detail[800], deployers_detail[600], note[600];
} ctl_gate_t;

/** Look at the gate: the ValidatingWebhookConfiguration holding webhook
 *  @o->webhook (none: view.configuration NULL), its failurePolicy, whether
 *  its caBundle verifies the certificate driftgate serves at that endpoint
 *  (curl, as the API server would; unknown when it cannot be reached from
 *  here), whether its policy names deployers (its ConfigMap, else the
 *  helm-records webhook; unknown when neither says). What cannot be read
 *  is said in @g, never an error. Returns 0, or DG_ENOMEM. */
int ctl_gate_inspect(const ctl_gate_opts_t *o, ctl_gate_t *g, dg_err_t *err);

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

/* ---- the lines of a plain or gzip'd file, streamed (ctl_lines.c) ------------------------ */

typedef struct ctl_lines ctl_lines_t; /* opaque */

/** Open @path ("-" = stdin) for reading line by line, plain or gzip (zlib
 *  reads both); lines longer than @max_line bytes are skipped. @flag words
 *  errors (a directory given). Returns NULL with @err set (DG_EIO, DG_ENOMEM). */
ctl_lines_t *ctl_lines_open(const char *flag, const char *path, size_t max_line, dg_err_t *err);

/** The next line, without its newline: *@line (borrowed until the next
 *  call) and *@len. Returns 1, 0 at the end, DG_ETOOBIG for a line past
 *  the limit (skipped: go on; @err does not say where, ctl_lines_number()
 *  does), DG_EIO (a read or gzip error) or DG_ENOMEM. */
int ctl_lines_next(ctl_lines_t *l, const char **line, size_t *len, dg_err_t *err);

/** The 1-based number of the line last returned. */
long ctl_lines_number(const ctl_lines_t *l);

void ctl_lines_close(ctl_lines_t **l);

/* ---- reconcile: a judged plan, applied (ctl_reconcile.c, ctl_apply.c) ------------------ */

/* The field manager of every reconcile change: the audit log's request URI
 * and the object's managedFields name it. */
#define CTL_RECONCILE_MANAGER DG_PLAN_FIELD_MANAGER
#define CTL_MAX_GROUPS 64

typedef struct ctl_reconcile {
    dg_plan_t plan;             /* judged: every operation ALLOWED (or CONFLICT) */
    dg_release_t *rel;          /* the baseline */
    dg_policy_t *pol;
    dg_baselines_t *bases;      /* holds @rel, as the gate's store would */
    dg_decide_env_t env;
    dg_plan_requester_t who;    /* as the API server will name the requester */
    const char *groups[CTL_MAX_GROUPS]; /* who.groups: borrowed from @user */
    json_t *user;               /* kubectl auth whoami's userInfo, or NULL */
    char user_error[300];       /* why there is none */
    dg_objset_t *live;          /* what was judged against */
    const dg_gk_t *covered;     /* the kinds live covers (NULL: those it holds) */
    size_t ncovered;
    ctl_live_t captured;        /* when read with kubectl */
    ctl_kube_t kube;
    const char *evidence;       /* --evidence FILE, or NULL */
    const char *strategy;       /* "patch" or "apply" */
    bool yes, dry_run, keep_going;
    int64_t started;            /* Unix seconds */
} ctl_reconcile_t;

/** Apply @r's judged plan with the real kubectl: ask first on a terminal
 *  (unless r->yes; refused without one), then each operation in order
 *  (`kubectl patch --type=json`, `kubectl create`, or for --strategy apply
 *  `kubectl apply --server-side --field-manager=helm` after a dry run is
 *  judged), stopping at a failure, and at a conflict unless r->keep_going;
 *  then read live state again and check the drift each applied operation
 *  restores is gone. Writes r->evidence when set. Progress goes to stderr.
 *  Returns the exit status: CTL_OK (applied and verified, or nothing to
 *  do), CTL_FOUND (declined at the prompt: nothing applied), CTL_ERROR (a
 *  refusal, conflict, failure or drift left; @err says which). */
int ctl_apply_plan(ctl_reconcile_t *r, dg_err_t *err);

/** Say who the API server will name as the requester in r->who: kubectl
 *  auth whoami through r->kube, or driftctl-reconcile when @offline or it
 *  cannot say (warned on stderr; r->user_error says why). */
void ctl_reconcile_identify(ctl_reconcile_t *r, bool offline);

/** Plan the reconcile of r->rel against r->live (covering r->covered) into
 *  r->plan (init'd) with dg_plan_release(): the drift (into @drift when not
 *  NULL), who changed it, the plan (@po). Returns 0, or as dg_diff_sets() /
 *  dg_plan_build(). */
int ctl_reconcile_build(ctl_reconcile_t *r, const dg_plan_opts_t *po, dg_variances_t *drift,
                        dg_err_t *err);

/** Judge r->plan as driftgate will (r->bases made from r->rel; r->env set
 *  from r->started and the live HPAs). Returns 0, DG_EINVAL or DG_ENOMEM. */
int ctl_reconcile_judge(ctl_reconcile_t *r, dg_err_t *err);

/** DG_EINVAL with the gate's words when an operation of @p is refused. */
int ctl_reconcile_refused(const dg_plan_t *p, dg_err_t *err);

/* ---- the console (ctl_status.c, ctl_console.c, ctl_web.c) ------------------------------ */

/* What the console's context line says of a release: `driftctl status`
 * summed up. */
typedef struct ctl_status_info {
    char ns[256], release[256]; /* the scope status settled on */
    dg_state_t state;
    size_t variances;
    char kinds[256];    /* the kinds live evidence covers: "svc,deploy,hpa" */
    char artifact[704]; /* the baseline: a file's name, or the ConfigMap or
                         * Helm record it was read from; "none" */
} ctl_status_info_t;

/** Run `driftctl status` with @argv as the command line would, but fill
 *  @info instead of printing the card (errors and notes still go to
 *  stderr). Returns the status exit status (CTL_OK, CTL_FOUND, CTL_ERROR);
 *  @info is set unless CTL_ERROR. */
int ctl_status_query(int argc, char **argv, ctl_status_info_t *info);

/* ---- the consoles' context line (ctl_context.c) -------------------------------------- */

/** The name of the operator's shell ($SHELL's last part, else "sh"). Static
 *  or borrowed from the environment. */
const char *ctl_context_shell(void);

/** The cluster the session reaches, into @buf: --context, else kubectl's
 *  current context when @online ("unknown" when kubectl cannot say), else
 *  "offline". */
void ctl_context_cluster(const ctl_kube_t *kube, bool online, char *buf, size_t size);

/** The kinds the live evidence covers, as kubectl's short names
 *  ("svc,deploy,hpa"), into @buf: @kinds when the read named them (the
 *  kinds covered, absent objects included), else those of @live's objects. */
void ctl_context_kinds(const dg_gk_t *kinds, size_t nkinds, const dg_objset_t *live, char *buf,
                       size_t size);

/** `driftctl console`: the operator console's REPL (ctl_console.c). */
int ctl_console_main(int argc, char **argv);

/** `driftctl console --web`: the web console on loopback (ctl_web.c). Gets
 *  the console's whole command line, "console" first. */
int ctl_console_web(int argc, char **argv);

int ctl_reconcile_main(int argc, char **argv);
int ctl_diff_main(int argc, char **argv);
int ctl_status_main(int argc, char **argv);
int ctl_render_main(int argc, char **argv);
int ctl_capture_main(int argc, char **argv);
int ctl_publish_main(int argc, char **argv);
int ctl_simulate_main(int argc, char **argv);
int ctl_policy_main(int argc, char **argv);
/** The timeline of release @release in @ns (NULL: all) from audit logs
 *  @logs, as `driftctl timeline -o json` prints it, into *@out (a new
 *  reference). Returns 0, or as `driftctl timeline` fails. */
int ctl_timeline_json(const char *const *logs, size_t nlogs, const char *ns, const char *release,
                      const dg_policy_t *pol, json_t **out, dg_err_t *err);
int ctl_timeline_main(int argc, char **argv);
int ctl_completion_main(int argc, char **argv);

/* Each command's flag table, beside its parser; completion reads them. */
extern const ctl_cmd_t ctl_render_cmd, ctl_publish_cmd, ctl_capture_cmd, ctl_diff_cmd,
    ctl_status_cmd, ctl_simulate_cmd, ctl_timeline_cmd, ctl_reconcile_cmd, ctl_console_cmd,
    ctl_web_cmd, ctl_policy_kinds_cmd;

/** A driftctl command: its name; what it does (driftctl --help prints all
 *  of it, completion its first line); its entry point; the flag tables it
 *  parses (console has two: the prompt's and --web's), NULL-ended; the
 *  words its first argument takes, or NULL. */
typedef struct ctl_command {
    const char *name;
    const char *summary;
    int (*main)(int argc, char **argv);
    const ctl_cmd_t *flags[3];
    const char *args;
} ctl_command_t;

/** Every command, in driftctl --help's order; a NULL name ends it. */
extern const ctl_command_t ctl_commands[];

#endif
