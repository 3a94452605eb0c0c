/* policy/report.h: rendering variances and decisions for people and tools:
 * table, json, markdown, sarif (2.1.0). Output goes into a dg_buf_t.
 * Pure: libc, jansson. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_REPORT_H
#define DG_REPORT_H

#include "buf.h"
#include "decide.h"
#include "diff.h"
#include "err.h"
#include "timeline.h"
#include "plan.h"

typedef enum dg_format {
    DG_FMT_TABLE,
    DG_FMT_JSON,
    DG_FMT_YAML,
    DG_FMT_MARKDOWN,
    DG_FMT_SARIF
} dg_format_t;

/** Parse "table", "json", "yaml", "markdown", "sarif". Returns 0 or DG_EINVAL. */
DG_MUST_CHECK int dg_format_parse(const char *s, dg_format_t *out, dg_err_t *err);

/* Where a SARIF result points: the line that sets the governed value. */
typedef struct dg_report_loc {
    const char *uri; /* relative to the repository root ("examples/charts/nginx/
                      * templates/hpa.yaml"), or an absolute "file:" URI */
    int line;        /* 1-based */
} dg_report_loc_t;

/* Context shown in summaries and used by SARIF for artifact locations. */
typedef struct dg_report_ctx {
    const char *release;          /* NULL or "test-nginx" */
    const char *ns;               /* NULL or "sandbox-nginx" */
    const char *baseline_uri;     /* NULL or the baseline file, for SARIF */
    const char *live_uri;         /* NULL or the live file */
    const dg_report_loc_t *locs;  /* NULL, or one per variance, in order (SARIF);
                                   * without them every result points at line 1
                                   * of @baseline_uri */
    const char *root_uri;         /* NULL or "file:///abs/repo/": what relative
                                   * URIs are relative to (SARIF's SRCROOT) */
} dg_report_ctx_t;

/** Render @v in @fmt into @out. Table: OBJECT PATH DESIRED LIVE RULE ACTION
 *  columns (and CHANGED BY, "manager  operation  time", when any variance
 *  knows who last set its live value) and a summary line ("4 active
 *  variances"); JSON: {"variances":[...],"summary":{...}}, a variance with
 *  "changedBy":{"manager","operation","time"} when known; markdown a
 *  "Changed by" column; SARIF says it in the message and the result's
 *  properties. Returns 0, DG_EINVAL or DG_ENOMEM. */
DG_MUST_CHECK int dg_report_variances(const dg_variances_t *v, dg_format_t fmt,
                                      const dg_report_ctx_t *ctx, dg_buf_t *out,
                                      dg_err_t *err);

/** How many of @v each action has, indexed by dg_action_t (deny, warn,
 *  audit). */
void dg_report_counts(const dg_variances_t *v, size_t c[3]);

/** The variances as the JSON array used by the report and driftgate's API.
 *  Returns a new reference, NULL when out of memory. */
json_t *dg_report_variances_json(const dg_variances_t *v);

/** The decision record: what driftgate logs and serves at
 *  /api/v1/decisions, and what `driftctl simulate -o json` prints (there
 *  with the AdmissionReview response under "response"). Fields: uid, user,
 *  operation, object {group, resource, namespace, name}, subresource (null
 *  when none), dry_run, decision (dg_verdict_name), allowed, code (200 when
 *  allowed), release, message (the denial's; null when allowed), reason
 *  (why no-baseline, skip, excluded...; null when none), warnings,
 *  variances (introduced: "desired" and "requested"), reconciled (moved back:
 *  "desired" and "before"), preexisting (untouched: "desired" and "live").
 *  Appended to @b as compact JSON, the values of the objects as jansson
 *  dumps them (17 digits for reals), WITHOUT the closing '}': the caller
 *  adds its members (",\"time\":...") and closes it. This is the record's
 *  one writer. Returns 0, or DG_ENOMEM / DG_ETOOBIG from @b. */
DG_MUST_CHECK int dg_report_decision_record(dg_buf_t *b, const dg_decision_t *d,
                                            const dg_review_t *rv);

/** The decision record as a tree (read back from its text). Returns a new
 *  reference, NULL when out of memory. */
json_t *dg_report_decision_json(const dg_decision_t *d, const dg_review_t *rv);

/** Render a decision for people (table: verdict, message, warnings,
 *  annotations, variances) or as JSON (dg_report_decision_json() plus
 *  "response": the AdmissionReview as sent). Returns 0, DG_EINVAL or DG_ENOMEM. */
DG_MUST_CHECK int dg_report_decision(const dg_decision_t *d, const dg_review_t *rv,
                                     dg_format_t fmt, dg_buf_t *out, dg_err_t *err);

/* What a timeline was read from, for its summary. */
typedef struct dg_report_timeline_ctx {
    size_t lines;     /* lines read */
    size_t malformed; /* of which not audit events */
} dg_report_timeline_ctx_t;

/** Render the events of @tl (after dg_timeline_finish()). Table: one line
 *  per event (TIME STAGE OBJECT VERB USER OUTCOME DETAIL), then one line
 *  per governed object ("hpa/test-nginx: 3 renders, 9 out-of-band attempts
 *  (7 denied, 1 failed open), 4 reconciles") and per release's intent.
 *  JSON: {"events":[dg_timeline_event_json()...],"summary":{"events",
 *  "baseline-render","out-of-band-mutation","controlled-reconcile",
 *  "objects":[{"object","renders","mutations","outcomes","reconciles"}],
 *  "intent":[{"release",...}],"lines","malformed"}}, one event per line.
 *  Returns 0, DG_EINVAL (a format other than table or json) or DG_ENOMEM. */
DG_MUST_CHECK int dg_report_timeline(const dg_timeline_t *tl, dg_format_t fmt,
                                     const dg_report_timeline_ctx_t *ctx, dg_buf_t *out,
                                     dg_err_t *err);
/** Render a reconcile plan. Table: one row per variance it restores
 *  (OBJECT ACTION PATH DESIRED LIVE RULE DECISION), then each object's JSON
 *  patch, one operation a line, what the gate said when it refused or the
 *  object changed, its warnings, and a summary ("2 operations (2 patch, 0
 *  create) restore 3 variances in release ns/name (revision 4)."; "Nothing
 *  to reconcile: ..." when empty). Markdown: the same for PR comments.
 *  JSON: dg_plan_json(). Returns 0, DG_EINVAL (yaml, sarif) or DG_ENOMEM. */
DG_MUST_CHECK int dg_report_plan(const dg_plan_t *plan, dg_format_t fmt, dg_buf_t *out,
                                 dg_err_t *err);

/** The Kubernetes Status an API answers an error with, as both consoles'
 *  APIs and driftgate's endpoints send it: {"kind":"Status","apiVersion":
 *  "v1","metadata":{},"status":"Failure","message":@msg,"code":@code} and a
 *  newline, into @out (reset first). A byte of @msg (which may quote the
 *  request) that is not UTF-8 is sent as '?'. Returns 0 or DG_ENOMEM. */
DG_MUST_CHECK int dg_report_status(int code, const char *msg, dg_buf_t *out);

#endif
