#!/usr/bin/env bash
# tests/deploy/run.sh SRCDIR: driftgate's chart, rendered by the real helm:
# lint, the committed plain manifests are fresh, and what the install
# promises (hardening, the webhook's scope and exclusions, least-privilege
# RBAC, values that change them, and refusals of bad values). The e2e suite
# applies the same renders to a real API server.
set -uo pipefail
src=${1:?usage: run.sh SRCDIR DRIFTCTL}
ctl=${2:?usage: run.sh SRCDIR DRIFTCTL}
chart=$src/deploy/chart/driftgate
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scratch=$tmp
# shellcheck source=../lib.sh
. "$src/tests/lib.sh"
command -v helm >/dev/null || { echo "deploy: helm is not on PATH (scripts/tools.sh fetches it)" >&2; exit 1; }

render() { helm template driftgate "$chart" --namespace driftgate-system "$@" 2>"$tmp/err"; }
checks=$((checks + 1))
helm lint "$chart" >"$tmp/lint" 2>&1 || fail "helm lint: $(cat "$tmp/lint")"
checks=$((checks + 1))
HELM=helm "$src/deploy/render.sh" 2>/dev/null && cp "$src/deploy/manifests/driftgate.yaml" "$tmp/fresh.yaml"
git -C "$src" diff --quiet -- deploy/manifests 2>/dev/null ||
    fail "deploy/manifests/driftgate.yaml is stale: run deploy/render.sh and commit it"

all=$(cat "$src/deploy/manifests/driftgate.yaml")
for k in Namespace ServiceAccount ClusterRole ClusterRoleBinding Deployment PodDisruptionBudget Service \
    ValidatingWebhookConfiguration; do
    has "manifests" "$all" "kind: $k"
done
has "webhook" "$all" "name: validate.driftgate.io" "matchPolicy: Equivalent" "sideEffects: None" \
    "admissionReviewVersions: [v1]" "timeoutSeconds: 5" "failurePolicy: Fail" \
    "resources: [horizontalpodautoscalers]" "resources: [services]" \
    "resources: [deployments, statefulsets, daemonsets]" \
    "resources: [deployments/scale, statefulsets/scale]" \
    "operations: [CREATE, UPDATE, DELETE]" "- kube-system" "- driftgate-system" "key: driftgate.io/ignore" \
    "operator: DoesNotExist" "path: /validate" "--baseline-namespace=driftgate-system"
lacks "no records webhook without deployers" "$all" "helm-records.validate.driftgate.io"

# The webhook's rules send every kind a policy governs, CREATE, UPDATE and
# DELETE (the built-in policy and the example), and nothing is left out.
routed() { # the rendered webhook rules as resource.group lines
    python3 -c '
import sys, yaml
for d in yaml.safe_load_all(sys.stdin):
    if d and d.get("kind") == "ValidatingWebhookConfiguration":
        for w in d["webhooks"]:
            if w.get("objectSelector"): continue
            for r in w["rules"]:
                if set(r["operations"]) != {"CREATE", "UPDATE", "DELETE"}: continue
                for g in r["apiGroups"]:
                    for res in r["resources"]:
                        print(res + ("." + g if g else ""))' | sort -u
}
for pol in "" "$src/examples/policy.yaml"; do
    checks=$((checks + 1))
    want=$("$ctl" policy kinds ${pol:+--policy "$pol"} | sort -u)
    got=$(printf '%s\n' "$all" | routed)
    missing=$(comm -23 <(printf '%s\n' "$want") <(printf '%s\n' "$got"))
    [ -z "$missing" ] || fail "webhook rules miss governed kinds ${pol:-(built-in policy)}: $missing"
done
has "deployment" "$all" "replicas: 2" "podAntiAffinity:" "runAsNonRoot: true" "readOnlyRootFilesystem: true" \
    "allowPrivilegeEscalation: false" "drop: [ALL]" "type: RuntimeDefault" "path: /readyz" "path: /healthz" \
    "scheme: HTTPS" "--in-cluster" "--fail-closed" "minAvailable: 1" \
    "--metrics-listen=:9090" "--console-listen=127.0.0.1:8080" "--shutdown-delay=5" \
    "command: [/bin/sleep, \"5\"]" "terminationGracePeriodSeconds: 30" "kind: NetworkPolicy" \
    "policyTypes: [Ingress]" "- {port: 8443, protocol: TCP}" "- {port: 9090, protocol: TCP}"
