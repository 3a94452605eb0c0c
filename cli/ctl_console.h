/* cli/ctl_console.h: the terminal console's session and its line editor,
 * shared by cli/ctl_console.c (commands) and cli/ctl_edit.c (libedit).
 * Private to the console. SPDX-License-Identifier: Apache-2.0 */
#ifndef DG_CTL_CONSOLE_H
#define DG_CTL_CONSOLE_H

#include <stdbool.h>

#include "ctl.h"

/* What every command of one console run is about. Strings are malloced
 * (NULL = not known) unless marked borrowed. */
typedef struct ctl_session {
    char *release, *ns;          /* the release (--release, -n, use NS/RELEASE) */
    char *baseline, *live;       /* files: --baseline/--live, or render/capture output */
    const char *chart, *policy;  /* borrowed from argv */
    ctl_kube_t kube;             /* borrowed from argv */
    bool online;                 /* status, plan and reconcile read the cluster */
    bool tty;                    /* stdin is a terminal: prompt, editing, history */
    char cluster[256];           /* the kubectl context, or "offline" */
    ctl_status_info_t info;      /* the last `status`, for the context line */
    bool known;                  /* @info holds an answer */
    dg_release_t *rel;           /* the baseline's objects, for completion; or NULL */
    dg_policy_t *pol;            /* what governs them, for completion; or NULL */
} ctl_session_t;

/* A list of candidate words (malloced strings). */
typedef struct ctl_words {
    char **v;
    size_t n, cap;
} ctl_words_t;

void ctl_words_add(ctl_words_t *w, const char *s);
void ctl_words_free(ctl_words_t *w);

/** The name of the console's @i-th command, in the order help lists them;
 *  NULL past the last. Static. */
const char *ctl_console_command(size_t i);

/* ---- what Tab offers (ctl_edit.c) ------------------------------------------------------- */

/** "hpa/test-nginx" for each governed object of @s's baseline. */
void ctl_console_objects(const ctl_session_t *s, ctl_words_t *out);

/** "spec.minReplicas=" for each governed path the object @target
 *  ("hpa/test-nginx") has in @s's baseline, [*] made concrete by name. */
void ctl_console_paths(const ctl_session_t *s, const char *target, ctl_words_t *out);

/* ---- the line editor (ctl_edit.c) --------------------------------------------------------- */

/** Set up libedit for @s (borrowed until ctl_edit_end()): completion of
 *  commands, objects and paths; history from ~/.driftctl_history. */
void ctl_edit_begin(ctl_session_t *s);

/** The next line, the prompt shown and the line kept in history; NULL at
 *  the end of input. Malloced: the caller frees. */
char *ctl_edit_line(const char *prompt);

/** Save the history. */
void ctl_edit_end(void);

#endif
