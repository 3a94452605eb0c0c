/* cli/ctl_opts.c: driftctl's flags. One table per command drives both the
 * parser and its --help, so the two cannot disagree; no abbreviations, so
 * every accepted spelling is printed.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* Help text starts this far in; a longer flag column gets two spaces. */
#define HELP_COL 22

static const ctl_opt_t help_opt = {"help", 'h', NULL, CTL_OPT_HELP, "print this help"};

static void print_opt(const ctl_opt_t *o, FILE *f)
{
    char left[128], shortcol[8] = "";
    const char *line = o->help, *nl;
    int n;

    if (o->shortname)
        snprintf(shortcol, sizeof shortcol, "-%c, ", o->shortname);
    n = snprintf(left, sizeof left, "  %s--%s%s%s", shortcol, o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
    /* At least two spaces: the flag column ends where two spaces begin. */
    fprintf(f, "%s%*s", left, n + 2 <= HELP_COL ? HELP_COL - n : 2, "");
    for (;;) {
        nl = strchr(line, '\n');
        fprintf(f, "%.*s\n", (int)(nl ? nl - line : (long)strlen(line)), line);
        if (nl == NULL)
            break;
        line = nl + 1;
        fprintf(f, "%*s", HELP_COL, "");
    }
}

void ctl_opts_help(const ctl_cmd_t *cmd, FILE *f)
{
    fputs(cmd->usage, f);
    fputs("\n", f);
    for (const ctl_opt_t *o = cmd->opts; o->name; o++)
        print_opt(o, f);
    print_opt(&help_opt, f);
    if (cmd->footer)
        fprintf(f, "\n%s", cmd->footer);
}

static const ctl_opt_t *find_long(const ctl_cmd_t *cmd, const char *name, size_t len)
{
    for (const ctl_opt_t *o = cmd->opts; o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    if (strlen(help_opt.name) == len && strncmp(help_opt.name, name, len) == 0)
        return &help_opt;
    return NULL;
}

static const ctl_opt_t *find_short(const ctl_cmd_t *cmd, char c)
{
    for (const ctl_opt_t *o = cmd->opts; o->name; o++)
        if (o->shortname == c)
            return o;
    return c == 'h' ? &help_opt : NULL;
}

/* Is @s one of this command's flags? Then it is not a value: "--baseline
 * --live x" forgot the baseline, it does not name a file "--live". */
static bool is_flag(const ctl_cmd_t *cmd, const char *s)
{
    const char *eq;

    if (s[0] != '-' || s[1] == '\0')
        return false;
    if (s[1] != '-')
        return find_short(cmd, s[1]) != NULL;
    eq = strchr(s + 2, '=');
    return find_long(cmd, s + 2, eq ? (size_t)(eq - s - 2) : strlen(s + 2)) != NULL;
}

/* The flag as the user wrote it, for messages: "--baseline" or "-n". */
static void spelled(const ctl_opt_t *o, bool is_short, char *buf, size_t size)
{
    if (is_short)
        snprintf(buf, size, "-%c", o->shortname);
    else
        snprintf(buf, size, "--%s", o->name);
}

static int take_value(const ctl_cmd_t *cmd, ctl_args_t *a, const ctl_opt_t *o, bool is_short,
                      const char *inline_val)
{
    char flag[80];

    spelled(o, is_short, flag, sizeof flag);
    /* An optional value ("[FILE]") is the next word unless that is a flag:
     * no command takes arguments, so a bare word can only be the value. */
    if (o->arg && o->arg[0] == '[') {
        if (inline_val == NULL && a->i < a->argc &&
            (a->argv[a->i][0] != '-' || a->argv[a->i][1] == '\0'))
            inline_val = a->argv[a->i++];
        if (inline_val && inline_val[0] == '\0')
            return ctl_usage_error(cmd->name, "%s= needs a value (%s)", flag, o->arg), -1;
        a->val = inline_val;
        return o->key;
    }
    if (o->arg == NULL) {
        if (inline_val)
            return ctl_usage_error(cmd->name, "%s takes no value", flag), -1;
        a->val = NULL;
        return o->key;
    }
    if (inline_val == NULL && a->i < a->argc && !is_flag(cmd, a->argv[a->i]))
        inline_val = a->argv[a->i++];
    if (inline_val == NULL || inline_val[0] == '\0')
        return ctl_usage_error(cmd->name, "%s needs a value (%s)", flag, o->arg), -1;
    a->val = inline_val;
    return o->key;
}

int ctl_opts_next(const ctl_cmd_t *cmd, ctl_args_t *a)
{
    const char *s, *eq;
    const ctl_opt_t *o;
    int key;

    if (a->i >= a->argc)
        return 0;
    s = a->argv[a->i++];
    /* "--" ends the flags, and no command takes arguments after them. */
    if (strcmp(s, "--") == 0 && a->i == a->argc)
        return 0;
    if (strcmp(s, "--") == 0)
        return ctl_usage_error(cmd->name, "unexpected argument '%s'", a->argv[a->i]), -1;
    if (s[0] != '-' || s[1] == '\0')
        return ctl_usage_error(cmd->name, "unexpected argument '%s'", s), -1;
    if (s[1] == '-') {
        eq = strchr(s + 2, '=');
        o = find_long(cmd, s + 2, eq ? (size_t)(eq - s - 2) : strlen(s + 2));
        if (o == NULL)
            return ctl_usage_error(cmd->name, "unknown flag '%.*s'",
                                   (int)(eq ? (size_t)(eq - s) : strlen(s)), s), -1;
        key = take_value(cmd, a, o, false, eq ? eq + 1 : NULL);
    } else {
        o = find_short(cmd, s[1]);
        if (o == NULL)
            return ctl_usage_error(cmd->name, "unknown flag '-%c'", s[1]), -1;
        /* "-nNS" as getopt allows; "-n" alone takes the next argument. */
        if (s[2] != '\0' && o->arg == NULL)
            return ctl_usage_error(cmd->name, "unknown flag '%s'", s), -1;
        key = take_value(cmd, a, o, true, s[2] ? s + 2 : NULL);
    }
    /* Returned, not exit(): the console runs commands in its own process. */
    if (key == CTL_OPT_HELP) {
        ctl_opts_help(cmd, stdout);
        return CTL_HELPED;
    }
    return key;
}

int ctl_parse_status(int rc)
{
    return rc == CTL_HELPED ? CTL_OK : CTL_ERROR;
}

bool ctl_stdio(const char *path)
{
    return path && strcmp(path, "-") == 0;
}
