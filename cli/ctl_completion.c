/* cli/ctl_completion.c: `driftctl completion bash|zsh`: shell completion
 * scripts, generated from one table of commands and flags so bash and zsh
 * offer the same thing (tests/install checks the table against --help).
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static const char usage[] =
    "Usage: driftctl completion bash|zsh\n"
    "\n"
    "Print the shell completion script for driftctl (and kubectl-drift, the\n"
    "kubectl plugin). `make install` installs both; by hand:\n"
    "\n"
    "  bash: source <(driftctl completion bash)\n"
    "  zsh:  driftctl completion zsh > \"${fpath[1]}/_driftctl\"\n";

/* What a flag's value is: none (a switch), a file, a directory, free text,
 * or one of a few words. */
typedef enum { V_NONE, V_FILE, V_DIR, V_TEXT, V_WORDS } vkind_t;

typedef struct flag {
    const char *shortname; /* "-n" or NULL */
    const char *name;      /* "--namespace" */
    vkind_t value;
    const char *words;     /* V_WORDS: "table json" */
    const char *help;
} flag_t;

#define MAX_FLAGS 24

typedef struct command {
    const char *name, *help;
    const char *args; /* words for its first argument (policy default|kinds), or NULL */
    flag_t flags[MAX_FLAGS];
} command_t;

#define NS {"-n", "--namespace", V_TEXT, NULL, "namespace"}
#define KUBE                                                                   \
    {NULL, "--kubeconfig", V_FILE, NULL, "kubeconfig for kubectl"},            \
    {NULL, "--context", V_TEXT, NULL, "kubeconfig context"},                   \
    {NULL, "--kubectl", V_FILE, NULL, "the kubectl binary"}

