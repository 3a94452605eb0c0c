/* cli/ctl_edit.c: the console's line editing, with libedit (its readline
 * interface): history, and Tab completion of commands, the objects of the
 * session's baseline and their governed paths. The completion hook takes no
 * context argument, so the session is kept here between begin and end.
 * SPDX-License-Identifier: Apache-2.0 */
#include <editline/readline.h>
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_console.h"
#include "path.h"

#define HISTORY_LINES 1000

static ctl_session_t *session;  /* borrowed between ctl_edit_begin() and _end() */
static ctl_words_t candidates;  /* what the current Tab offers */
static char history_file[4096]; /* "" = no history kept across runs */
static volatile sig_atomic_t interrupted; /* Ctrl-C since the prompt was shown */
static struct sigaction old_sigint;

/* ---- candidate words ----------------------------------------------------------------------- */

void ctl_words_add(ctl_words_t *w, const char *s)
{
    char **v;

    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->v[i], s) == 0)
            return;
    if (w->n == w->cap) {
        v = realloc(w->v, (w->cap ? w->cap * 2 : 16) * sizeof *v);
        if (v == NULL)
            return; /* completion offers less; nothing else depends on it */
        w->v = v;
        w->cap = w->cap ? w->cap * 2 : 16;
    }
    if ((w->v[w->n] = strdup(s)) != NULL)
        w->n++;
}

void ctl_words_free(ctl_words_t *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->v[i]);
    free(w->v);
    *w = (ctl_words_t){0};
}

void ctl_console_objects(const ctl_session_t *s, ctl_words_t *out)
{
    const dg_obj_t *o;
    char shown[300];

    for (size_t i = 0; s->rel && s->pol && i < dg_objset_count(s->rel->objs); i++) {
        o = dg_objset_at(s->rel->objs, i);
        if (dg_policy_governs(s->pol, o->id.group, o->id.kind))
            ctl_words_add(out, dg_objid_short(&o->id, shown, sizeof shown));
    }
}

/* Pattern @p from segment @i on, under @cur, made concrete: [*] becomes one
 * [name=...] per element that has a name (containers, ports), which is how
 * the governed lists are keyed. @prefix holds the path so far. */
static void expand(const dg_path_t *p, size_t i, json_t *cur, char *prefix, size_t size,
                   ctl_words_t *out)
{
    size_t len = strlen(prefix);
    const dg_seg_t *seg;
    json_t *el;
    size_t k;

    if (i == dg_path_len(p)) {
        snprintf(prefix + len, size - len, "=");
        ctl_words_add(out, prefix);
    } else if ((seg = dg_path_seg(p, i))->kind == DG_SEG_FIELD) {
        snprintf(prefix + len, size - len, "%s%s", len ? "." : "", seg->name);
        /* The last field may be absent from the baseline and still be set. */
        if (i + 1 == dg_path_len(p) || json_object_get(cur, seg->name))
            expand(p, i + 1, json_object_get(cur, seg->name), prefix, size, out);
    } else if (seg->kind == DG_SEG_KEY) {
        snprintf(prefix + len, size - len, "[%s=%s]", seg->keys[0], seg->vals[0]);
        expand(p, i + 1, dg_path_elem(seg, cur, NULL), prefix, size, out);
    } else {
        json_array_foreach(cur, k, el) {
            const char *name = json_string_value(json_object_get(el, "name"));

            if (name == NULL)
                continue;
            snprintf(prefix + len, size - len, "[name=%s]", name);
            expand(p, i + 1, el, prefix, size, out);
            prefix[len] = '\0';
        }
    }
    prefix[len] = '\0';
}

void ctl_console_paths(const ctl_session_t *s, const char *target, ctl_words_t *out)
{
    char shown[300], prefix[1024];
    const dg_rule_t *rule;
    const dg_obj_t *o;

    for (size_t i = 0; s->rel && s->pol && i < dg_objset_count(s->rel->objs); i++) {
        o = dg_objset_at(s->rel->objs, i);
        if (strcmp(dg_objid_short(&o->id, shown, sizeof shown), target) != 0)
            continue;
        for (size_t r = 0; r < dg_policy_nrules(s->pol); r++) {
            rule = dg_policy_rule(s->pol, r);
            for (size_t j = 0; dg_rule_applies(rule, o->id.group, o->id.kind) &&
                               j < rule->npaths; j++) {
                prefix[0] = '\0';
                expand(rule->paths[j], 0, o->json, prefix, sizeof prefix, out);
            }
        }
    }
}

/* ---- what a Tab completes --------------------------------------------------------------- */

/* The words of the line before the one being completed (at @start). */
static size_t words_before(int start, char words[][256], size_t max)
{
    size_t n = 0;
    const char *p = rl_line_buffer, *end = rl_line_buffer + start;

    while (p < end && n < max) {
        size_t len;

        p += strspn(p, " \t");
        len = strcspn(p, " \t");
        if (p + len > end || len == 0)
            break;
        snprintf(words[n++], 256, "%.*s", (int)len, p);
        p += len;
    }
    return n;
}

