/* policy/norm.c: the API server's defaults, allocations, merge keys and
 * quantities, as tables. SPDX-License-Identifier: Apache-2.0 */
#include "norm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- defaults -------------------------------------------------------------- */

#define WORKLOADS "Deployment,StatefulSet,DaemonSet,ReplicaSet"

enum special { PLAIN, TARGET_PORT, PULL_POLICY };

/* From the API types' defaults.go files: the defaults on paths a policy governs. */
static const struct dflt {
    const char *group;
    const char *kinds; /* comma-separated */
    const char *gpath;
    const char *value; /* JSON text, for PLAIN */
    enum special how;
} defaults[] = {
    {"autoscaling", "HorizontalPodAutoscaler", "spec.minReplicas", "1", PLAIN},
    {"apps", "Deployment,StatefulSet,ReplicaSet", "spec.replicas", "1", PLAIN},
    {"apps", "Deployment", "spec.revisionHistoryLimit", "10", PLAIN},
    {"apps", "Deployment", "spec.progressDeadlineSeconds", "600", PLAIN},
    {"", "Service", "spec.type", "\"ClusterIP\"", PLAIN},
    {"", "Service", "spec.sessionAffinity", "\"None\"", PLAIN},
    {"", "Service", "spec.ports[*].protocol", "\"TCP\"", PLAIN},
    {"", "Service", "spec.ports[*].targetPort", NULL, TARGET_PORT},
    {"apps", WORKLOADS, "spec.template.spec.containers[*].imagePullPolicy", NULL, PULL_POLICY},
    {"apps", WORKLOADS, "spec.template.spec.initContainers[*].imagePullPolicy", NULL, PULL_POLICY},
    {"apps", WORKLOADS, "spec.template.spec.containers[*].ports[*].protocol", "\"TCP\"", PLAIN},
    {"apps", WORKLOADS, "spec.template.spec.containers[*].terminationMessagePath",
     "\"/dev/termination-log\"", PLAIN},
    {"apps", WORKLOADS, "spec.template.spec.containers[*].terminationMessagePolicy", "\"File\"",
     PLAIN},
    {"apps", WORKLOADS, "spec.template.spec.restartPolicy", "\"Always\"", PLAIN},
    {"apps", WORKLOADS, "spec.template.spec.dnsPolicy", "\"ClusterFirst\"", PLAIN},
    {"apps", WORKLOADS, "spec.template.spec.schedulerName", "\"default-scheduler\"", PLAIN},
    {"apps", WORKLOADS, "spec.template.spec.terminationGracePeriodSeconds", "30", PLAIN},
};

static bool in_list(const char *list, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = list; p && *p;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);

        if (len == n && strncmp(p, word, n) == 0)
            return true;
        p = c ? c + 1 : NULL;
    }
    return false;
}

/* "nginx" and "nginx:latest" are pulled Always; any other tag or a digest
 * IfNotPresent (k8s.io/kubernetes pkg/apis/core/v1 SetDefaults_Container). */
static json_t *pull_policy(dg_val_t container)
{
    size_t n;
    const char *image = dg_val_str(dg_val_get(container, "image"), &n);
    const char *slash, *colon;

    if (image == NULL)
        return NULL;
    if (strchr(image, '@'))
        return json_string("IfNotPresent");
    slash = strrchr(image, '/');
    colon = strrchr(slash ? slash : image, ':');
    if (colon == NULL || strcmp(colon, ":latest") == 0)
        return json_string("Always");
    return json_string("IfNotPresent");
}

json_t *dg_norm_default(const char *group, const char *kind, const char *gpath,
                        dg_val_t parent)
{
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        const struct dflt *d = &defaults[i];

        if (strcmp(d->group, group) != 0 || !in_list(d->kinds, kind) ||
            strcmp(d->gpath, gpath) != 0)
            continue;
        switch (d->how) {
        case TARGET_PORT:
            return dg_val_to_json(dg_val_get(parent, "port"));
        case PULL_POLICY:
            return pull_policy(parent);
        case PLAIN:
            return json_loads(d->value, JSON_DECODE_ANY, NULL);
        }
    }
    return NULL;
}

bool dg_norm_server_allocated(const char *group, const char *kind, const char *field)
{
    static const char service_fields[] =
        "clusterIP,clusterIPs,nodePort,healthCheckNodePort,ipFamilies,ipFamilyPolicy,"
        "internalTrafficPolicy,externalTrafficPolicy,allocateLoadBalancerNodePorts";

    return group[0] == '\0' && strcmp(kind, "Service") == 0 && in_list(service_fields, field);
}

/* ---- merge keys --------------------------------------------------------------- */

/* @n bytes of @s, cut to fit @size with its NUL, as snprintf("%s") would. */
static void put_text(char *buf, size_t size, const char *s, size_t n)
{
    if (size == 0)
        return;
    if (n >= size)
        n = size - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
}

/* Without printf: merge keys are rendered for every element of every
 * list a rule walks. */
