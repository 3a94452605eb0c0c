/* cli/ctl_console.c: `driftctl console`: the operator console in a
 * terminal. Each command is the driftctl subcommand of that name, called
 * with an argv built from the line and the session (release, namespace,
 * files, cluster): no second implementation. The context line is `status`
 * summed up (ctl_status_query()). SPDX-License-Identifier: Apache-2.0 */
#include <histedit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_console.h"
#include "publish.h"

enum { O_RELEASE = 256, O_NS, O_BASELINE, O_LIVE, O_CHART, O_POLICY };

static const ctl_opt_t opts[] = {
    {"release", 0, "NAME", O_RELEASE, "the release; with -n and without --live, status,\n"
                                      "plan and reconcile read the cluster"},
    {"namespace", 'n', "NS", O_NS, "the release namespace"},
    {"baseline", 0, "FILE", O_BASELINE, "the rendered release or its baseline ConfigMap (what\n"
                                        "render writes; default release-baseline.yaml)"},
    {"live", 0, "FILE", O_LIVE, "live evidence (what capture writes); with --baseline\n"
                                "the session is offline, on files"},
    {"chart", 0, "PATH", O_CHART, "the chart render renders"},
    {"policy", 0, "FILE", O_POLICY, "DriftPolicy (default: the built-in policy)"},
    CTL_KUBE_OPTS,
    {NULL, 0, NULL, 0, NULL},
};

const ctl_cmd_t ctl_console_cmd = {
    "console",
    "Usage: driftctl console [--release NAME -n NS] [--baseline FILE --live FILE]\n"
    "                        [--chart PATH] [flags]\n"
    "       driftctl console --web [--listen ADDR] [flags]   (the web console)\n"
    "\n"
    "The operator console: a prompt (driftctl> ) under a context line that says\n"
    "the release, its state and the evidence, kept current. Its commands are\n"
    "driftctl's own, about the session's release: status, render, capture, diff,\n"
    "simulate, plan, reconcile, timeline; use NS/RELEASE switches release; help\n"
    "[COMMAND]; exit. Tab completes commands, objects and governed paths; the\n"
    "arrows recall history (~/.driftctl_history); Ctrl-C drops the line, or\n"
    "stops the tool a command runs. With stdin not a terminal it reads one\n"
    "command a line, without a prompt.\n",
    opts,
    "Exit status: 0 on exit; without a terminal, the status of the last command\n"
    "that failed (0 when none did).\n",
};

/* ---- the session ------------------------------------------------------------------------ */

static void set_str(char **dst, const char *src)
{
    free(*dst);
    *dst = src ? strdup(src) : NULL;
}

static int parse_args(int argc, char **argv, ctl_session_t *s)
{
    ctl_args_t a = {argc, argv, 1, NULL};
    int c;

    while ((c = ctl_opts_next(&ctl_console_cmd, &a)) > 0) {
        switch (c) {
        case O_RELEASE: set_str(&s->release, a.val); break;
        case O_NS: set_str(&s->ns, a.val); break;
        case O_BASELINE: set_str(&s->baseline, a.val); break;
        case O_LIVE: set_str(&s->live, a.val); break;
        case O_CHART: s->chart = a.val; break;
        case O_POLICY: s->policy = a.val; break;
        default: (void)ctl_kube_opt(&s->kube, c, a.val); break;
        }
    }
    if (c < 0)
        return c;
    if (ctl_stdio(s->baseline) || ctl_stdio(s->live) || ctl_stdio(s->policy))
        return ctl_usage_error("console", "the console reads its commands from stdin: give its "
                                          "files by name, not '-'");
    s->online = s->live == NULL && s->release && s->ns;
    if (!s->online && s->baseline == NULL)
        return ctl_usage_error("console", "give --release NAME -n NS (the cluster), or "
                                          "--baseline FILE [--live FILE] (files)");
    return 0;
}

static void session_free(ctl_session_t *s)
{
    free(s->release);
    free(s->ns);
    free(s->baseline);
    free(s->live);
    dg_release_free(&s->rel);
    dg_policy_free(&s->pol);
}

/* The baseline's objects and the policy, for completion only: failing to
 * read them just leaves nothing to complete (the commands say why). */
