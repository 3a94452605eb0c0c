/* policy/manifest.c: manifests -> object sets, as kubectl reads them.
 * SPDX-License-Identifier: Apache-2.0 */
#include "manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

#define BASELINE_LABEL "driftgate.io/baseline"
#define RELEASE_LABEL "driftgate.io/release"
#define RELEASE_NS_LABEL "driftgate.io/release-namespace"
#define HOOK_ANNOTATION "helm.sh/hook"

typedef struct loader {
    const char *name;
    const char *default_ns;
    size_t max_bytes;
    bool uncapped;
    bool keep_managed;
    const char *data;           /* the text being read, while it is */
    const dg_yaml_docs_t *parsed; /* its documents */
    size_t next_raw;            /* the next of docs->raws to hand out */
    dg_objset_t *set;
    dg_err_t *err;
    size_t docs, lists, hooks; /* for dg_manifest_info_t */
} loader_t;

static const char *meta_str(const json_t *obj, const char *map, const char *key)
{
    json_t *meta = json_object_get(obj, "metadata");

    if (map)
        meta = json_object_get(meta, map);
    return json_string_value(json_object_get(meta, key));
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "a mapping";
    case JSON_ARRAY:
        return "a list";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    default:
        return "a boolean";
    }
}

/* The text of @obj's managedFields, when it was kept: the raws come in
 * document order, one per object that had one, so the next one is either
 * this object's or a later one's. */
static const dg_yaml_raw_t *take_raw(loader_t *l, const json_t *obj)
{
    const dg_yaml_raw_t *r;

    if (l->parsed == NULL || l->next_raw >= l->parsed->nraws)
        return NULL;
    r = &l->parsed->raws[l->next_raw];
    if (r->meta != json_object_get(obj, "metadata"))
        return NULL;
    l->next_raw++;
    return r;
}

/* One object; hooks are not release resources (DESIGN.md), so skip them. */
static int add_object(loader_t *l, json_t *obj, int line, int col)
{
    const dg_yaml_raw_t *raw = take_raw(l, obj);
    dg_err_t e = {0};
    int rc;

    if (!json_is_object(obj))
        return dg_err_at(l->err, DG_EINVAL, l->name, line, col,
                         "document is %s, not a Kubernetes object", type_name(obj));
    if (meta_str(obj, "annotations", HOOK_ANNOTATION) != NULL) {
        l->hooks++;
        return 0;
    }
    /* dg_objset_add() knows the line; the column is ours to add. */
    rc = dg_objset_add(l->set, json_incref(obj), l->default_ns, l->name, line, &e);
    if (rc && e.line == line && e.col == 0)
        e.col = col;
    if (rc && l->err && l->err->code == 0)
        *l->err = e;
    if (!rc && raw &&
        dg_objset_keep_managed(l->set, dg_objset_count(l->set) - 1, l->data + raw->off, raw->len))
        rc = dg_err_set(l->err, DG_ENOMEM, "%s: out of memory", l->name);
    return rc;
}

/* `kubectl get -o yaml` prints a List (kind "List", or "<Kind>List" from the
 * raw API); its items are the objects. */
static bool is_list(const json_t *doc)
{
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    size_t n = kind ? strlen(kind) : 0;

    return n >= 4 && strcmp(kind + n - 4, "List") == 0 &&
           json_is_array(json_object_get(doc, "items"));
}

static int add_doc(loader_t *l, const dg_yaml_doc_t *doc)
{
    json_t *item;
    size_t i;
    int rc;

    l->docs++;
    if (!json_is_object(doc->root) || !is_list(doc->root))
        return add_object(l, doc->root, doc->line, doc->col);
    l->lists++;
    json_array_foreach(json_object_get(doc->root, "items"), i, item) {
        /* Each item at its own position (the List's, if unknown). */
        const dg_yaml_mark_t *m = i < doc->nitems ? &doc->items[i] : NULL;

        if ((rc = add_object(l, item, m ? m->line : doc->line, m ? m->col : doc->col)) != 0)
            return rc;
    }
    return 0;
}

static bool is_baseline_cm(const json_t *doc)
{
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    const char *api = json_string_value(json_object_get(doc, "apiVersion"));
    const char *label = meta_str(doc, "labels", BASELINE_LABEL);

    return kind && api && label && strcmp(kind, "ConfigMap") == 0 && strcmp(api, "v1") == 0 &&
           strcmp(label, "true") == 0;
}

static int dup_field(char **dst, const char *src)
{
    *dst = src ? strdup(src) : NULL;
    return src && *dst == NULL ? DG_ENOMEM : 0;
}

/* The release namespace: the driftgate.io/release-namespace label; a
 * ConfigMap of the older form (no label) lived in its release's namespace. */
static const char *release_ns(const json_t *cm)
{
    const char *ns = meta_str(cm, "labels", RELEASE_NS_LABEL);

    return ns ? ns : meta_str(cm, NULL, "namespace");
}

static int fill_info(dg_manifest_info_t *info, const json_t *cm)
{
    if (info == NULL)
        return 0;
    free(info->release);
    free(info->ns);
    free(info->revision);
    free(info->chart);
    free(info->source);
    free(info->digest);
    if (dup_field(&info->release, meta_str(cm, "labels", RELEASE_LABEL)) ||
        dup_field(&info->ns, release_ns(cm)) ||
        dup_field(&info->revision, meta_str(cm, "annotations", "driftgate.io/revision")) ||
        dup_field(&info->chart, meta_str(cm, "annotations", "driftgate.io/chart")) ||
        dup_field(&info->source, meta_str(cm, "annotations", "driftgate.io/source")) ||
        dup_field(&info->digest, meta_str(cm, "annotations", "driftgate.io/digest")))
        return DG_ENOMEM;
    return 0;
}

