/* cli/ctl_gate.c: the admission gate in front of a release, as the API
 * server sees it: driftgate's ValidatingWebhookConfiguration, its failure
 * policy, whether its caBundle verifies the certificate driftgate serves
 * (asked of driftgate itself with curl, as the API server would ask), and
 * whether the gate's policy names deployers (DESIGN.md "Trust": without
 * them anyone who can write Helm's records can release).
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "ctl.h"

/* curl's exit statuses that mean the certificate was looked at and refused:
 * 60 (peer certificate or name not verified), 51 (name, older curl), 77
 * (the CA file itself is unusable). */
static bool refused(int status)
{
    return status == 60 || status == 51 || status == 77;
}

/* ---- the configuration ------------------------------------------------------------------ */

/* The webhook named @name in any ValidatingWebhookConfiguration of @list;
 * *@config gets its configuration. Borrowed from @list. */
static const json_t *find_webhook(const json_t *list, const char *name, const json_t **config)
{
    const json_t *item, *wh;
    size_t i, j;

    json_array_foreach(json_object_get(list, "items"), i, item) {
        json_array_foreach(json_object_get(item, "webhooks"), j, wh) {
            const char *n = json_string_value(json_object_get(wh, "name"));

            if (n && strcmp(n, name) == 0) {
                *config = item;
                return wh;
            }
        }
    }
    return NULL;
}

static bool has_webhook(const json_t *config, const char *name)
{
    const json_t *wh;
    size_t i;

    json_array_foreach(json_object_get(config, "webhooks"), i, wh) {
        const char *n = json_string_value(json_object_get(wh, "name"));

        if (n && strcmp(n, name) == 0)
            return true;
    }
    return false;
}

/* Where the API server calls driftgate, and where to ask for its
 * certificate: the same host and port, at /healthz (open to any caller). */
static void endpoint(const json_t *cc, ctl_gate_t *g, char *probe, size_t size)
{
    const char *url = json_string_value(json_object_get(cc, "url"));
    const json_t *svc = json_object_get(cc, "service");

    json_int_t port = json_integer_value(json_object_get(svc, "port"));
    const char *ns = json_string_value(json_object_get(svc, "namespace"));
    const char *name = json_string_value(json_object_get(svc, "name"));

    if (url) {
        const char *host = strstr(url, "://");
        const char *path = host ? strchr(host + 3, '/') : NULL;

        snprintf(g->endpoint, sizeof g->endpoint, "%s", url);
        snprintf(probe, size, "%.*s/healthz", (int)(path ? path - url : (long)strlen(url)), url);
        return;
    }
    snprintf(g->endpoint, sizeof g->endpoint, "service %s/%s:%lld", ns ? ns : "?",
             name ? name : "?", (long long)(port ? port : 443));
    snprintf(probe, size, "https://%s.%s.svc:%lld/healthz", name ? name : "?", ns ? ns : "?",
             (long long)(port ? port : 443));
}

/* ---- the caBundle against the served certificate ---------------------------------------- */

/* @pem into a temporary file; @path gets its name. */
static int write_temp(const char *pem, size_t len, char *path, size_t size)
{
    const char *dir = getenv("TMPDIR");
    int fd;
    bool ok;

    snprintf(path, size, "%s/driftctl-ca.XXXXXX", dir && dir[0] ? dir : "/tmp");
    if ((fd = mkstemp(path)) < 0)
        return -1;
    ok = write(fd, pem, len) == (ssize_t)len;
    close(fd);
    if (!ok)
        unlink(path);
    return ok ? 0 : -1;
}

/* The first line curl wrote on stderr, without its "curl: (60) " prefix,
 * into @line. */
static const char *curl_said(const dg_buf_t *said, char *line, size_t size)
{
    const char *p;

    snprintf(line, size, "%s", said->data ? said->data : "");
    line[strcspn(line, "\n")] = '\0';
    p = strstr(line, ") ");
    return p && strncmp(line, "curl: (", 7) == 0 ? p + 2 : line;
}

static void verify_ca(const json_t *cc, const char *probe, ctl_gate_t *g)
{
    const char *b64 = json_string_value(json_object_get(cc, "caBundle"));
    const char *curl = ctl_tool(NULL, "CURL", "curl");
    char *pem = NULL, file[512] = "", line[300];
    size_t len = 0;
    dg_buf_t said;
    int status = 0;
    dg_err_t e = {0};

    dg_buf_init(&said, 4096);
    if (b64 == NULL || b64[0] == '\0') {
        g->view.ca_verifies = DG_UNKNOWN;
        snprintf(g->ca_detail, sizeof g->ca_detail, "no caBundle: the API server trusts its "
                 "own roots, or cert-manager has not injected one yet");
        goto out;
    }
    if (dg_codec_base64_decode(b64, strlen(b64), &pem, &len, "caBundle", &e) ||
        write_temp(pem, len, file, sizeof file)) {
        g->view.ca_verifies = e.code ? DG_NO : DG_UNKNOWN;
        snprintf(g->ca_detail, sizeof g->ca_detail, "%s",
                 e.code ? "caBundle is not base64" : "cannot write a temporary file");
        goto out;
    }
    {
        const char *argv[] = {curl, "-sS", "-o", "/dev/null", "--noproxy", "*",
                              "--connect-timeout", "3", "--max-time", "5", "--cacert", file,
                              probe, NULL};

        if (ctl_exec_status((char *const *)argv, NULL, &said, &status, &e)) {
            g->view.ca_verifies = DG_UNKNOWN;
            snprintf(g->ca_detail, sizeof g->ca_detail, "cannot run %s to ask driftgate", curl);
            goto out;
        }
    }
    g->view.ca_verifies = status == 0 ? DG_YES : refused(status) ? DG_NO : DG_UNKNOWN;
    if (status == 0)
        snprintf(g->ca_detail, sizeof g->ca_detail, "checked against %s", probe);
    else if (refused(status))
        snprintf(g->ca_detail, sizeof g->ca_detail, "%s: %s", probe,
                 curl_said(&said, line, sizeof line));
    else
        snprintf(g->ca_detail, sizeof g->ca_detail, "%s is not reachable from here: %s", probe,
                 curl_said(&said, line, sizeof line));
out:
    if (file[0])
        unlink(file);
    free(pem);
    dg_buf_free(&said);
}