static const command_t commands[] = {
    {"render", "render the release baseline (helm template, or Git manifests)", NULL, {
         {NULL, "--chart", V_FILE, NULL, "chart directory, package or repo/chart"},
         {NULL, "--manifests", V_DIR, NULL, "plain manifests instead of a chart"},
         {NULL, "--release", V_TEXT, NULL, "release name"},
         NS,
         {"-f", "--values", V_FILE, NULL, "values file for helm"},
         {NULL, "--set", V_TEXT, NULL, "K=V for helm"},
         {NULL, "--set-string", V_TEXT, NULL, "K=V string for helm"},
         {NULL, "--version", V_TEXT, NULL, "chart version"},
         {NULL, "--include-crds", V_NONE, NULL, "CRDs of the chart too"},
         {NULL, "--helm", V_FILE, NULL, "the helm binary"},
         {"-o", "--output", V_FILE, NULL, "where to write"},
     }},
    {"publish", "turn a rendered baseline into the ConfigMap driftgate enforces", NULL, {
         {NULL, "--baseline", V_FILE, NULL, "the render"},
         {NULL, "--release", V_TEXT, NULL, "release name"},
         NS,
         {NULL, "--baseline-namespace", V_TEXT, NULL, "baseline namespace of driftgate"},
         {NULL, "--revision", V_TEXT, NULL, "approved revision"},
         {NULL, "--chart", V_TEXT, NULL, "chart annotation NAME-VER"},
         {NULL, "--source", V_TEXT, NULL, "where the render came from"},
         {NULL, "--gzip", V_NONE, NULL, "store the render gzipped"},
         {NULL, "--apply", V_NONE, NULL, "kubectl apply it"},
         KUBE,
         {"-o", "--output", V_FILE, NULL, "where to write"},
     }},
    {"capture", "read the live state of the governed objects of a release (kubectl get)", NULL, {
         {NULL, "--baseline", V_FILE, NULL, "the rendered release"},
         NS,
         {NULL, "--policy", V_FILE, NULL, "DriftPolicy"},
         {NULL, "--all", V_NONE, NULL, "every object, governed or not"},
         KUBE,
         {"-o", "--output", V_FILE, NULL, "where to write"},
     }},
    {"diff", "show governed drift between a release baseline and live state", NULL, {
         {NULL, "--baseline", V_FILE, NULL, "rendered release or baseline ConfigMap"},
         {NULL, "--live", V_FILE, NULL, "live evidence"},
         {NULL, "--policy", V_FILE, NULL, "DriftPolicy"},
         NS,
         {NULL, "--release", V_TEXT, NULL, "release name shown in reports"},
         {NULL, "--kinds", V_TEXT, NULL, "kinds the snapshot covers"},
         {"-o", "--output", V_WORDS, "table json yaml markdown sarif", "output format"},
         {NULL, "--sarif-root", V_DIR, NULL, "repository root for SARIF paths"},
         {NULL, "--max-bytes", V_TEXT, NULL, "input size limit"},
     }},
    {"status", "the pipeline card of a release: source of truth, drift, state, gate", NULL, {
         {NULL, "--release", V_TEXT, NULL, "release name"},
         NS,
         {NULL, "--baseline", V_FILE, NULL, "offline: rendered release or baseline ConfigMap"},
         {NULL, "--live", V_FILE, NULL, "offline: live evidence"},
         {NULL, "--kinds", V_TEXT, NULL, "kinds the snapshot covers"},
         {NULL, "--policy", V_FILE, NULL, "DriftPolicy"},
         {NULL, "--plan", V_FILE, NULL, "a saved reconcile plan"},
         {NULL, "--baseline-namespace", V_TEXT, NULL, "baseline namespace of driftgate"},
         {NULL, "--webhook-name", V_TEXT, NULL, "the webhook name of driftgate"},
         KUBE,
         {"-o", "--output", V_WORDS, "table json", "output format"},
     }},
    {"simulate", "ask what the admission gate answers to a change, offline", NULL, {
         {NULL, "--review", V_FILE, NULL, "an AdmissionReview"},
         {NULL, "--baseline", V_FILE, NULL, "the release baseline"},
         {NULL, "--live", V_FILE, NULL, "live evidence"},
         {NULL, "--policy", V_FILE, NULL, "DriftPolicy"},
         {NULL, "--release", V_TEXT, NULL, "release a plain render belongs to"},
         NS,
         {NULL, "--target", V_TEXT, NULL, "KIND/NAME to change"},
         {NULL, "--patch", V_TEXT, NULL, "the change"},
         {NULL, "--type", V_WORDS, "merge json", "patch type"},
         {NULL, "--object", V_FILE, NULL, "the complete proposed object"},
         {NULL, "--set", V_TEXT, NULL, "PATH=VALUE, the change"},
         {NULL, "--from", V_WORDS, "live baseline", "the object the change is made to"},
         {NULL, "--subresource", V_WORDS, "scale", "judge through a subresource"},
         {NULL, "--as", V_TEXT, NULL, "requester"},
         {NULL, "--as-group", V_TEXT, NULL, "group of the requester"},
         {NULL, "--dry-run", V_NONE, NULL, "mark the request dryRun"},
         {"-o", "--output", V_WORDS, "response table json", "output format"},
         {NULL, "--max-bytes", V_TEXT, NULL, "input size limit"},
     }},
    {"timeline", "a release's audit lifecycle, from the API server's audit log", NULL, {
         {NULL, "--audit-log", V_FILE, NULL, "API server audit log, plain or .gz"},
         NS,
         {NULL, "--release", V_TEXT, NULL, "release name"},
         {NULL, "--object", V_TEXT, NULL, "KIND/NAME of one governed object"},
         {NULL, "--since", V_TEXT, NULL, "RFC 3339 time"},
         {NULL, "--webhook-name", V_TEXT, NULL, "webhook whose annotations are read"},
         {NULL, "--baseline-namespace", V_TEXT, NULL, "baseline namespace of driftgate"},
         {NULL, "--policy", V_FILE, NULL, "DriftPolicy"},
         {"-o", "--output", V_WORDS, "table json", "output format"},
     }},
    {"reconcile", "plan, judge and apply the minimal change back to the baseline", NULL, {
         {NULL, "--baseline", V_FILE, NULL, "the release baseline"},
         {NULL, "--live", V_FILE, NULL, "live evidence"},
         {NULL, "--release", V_TEXT, NULL, "release: read its baseline from the cluster"},
         NS,
         {NULL, "--baseline-namespace", V_TEXT, NULL, "baseline namespace of driftgate"},
         {NULL, "--policy", V_FILE, NULL, "DriftPolicy"},
         {NULL, "--only", V_TEXT, NULL, "a rule or a path to restore"},
         {"-o", "--output", V_WORDS, "table json markdown", "output format"},
         {NULL, "--out", V_FILE, NULL, "save the plan"},
         {NULL, "--apply", V_FILE, NULL, "apply it, or a saved plan"},
         {NULL, "--yes", V_NONE, NULL, "apply without asking"},
         {NULL, "--dry-run", V_WORDS, "server", "server-side dry run"},
         {NULL, "--strategy", V_WORDS, "patch apply", "minimal patches or server-side apply"},
         {NULL, "--continue-on-conflict", V_NONE, NULL, "go on past a changed object"},
         {NULL, "--evidence", V_FILE, NULL, "write the evidence record"},
         KUBE,
         {NULL, "--max-bytes", V_TEXT, NULL, "input size limit"},
     }},
    {"console", "the operator console: a driftctl> prompt over these commands", NULL, {
         {NULL, "--release", V_TEXT, NULL, "release name"},
         NS,
         {NULL, "--baseline", V_FILE, NULL, "the release baseline"},
         {NULL, "--live", V_FILE, NULL, "live evidence"},
         {NULL, "--chart", V_FILE, NULL, "the chart render renders"},
         {NULL, "--policy", V_FILE, NULL, "DriftPolicy"},
         KUBE,
         {NULL, "--web", V_NONE, NULL, "serve the web console"},
         {NULL, "--listen", V_TEXT, NULL, "ADDR:PORT of the web console"},
         {NULL, "--baseline-namespace", V_TEXT, NULL, "web: baseline namespace of driftgate"},
         {NULL, "--audit-log", V_FILE, NULL, "web: API server audit log for the timeline"},
     }},
    {"policy", "print the built-in DriftPolicy, or the kinds a policy governs", "default kinds", {
         {NULL, "--policy", V_FILE, NULL, "DriftPolicy"},
     }},
    {"version", "print the version", NULL, {{0}}},
    {"completion", "print a shell completion script", "bash zsh", {{0}}},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* ---- bash ------------------------------------------------------------------------------ */

static void bash_values(const command_t *c, vkind_t kind, const char *label)
{
    bool any = false;

    for (const flag_t *f = c->flags; f->name; f++)
        if (f->value == kind) {
            printf("%s%s%s%s", any ? "|" : "            ", f->shortname ? f->shortname : "",
                   f->shortname ? "|" : "", f->name);
            any = true;
        }
    if (any)
        printf(") %s ;;\n", label);
}

static void bash_command(const command_t *c)
{
    printf("        %s)\n            flags='", c->name);
    for (const flag_t *f = c->flags; f->name; f++)
        printf("%s%s%s%s", f == c->flags ? "" : " ", f->shortname ? f->shortname : "",
               f->shortname ? " " : "", f->name);
    printf(" --help'\n            case $prev in\n");
    for (const flag_t *f = c->flags; f->name; f++)
        if (f->value == V_WORDS)
            printf("            %s%s%s) COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return ;;\n",
                   f->shortname ? f->shortname : "", f->shortname ? "|" : "", f->name, f->words);
    bash_values(c, V_FILE, "COMPREPLY=($(compgen -f -- \"$cur\")); return");
    bash_values(c, V_DIR, "COMPREPLY=($(compgen -d -- \"$cur\")); return");
    bash_values(c, V_TEXT, "return");
    printf("            esac\n");
    if (c->args)
        printf("            [ \"$COMP_CWORD\" -eq 2 ] && [[ $cur != -* ]] && "
               "{ COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return; }\n", c->args);
    printf("            ;;\n");
}

static void bash(void)
{
    printf("# bash completion for driftctl and kubectl-drift: driftctl completion bash\n"
           "_driftctl() {\n"
           "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} flags=\n"
           "    COMPREPLY=()\n"
           "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
           "        COMPREPLY=($(compgen -W '");
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("%s ", commands[i].name);
    printf("help' -- \"$cur\"))\n        return\n    fi\n    case ${COMP_WORDS[1]} in\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        bash_command(&commands[i]);
    printf("        *) return ;;\n"
           "    esac\n"
           "    if [[ $cur == -* ]]; then\n"
           "        COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n"
           "    else\n"
           "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
           "    fi\n"
           "}\n"
           "complete -F _driftctl driftctl kubectl-drift\n");
}

/* ---- zsh -------------------------------------------------------------------------------- */

/* Flags given more than once (zsh offers them again). */
static bool repeatable(const flag_t *f)
{
    static const char *const many[] = {"--values", "--set", "--set-string", "--as-group",
                                       "--audit-log", "--only"};

    for (size_t i = 0; i < sizeof many / sizeof many[0]; i++)
        if (strcmp(f->name, many[i]) == 0)
            return true;
    return false;
}

/* One _arguments spec: '(-n --namespace)'{-n,--namespace}'[help]:value:action' */
static void zsh_flag(const flag_t *f)
{
    const char *action = f->value == V_FILE ? "_files" : f->value == V_DIR ? "_files -/" : " ";

    printf("        ");
    /* A repeatable flag excludes nothing, itself included. */
    if (f->shortname && repeatable(f))
        printf("'*'{%s,%s}'", f->shortname, f->name);
    else if (f->shortname)
        printf("'(%s %s)'{%s,%s}'", f->shortname, f->name, f->shortname, f->name);
    else
        printf("'%s%s", repeatable(f) ? "*" : "", f->name);
    printf("[%s]", f->help);
    if (f->value == V_WORDS)
        printf(":%s:(%s)", f->name + 2, f->words);
    else if (f->value != V_NONE)
        printf(":%s:%s", f->name + 2, action);
    printf("' \\\n");
}

static void zsh(void)
{
    printf("#compdef driftctl kubectl-drift\n"
           "# zsh completion for driftctl and kubectl-drift: driftctl completion zsh\n"
           "_driftctl() {\n"
           "    local -a commands\n"
           "    commands=(\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("        '%s:%s'\n", commands[i].name, commands[i].help);
    printf("    )\n"
           "    if (( CURRENT == 2 )); then\n"
           "        _describe command commands\n"
           "        return\n"
           "    fi\n"
           "    local cmd=$words[2]\n"
           "    shift words\n"
           "    (( CURRENT-- ))\n"
           "    case $cmd in\n");
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const command_t *c = &commands[i];

        printf("    %s)\n        _arguments \\\n", c->name);
        for (const flag_t *f = c->flags; f->name; f++)
            zsh_flag(f);
        if (c->args)
            printf("        '1:argument:(%s)' \\\n", c->args);
        printf("        '--help[show the flags]'\n        ;;\n");
    }
    printf("    esac\n"
           "}\n"
           "_driftctl \"$@\"\n");
}

int ctl_completion_main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return CTL_OK;
    }
    if (argc == 2 && strcmp(argv[1], "bash") == 0)
        bash();
    else if (argc == 2 && strcmp(argv[1], "zsh") == 0)
        zsh();
    else
        return ctl_usage_error("completion", "expected 'bash' or 'zsh'");
    return CTL_OK;
}
