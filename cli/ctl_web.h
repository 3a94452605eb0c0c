/* cli/ctl_web.h: `driftctl console --web`: the console's JSON API on the
 * operator's machine (ctl_webapi.c) behind a loopback listener (ctl_web.c).
 * Every answer comes from the code of the subcommand of that name: status,
 * diff, simulate (dg_decide), reconcile (plan, judge, apply), timeline.
 * SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_CTL_WEB_H
#define DG_CTL_WEB_H

#include <jansson.h>
#include <stdbool.h>

#include "ctl.h"

/* Where the release comes from: the flags of console --web. */
typedef struct ctl_web_src {
    const char *release, *ns;       /* online: the release */
    const char *baseline, *live;    /* offline: files */
    const char *policy, *baseline_ns;
    const char **audit_logs;        /* --audit-log: the timeline's source */
    size_t naudit_logs;
    ctl_kube_t kube;
} ctl_web_src_t;

/* What is known now; rebuilt after a reconcile or on ?refresh=1. */
typedef struct ctl_view {
    const ctl_web_src_t *src;       /* borrowed */
    ctl_reconcile_t rec;            /* rel, live, pol and the judged plan */
    dg_variances_t v;
    ctl_source_t source;
    json_t *status;                 /* the status card (dg_status_render JSON) */
    char error[800];                /* why there is no baseline or live state, or "" */
    const char *problem;            /* "no-cluster", "no-baseline", "error" or NULL */
    char cluster[256];              /* kubectl's context, or "" offline */
    dg_buf_t live_raw;              /* online: what kubectl printed */
} ctl_view_t;

/** Load everything for the view (errors end up in @v->error, never fatal:
 *  the page says honestly what is not known). Returns 0 or DG_ENOMEM. */
int ctl_view_load(ctl_view_t *v, const ctl_web_src_t *src);
void ctl_view_free(ctl_view_t *v);

/* An answer of the API: a status and a body, JSON unless @type says. */
typedef struct ctl_web_resp {
    int status;
    const char *type;      /* static; NULL = application/json */
    const char *filename;  /* static or NULL: Content-Disposition attachment */
    dg_buf_t body;
} ctl_web_resp_t;

/** Fill @r with a JSON error {"kind":"Status","code","message"}. */
void ctl_web_error(ctl_web_resp_t *r, int status, const char *fmt, ...) DG_PRINTF(3, 4);

/** Answer GET @path (an /api/v1/ route) from @v. */
void ctl_webapi_get(ctl_view_t *v, const char *path, ctl_web_resp_t *r);

/** POST /api/v1/simulate: @body (@len bytes, untrusted) judged by dg_decide. */
void ctl_webapi_simulate(ctl_view_t *v, const char *body, size_t len, ctl_web_resp_t *r);

/** POST /api/v1/reconcile: the gated apply of `driftctl reconcile --apply
 *  --yes` (online only), then the view is loaded again. */
void ctl_webapi_reconcile(ctl_view_t *v, const char *body, size_t len, ctl_web_resp_t *r);

#endif