static void put_int(char *buf, size_t size, long long v)
{
    char text[24], *p = text + sizeof text;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--p = '-';
    put_text(buf, size, p, (size_t)(text + sizeof text - p));
}

const char *dg_norm_scalar_text(dg_val_t v, char *buf, size_t size)
{
    long long i;
    double d;
    size_t len;
    const char *s = dg_val_str(v, &len);

    if (s)
        put_text(buf, size, s, strnlen(s, size)); /* up to a NUL, as "%s" */
    else if (dg_val_int(v, &i))
        put_int(buf, size, i);
    else if (dg_val_number(v, &d))
        snprintf(buf, size, "%.17g", d);
    else if (dg_val_type(v) == DG_JTRUE || dg_val_type(v) == DG_JFALSE)
        put_text(buf, size, dg_val_type(v) == DG_JTRUE ? "true" : "false",
                 dg_val_type(v) == DG_JTRUE ? 4 : 5);
    else if (size)
        buf[0] = '\0';
    return buf;
}

static bool scalar(dg_val_t v)
{
    dg_jtype_t t = dg_val_type(v);

    return !dg_val_absent(v) && t != DG_JOBJECT && t != DG_JARRAY && t != DG_JNULL;
}

/* The value of key @name in @elem as text; an absent protocol reads "TCP". */
static bool key_text(dg_val_t elem, const char *name, char *buf, size_t size)
{
    dg_val_t v = dg_val_get(elem, name);

    if (dg_val_absent(v) && strcmp(name, "protocol") == 0) {
        snprintf(buf, size, "TCP");
        return true;
    }
    if (!scalar(v))
        return false;
    dg_norm_scalar_text(v, buf, size);
    return true;
}

void dg_norm_merge_key(const char *field, dg_val_t elem, dg_mergekey_t *key)
{
    const char *first = NULL;

    key->n = 0;
    if (dg_val_type(elem) != DG_JOBJECT)
        return;
    if (dg_val_type(dg_val_get(elem, "name")) == DG_JSTRING)
        first = "name";
    else if (strcmp(field, "ports") == 0 && !dg_val_absent(dg_val_get(elem, "port")))
        first = "port";
    else if (strcmp(field, "ports") == 0 && !dg_val_absent(dg_val_get(elem, "containerPort")))
        first = "containerPort";
    if (first == NULL || !key_text(elem, first, key->vals[0], DG_NORM_KEY_LEN))
        return;
    key->names[0] = first;
    key->n = 1;
    if (strcmp(first, "name") != 0) { /* a port is unique per protocol */
        key->names[1] = "protocol";
        key->n += key_text(elem, "protocol", key->vals[1], DG_NORM_KEY_LEN);
    }
}

bool dg_norm_key_matches(const char *field, dg_val_t elem, const char *name, const char *val)
{
    char buf[DG_NORM_KEY_LEN];

    (void)field;
    return dg_val_type(elem) == DG_JOBJECT && key_text(elem, name, buf, sizeof buf) &&
           strcmp(buf, val) == 0;
}

/* ---- quantities --------------------------------------------------------------- */

/* A resource.Quantity: a signed decimal number, then a binary (Ki..Ei),
 * decimal (n u m k M G T P E) or exponent (e3) suffix. */
static bool quantity_value(dg_val_t v, long double *out)
{
    static const struct {
        const char *s;
        long double mul;
    } suffixes[] = {
        {"Ki", 1024.0L}, {"Mi", 1048576.0L}, {"Gi", 1073741824.0L},
        {"Ti", 1099511627776.0L}, {"Pi", 1125899906842624.0L}, {"Ei", 1152921504606846976.0L},
        {"n", 1e-9L}, {"u", 1e-6L}, {"m", 1e-3L}, {"", 1.0L}, {"k", 1e3L},
        {"M", 1e6L}, {"G", 1e9L}, {"T", 1e12L}, {"P", 1e15L}, {"E", 1e18L},
    };
    const char *s, *p;
    char *end;
    long double num;
    double d;
    size_t len;

    if (dg_val_number(v, &d)) {
        *out = (long double)d;
        return true;
    }
    s = dg_val_str(v, &len);
    if (s == NULL || *s == '\0')
        return false;
    for (p = s; *p == '+' || *p == '-'; p++)
        ;
    if (!((*p >= '0' && *p <= '9') || *p == '.'))
        return false;
    num = strtold(s, &end);
    if (end == s)
        return false;
    /* strtold reads "1e3" itself; a trailing "E" alone is the exa suffix. */
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        if (strcmp(end, suffixes[i].s) == 0) {
            *out = num * suffixes[i].mul;
            return isfinite(*out);
        }
    }
    return false;
}

bool dg_norm_quantity_equal(dg_val_t a, dg_val_t b)
{
    long double x, y, scale;

    if (!quantity_value(a, &x) || !quantity_value(b, &y))
        return false;
    scale = fabsl(x) > fabsl(y) ? fabsl(x) : fabsl(y);
    return fabsl(x - y) <= scale * 1e-15L;
}