static void load_baseline(ctl_session_t *s)
{
    dg_err_t err = {0};

    dg_release_free(&s->rel);
    if (s->pol == NULL && ctl_load_policy(s->policy, &s->pol, &err))
        return;
    if (s->baseline && access(s->baseline, R_OK) == 0)
        (void)ctl_load_release(s->baseline, s->ns, 0, &s->rel, &err);
    else if (s->online)
        (void)ctl_source_baseline(&(ctl_source_opts_t){s->release, s->ns, DG_BASELINE_NS, &s->kube},
                                  &s->rel, &err);
    ctl_detail_clear(); /* a failure here is not reported, nor what explains it */
}

/* ---- building a subcommand's argv ---------------------------------------------------------- */

#define MAX_ARGS 128

typedef struct args {
    char *v[MAX_ARGS + 1];
    int n;
    bool full; /* more words than fit: refused, not cut */
} args_t;

static void push(args_t *a, const char *w)
{
    if (w == NULL)
        return;
    if (a->n == MAX_ARGS) {
        a->full = true;
        return;
    }
    a->v[a->n++] = (char *)w;
    a->v[a->n] = NULL;
}

static void push2(args_t *a, const char *flag, const char *val)
{
    if (val) {
        push(a, flag);
        push(a, val);
    }
}

static void push_kube(args_t *a, const ctl_session_t *s)
{
    push2(a, "--kubeconfig", s->kube.kubeconfig);
    push2(a, "--context", s->kube.context);
    push2(a, "--kubectl", s->kube.kubectl);
}

/* The release as the cluster knows it (status, plan, reconcile online). */
static void push_cluster(args_t *a, const ctl_session_t *s)
{
    push2(a, "--release", s->release);
    push2(a, "-n", s->ns);
    push_kube(a, s);
}

/* The release as files hold it (offline, and diff and simulate always). */
static void push_files(args_t *a, const ctl_session_t *s, bool live)
{
    push2(a, "--baseline", s->baseline);
    if (live)
        push2(a, "--live", s->live);
    push2(a, "-n", s->ns);
    push2(a, "--release", s->release);
}

/* The session's flags first, then the line's: a flag given twice takes the
 * later value, so what the operator types wins. */
static void push_line(args_t *a, int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        push(a, argv[i]);
}

/* The value of -o/--output on the line, or NULL. */
static const char *output_of(int argc, char **argv)
{
    const char *val = NULL;

    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) && i + 1 < argc)
            val = argv[++i];
        else if (strncmp(argv[i], "--output=", 9) == 0)
            val = argv[i] + 9;
        else if (strncmp(argv[i], "-o", 2) == 0 && argv[i][2])
            val = argv[i] + 2;
    }
    return val;
}

/* A command needs a file the session lacks: say which and how to get it. */
static int lacking(const char *what, const char *flag, const char *how)
{
    fprintf(stderr, "driftctl console: %s: no %s yet: %s (or start the console with %s FILE)\n",
            what, flag + 2, how, flag);
    return CTL_ERROR;
}

/* ---- the context line ---------------------------------------------------------------------- */

static void status_args(args_t *a, const ctl_session_t *s)
{
    push(a, "status");
    if (s->online)
        push_cluster(a, s);
    else
        push_files(a, s, true);
    push2(a, "--policy", s->policy);
}

/* Before status has answered, the baseline's own scope (its objects'
 * namespace and release), else "?". The words are libdrift's, as on both
 * web hosts (dg_context_lines()). */
static void print_context(const ctl_session_t *s)
{
    dg_context_t c = {.ns = s->ns ? s->ns : s->rel ? s->rel->ns : NULL,
                      .release = s->release ? s->release : s->rel ? s->rel->name : NULL,
                      .state = s->known ? dg_state_name(s->info.state) : "unknown",
                      .shell = ctl_context_shell(), .cluster = s->cluster,
                      .audited = s->known ? s->info.kinds : NULL,
                      .artifact = s->known ? s->info.artifact : s->baseline};
    char l1[1024], l2[1536];

    dg_context_lines(&c, l1, sizeof l1, l2, sizeof l2);
    printf("%s\n%s\n", l1, l2);
    fflush(stdout);
}

/* Ask status again (quietly: its stdout is not printed) and show the
 * context line when it changed or when @always. Without --live offline,
 * there is nothing to ask yet. */
