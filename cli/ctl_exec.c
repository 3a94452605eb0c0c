/* cli/ctl_exec.c: running the real tools users run (helm, kubectl):
 * argv straight to execvp, never a shell; our input on their stdin, their
 * stdout captured, their stderr left on the user's terminal.
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"

extern char **environ;

static int spawn(char *const argv[], int in[2], int out[2], pid_t *pid, dg_err_t *err)
{
    posix_spawn_file_actions_t fa;
    int rc;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    rc = posix_spawnp(pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (rc)
        return dg_err_set(err, DG_EIO, "cannot run %s: %s (is it on PATH?)", argv[0],
                          strerror(rc));
    return 0;
}

/* Feed @in to the child and drain its stdout at the same time: either side
 * can fill a pipe, so neither is done to completion first. */
static int pump(int wfd, const char *in, size_t inlen, int rfd, dg_buf_t *out, dg_err_t *err,
                const char *tool)
{
    size_t off = 0;
    char chunk[65536];

    if (inlen == 0)
        close(wfd), wfd = -1;
    while (rfd >= 0 || wfd >= 0) {
        struct pollfd p[2] = {{rfd, POLLIN, 0}, {wfd, POLLOUT, 0}};

        if (poll(p, 2, -1) < 0 && errno != EINTR)
            return dg_err_set(err, DG_EIO, "%s: poll: %s", tool, strerror(errno));
        if (wfd >= 0 && p[1].revents) {
            ssize_t n = write(wfd, in + off, inlen - off);

            if (n > 0)
                off += (size_t)n;
            if (n < 0 || off == inlen)
                close(wfd), wfd = -1; /* EPIPE: the tool stopped reading; its status says why */
        }
        if (rfd >= 0 && p[0].revents) {
            ssize_t n = read(rfd, chunk, sizeof chunk);

            if (n <= 0)
                close(rfd), rfd = -1;
            else if (out && dg_buf_append(out, chunk, (size_t)n))
                return dg_err_set(err, DG_ETOOBIG, "%s printed more than %zu bytes", tool,
                                  out->max);
        }
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

/* Close-on-exec, so a tool never inherits the other pipe's ends. */
static int cloexec_pipe(int fd[2])
{
    if (pipe(fd))
        return -1;
    fcntl(fd[0], F_SETFD, FD_CLOEXEC);
    fcntl(fd[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

int ctl_exec(char *const argv[], const char *in, size_t inlen, dg_buf_t *out, dg_err_t *err)
{
    int pin[2], pout[2], st, rc;
    pid_t pid;
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);

    if (cloexec_pipe(pin) || (cloexec_pipe(pout) && (close(pin[0]), close(pin[1]), 1))) {
        signal(SIGPIPE, old);
        return dg_err_set(err, DG_EIO, "%s: pipe: %s", argv[0], strerror(errno));
    }
    if ((rc = spawn(argv, pin, pout, &pid, err))) {
        close(pin[1]);
        close(pout[0]);
        signal(SIGPIPE, old);
        return rc;
    }
    rc = pump(pin[1], in, inlen, pout[0], out, err, argv[0]);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    signal(SIGPIPE, old);
    if (rc)
        return rc;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFEXITED(st))
        return dg_err_set(err, DG_EIO, "%s exited with status %d", argv[0], WEXITSTATUS(st));
    return dg_err_set(err, DG_EIO, "%s was killed by signal %d", argv[0], WTERMSIG(st));
}
