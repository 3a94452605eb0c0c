/* policy/srcmap.c: lines of renders and Helm templates that set a path.
 * Text, not YAML: a template is not YAML until Helm runs it, but its
 * indentation already says which key holds which.
 * SPDX-License-Identifier: Apache-2.0 */
#include "srcmap.h"

#include <stdlib.h>
#include <string.h>

#include "path.h"

#define MAX_DEPTH 32

struct dg_srcmap {
    const char *text;
    size_t len;
    size_t *starts; /* offset of each line; lines are 0-based here */
    size_t n;
};

dg_srcmap_t *dg_srcmap_new(const char *text, size_t len)
{
    dg_srcmap_t *m = calloc(1, sizeof *m);
    size_t cap = 64;

    if (m == NULL || (m->starts = malloc(cap * sizeof *m->starts)) == NULL) {
        free(m);
        return NULL;
    }
    m->text = text;
    m->len = len;
    for (size_t off = 0; off < len || m->n == 0;) {
        const char *nl = memchr(text + off, '\n', len - off);

        if (m->n == cap) {
            size_t *grown = realloc(m->starts, 2 * cap * sizeof *grown);

            if (grown == NULL) {
                dg_srcmap_free(&m);
                return NULL;
            }
            m->starts = grown;
            cap *= 2;
        }
        m->starts[m->n++] = off;
        off = nl ? (size_t)(nl - text) + 1 : len;
        if (nl == NULL)
            break;
    }
    return m;
}

void dg_srcmap_free(dg_srcmap_t **map)
{
    if (map == NULL || *map == NULL)
        return;
    free((*map)->starts);
    free(*map);
    *map = NULL;
}

/* Line @i (0-based) without its newline (or CR). */
static const char *line_at(const dg_srcmap_t *m, size_t i, size_t *n)
{
    size_t end = i + 1 < m->n ? m->starts[i + 1] : m->len;

    while (end > m->starts[i] && (m->text[end - 1] == '\n' || m->text[end - 1] == '\r'))
        end--;
    *n = end - m->starts[i];
    return m->text + m->starts[i];
}

static bool is_separator_text(const char *s, size_t n)
{
    return n >= 3 && memcmp(s, "---", 3) == 0 && (n == 3 || s[3] == ' ' || s[3] == '\t');
}

bool dg_srcmap_source(const dg_srcmap_t *m, int line, char *out, size_t size)
{
    static const char tag[] = "# Source: ";
    size_t n;

    /* Back from the document's first node to its "---": helm puts the
     * comment right after the separator. */
    for (size_t i = line > 1 && (size_t)line <= m->n ? (size_t)line - 1 : 0; i-- > 0;) {
        const char *s = line_at(m, i, &n);

        if (is_separator_text(s, n))
            break;
        if (n > sizeof tag - 1 && memcmp(s, tag, sizeof tag - 1) == 0 && size > 0) {
            n -= sizeof tag - 1;
            n = n < size ? n : size - 1;
            memcpy(out, s + sizeof tag - 1, n);
            out[n] = '\0';
            return true;
        }
    }
    return false;
}

static bool is_separator(const dg_srcmap_t *m, size_t i)
{
    size_t n;
    const char *s = line_at(m, i, &n);

    return is_separator_text(s, n);
}

/* ---- keys by indentation ------------------------------------------------------ */

typedef struct key {
    const char *name;
    size_t len;
    int indent; /* column of the key, after any "- " list markers */
} yamlkey_t;

static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.' || c == '/';
}

/* The mapping key a line starts, if any. Template actions, comments, list
 * scalars and block-scalar text are not keys. */
static bool line_key(const char *s, size_t n, yamlkey_t *k)
{
    size_t i = 0, start;
    char quote = 0;

    while (i < n && s[i] == ' ')
        i++;
    while (i + 1 < n && s[i] == '-' && s[i + 1] == ' ')
        for (i += 2; i < n && s[i] == ' ';)
            i++;
    k->indent = (int)i;
    if (i < n && (s[i] == '"' || s[i] == '\''))
        quote = s[i++];
    start = i;
    while (i < n && key_char(s[i]))
        i++;
    k->name = s + start;
    k->len = i - start;
    if (quote && (i >= n || s[i++] != quote))
        return false;
    return k->len > 0 && i < n && s[i] == ':' && (i + 1 == n || s[i + 1] == ' ');
}

typedef struct search {
    const dg_srcmap_t *m;
    size_t end;                    /* one past the document's last line */
    const char *names[MAX_DEPTH];  /* the path's fields, in order */
    size_t n;
} search_t;

/* The line (1-based) of names[k..] under the block whose key is at
 * @parent_indent, scanning from line @i; 0 if absent. Only direct children
 * count (the indentation of the block's first key), and a dead end backs
 * up: `spec:` may open more than one block on the way down. */
static int find(const search_t *q, size_t i, size_t k, int parent_indent)
{
    int child = -1;
    size_t n;
    yamlkey_t key;

    for (; i < q->end; i++) {
        const char *s = line_at(q->m, i, &n);
        int r;

        if (!line_key(s, n, &key))
            continue;
        if (key.indent <= parent_indent)
            return 0; /* the block ended */
        if (child < 0)
            child = key.indent;
        if (key.indent != child || key.len != strlen(q->names[k]) ||
            memcmp(key.name, q->names[k], key.len) != 0)
            continue;
        if (k + 1 == q->n)
            return (int)i + 1;
        r = find(q, i + 1, k + 1, key.indent);
        if (r)
            return r;
    }
    return 0;
}

int dg_srcmap_line(const dg_srcmap_t *m, int from, const char *path)
{
    search_t q = {.m = m};
    dg_path_t *p = path[0] ? dg_path_parse(path, NULL) : NULL;
    size_t begin;
    int line = 0;

    if (from < 1 || (size_t)from > m->n || (path[0] && p == NULL))
        goto out;
    for (size_t i = 0; p && i < dg_path_len(p) && q.n < MAX_DEPTH; i++)
        if (dg_path_seg(p, i)->kind == DG_SEG_FIELD)
            q.names[q.n++] = dg_path_seg(p, i)->name;
    if (p == NULL)
        q.names[q.n++] = "kind";
    /* The document around @from: from its "---" to the next one. */
    for (begin = (size_t)from - 1; begin > 0 && !is_separator(m, begin);)
        begin--;
    for (q.end = (size_t)from; q.end < m->n && !is_separator(m, q.end);)
        q.end++;
    line = find(&q, begin, 0, -1);
out:
    dg_path_free(&p);
    return line;
}
