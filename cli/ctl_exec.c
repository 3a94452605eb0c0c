/* cli/ctl_exec.c: running the real tools users run (helm, kubectl):
 * argv straight to execvp, never a shell; our input on their stdin, their
 * stdout captured, their stderr left on the user's terminal or kept to
 * explain a failure. A tool that prints more than we take is killed, never
 * waited for: it would block on the full pipe forever.
 * SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"

extern char **environ;

/* What is kept of a tool's stderr to explain its failure. */
#define STDERR_KEEP 16384

/* The child's ends of its pipes: stdin, stdout, stderr (-1 = ours). */
typedef struct pipes {
    int in[2], out[2], err[2];
} pipes_t;

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void close_pipes(pipes_t *p)
{
    for (int i = 0; i < 2; i++) {
        close_fd(&p->in[i]);
        close_fd(&p->out[i]);
        close_fd(&p->err[i]);
    }
}

/* Close-on-exec, so a tool never inherits the other pipe's ends. */
static int cloexec_pipe(int fd[2])
{
    if (pipe(fd))
        return -1;
    fcntl(fd[0], F_SETFD, FD_CLOEXEC);
    fcntl(fd[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

static int spawn(char *const argv[], pipes_t *p, pid_t *pid, dg_err_t *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none;
    int rc;

    /* The tool starts with no signal blocked: `console --web` blocks
     * SIGINT and SIGTERM in its threads to sigwait() for them, and a
     * kubectl that inherited that would not stop on Ctrl-C. */
    sigemptyset(&none);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p->in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, p->out[1], 1);
    if (p->err[1] >= 0)
        posix_spawn_file_actions_adddup2(&fa, p->err[1], 2);
    rc = posix_spawnp(pid, argv[0], &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close_fd(&p->in[0]);
    close_fd(&p->out[1]);
    close_fd(&p->err[1]);
    if (rc)
        return dg_err_set(err, DG_EIO, "cannot run %s: %s (is it on PATH?)", argv[0],
                          strerror(rc));
    return 0;
}

/* Read what is there on @fd into @b (NULL: dropped); at @b's cap, the rest
 * is dropped too when @truncate, else it is an error. Closes @fd at EOF. */
static int drain(int *fd, dg_buf_t *b, bool truncate)
{
    char chunk[65536];
    ssize_t n = read(*fd, chunk, sizeof chunk);

    if (n <= 0) {
        if (n == 0 || errno != EINTR)
            close_fd(fd);
        return 0;
    }
    if (b == NULL)
        return 0;
    if (truncate && b->max && b->len + (size_t)n > b->max)
        n = (ssize_t)(b->max - b->len);
    return n > 0 ? dg_buf_append(b, chunk, (size_t)n) : 0;
}

/* Feed @in to the child and drain its stdout (and stderr, when kept) at the
 * same time: any of them can fill a pipe, so none is done to completion
 * first. Returns DG_ETOOBIG when the stdout is over @out's cap. */
static int pump(pipes_t *p, const char *in, size_t inlen, dg_buf_t *out, dg_buf_t *errout,
                dg_err_t *err, const char *tool)
{
    size_t off = 0;
    int rc;

    if (inlen == 0)
        close_fd(&p->in[1]);
    while (p->out[0] >= 0 || p->err[0] >= 0 || p->in[1] >= 0) {
        struct pollfd f[3] = {{p->out[0], POLLIN, 0}, {p->err[0], POLLIN, 0},
                              {p->in[1], POLLOUT, 0}};

        if (poll(f, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            return dg_err_set(err, DG_EIO, "%s: poll: %s", tool, strerror(errno));
        }
        if (p->in[1] >= 0 && f[2].revents) {
            ssize_t n = write(p->in[1], in + off, inlen - off);

            if (n > 0)
                off += (size_t)n;
            if ((n < 0 && errno != EINTR) || off == inlen)
                close_fd(&p->in[1]); /* EPIPE: it stopped reading; its status says why */
        }
        if (p->out[0] >= 0 && f[0].revents && (rc = drain(&p->out[0], out, false)) != 0)
            return rc == DG_ETOOBIG
                       ? dg_err_set(err, rc, "%s printed more than %zu bytes, the most driftctl "
                                             "takes; it was stopped",
                                    tool, out->max)
                       : dg_err_set(err, rc, "%s: out of memory reading its output", tool);
        if (p->err[0] >= 0 && f[1].revents)
            drain(&p->err[0], errout, true);
    }
    return 0;
}

const char *ctl_tool(const char *flag, const char *env, const char *name)
{
    const char *e = getenv(env);

    return flag ? flag : e && e[0] ? e : name;
}

void ctl_kube_flags(const ctl_kube_t *k, const char **argv, size_t *n)
{
    if (k->kubeconfig) {
        argv[(*n)++] = "--kubeconfig";
        argv[(*n)++] = k->kubeconfig;
    }
    if (k->context) {
        argv[(*n)++] = "--context";
        argv[(*n)++] = k->context;
    }
}

/* Run @argv to its end; *@st gets waitpid()'s status. Fails only when the
 * tool could not be run or its output not taken. */
static int run(char *const argv[], const char *in, size_t inlen, dg_buf_t *out,
               dg_buf_t *errout, int *st, dg_err_t *err)
{
    pipes_t p = {{-1, -1}, {-1, -1}, {-1, -1}};
    int rc;
    pid_t pid;
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);

    *st = 0;
    if (cloexec_pipe(p.in) || cloexec_pipe(p.out) || (errout && cloexec_pipe(p.err))) {
        rc = dg_err_set(err, DG_EIO, "%s: pipe: %s", argv[0], strerror(errno));
        close_pipes(&p);
        signal(SIGPIPE, old);
        return rc;
    }
    rc = spawn(argv, &p, &pid, err);
    if (rc == 0) {
        rc = pump(&p, in, inlen, out, errout, err, argv[0]);
        /* On failure it may still be writing: stop it, or waitpid() waits
         * for a child blocked on a pipe nobody reads. */
        if (rc)
            kill(pid, SIGKILL);
        close_pipes(&p);
        while (waitpid(pid, st, 0) < 0 && errno == EINTR)
            ;
    }
    close_pipes(&p);
    signal(SIGPIPE, old);
    return rc;
}

int ctl_exec(char *const argv[], const char *in, size_t inlen, dg_buf_t *out,
             dg_buf_t *errout, dg_err_t *err)
{
    int st, rc = run(argv, in, inlen, out, errout, &st, err);

    if (rc)
        return rc;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFEXITED(st))
        return dg_err_set(err, DG_EIO, "%s exited with status %d", argv[0], WEXITSTATUS(st));
    return dg_err_set(err, DG_EIO, "%s was killed by signal %d", argv[0], WTERMSIG(st));
}

int ctl_exec_status(char *const argv[], dg_buf_t *out, dg_buf_t *errout, int *status,
                    dg_err_t *err)
{
    int st, rc = run(argv, NULL, 0, out, errout, &st, err);

    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return rc;
}

/* ---- kubectl ------------------------------------------------------------------------- */

/* What kubectl's stderr most likely means, from the messages client-go and
 * kubectl print. Checked in order: "localhost:8080 was refused" is the
 * missing kubeconfig, not an unreachable cluster. */
static const char *likely_cause(const char *said)
{
    static const struct {
        const char *needle, *cause;
    } causes[] = {
        {"denied the request", "an admission webhook refused the change"},
        {"error in our request", "the API server refused the request as invalid (for a JSON "
                                 "patch: a test failed, the object changed since it was read)"},
        {"is invalid", "the API server refused the object as invalid"},
        {"localhost:8080", "no kubeconfig: kubectl found no cluster to talk to (give --kubeconfig "
                           "or set $KUBECONFIG)"},
        {"no configuration has been provided", "no kubeconfig (give --kubeconfig or set "
                                               "$KUBECONFIG)"},
        {"context was not found", "wrong context: the kubeconfig has no such context "
                                  "(--context)"},
        {"does not exist", "wrong context, or a kubeconfig file that does not exist"},
        {"no such file or directory", "the kubeconfig file does not exist (--kubeconfig, "
                                      "$KUBECONFIG)"},
        {"please enter username", "the kubeconfig's user has no credentials"},
        {"unauthorized", "the cluster rejected the credentials (expired token or certificate?)"},
        {"forbidden", "the user may not read these objects (RBAC)"},
        {"doesn't have a resource type", "the cluster does not serve one of these kinds"},
        {"connection refused", "the cluster is unreachable (is the kubeconfig's server right, "
                               "and up?)"},
        {"was refused", "the cluster is unreachable"},
        {"no such host", "the cluster is unreachable: its host name does not resolve"},
        {"i/o timeout", "the cluster is unreachable (timed out)"},
        {"unable to connect", "the cluster is unreachable"},
        {"certificate", "the cluster's TLS certificate is not trusted by the kubeconfig"},
    };

    char *lower = strdup(said);
    const char *cause = "no kubeconfig, the wrong context, or an unreachable cluster";

    for (char *c = lower; c && *c; c++)
        *c = (char)tolower((unsigned char)*c);
    for (size_t i = 0; lower && i < sizeof causes / sizeof causes[0]; i++)
        if (strstr(lower, causes[i].needle)) {
            cause = causes[i].cause;
            break;
        }
    free(lower);
    return cause;
}

/* The last non-empty line of @said, cut to @size: kubectl ends with its
 * summary ("The connection to the server ... was refused"). */
static void excerpt(const char *said, char *buf, size_t size)
{
    const char *end = said + strlen(said), *start;

    while (end > said && isspace((unsigned char)end[-1]))
        end--;
    start = end;
    while (start > said && start[-1] != '\n')
        start--;
    snprintf(buf, size, "%.*s%s", (int)(end - start > 200 ? 200 : end - start), start,
             end - start > 200 ? "..." : "");
}

/* @argv as a shell would take it back: words with odd characters quoted. */
static void command_line(char *const argv[], char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; argv[i] && used + 4 < size; i++) {
        const char *a = argv[i];
        bool plain = a[0] && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789-_./=:,@+%") == strlen(a);
        int n = snprintf(buf + used, size - used, plain ? "%s%s" : "%s'%s'", i ? " " : "", a);

        used += n > 0 ? (size_t)n : 0;
    }
    if (used >= size - 1 && size > 4)
        memcpy(buf + size - 4, "...", 4);
}

bool ctl_kube_opt(ctl_kube_t *k, int key, const char *val)
{
    switch (key) {
    case CTL_O_KUBECONFIG: k->kubeconfig = val; return true;
    case CTL_O_CONTEXT: k->context = val; return true;
    case CTL_O_KUBECTL: k->kubectl = val; return true;
    default: return false;
    }
}

int ctl_kubectl_get(const ctl_kube_t *k, const char *const args[], dg_buf_t *out, dg_err_t *err)
{
    size_t nargs = 0, n = 0;
    const char **argv;
    int rc;

    while (args[nargs])
        nargs++;
    /* kubectl, get, the arguments, up to four kubeconfig flags, NULL */
    if ((argv = calloc(nargs + 7, sizeof *argv)) == NULL)
        return dg_err_set(err, DG_ENOMEM, "out of memory");
    argv[n++] = ctl_tool(k->kubectl, "KUBECTL", "kubectl");
    argv[n++] = "get";
    for (size_t i = 0; i < nargs; i++)
        argv[n++] = args[i];
    ctl_kube_flags(k, argv, &n);
    argv[n] = NULL;
    rc = ctl_kubectl((char *const *)argv, NULL, 0, out, NULL, err);
    free(argv);
    return rc;
}

int ctl_kubectl_json(const ctl_kube_t *k, const char *const args[], json_t **out, dg_err_t *err)
{
    dg_buf_t b;
    json_error_t je;
    int rc;

    *out = NULL;
    dg_buf_init(&b, DG_MAX_MANIFEST_BYTES);
    rc = ctl_kubectl_get(k, args, &b, err);
    if (!rc && b.len) {
        *out = json_loadb(b.data, b.len, 0, &je);
        if (*out == NULL)
            rc = dg_err_set(err, DG_EPARSE, "kubectl get %s printed no JSON: %s", args[0],
                            je.text);
    }
    dg_buf_free(&b);
    return rc;
}

int ctl_kubectl(char *const argv[], const char *in, size_t inlen, dg_buf_t *out,
                dg_buf_t *said, dg_err_t *err)
{
    dg_buf_t mine, *b = said ? said : &mine;
    char cmd[1024], last[256];
    dg_err_t why = {0};
    int rc;

    dg_buf_init(&mine, STDERR_KEEP);
    rc = ctl_exec(argv, in, inlen, out, b, &why);
    /* It ran and failed: say what was run and what it likely means, and
     * keep only the gist of what it said (client-go repeats itself). */
    if (rc && rc != DG_ETOOBIG && strncmp(why.msg, "cannot run", 10) != 0) {
        command_line(argv, cmd, sizeof cmd);
        excerpt(b->data ? b->data : "", last, sizeof last);
        dg_err_set(err, rc, "%s; likely cause: %s", why.msg,
                   likely_cause(b->data ? b->data : ""));
        ctl_detail("ran: %s", cmd);
        if (last[0])
            ctl_detail("kubectl said: %s", last);
    } else if (rc && err && err->code == 0) {
        *err = why;
    }
    dg_buf_free(&mine);
    return rc;
}