static void refresh(ctl_session_t *s, bool always)
{
    ctl_status_info_t before = s->info;
    bool was = s->known;
    args_t a = {.n = 0};

    if (s->online || (s->baseline && s->live)) {
        status_args(&a, s);
        ctl_detail_clear();
        s->known = ctl_status_query(a.n, a.v, &s->info) != CTL_ERROR;
    } else
        s->known = false;
    /* The scope status settled on (the baseline's namespace, its release)
     * is the session's from now on: no command guesses it again. */
    if (s->known && s->ns == NULL && s->info.ns[0])
        set_str(&s->ns, s->info.ns);
    if (s->known && s->release == NULL && s->info.release[0])
        set_str(&s->release, s->info.release);
    if (always || was != s->known || memcmp(&before, &s->info, sizeof before) != 0)
        print_context(s);
}

/* ---- the commands ----------------------------------------------------------------------- */

typedef int (*runner_t)(ctl_session_t *s, int argc, char **argv);

static int run(int (*fn)(int, char **), args_t *a)
{
    int rc;

    if (a->full) {
        fprintf(stderr, "driftctl console: at most %d words to a command\n", MAX_ARGS);
        return CTL_ERROR;
    }
    ctl_detail_clear(); /* what an earlier command left unsaid is not this one's */
    rc = fn(a->n, a->v);
    fflush(stdout);
    return rc;
}

static int cmd_status(ctl_session_t *s, int argc, char **argv)
{
    args_t a = {.n = 0};

    if (!s->online && s->live == NULL)
        return lacking("status", "--live", "run capture");
    status_args(&a, s);
    push_line(&a, argc, argv);
    return run(ctl_status_main, &a);
}

static int cmd_render(ctl_session_t *s, int argc, char **argv)
{
    const char *out = output_of(argc, argv);
    args_t a = {.n = 0};
    int rc;

    if (out == NULL)
        out = s->baseline ? s->baseline : "release-baseline.yaml";
    push(&a, "render");
    push2(&a, "--chart", s->chart);
    push2(&a, "--release", s->release);
    push2(&a, "-n", s->ns);
    push2(&a, "-o", out);
    push_line(&a, argc, argv);
    rc = run(ctl_render_main, &a);
    if (rc == CTL_OK && !ctl_stdio(out)) {
        set_str(&s->baseline, out);
        load_baseline(s);
        refresh(s, false);
    }
    return rc;
}

static int cmd_capture(ctl_session_t *s, int argc, char **argv)
{
    const char *out = output_of(argc, argv);
    args_t a = {.n = 0};
    int rc;

    if (s->baseline == NULL)
        return lacking("capture", "--baseline", "run render");
    if (out == NULL)
        out = s->live ? s->live : "live-snapshot.yaml";
    push(&a, "capture");
    push2(&a, "--baseline", s->baseline);
    push2(&a, "-n", s->ns);
    push2(&a, "--policy", s->policy);
    push_kube(&a, s);
    push2(&a, "-o", out);
    push_line(&a, argc, argv);
    rc = run(ctl_capture_main, &a);
    if (rc == CTL_OK && !ctl_stdio(out)) {
        set_str(&s->live, out);
        refresh(s, false);
    }
    return rc;
}

static int cmd_diff(ctl_session_t *s, int argc, char **argv)
{
    args_t a = {.n = 0};

    if (s->baseline == NULL)
        return lacking("diff", "--baseline", "run render");
    if (s->live == NULL)
        return lacking("diff", "--live", "run capture");
    push(&a, "diff");
    push_files(&a, s, true);
    push2(&a, "--policy", s->policy);
    push_line(&a, argc, argv);
    return run(ctl_diff_main, &a);
}

/* simulate KIND/NAME [flags]: the object is the --target. */
static int cmd_simulate(ctl_session_t *s, int argc, char **argv)
{
    args_t a = {.n = 0};
    int first = 1;

    if (s->baseline == NULL)
        return lacking("simulate", "--baseline", "run render");
    push(&a, "simulate");
    push_files(&a, s, true);
    push2(&a, "--policy", s->policy);
    if (argc > 1 && argv[1][0] != '-')
        push2(&a, "--target", argv[first++]);
    push_line(&a, argc - first + 1, argv + first - 1);
    return run(ctl_simulate_main, &a);
}

