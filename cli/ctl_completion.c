/* cli/ctl_completion.c: `driftctl completion bash|zsh`: shell completion
 * scripts, generated from the commands' own flag tables (ctl_commands), so
 * what completion offers is what each command parses and --help prints.
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

/* What a flag's value is, read from how --help names it: none (a switch),
 * a file (FILE, [FILE], FILE..., PATH), a directory (DIR), one of the
 * words it spells in lower case ("table|json"), or free text (NAME, NS). */
typedef enum { V_NONE, V_FILE, V_DIR, V_TEXT, V_WORDS } vkind_t;

static vkind_t value_kind(const ctl_opt_t *o)
{
    if (o->arg == NULL)
        return V_NONE;
    if (o->arg[0] >= 'a' && o->arg[0] <= 'z')
        return V_WORDS;
    if (strcmp(o->arg, "DIR") == 0)
        return V_DIR;
    if (strstr(o->arg, "FILE") || strcmp(o->arg, "PATH") == 0)
        return V_FILE;
    return V_TEXT;
}

/* The words of a V_WORDS value, space-separated as compgen -W and zsh's
 * (...) action take them. */
static void print_words(const ctl_opt_t *o)
{
    for (const char *w = o->arg; *w; w++)
        putchar(*w == '|' ? ' ' : *w);
}

/* A flag given more than once, as its help says (zsh offers it again). */
static bool repeatable(const ctl_opt_t *o)
{
    return strstr(o->help, "repeat") != NULL || (o->arg && strstr(o->arg, "..."));
}

#define MAX_FLAGS 64

/* Command @c's flags over all its tables, each name once (console and
 * console --web share most), into @out; returns how many. tests/install
 * checks that every flag --help lists is offered. */
static size_t flags_of(const ctl_command_t *c, const ctl_opt_t **out)
{
    size_t n = 0;

    for (const ctl_cmd_t *const *t = c->flags; *t; t++)
        for (const ctl_opt_t *o = (*t)->opts; o->name; o++) {
            size_t k = 0;

            while (k < n && strcmp(out[k]->name, o->name) != 0)
                k++;
            if (k == n && n < MAX_FLAGS)
                out[n++] = o;
        }
    return n;
}

/* "-n" SEP "--namespace", or "--namespace". */
static void print_names(const ctl_opt_t *o, const char *sep)
{
    if (o->shortname)
        printf("-%c%s", o->shortname, sep);
    printf("--%s", o->name);
}

/* ---- bash ------------------------------------------------------------------------------ */

/* One `case $prev` arm for every flag whose value is of @kind. */
static void bash_arm(const ctl_opt_t *const *f, size_t n, vkind_t kind, const char *then)
{
    bool any = false;

    for (size_t i = 0; i < n; i++)
        if (value_kind(f[i]) == kind) {
            fputs(any ? "|" : "            ", stdout);
            print_names(f[i], "|");
            any = true;
        }
    if (any)
        printf(") %s ;;\n", then);
}

static void bash_command(const ctl_command_t *c)
{
    const ctl_opt_t *f[MAX_FLAGS];
    size_t n = flags_of(c, f);

    printf("        %s)\n            flags='", c->name);
    for (size_t i = 0; i < n; i++) {
        print_names(f[i], " ");
        putchar(' ');
    }
    printf("--help'\n            case $prev in\n");
    for (size_t i = 0; i < n; i++)
        if (value_kind(f[i]) == V_WORDS) {
            fputs("            ", stdout);
            print_names(f[i], "|");
            printf(") COMPREPLY=($(compgen -W '");
            print_words(f[i]);
            printf("' -- \"$cur\")); return ;;\n");
        }
    bash_arm(f, n, V_FILE, "COMPREPLY=($(compgen -f -- \"$cur\")); return");
    bash_arm(f, n, V_DIR, "COMPREPLY=($(compgen -d -- \"$cur\")); return");
    bash_arm(f, n, V_TEXT, "return");
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
    for (const ctl_command_t *c = ctl_commands; c->name; c++)
        printf("%s ", c->name);
    printf("help' -- \"$cur\"))\n        return\n    fi\n    case ${COMP_WORDS[1]} in\n");
    for (const ctl_command_t *c = ctl_commands; c->name; c++)
        bash_command(c);
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

/* Text for a single-quoted word of the script: a command's summary to the
 * end of its line; with @flag, a flag's help for an _arguments
 * [description], where [ ] and \ are escaped too: only its first clause
 * (up to ", ", " (" or ";"), as a menu shows it beside the flag. */
static bool clause_ends(const char *s, bool flag)
{
    return *s == '\0' || *s == '\n' ||
           (flag && (*s == ';' || strncmp(s, ", ", 2) == 0 || strncmp(s, " (", 2) == 0));
}

static void zsh_text(const char *s, bool flag)
{
    for (; !clause_ends(s, flag); s++) {
        if (*s == '\'')
            fputs("'\\''", stdout);
        else if (flag && strchr("[]\\", *s))
            printf("\\%c", *s);
        else
            putchar(*s);
    }
}

/* One _arguments spec: '(-n --namespace)'{-n,--namespace}'[help]:value:action' */
static void zsh_flag(const ctl_opt_t *o)
{
    vkind_t kind = value_kind(o);

    printf("        ");
    /* A repeatable flag excludes nothing, itself included. */
    if (o->shortname && repeatable(o))
        printf("'*'{-%c,--%s}'", o->shortname, o->name);
    else if (o->shortname)
        printf("'(-%c --%s)'{-%c,--%s}'", o->shortname, o->name, o->shortname, o->name);
    else
        printf("'%s--%s", repeatable(o) ? "*" : "", o->name);
    putchar('[');
    zsh_text(o->help, true);
    putchar(']');
    /* "::" marks a value that may be left out ("[FILE]"). */
    if (kind != V_NONE)
        printf("%s%s:", o->arg[0] == '[' ? "::" : ":", o->name);
    if (kind == V_WORDS) {
        putchar('(');
        print_words(o);
        putchar(')');
    } else if (kind != V_NONE) {
        fputs(kind == V_FILE ? "_files" : kind == V_DIR ? "_files -/" : " ", stdout);
    }
    printf("' \\\n");
}

static void zsh(void)
{
    printf("#compdef driftctl kubectl-drift\n"
           "# zsh completion for driftctl and kubectl-drift: driftctl completion zsh\n"
           "_driftctl() {\n"
           "    local -a commands\n"
           "    commands=(\n");
    for (const ctl_command_t *c = ctl_commands; c->name; c++) {
        printf("        '%s:", c->name);
        zsh_text(c->summary, false);
        printf("'\n");
    }
    printf("    )\n"
           "    if (( CURRENT == 2 )); then\n"
           "        _describe command commands\n"
           "        return\n"
           "    fi\n"
           "    local cmd=$words[2]\n"
           "    shift words\n"
           "    (( CURRENT-- ))\n"
           "    case $cmd in\n");
    for (const ctl_command_t *c = ctl_commands; c->name; c++) {
        const ctl_opt_t *f[MAX_FLAGS];
        size_t n = flags_of(c, f);

        printf("    %s)\n        _arguments \\\n", c->name);
        for (size_t i = 0; i < n; i++)
            zsh_flag(f[i]);
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
