/* cli/ctl_lines.c: the lines of a file, streamed: plain or gzip (zlib's
 * gzread passes plain files through, so rotated .gz audit logs and the live
 * one read alike), in a buffer that grows only to the longest line.
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "ctl.h"

#define CHUNK (1u << 20)

struct ctl_lines {
    gzFile f;
    const char *shown; /* the name in messages */
    char *buf;         /* [pos, len) not yet returned */
    size_t pos, len, cap, max;
    long lineno;       /* of the line last returned */
    bool eof;
    bool skipping;     /* inside a line longer than max: drop to its end */
};

ctl_lines_t *ctl_lines_open(const char *flag, const char *path, size_t max_line, dg_err_t *err)
{
    ctl_lines_t *l = calloc(1, sizeof *l);
    struct stat st;
    int fd = -1;

    if (l == NULL)
        goto oom;
    l->shown = ctl_stdio(path) ? "<stdin>" : path;
    l->max = max_line;
    fd = ctl_stdio(path) ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        dg_err_set(err, DG_EIO, "%s: %s", l->shown, strerror(errno));
        goto fail;
    }
    if (S_ISDIR(st.st_mode)) {
        dg_err_set(err, DG_EIO, "%s: is a directory; %s wants a file", l->shown, flag);
        goto fail;
    }
    if ((l->f = gzdopen(fd, "rb")) == NULL || (l->buf = malloc(CHUNK)) == NULL)
        goto oom;
    fd = -1; /* gzclose closes it */
    gzbuffer(l->f, CHUNK);
    l->cap = CHUNK;
    return l;
oom:
    dg_err_set(err, DG_ENOMEM, "%s: out of memory opening it", path);
fail:
    if (fd >= 0)
        close(fd);
    ctl_lines_close(&l);
    return NULL;
}

/* Room for more at the end: move what is left to the front, and grow
 * when a line fills the buffer (up to the cap; past it the line is
 * skipped rather than held). Returns 0, DG_ENOMEM or DG_ETOOBIG. */
static int make_room(ctl_lines_t *l)
{
    char *p;
    size_t cap;

    if (l->pos) {
        memmove(l->buf, l->buf + l->pos, l->len - l->pos);
        l->len -= l->pos;
        l->pos = 0;
    }
    if (l->len < l->cap)
        return 0;
    if (l->cap >= l->max) {
        l->len = 0;
        l->skipping = true;
        return DG_ETOOBIG;
    }
    cap = l->cap * 2 > l->max ? l->max : l->cap * 2;
    if ((p = realloc(l->buf, cap)) == NULL)
        return DG_ENOMEM;
    l->buf = p;
    l->cap = cap;
    return 0;
}

static int fill(ctl_lines_t *l, dg_err_t *err)
{
    int got, zerr = Z_OK, rc = make_room(l);
    const char *msg;

    if (rc == DG_ENOMEM)
        return dg_err_set(err, rc, "%s: out of memory reading line %ld", l->shown, l->lineno + 1);
    got = gzread(l->f, l->buf + l->len, (unsigned)(l->cap - l->len));
    /* A cut gzip stream (a log rotated while compressed) ends without an
     * error from gzread(): gzerror() says Z_BUF_ERROR at the end. */
    msg = got <= 0 ? gzerror(l->f, &zerr) : NULL;
    if (got < 0 || (got == 0 && zerr != Z_OK)) {
        /* zlib names a gzdopen()ed file "<fd:3>": we name it ourselves. */
        if (strncmp(msg, "<fd:", 4) == 0 && strstr(msg, ": "))
            msg = strstr(msg, ": ") + 2;
        return dg_err_set(err, DG_EIO, "%s: read error after line %ld: %s", l->shown, l->lineno,
                          zerr == Z_ERRNO ? strerror(errno) : msg);
    }
    l->len += (size_t)got;
    l->eof = got == 0;
    return rc;
}

int ctl_lines_next(ctl_lines_t *l, const char **line, size_t *len, dg_err_t *err)
{
    char *nl;
    int rc;

    for (;;) {
        nl = memchr(l->buf + l->pos, '\n', l->len - l->pos);
        if (nl || (l->eof && l->pos < l->len)) {
            size_t end = nl ? (size_t)(nl - l->buf) : l->len;
            bool skipped = l->skipping;

            *line = l->buf + l->pos;
            *len = end - l->pos;
            l->pos = nl ? end + 1 : end;
            l->lineno++;
            l->skipping = false;
            if (skipped) /* the caller says where: ctl_lines_number() */
                return dg_err_set(err, DG_ETOOBIG, "line longer than %zu bytes", l->max);
            return 1;
        }
        if (l->eof)
            return 0;
        if ((rc = fill(l, err)) == DG_ENOMEM || rc == DG_EIO)
            return rc;
    }
}

long ctl_lines_number(const ctl_lines_t *l)
{
    return l->lineno;
}

void ctl_lines_close(ctl_lines_t **l)
{
    if (l == NULL || *l == NULL)
        return;
    if ((*l)->f)
        gzclose((*l)->f);
    free((*l)->buf);
    free(*l);
    *l = NULL;
}