/* The rendered text of a baseline ConfigMap: data["manifest.yaml"], or the
 * gzip'd binaryData["manifest.yaml.gz"] used for renders over 1 MiB. */
static int baseline_text(loader_t *l, const json_t *cm, int line, int col, char **text,
                         size_t *len)
{
    json_t *plain = json_object_get(json_object_get(cm, "data"), "manifest.yaml");
    json_t *gz = json_object_get(json_object_get(cm, "binaryData"), "manifest.yaml.gz");
    char what[300], *raw;
    size_t rawlen;
    int rc;

    if (json_is_string(plain)) {
        *len = json_string_length(plain);
        *text = malloc(*len + 1);
        if (*text == NULL)
            return dg_err_set(l->err, DG_ENOMEM, "%s: out of memory", l->name);
        memcpy(*text, json_string_value(plain), *len + 1);
        return 0;
    }
    if (!json_is_string(gz))
        return dg_err_at(l->err, DG_EINVAL, l->name, line, col,
                         "baseline ConfigMap has neither data[\"manifest.yaml\"] nor "
                         "binaryData[\"manifest.yaml.gz\"]");
    snprintf(what, sizeof what, "%s: binaryData[\"manifest.yaml.gz\"]", l->name);
    rc = dg_codec_base64_decode(json_string_value(gz), json_string_length(gz), &raw, &rawlen,
                                what, l->err);
    if (rc)
        return rc;
    rc = dg_codec_gunzip(raw, rawlen, l->max_bytes, text, len, what, l->err);
    free(raw);
    return rc;
}

static int check_digest(loader_t *l, const char *want, const char *text, size_t len, int line,
                        int col)
{
    char got[72];

    if (want == NULL)
        return 0;
    dg_codec_digest(text, len, got);
    if (strcmp(want, got) == 0)
        return 0;
    return dg_err_at(l->err, DG_EINVAL, l->name, line, col,
                     "baseline digest mismatch: annotation driftgate.io/digest says %.80s, "
                     "the manifest hashes to %s",
                     want, got);
}

static int load_text(loader_t *l, const char *data, size_t len, bool unwrap,
                     dg_manifest_info_t *info);

static int unwrap_baseline(loader_t *l, const json_t *cm, int line, int col,
                           dg_manifest_info_t *info)
{
    const char *ns = release_ns(cm);
    char inner_name[300];
    loader_t inner = *l;
    char *text = NULL;
    size_t len = 0;
    int rc;

    rc = baseline_text(l, cm, line, col, &text, &len);
    if (!rc)
        rc = check_digest(l, meta_str(cm, "annotations", "driftgate.io/digest"), text, len,
                          line, col);
    if (!rc && fill_info(info, cm))
        rc = dg_err_set(l->err, DG_ENOMEM, "%s: out of memory", l->name);
    if (!rc) {
        snprintf(inner_name, sizeof inner_name, "%s[manifest.yaml]", l->name);
        inner.name = inner_name;
        inner.docs = inner.lists = inner.hooks = 0;
        if (ns && ns[0])
            inner.default_ns = ns;
        rc = load_text(&inner, text, len, false, NULL);
        l->docs += inner.docs;
        l->lists += inner.lists;
        l->hooks += inner.hooks;
    }
    free(text);
    return rc;
}

static int load_text(loader_t *l, const char *data, size_t len, bool unwrap,
                     dg_manifest_info_t *info)
{
    dg_yaml_docs_t docs;
    int rc;

    rc = dg_yaml_parse(data, len, l->name, l->max_bytes,
                       DG_YAML_PRUNE_SERVER | (l->uncapped ? 0 : DG_YAML_CAP_VALUES) |
                           (l->keep_managed ? DG_YAML_KEEP_MANAGED : 0),
                       &docs, l->err);
    if (rc)
        return rc;
    l->data = data;
    l->parsed = &docs;
    l->next_raw = 0;
    if (unwrap && docs.n == 1 && is_baseline_cm(docs.docs[0].root))
        rc = unwrap_baseline(l, docs.docs[0].root, docs.docs[0].line, docs.docs[0].col, info);
    else
        for (size_t i = 0; i < docs.n && !rc; i++)
            rc = add_doc(l, &docs.docs[i]);
    l->parsed = NULL;
    dg_yaml_docs_free(&docs);
    return rc;
}

int dg_manifest_load(const char *data, size_t len, const dg_manifest_opts_t *opts,
                     dg_objset_t *set, dg_manifest_info_t *info, dg_err_t *err)
{
    loader_t l = {
        .name = opts && opts->name ? (strcmp(opts->name, "-") == 0 ? "<stdin>" : opts->name)
                                   : "<input>",
        .default_ns = opts && opts->default_ns ? opts->default_ns : "",
        .max_bytes = opts && opts->max_bytes ? opts->max_bytes : DG_MAX_MANIFEST_BYTES,
        .uncapped = opts && opts->uncapped,
        .keep_managed = opts && opts->keep_managed,
        .set = set,
        .err = err,
    };

    int rc = load_text(&l, data, len, true, info);

    if (info) {
        info->docs = l.docs;
        info->lists = l.lists;
        info->hooks = l.hooks;
    }
    return rc;
}

void dg_manifest_info_free(dg_manifest_info_t *info)
{
    if (info == NULL)
        return;
    free(info->release);
    free(info->ns);
    free(info->revision);
    free(info->chart);
    free(info->source);
    free(info->digest);
    memset(info, 0, sizeof *info);
}
