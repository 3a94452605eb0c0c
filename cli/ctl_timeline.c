/* cli/ctl_timeline.c: `driftctl timeline`: a release's audit lifecycle
 * (baseline-render, out-of-band-mutation, controlled-reconcile) read from
 * the API server's audit logs, line by line: memory grows with the events
 * that match, not with the log. Classification is libdrift's (timeline.h).
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "report.h"
#include "rfc3339.h"
#include "timeline.h"

/* An audit event holds at most the request and the response, each under
 * the API server's 3 MiB body limit; anything longer is not one. */
#define MAX_LINE (16u << 20)

enum {
    O_AUDIT_LOG = 256, O_NS, O_RELEASE, O_OBJECT, O_SINCE, O_WEBHOOK, O_BASELINE_NS, O_POLICY,
    O_OUTPUT
};

static const ctl_opt_t opts[] = {
    {"audit-log", 0, "FILE...", O_AUDIT_LOG,
     "API server audit log (--audit-log-path; JSON lines), plain\n"
     "or .gz; repeat it or list several; '-' = stdin"},
    {"namespace", 'n', "NS", O_NS, "the release namespace (default: every namespace)"},
    {"release", 0, "NAME", O_RELEASE, "the release (default: every release)"},
    {"object", 0, "KIND/NAME", O_OBJECT, "one governed object, e.g. hpa/test-nginx"},
    {"since", 0, "TIME", O_SINCE, "events from this RFC 3339 time on"},
    {"webhook-name", 0, "NAME", O_WEBHOOK,
     "the webhook whose annotations are read\n(default validate.driftgate.io)"},
    {"baseline-namespace", 0, "NS", O_BASELINE_NS,
     "where driftgate believes baseline ConfigMaps\n(default driftgate-system)"},
    {"policy", 0, "FILE", O_POLICY, "DriftPolicy: which kinds are governed (default: the\n"
                                    "built-in policy)"},
    {"output", 'o', "table|json", O_OUTPUT, "the format (default table)"},
    {NULL, 0, NULL, 0, NULL},
};

const ctl_cmd_t ctl_timeline_cmd = {
    "timeline",
    "Usage: driftctl timeline --audit-log FILE... [flags]\n"
    "\n"
    "The audit lifecycle of a release's governed objects, from the API server's\n"
    "audit log, in time order: each Helm revision and published baseline and Helm\n"
    "applying it (baseline-render), every other write with its outcome (denied,\n"
    "warned, failed open, refused with the webhook unreachable, ...:\n"
    "out-of-band-mutation), and each reconcile (controlled-reconcile).\n",
    opts,
    "Lines that are not audit events are counted and skipped.\n"
    "Exit status: 0, or 1 on an error.\n",
};

typedef struct tl_opts {
    const char **logs;
    size_t nlogs;
    const char *ns, *release, *object, *since, *webhook, *baseline_ns, *policy, *output;
} tl_opts_t;

static int add_log(tl_opts_t *o, const char *path)
{
    const char **p = realloc(o->logs, (o->nlogs + 1) * sizeof *p);

    if (p == NULL)
        return ctl_usage_error("timeline", "out of memory");
    o->logs = p;
    o->logs[o->nlogs++] = path;
    return 0;
}

static int parse_args(int argc, char **argv, tl_opts_t *o)
{
    ctl_args_t a = {argc, argv, 1, NULL};
    size_t stdins = 0;
    int c;

    while ((c = ctl_opts_next(&ctl_timeline_cmd, &a)) > 0) {
        switch (c) {
        case O_AUDIT_LOG:
            if (add_log(o, a.val))
                return CTL_ERROR;
            /* "--audit-log audit.log audit-*.log.gz", as a shell glob gives them. */
            while (a.i < argc && (argv[a.i][0] != '-' || ctl_stdio(argv[a.i])))
                if (add_log(o, argv[a.i++]))
                    return CTL_ERROR;
            break;
        case O_NS: o->ns = a.val; break;
        case O_RELEASE: o->release = a.val; break;
        case O_OBJECT: o->object = a.val; break;
        case O_SINCE: o->since = a.val; break;
        case O_WEBHOOK: o->webhook = a.val; break;
        case O_BASELINE_NS: o->baseline_ns = a.val; break;
        case O_POLICY: o->policy = a.val; break;
        case O_OUTPUT: o->output = a.val; break;
        }
    }
    if (c < 0)
        return c;
    if (o->nlogs == 0)
        return ctl_usage_error("timeline", "--audit-log is required");
    for (size_t i = 0; i < o->nlogs; i++)
        stdins += ctl_stdio(o->logs[i]);
    if (stdins + ctl_stdio(o->policy) > 1)
        return ctl_usage_error("timeline", "only one input can be '-' (stdin)");
    return 0;
}

/* What the log read was like: counted, and the first bad line kept. */
typedef struct tl_read {
    size_t lines, malformed;
    char first_bad[320];
} tl_read_t;

static void malformed(tl_read_t *r, const char *file, long line, const dg_err_t *e)
{
    if (r->malformed++ == 0)
        snprintf(r->first_bad, sizeof r->first_bad, "%s:%ld: %s", file, line, e->msg);
}