/* The object a simulate line is about: its first bare word, or --target's. */
static const char *target_of(char words[][256], size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (strcmp(words[i], "--target") == 0 && i + 1 < n)
            return words[i + 1];
        if (words[i][0] != '-' && i == 1)
            return words[i];
    }
    return NULL;
}

static void fill(const char *text, int start)
{
    char words[16][256];
    size_t n = words_before(start, words, 16);
    const char *target;

    ctl_words_free(&candidates);
    rl_completion_append_character = ' ';
    if (n == 0 || (n == 1 && strcmp(words[0], "help") == 0)) {
        for (size_t i = 0; ctl_console_command(i); i++)
            ctl_words_add(&candidates, ctl_console_command(i));
    } else if (strcmp(words[0], "simulate") == 0 && strcmp(words[n - 1], "--set") == 0 &&
               (target = target_of(words, n)) != NULL) {
        ctl_console_paths(session, target, &candidates);
        rl_completion_append_character = '\0'; /* the value follows the '=' */
    } else if (strcmp(words[0], "simulate") == 0 && text[0] != '-' &&
               (n == 1 || strcmp(words[n - 1], "--target") == 0)) {
        ctl_console_objects(session, &candidates);
    } else if (strcmp(words[0], "use") == 0 && n == 1 && session->ns && session->release) {
        char cur[600];

        snprintf(cur, sizeof cur, "%s/%s", session->ns, session->release);
        ctl_words_add(&candidates, cur);
    }
}

static char *generate(const char *text, int state)
{
    static size_t next;
    size_t len = strlen(text);

    if (state == 0)
        next = 0;
    while (next < candidates.n)
        if (strncmp(candidates.v[next++], text, len) == 0)
            return strdup(candidates.v[next - 1]);
    return NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1; /* never file names: no command takes one bare */
    fill(text, start);
    return rl_completion_matches(text, generate);
}

/* ---- Ctrl-C ------------------------------------------------------------------------------ */

/* Ctrl-C drops the line being typed, as in a shell, and stops the tool a
 * command runs (kubectl, helm: they get the signal with their process
 * group), never the console. Without SA_RESTART a read it interrupts fails
 * with EINTR, which is how the line editor learns of it. */
static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* One byte from the terminal; -1 at its end, -2 when Ctrl-C came. */
static int byte_in(int fd)
{
    unsigned char c;
    ssize_t n;

    for (;;) {
        n = read(fd, &c, 1);
        if (n == 1)
            return c;
        if (n < 0 && errno == EINTR && !interrupted)
            continue;
        return n < 0 && errno == EINTR ? -2 : -1;
    }
}

/* libedit's reader, one character (a UTF-8 sequence decoded, as its own
 * reader does); Ctrl-C ends the line, which ctl_edit_line() drops. */
static int read_char(FILE *f)
{
    int c = byte_in(fileno(f)), more, b;

    if (c < 0x80)
        return c == -2 ? '\n' : c;
    more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
    c &= 0x3f >> more;
    while (more-- > 0) {
        if ((b = byte_in(fileno(f))) < 0)
            return b == -2 ? '\n' : -1;
        c = (c << 6) | (b & 0x3f);
    }
    return c;
}

/* ---- the editor -------------------------------------------------------------------------- */

void ctl_edit_begin(ctl_session_t *s)
{
    const char *home = getenv("HOME");
    struct sigaction sa = {.sa_handler = on_sigint};

    session = s;
    /* What the terminal's characters are (UTF-8), for typing them; only the
     * character type: numbers print as before. */
    setlocale(LC_CTYPE, "");
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_sigint);
    rl_catch_signals = 0; /* libedit's own handlers would re-raise it */
    rl_getc_function = read_char;
    rl_readline_name = "driftctl";
    rl_attempted_completion_function = complete;
    /* '=' and '/' belong to the word: spec.minReplicas=, hpa/test-nginx. */
    rl_completer_word_break_characters = (char *)" \t\n\"'";
    using_history();
    stifle_history(HISTORY_LINES);
    history_file[0] = '\0';
    if (home && home[0]) {
        snprintf(history_file, sizeof history_file, "%s/.driftctl_history", home);
        read_history(history_file);
    }
}

char *ctl_edit_line(const char *prompt)
{
    char *line;

    interrupted = 0;
    line = readline(prompt);
    if (line && interrupted)
        line[0] = '\0'; /* Ctrl-C: dropped, a fresh prompt */
    else if (line && line[strspn(line, " \t")] != '\0')
        add_history(line);
    return line;
}

void ctl_edit_end(void)
{
    if (history_file[0])
        write_history(history_file);
    sigaction(SIGINT, &old_sigint, NULL);
    ctl_words_free(&candidates);
    session = NULL;
}