/* ---- deployers --------------------------------------------------------------------------- */

/* From the policy ConfigMap the chart mounts (<release>-policy in
 * driftgate's namespace), else from the helm-records webhook the chart
 * registers only when the policy names deployers. */
static void deployers(const ctl_gate_opts_t *o, const json_t *config, const json_t *cc,
                      ctl_gate_t *g)
{
    const char *ns = json_string_value(json_object_get(json_object_get(cc, "service"), "namespace"));
    const char *text;
    char name[300], records[300];
    const char *args[] = {"configmap", name, "--namespace", ns ? ns : o->policy_ns,
                          "--ignore-not-found", "-o", "json", NULL};
    json_t *cm = NULL;
    dg_policy_t *pol = NULL;
    dg_err_t e = {0};

    snprintf(name, sizeof name, "%s-policy", g->configuration);
    snprintf(records, sizeof records, "helm-records.%s", g->webhook);
    text = ctl_kubectl_json(o->kube, args, &cm, &e) == 0
               ? json_string_value(json_object_get(json_object_get(cm, "data"), "policy.yaml"))
               : NULL;
    if (text && (pol = dg_policy_parse(text, strlen(text), name, &e)) != NULL) {
        g->view.deployers = dg_policy_has_deployers(pol) ? DG_YES : DG_NO;
        snprintf(g->deployers_detail, sizeof g->deployers_detail, "policy ConfigMap %s/%s %s",
                 args[3], name,
                 dg_policy_has_deployers(pol)
                     ? "names them"
                     : "names none: anyone who can write Secrets and ConfigMaps in the "
                       "release's namespace can release");
    } else if (has_webhook(config, records)) {
        g->view.deployers = DG_YES;
        snprintf(g->deployers_detail, sizeof g->deployers_detail,
                 "webhook %s is registered, as the chart does when the policy names them",
                 records);
    } else {
        g->view.deployers = DG_UNKNOWN;
        snprintf(g->deployers_detail, sizeof g->deployers_detail,
                 "no policy ConfigMap %s/%s to read%s%s", args[3], name, e.code ? ": " : "",
                 e.code ? e.msg : "");
    }
    dg_policy_free(&pol);
    json_decref(cm);
}

int ctl_gate_inspect(const ctl_gate_opts_t *o, ctl_gate_t *g, dg_err_t *err)
{
    const char *args[] = {"validatingwebhookconfigurations", "-o", "json", NULL};
    const json_t *config = NULL, *wh, *cc;
    json_t *list = NULL;
    char probe[700];
    dg_err_t e = {0};

    memset(g, 0, sizeof *g);
    g->view.checked = true;
    snprintf(g->webhook, sizeof g->webhook, "%s", o->webhook);
    g->view.webhook = g->webhook;
    /* Not being allowed to look is something to say, not a failure. */
    if (ctl_kubectl_json(o->kube, args, &list, &e)) {
        if (e.code == DG_ENOMEM)
            return dg_err_set(err, DG_ENOMEM, "out of memory");
        snprintf(g->note, sizeof g->note, "cannot list ValidatingWebhookConfigurations: %s",
                 e.msg);
        g->view.note = g->note;
        return 0;
    }
    wh = find_webhook(list, o->webhook, &config);
    if (wh) {
        const char *name = json_string_value(json_object_get(json_object_get(config, "metadata"),
                                                             "name"));
        const char *fp = json_string_value(json_object_get(wh, "failurePolicy"));

        cc = json_object_get(wh, "clientConfig");
        snprintf(g->configuration, sizeof g->configuration, "%s", name ? name : "?");
        /* The API server's default when the configuration says none. */
        snprintf(g->failure_policy, sizeof g->failure_policy, "%s", fp ? fp : "Fail");
        endpoint(cc, g, probe, sizeof probe);
        verify_ca(cc, probe, g);
        deployers(o, config, cc, g);
        g->view.configuration = g->configuration;
        g->view.failure_policy = g->failure_policy;
        g->view.endpoint = g->endpoint;
        g->view.ca_detail = g->ca_detail;
        g->view.deployers_detail = g->deployers_detail;
    }
    json_decref(list);
    return 0;
}
