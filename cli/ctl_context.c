/* cli/ctl_context.c: what the consoles' context line says about the
 * operator's machine (the shell, the kubectl context), for the terminal
 * console and `console --web` alike; the line itself is libdrift's
 * dg_context_lines(), which driftgate's console prints too.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

const char *ctl_context_shell(void)
{
    const char *shell = getenv("SHELL");
    const char *slash = shell ? strrchr(shell, '/') : NULL;

    if (shell == NULL || shell[0] == '\0')
        return "sh";
    return slash && slash[1] ? slash + 1 : shell;
}

/* kubectl is asked only online and without --context: files reach no
 * cluster, and --context names it already. */
void ctl_context_cluster(const ctl_kube_t *kube, bool online, char *buf, size_t size)
{
    const char *argv[10] = {ctl_tool(kube->kubectl, "KUBECTL", "kubectl"), "config",
                            "current-context"};
    size_t n = 3;
    dg_buf_t out, said;

    snprintf(buf, size, "%s", kube->context ? kube->context : online ? "unknown" : "offline");
    if (!online || kube->context)
        return;
    ctl_kube_flags(kube, argv, &n);
    dg_buf_init(&out, size);
    dg_buf_init(&said, 1024); /* kubectl's complaint is not the console's */
    if (ctl_exec((char *const *)argv, NULL, 0, &out, &said, NULL) == 0 && out.len)
        snprintf(buf, size, "%.*s", (int)strcspn(out.data, "\n"), out.data);
    dg_buf_free(&said);
    dg_buf_free(&out);
}

void ctl_context_kinds(const dg_gk_t *kinds, size_t nkinds, const dg_objset_t *live, char *buf,
                       size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < (kinds ? nkinds : dg_objset_count(live)); i++) {
        const dg_objid_t *id = kinds ? NULL : &dg_objset_at(live, i)->id;

        dg_context_add_kind(buf, size, id ? id->group : kinds[i].group,
                            id ? id->kind : kinds[i].kind);
    }
}