lacks "the console is never exposed" "$all" "containerPort: 8080"
lacks "no client auth by default" "$all" "--client-ca"
out=$(render --set clientAuth.enabled=true --set clientAuth.caConfigMap=apiserver-ca \
    --set 'clientAuth.allowedNames={kube-apiserver,apiserver-webhook-client}')
has "client auth" "$out" "--client-ca=/etc/driftgate/client-ca/ca.crt" \
    "--client-allowed-names=kube-apiserver,apiserver-webhook-client" "name: apiserver-ca"
checks=$((checks + 1))
render --set clientAuth.enabled=true >/dev/null && fail "client auth without a CA ConfigMap rendered"
has "client auth needs its CA" "$(cat "$tmp/err")" "clientAuth.caConfigMap is required"
has "rbac" "$all" "resources: [configmaps]" "verbs: [get, list, watch]" '["horizontalpodautoscalers"]'
lacks "rbac without the Secret driver" "$all" "resources: [secrets]"
lacks "rbac is read-only" "$all" "update"
# The one write: Events, create and patch (a repeat's series), on events.k8s.io only.
has "rbac: Events" "$all" "apiGroups: [events.k8s.io]" "verbs: [create, patch, list]" "--events-qps=5" \
    "fieldPath: metadata.name"
[ "$(grep -c 'verbs: \[create' <<<"$all")" -eq 1 ] || fail "rbac: create granted on more than Events"
checks=$((checks + 1))
out=$(render --set events.enabled=false)
has "events off" "$out" "--no-events"
lacks "events off: no Events RBAC" "$out" "events.k8s.io"

out=$(render --set helmSecrets=true --set webhook.failurePolicy=Ignore --set failOpen=true \
    --set webhook.url=https://127.0.0.1:8443/validate --set webhook.caBundle=Q0E= \
    --set-file policy="$src/examples/policy.yaml")
has "values" "$out" "resources: [secrets]" "--helm-secrets" "failurePolicy: Ignore" "--fail-open" \
    "url: https://127.0.0.1:8443/validate" "caBundle: Q0E=" "--policy=/etc/driftgate/policy/policy.yaml" \
    "name: driftgate-policy" "breakGlass:"
lacks "url replaces the service" "$out" "      service:"
# Deployers named in the policy: Helm's records are routed to driftgate too.
printf '%s\n' "$(cat "$src/examples/policy.yaml")" "  deployers:" "    serviceAccounts: [ci/helm]" >"$tmp/deployers.yaml"
out=$(render --set-file policy="$tmp/deployers.yaml")
has "records webhook with deployers" "$out" "name: helm-records.validate.driftgate.io" "objectSelector:" \
    "owner: helm" "resources: [configmaps, secrets]"
out=$(render --set baselineNamespace=platform-baselines)
has "baselineNamespace" "$out" "--baseline-namespace=platform-baselines"
out=$(render --set certManager.enabled=true)
has "cert-manager" "$out" "cert-manager.io/inject-ca-from: driftgate-system/driftgate" "kind: Certificate" \
    "driftgate.driftgate-system.svc" "isCA: true" "secretName: driftgate-tls"
out=$(render --set tls.create=true --set tls.crt=Y3J0 --set tls.key=a2V5)
has "tls secret" "$out" "type: kubernetes.io/tls" "tls.crt: Y3J0"

checks=$((checks + 1))
render --set webhook.name=driftgate.io >/dev/null && fail "a two-segment webhook name was accepted"
has "webhook name refusal" "$(cat "$tmp/err")" "webhook.name must have at least three dot-separated segments"
checks=$((checks + 1))
render --set webhook.failurePolicy=Sometimes >/dev/null && fail "failurePolicy Sometimes was accepted"
has "failurePolicy refusal" "$(cat "$tmp/err")" "webhook.failurePolicy must be Fail or Ignore"
checks=$((checks + 1))
render --set tls.create=true >/dev/null && fail "tls.create without a certificate was accepted"

summary deploy