/* One line: an audit event for the timeline, or a malformed line. */
static int read_line(dg_timeline_t *tl, const char *file, long lineno, const char *line,
                     size_t len, tl_read_t *r, dg_err_t *err)
{
    dg_err_t e = {0};
    json_t *ev;
    int rc;

    r->lines++;
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (len == 0)
        return 0;
    ev = dg_json_parse(line, len, DG_JSON_PRUNE_SERVER, file, &e);
    if (ev == NULL && e.code == DG_ENOMEM)
        return dg_err_set(err, DG_ENOMEM, "%s:%ld: out of memory", file, lineno);
    rc = ev ? dg_timeline_add(tl, ev, &e) : DG_EPARSE;
    json_decref(ev);
    if (rc == DG_EPARSE) {
        malformed(r, file, lineno, &e);
        return 0;
    }
    return rc ? dg_err_set(err, rc, "%s:%ld: %s", file, lineno, e.msg) : 0;
}

static int read_log(dg_timeline_t *tl, const char *path, tl_read_t *r, dg_err_t *err)
{
    ctl_lines_t *l = ctl_lines_open("--audit-log", path, MAX_LINE, err);
    const char *shown = ctl_stdio(path) ? "<stdin>" : path, *line;
    size_t len;
    dg_err_t e;
    int rc;

    if (l == NULL)
        return DG_EIO;
    for (;;) {
        dg_err_clear(&e);
        rc = ctl_lines_next(l, &line, &len, &e);
        if (rc == DG_ETOOBIG) {
            r->lines++;
            malformed(r, shown, ctl_lines_number(l), &e);
            continue;
        }
        if (rc <= 0)
            break;
        if ((rc = read_line(tl, shown, ctl_lines_number(l), line, len, r, err)) != 0)
            break;
    }
    if (rc < 0)
        dg_err_set(err, rc, "%s", e.msg);
    ctl_lines_close(&l);
    return rc < 0 ? rc : 0;
}

static int run(const tl_opts_t *o, dg_policy_t **pol, dg_timeline_t **tl, tl_read_t *r,
               dg_format_t *fmt, dg_err_t *err)
{
    dg_timeline_opts_t to = {.ns = o->ns, .release = o->release, .webhook = o->webhook,
                             .baseline_ns = o->baseline_ns};
    int64_t since = INT64_MIN;
    int rc;

    if (o->output && ((rc = dg_format_parse(o->output, fmt, err)) != 0 ||
                      (*fmt != DG_FMT_TABLE && *fmt != DG_FMT_JSON)))
        return dg_err_set(err, DG_EINVAL, "-o %s: a timeline is a table or json", o->output);
    if (o->since && dg_rfc3339_parse_ns(o->since, &since) != 0)
        return dg_err_set(err, DG_EINVAL,
                          "--since %s: not an RFC 3339 time (e.g. 2025-06-01T12:00:00Z)",
                          o->since);
    if (o->object && (rc = dg_timeline_opts_object(&to, "--object", o->object, err)) != 0)
        return rc;
    if ((rc = ctl_load_policy(o->policy, pol, err)) != 0)
        return rc;
    to.pol = *pol;
    if ((*tl = dg_timeline_new(&to, since, err)) == NULL)
        return DG_ENOMEM;
    for (size_t i = 0; i < o->nlogs; i++)
        if ((rc = read_log(*tl, o->logs[i], r, err)) != 0)
            return rc;
    return dg_timeline_finish(*tl, err);
}

int ctl_timeline_json(const char *const *logs, size_t nlogs, const char *ns, const char *release,
                      const dg_policy_t *pol, json_t **out, dg_err_t *err)
{
    dg_timeline_opts_t to = {.ns = ns, .release = release, .pol = pol};
    dg_timeline_t *tl = dg_timeline_new(&to, INT64_MIN, err);
    dg_report_timeline_ctx_t ctx;
    tl_read_t r = {0};
    dg_buf_t b;
    int rc = tl ? 0 : DG_ENOMEM;

    dg_buf_init(&b, 0);
    for (size_t i = 0; !rc && i < nlogs; i++)
        rc = read_log(tl, logs[i], &r, err);
    if (!rc)
        rc = dg_timeline_finish(tl, err);
    ctx = (dg_report_timeline_ctx_t){r.lines, r.malformed};
    if (!rc)
        rc = dg_report_timeline(tl, DG_FMT_JSON, &ctx, &b, err);
    if (!rc && (*out = json_loadb(b.data, b.len, 0, NULL)) == NULL)
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    dg_buf_free(&b);
    dg_timeline_free(&tl);
    return rc;
}

int ctl_timeline_main(int argc, char **argv)
{
    tl_opts_t o = {0};
    tl_read_t r = {0};
    dg_format_t fmt = DG_FMT_TABLE;
    dg_report_timeline_ctx_t ctx;
    dg_policy_t *pol = NULL;
    dg_timeline_t *tl = NULL;
    dg_err_t err = {0};
    dg_buf_t out;
    int rc;

    dg_buf_init(&out, 0);
    if ((rc = parse_args(argc, argv, &o)) != 0) {
        free(o.logs);
        return ctl_parse_status(rc);
    }
    rc = run(&o, &pol, &tl, &r, &fmt, &err);
    ctx = (dg_report_timeline_ctx_t){r.lines, r.malformed};
    if (!rc)
        rc = dg_report_timeline(tl, fmt, &ctx, &out, &err);
    rc = ctl_finish(rc, &err, &out, CTL_OK);
    if (rc == CTL_OK && r.malformed)
        fprintf(stderr, "driftctl timeline: %zu malformed line%s skipped (first: %s)\n",
                r.malformed, r.malformed == 1 ? "" : "s", r.first_bad);
    dg_buf_free(&out);
    dg_timeline_free(&tl);
    dg_policy_free(&pol);
    free(o.logs);
    return rc;
}
