/* cli/ctl_sarif.c: where `driftctl diff -o sarif` points each result: the
 * line of the chart template that sets the governed value (the render names
 * the template in its "# Source:" comments), else the line of the rendered
 * baseline, as URIs relative to the repository root (--sarif-root).
 * The file system is read here; the text work is policy/srcmap.c's.
 * SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codec.h"
#include "ctl.h"
#include "srcmap.h"
#include "yaml.h"

/* Looking for a chart under the root stops this deep, and after this many
 * directories: a report must not crawl a monorepo. */
#define WALK_DEPTH 6
#define WALK_DIRS 20000
#define MAX_TEMPLATES 64
#define MAX_CHARTS 16

typedef struct chart {
    char *name; /* malloced */
    char *dir;  /* malloced; NULL = not under the root */
} chart_t;

typedef struct tmpl {
    char *path;       /* realpath, malloced; NULL = looked for, not found */
    char *source;     /* the "# Source:" text it was found for */
    char *text;
    dg_srcmap_t *map;
} tmpl_t;

typedef struct locator {
    const char *root;      /* realpath of --sarif-root */
    char *render;          /* the rendered baseline's text (NULL: unreadable) */
    size_t len;
    int offset;            /* render line + offset = baseline file line */
    dg_srcmap_t *map;      /* over @render */
    tmpl_t tmpls[MAX_TEMPLATES];
    size_t ntmpls;
    chart_t charts[MAX_CHARTS];
    size_t ncharts;
    size_t walked;
} locator_t;

/* ---- URIs -------------------------------------------------------------------------- */

/* RFC 3986: unreserved characters and '/' stay, the rest is %XX. */
static int put_encoded(dg_buf_t *b, const char *path)
{
    int rc = 0;

    for (const unsigned char *p = (const unsigned char *)path; *p && !rc; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            rc = dg_buf_append(b, (const char *)p, 1);
        else
            rc = dg_buf_printf(b, "%%%02X", *p);
    }
    return rc;
}

/* @abs (a realpath) relative to the root when under it, else a file: URI. */
static char *uri_of(const locator_t *l, const char *abs)
{
    size_t n = strcmp(l->root, "/") ? strlen(l->root) : 0; /* "/" is the prefix "" */
    dg_buf_t b;
    int rc;

    dg_buf_init(&b, 0);
    if (strncmp(abs, l->root, n) == 0 && abs[n] == '/')
        rc = put_encoded(&b, abs + n + 1);
    else
        rc = dg_buf_puts(&b, "file://") || put_encoded(&b, abs);
    if (rc) {
        dg_buf_free(&b);
        return NULL;
    }
    return dg_buf_take(&b);
}

/* ---- finding the template ------------------------------------------------------------ */

static bool is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Does @dir/Chart.yaml say `name: @chart`? */
static bool chart_named(const char *dir, const char *chart)
{
    char path[PATH_MAX], line[512];
    size_t n = strlen(chart);
    bool found = false;
    FILE *f;

    snprintf(path, sizeof path, "%s/Chart.yaml", dir);
    if ((f = fopen(path, "r")) == NULL)
        return false;
    while (!found && fgets(line, sizeof line, f))
        found = strncmp(line, "name:", 5) == 0 &&
                strncmp(line + 5 + strspn(line + 5, " \"'"), chart, n) == 0 &&
                strchr(" \"'\r\n", line[5 + strspn(line + 5, " \"'") + n]) != NULL;
    fclose(f);
    return found;
}

/* The directory under @dir of the chart named @chart. Depth first with
 * bounds: simple, and cheap enough once per chart and report. */