/* plan and reconcile: `driftctl reconcile`, applying or not. */
static int reconcile(ctl_session_t *s, int argc, char **argv, bool apply)
{
    args_t a = {.n = 0};
    int rc;

    if (apply && !s->online) {
        fprintf(stderr, "driftctl console: reconcile: this session reads files, not a cluster: "
                        "nothing to apply to (plan shows the plan; start the console with "
                        "--release NAME -n NS to reconcile)\n");
        return CTL_ERROR;
    }
    if (!s->online && s->live == NULL)
        return lacking(apply ? "reconcile" : "plan", "--live", "run capture");
    push(&a, "reconcile");
    if (s->online)
        push_cluster(&a, s);
    else
        push_files(&a, s, true);
    push2(&a, "--policy", s->policy);
    if (apply)
        push(&a, "--apply");
    push_line(&a, argc, argv);
    rc = run(ctl_reconcile_main, &a);
    if (apply)
        refresh(s, false);
    return rc;
}

static int cmd_plan(ctl_session_t *s, int argc, char **argv)
{
    return reconcile(s, argc, argv, false);
}

static int cmd_reconcile(ctl_session_t *s, int argc, char **argv)
{
    return reconcile(s, argc, argv, true);
}

static int cmd_timeline(ctl_session_t *s, int argc, char **argv)
{
    args_t a = {.n = 0};

    push(&a, "timeline");
    push2(&a, "--release", s->release);
    push2(&a, "-n", s->ns);
    push2(&a, "--policy", s->policy);
    push_line(&a, argc, argv);
    return run(ctl_timeline_main, &a);
}

/* use NS/RELEASE: the next commands are about that release. */
static int cmd_use(ctl_session_t *s, int argc, char **argv)
{
    const char *slash = argc == 2 ? strchr(argv[1], '/') : NULL;

    if (slash == NULL || slash == argv[1] || slash[1] == '\0' || strchr(slash + 1, '/')) {
        fprintf(stderr, "driftctl console: usage: use NAMESPACE/RELEASE\n");
        return CTL_ERROR;
    }
    free(s->ns);
    s->ns = strndup(argv[1], (size_t)(slash - argv[1]));
    set_str(&s->release, slash + 1);
    if (s->baseline == NULL || s->live == NULL)
        s->online = true;
    load_baseline(s);
    refresh(s, true);
    return CTL_OK;
}

static int cmd_help(ctl_session_t *s, int argc, char **argv);

static int cmd_exit(ctl_session_t *s, int argc, char **argv)
{
    (void)s, (void)argc, (void)argv;
    return CTL_OK; /* the loop sees the name and stops */
}

