/* cli/ctl_main.c: driftctl, the operator console. Subcommands in the
 * kubectl style; every judgement comes from libdrift.
 * SPDX-License-Identifier: Apache-2.0 */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

#ifndef DG_VERSION
#define DG_VERSION "0.1.0"
#endif

static const char usage_head[] =
    "driftctl: Helm + Kubernetes drift assurance, the operator console.\n"
    "\n"
    "Usage: driftctl COMMAND [flags]\n"
    "\n"
    "Commands:\n";
static const char usage_foot[] =
    "\n"
    "Run 'driftctl COMMAND --help' (or 'driftctl help COMMAND') for a command's\n"
    "flags. A FILE flag given '-' reads stdin (an input) or writes stdout (-o).\n"
    "Exit status: 0 no drift / allowed, 2 drift found / denied, 1 error.\n";

static const ctl_opt_t no_opts[] = {{NULL, 0, NULL, 0, NULL}};

static const ctl_cmd_t version_cmd = {
    "version", "Usage: driftctl version\n\nPrint driftctl's version.\n", no_opts, NULL,
};

static int version_main(int argc, char **argv)
{
    ctl_args_t a = {argc, argv, 1, NULL};

    int c = ctl_opts_next(&version_cmd, &a);

    if (c < 0)
        return ctl_parse_status(c);
    printf("driftctl %s\n", DG_VERSION);
    return CTL_OK;
}

const ctl_command_t ctl_commands[] = {
    {"render", "render the release baseline (helm template, or Git manifests)", ctl_render_main,
     {&ctl_render_cmd, NULL}, NULL},
    {"publish", "turn a rendered baseline into the ConfigMap driftgate enforces", ctl_publish_main,
     {&ctl_publish_cmd, NULL}, NULL},
    {"capture", "read the live state of a release's governed objects (kubectl get)",
     ctl_capture_main, {&ctl_capture_cmd, NULL}, NULL},
    {"diff", "show governed drift between a release baseline and live state", ctl_diff_main,
     {&ctl_diff_cmd, NULL}, NULL},
    {"status", "the pipeline card of a release: its source, drift, state, gate", ctl_status_main,
     {&ctl_status_cmd, NULL}, NULL},
    {"simulate", "ask what the admission gate answers to a change, offline", ctl_simulate_main,
     {&ctl_simulate_cmd, NULL}, NULL},
    {"timeline", "a release's audit lifecycle, from the API server's audit log",
     ctl_timeline_main, {&ctl_timeline_cmd, NULL}, NULL},
    {"reconcile", "plan, judge and apply the minimal change back to the baseline",
     ctl_reconcile_main, {&ctl_reconcile_cmd, NULL}, NULL},
    {"console", "the operator console: a driftctl> prompt over these commands\n"
                "(--web: in a browser, on loopback)",
     ctl_console_main, {&ctl_console_cmd, &ctl_web_cmd, NULL}, NULL},
    {"policy", "print the built-in DriftPolicy, or the kinds a policy governs", ctl_policy_main,
     {&ctl_policy_kinds_cmd, NULL}, "default kinds"},
    {"version", "print the version", version_main, {&version_cmd, NULL}, NULL},
    {"completion", "print a shell completion script (bash, zsh)", ctl_completion_main, {NULL},
     "bash zsh"},
    {NULL, NULL, NULL, {NULL}, NULL},
};

/* The commands in two columns, a summary's later lines under its first. */
static void usage(FILE *f)
{
    fputs(usage_head, f);
    for (const ctl_command_t *c = ctl_commands; c->name; c++) {
        const char *s = c->summary, *nl;

        fprintf(f, "  %-10s ", c->name);
        while ((nl = strchr(s, '\n')) != NULL) {
            fprintf(f, "%.*s\n%13s", (int)(nl - s), s, "");
            s = nl + 1;
        }
        fprintf(f, "%s\n", s);
    }
    fputs(usage_foot, f);
}

static int (*find_cmd(const char *name))(int, char **)
{
    for (const ctl_command_t *c = ctl_commands; c->name; c++)
        if (strcmp(name, c->name) == 0)
            return c->main;
    return NULL;
}

/* "driftctl help diff" is "driftctl diff --help"; "help policy kinds" too. */
static int help_main(int argc, char **argv)
{
    int (*fn)(int, char **) = argc > 1 ? find_cmd(argv[1]) : NULL;
    char *args[4] = {NULL, NULL, NULL, NULL};
    int n = 0;

    if (argc == 1) {
        usage(stdout);
        return CTL_OK;
    }
    if (fn == NULL || argc > 3 || (argc == 3 && strcmp(argv[1], "policy") != 0)) {
        fprintf(stderr, "driftctl help: no help for '%s'\n\n", argv[1]);
        usage(stderr);
        return CTL_ERROR;
    }
    args[n++] = argv[1];
    if (argc == 3)
        args[n++] = argv[2];
    args[n++] = "--help";
    return fn(n, args);
}

int main(int argc, char **argv)
{
    int (*fn)(int, char **);

    /* Loading a release builds a million small nodes and frees them at the
     * end; with fastbins off, glibc stops re-consolidating them on every
     * large allocation (about 10% of `diff` on a 10,000-object release). */
    mallopt(M_MXFAST, 0);
    if (argc < 2) {
        usage(stderr);
        return CTL_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0)
        return help_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "--version") == 0)
        return version_main(argc - 1, argv + 1);
    if ((fn = find_cmd(argv[1])) != NULL)
        return fn(argc - 1, argv + 1);
    fprintf(stderr, "driftctl: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CTL_ERROR;
}
