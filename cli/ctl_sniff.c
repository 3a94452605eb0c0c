/* cli/ctl_sniff.c: what an input file looks like, so that a file given to
 * the wrong flag (a review as --baseline, a manifest as --review) is named
 * for what it is and sent to the flag that wants it, instead of failing
 * with a parse error about its first line. Only run once a load has failed.
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "yaml.h"

/* The first object-like mapping of @root: itself, or a List's first item. */
static const json_t *first_object(const json_t *root)
{
    const json_t *items = json_object_get(root, "items");

    if (json_is_array(items) && json_array_size(items))
        return json_array_get(items, 0);
    return root;
}

ctl_looks_t ctl_sniff(const char *data, size_t len, char *what, size_t size)
{
    dg_yaml_docs_t docs;
    ctl_looks_t looks = CTL_LOOKS_UNKNOWN;
    const json_t *o;
    const char *kind, *name;
    bool json = false;

    what[0] = '\0';
    for (size_t i = 0; i < len && !json; i++) {
        if (data[i] == '{')
            json = true;
        else if (data[i] != ' ' && data[i] != '\n' && data[i] != '\r' && data[i] != '\t')
            break;
    }
    if (dg_yaml_parse(data, len, "input", 0, DG_YAML_PRUNE_SERVER, &docs, NULL) != 0)
        return looks;
    o = docs.n ? first_object(docs.docs[0].root) : NULL;
    kind = json_string_value(json_object_get(o, "kind"));
    name = json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
    if (kind && strcmp(kind, "AdmissionReview") == 0) {
        looks = json ? CTL_LOOKS_REVIEW : CTL_LOOKS_REVIEW_YAML;
        snprintf(what, size, "an AdmissionReview%s", json ? "" : " in YAML");
    } else if (kind && strcmp(kind, "DriftPolicy") == 0) {
        looks = CTL_LOOKS_POLICY;
        snprintf(what, size, "a DriftPolicy");
    } else if (kind) {
        looks = CTL_LOOKS_MANIFEST;
        snprintf(what, size, "a Kubernetes manifest (%s%s%s%s)", kind, name ? " " : "",
                 name ? name : "", docs.n > 1 || o != docs.docs[0].root ? ", ..." : "");
    }
    dg_yaml_docs_free(&docs);
    return looks;
}

/* What each flag takes, and where each kind of file goes. */
static const char *wanted_by(const char *flag)
{
    if (strcmp(flag, "--review") == 0)
        return "an AdmissionReview in JSON, as the API server sends it";
    if (strcmp(flag, "--policy") == 0)
        return "a DriftPolicy ('driftctl policy default' prints one)";
    if (strcmp(flag, "--live") == 0)
        return "live objects (kubectl get ... -o yaml, or driftctl capture)";
    if (strcmp(flag, "--object") == 0)
        return "the proposed object (a manifest)";
    return "a rendered release (helm template, driftctl render) or its baseline ConfigMap";
}

static const char *goes_to(ctl_looks_t looks)
{
    switch (looks) {
    case CTL_LOOKS_REVIEW:
        return "give it to 'driftctl simulate --review'";
    case CTL_LOOKS_REVIEW_YAML:
        return "convert it to JSON (yq -o json) for --review";
    case CTL_LOOKS_POLICY:
        return "give it to --policy";
    case CTL_LOOKS_MANIFEST:
        return "give it to --baseline, --live or --object";
    default:
        return "";
    }
}

int ctl_wrong_input(const char *flag, const char *shown, const char *data, size_t len,
                    ctl_looks_t want, int rc, dg_err_t *err)
{
    char what[200];
    ctl_looks_t looks = ctl_sniff(data, len, what, sizeof what);

    if (looks == CTL_LOOKS_UNKNOWN || looks == want)
        return rc;
    /* The parse error says less than this: replace it. */
    dg_err_clear(err);
    return dg_err_set(err, DG_EINVAL, "%s is %s; %s wants %s; %s", shown, what, flag,
                      wanted_by(flag), goes_to(looks));
}