static const struct console_cmd {
    const char *name;
    runner_t run;
    int (*main)(int, char **); /* the subcommand, for `help NAME`; NULL: the console's own */
    const char *args;
    const char *help;
} cmds[] = {
    {"status", cmd_status, ctl_status_main, "",
     "the pipeline card: source, drift, state, gate"},
    {"render", cmd_render, ctl_render_main, "",
     "render the baseline (helm template --chart) into its file"},
    {"capture", cmd_capture, ctl_capture_main, "",
     "read live evidence with kubectl into the live file"},
    {"diff", cmd_diff, ctl_diff_main, "",
     "governed drift between the baseline and live files"},
    {"simulate", cmd_simulate, ctl_simulate_main, "KIND/NAME --set PATH=VALUE",
     "the gate's answer to a change (or --patch JSON)"},
    {"plan", cmd_plan, ctl_reconcile_main, "",
     "the reconcile plan, judged by the gate; nothing applied"},
    {"reconcile", cmd_reconcile, ctl_reconcile_main, "",
     "the plan, y/N, applied with kubectl, verified"},
    {"timeline", cmd_timeline, ctl_timeline_main, "--audit-log FILE",
     "the release's audit lifecycle"},
    {"use", cmd_use, NULL, "NAMESPACE/RELEASE", "switch the session to another release"},
    {"help", cmd_help, NULL, "[COMMAND]", "this list, or a command's flags"},
    {"exit", cmd_exit, NULL, "", "leave the console (also quit, Ctrl-D)"},
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

const char *ctl_console_command(size_t i)
{
    return i < NCMDS ? cmds[i].name : NULL;
}

static const struct console_cmd *find(const char *name)
{
    for (size_t i = 0; i < NCMDS; i++)
        if (strcmp(cmds[i].name, name) == 0)
            return &cmds[i];
    return strcmp(name, "quit") == 0 ? find("exit") : NULL;
}

static void help_list(void)
{
    char left[64];

    printf("Commands (each is the driftctl command of that name, about the session's\n"
           "release; flags typed after it are that command's, see help COMMAND):\n");
    for (size_t i = 0; i < NCMDS; i++) {
        snprintf(left, sizeof left, "%s %s", cmds[i].name, cmds[i].args);
        printf("  %-36s %s\n", left, cmds[i].help);
    }
}

/* help NAME: the subcommand's own --help, or the console's line for its own. */
static int cmd_help(ctl_session_t *s, int argc, char **argv)
{
    const struct console_cmd *c = argc > 1 ? find(argv[1]) : NULL;
    char *args[3] = {NULL, "--help", NULL};

    (void)s;
    if (argc == 1) {
        help_list();
        return CTL_OK;
    }
    if (c == NULL || argc > 2) {
        fprintf(stderr, "driftctl console: help: no command '%s'\n", argv[1]);
        return CTL_ERROR;
    }
    if (c->main == NULL) {
        printf("%s %s\n  %s\n", c->name, c->args, c->help); /* the console's own */
        return CTL_OK;
    }
    if (strcmp(c->name, "plan") == 0)
        printf("plan is reconcile without --apply. ");
    printf("In the console, the session gives its release, namespace, files and cluster\n"
           "flags; these are driftctl %s's:\n\n", c->main == ctl_reconcile_main ? "reconcile"
                                                                                 : c->name);
    args[0] = (char *)c->name;
    return c->main(2, args);
}

/* ---- the loop --------------------------------------------------------------------------- */

/* One line: split as a shell splits words (quotes, backslashes), run.
 * Returns the command's exit status; *@quit is set by exit. */
static int one_line(ctl_session_t *s, Tokenizer *tok, const char *line, bool *quit)
{
    const struct console_cmd *c;
    const char **argv = NULL;
    int argc = 0, rc;

    tok_reset(tok);
    rc = tok_str(tok, line, &argc, &argv);
    if (rc != 0) {
        fprintf(stderr, "driftctl console: unmatched quote\n");
        return CTL_ERROR;
    }
    if (argc == 0 || argv[0][0] == '#')
        return CTL_OK;
    if ((c = find(argv[0])) == NULL) {
        fprintf(stderr, "driftctl console: unknown command '%s' (help lists them)\n", argv[0]);
        return CTL_ERROR;
    }
    *quit = c->run == cmd_exit;
    rc = c->run(s, argc, (char **)argv);
    fflush(stdout);
    fflush(stderr);
    return rc;
}

static char *read_plain(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);

    if (n < 0) {
        free(line);
        return NULL;
    }
    line[strcspn(line, "\r\n")] = '\0';
    return line;
}

static int loop(ctl_session_t *s)
{
    Tokenizer *tok = tok_init(NULL);
    int failed = CTL_OK, rc;
    bool quit = false;
    char *line;

    if (tok == NULL)
        return CTL_ERROR;
    while (!quit && (line = s->tty ? ctl_edit_line("driftctl> ") : read_plain()) != NULL) {
        rc = one_line(s, tok, line, &quit);
        if (rc != CTL_OK)
            failed = rc;
        free(line);
    }
    tok_end(tok);
    return s->tty ? CTL_OK : failed;
}

int ctl_console_main(int argc, char **argv)
{
    ctl_session_t s = {.tty = isatty(STDIN_FILENO) != 0};
    int rc;

    /* The web console parses its own flags (cli/ctl_web.c). */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--web") == 0)
            return ctl_console_web(argc, argv);
    if ((rc = parse_args(argc, argv, &s)) != 0) {
        session_free(&s);
        return ctl_parse_status(rc);
    }
    ctl_context_cluster(&s.kube, s.online, s.cluster, sizeof s.cluster);
    if (s.tty)
        printf("driftctl operator console: release assurance, live evidence, drift review,\n"
               "guided reconcile. Type help for the commands, Tab to complete, exit to leave.\n");
    load_baseline(&s);
    refresh(&s, true);
    if (s.tty)
        ctl_edit_begin(&s);
    rc = loop(&s);
    if (s.tty)
        ctl_edit_end();
    session_free(&s);
    return rc;
}