static bool walk(locator_t *l, const char *dir, int depth, const char *chart, char *out,
                 size_t size)
{
    struct dirent *e;
    char sub[PATH_MAX];
    bool found = false;
    DIR *d;

    if (++l->walked > WALK_DIRS || depth > WALK_DEPTH)
        return false;
    if (chart_named(dir, chart)) {
        snprintf(out, size, "%s", dir);
        return true;
    }
    if ((d = opendir(dir)) == NULL)
        return false;
    while (!found && (e = readdir(d)) != NULL) {
        struct stat st;

        if (e->d_name[0] == '.' || strcmp(e->d_name, "node_modules") == 0 ||
            (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN))
            continue;
        if ((size_t)snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name) >= sizeof sub ||
            stat(sub, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        found = walk(l, sub, depth + 1, chart, out, size);
    }
    closedir(d);
    return found;
}

/* The directory of chart @chart, looked for once per report. */
static const char *chart_dir(locator_t *l, const char *chart)
{
    char found[PATH_MAX];
    chart_t *c;

    for (size_t i = 0; i < l->ncharts; i++)
        if (strcmp(l->charts[i].name, chart) == 0)
            return l->charts[i].dir;
    if (l->ncharts == MAX_CHARTS)
        return NULL;
    c = &l->charts[l->ncharts];
    if ((c->name = strdup(chart)) == NULL)
        return NULL;
    l->ncharts++;
    l->walked = 0;
    c->dir = walk(l, l->root, 0, chart, found, sizeof found) ? strdup(found) : NULL;
    return c->dir;
}

/* The file a "# Source:" line names: a path as is (renders of plain
 * manifests name their files), else "<chart>/<rest>" with the chart found
 * under the root by its Chart.yaml name. Returns a malloced realpath or NULL. */
static char *resolve_source(locator_t *l, const char *source)
{
    char chart[256], path[PATH_MAX];
    const char *slash = strchr(source, '/'), *dir;

    if (is_file(source))
        return realpath(source, NULL);
    if (slash == NULL || slash == source || (size_t)(slash - source) >= sizeof chart)
        return NULL;
    memcpy(chart, source, (size_t)(slash - source));
    chart[slash - source] = '\0';
    dir = chart_dir(l, chart);
    if (dir == NULL || (size_t)snprintf(path, sizeof path, "%s%s", dir, slash) >= sizeof path ||
        !is_file(path))
        return NULL;
    return realpath(path, NULL);
}

/* The template for @source, read and indexed once per report. */
static const tmpl_t *template_for(locator_t *l, const char *source)
{
    tmpl_t *t;
    size_t len;
    dg_err_t err = {0};

    for (size_t i = 0; i < l->ntmpls; i++)
        if (strcmp(l->tmpls[i].source, source) == 0)
            return l->tmpls[i].map ? &l->tmpls[i] : NULL;
    if (l->ntmpls == MAX_TEMPLATES)
        return NULL;
    t = &l->tmpls[l->ntmpls];
    if ((t->source = strdup(source)) == NULL)
        return NULL;
    l->ntmpls++;
    t->path = resolve_source(l, source);
    if (t->path && ctl_read("--sarif-root", t->path, DG_MAX_MANIFEST_BYTES, &t->text, &len, &err) == 0)
        t->map = dg_srcmap_new(t->text, len);
    return t->map ? t : NULL;
}

/* ---- the rendered baseline ----------------------------------------------------------- */

/* Is line @line of @file a key opening a literal block ("key: |")? */
static bool literal_at(const char *file, size_t len, int line)
{
    const char *p = file, *end = file + len, *nl;

    for (int i = 1; i < line && p; i++) {
        p = memchr(p, '\n', (size_t)(end - p));
        p = p ? p + 1 : NULL;
    }
    if (p == NULL)
        return false;
    nl = memchr(p, '\n', (size_t)(end - p));
    nl = nl ? nl : end;
    while (nl > p && (nl[-1] == '\r' || nl[-1] == ' '))
        nl--;
    return nl - p >= 3 && memcmp(nl - 3, ": |", 3) == 0;
}

/* A published baseline is a ConfigMap: its render is data["manifest.yaml"]
 * (a literal block, so its lines sit at a fixed offset in the file) or
 * gzip'd in binaryData. The offset is 0 when the render's lines cannot be
 * placed in the file, and results then point at the block's key. */
static int unwrap(locator_t *l, char *file, size_t len, dg_err_t *err)
{
    dg_yaml_docs_t docs = {0};
    json_t *data, *bin, *plain, *gz;
    char *raw = NULL;
    size_t rawlen;
    int line = 0, col, rc;

    rc = dg_yaml_parse(file, len, "baseline", 0, DG_YAML_POSITIONS, &docs, err);
    if (rc || docs.n != 1)
        goto out;
    data = json_object_get(docs.docs[0].root, "data");
    bin = json_object_get(docs.docs[0].root, "binaryData");
    plain = json_object_get(data, "manifest.yaml");
    gz = json_object_get(bin, "manifest.yaml.gz");
    if (json_is_string(plain)) {
        dg_posmap_find(docs.pos, data, "manifest.yaml", &line, &col);
        l->render = strdup(json_string_value(plain));
        l->len = l->render ? strlen(l->render) : 0;
        /* "manifest.yaml: |" with the render below it, one line per line */
        l->offset = line && literal_at(file, len, line) ? line : 0;
    } else if (json_is_string(gz) &&
               dg_codec_base64_decode(json_string_value(gz), json_string_length(gz), &raw,
                                      &rawlen, "binaryData", NULL) == 0) {
        dg_posmap_find(docs.pos, bin, "manifest.yaml.gz", &line, &col);
        if (dg_codec_gunzip(raw, rawlen, DG_MAX_MANIFEST_BYTES, &l->render, &l->len, "binaryData", NULL) != 0)
            l->render = NULL;
    }
    if (l->offset == 0)
        l->offset = -line; /* negative: every line maps to the key's */
out:
    free(raw);
    dg_yaml_docs_free(&docs);
    return rc;
}

static int read_render(locator_t *l, const char *path, bool published, dg_err_t *err)
{
    char *file;
    size_t len;
    int rc;

    if (strcmp(path, "-") == 0)
        return 0; /* stdin is gone: results point at line 1 */
    rc = ctl_read("--baseline", path, DG_MAX_MANIFEST_BYTES, &file, &len, err);
    if (rc)
        return rc;
    if (published) {
        rc = unwrap(l, file, len, err);
        free(file);
    } else {
        l->render = file;
        l->len = len;
    }
    if (rc == 0 && l->render && (l->map = dg_srcmap_new(l->render, l->len)) == NULL)
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
    return rc;
}

static int file_line(const locator_t *l, int render_line)
{
    if (l->offset < 0)
        return -l->offset;
    return render_line > 0 ? render_line + l->offset : 1;
}

/* ---- one result ------------------------------------------------------------------------ */

static int locate(locator_t *l, const char *base_uri, const dg_release_t *rel,
                  const dg_variance_t *x, dg_report_loc_t *loc)
{
    const dg_obj_t *o = dg_objset_find(rel->objs, &x->obj);
    const char *path = x->type == DG_VAR_MISSING ? "" : x->path;
    char source[PATH_MAX];
    const tmpl_t *t;
    int line;

    if (o && l->map && dg_srcmap_source(l->map, o->line, source, sizeof source) &&
        (t = template_for(l, source)) != NULL && (line = dg_srcmap_line(t->map, 1, path)) > 0) {
        loc->uri = uri_of(l, t->path);
        loc->line = line;
        return loc->uri ? 0 : DG_ENOMEM;
    }
    line = o && l->map ? dg_srcmap_line(l->map, o->line, path) : 0;
    loc->uri = strdup(base_uri);
    loc->line = file_line(l, line ? line : o ? o->line : 0);
    return loc->uri ? 0 : DG_ENOMEM;
}

int ctl_sarif_locate(const char *baseline, const dg_release_t *rel, const dg_variances_t *v,
                     const char *root, ctl_sarif_t *out, dg_err_t *err)
{
    locator_t l = {0};
    char *abs = NULL, *base_uri = NULL, *root_real = realpath(root ? root : ".", NULL);
    dg_buf_t b;
    int rc = 0;

    memset(out, 0, sizeof *out);
    dg_buf_init(&b, 0);
    if (root_real == NULL)
        return dg_err_set(err, DG_EIO, "--sarif-root %s: not a directory", root ? root : ".");
    l.root = root_real;
    if ((rc = read_render(&l, baseline, rel->origin == DG_RELSRC_PUBLISHED, err)) != 0)
        goto out;
    abs = strcmp(baseline, "-") ? realpath(baseline, NULL) : NULL;
    base_uri = abs ? uri_of(&l, abs) : strdup("-");
    out->locs = calloc(v->n ? v->n : 1, sizeof *out->locs);
    if (base_uri == NULL || out->locs == NULL || dg_buf_puts(&b, "file://") ||
        put_encoded(&b, root_real) || dg_buf_puts(&b, root_real[1] ? "/" : "")) {
        rc = dg_err_set(err, DG_ENOMEM, "out of memory");
        goto out;
    }
    out->root_uri = dg_buf_take(&b);
    for (size_t i = 0; i < v->n && !rc; i++, out->n++)
        rc = locate(&l, base_uri, rel, &v->items[i], &out->locs[i]);
    if (rc)
        dg_err_set(err, rc, "out of memory");
out:
    for (size_t i = 0; i < l.ntmpls; i++) {
        free(l.tmpls[i].path);
        free(l.tmpls[i].source);
        free(l.tmpls[i].text);
        dg_srcmap_free(&l.tmpls[i].map);
    }
    for (size_t i = 0; i < l.ncharts; i++) {
        free(l.charts[i].name);
        free(l.charts[i].dir);
    }
    dg_srcmap_free(&l.map);
    free(l.render);
    free(base_uri);
    free(abs);
    free(root_real);
    dg_buf_free(&b);
    if (rc)
        ctl_sarif_free(out);
    return rc;
}

void ctl_sarif_free(ctl_sarif_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        free((char *)s->locs[i].uri);
    free(s->locs);
    free(s->root_uri);
    memset(s, 0, sizeof *s);
}
