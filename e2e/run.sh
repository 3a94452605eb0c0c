#!/usr/bin/env bash
# e2e/run.sh BUILD_DIR: the whole mission against a real control plane on
# loopback: etcd and kube-apiserver built from their Go modules (e2e/build.sh,
# cached), an audit log written with deploy/audit-policy.yaml, the real helm
# and kubectl, and driftgate run locally with real TLS and registered by URL
# with the chart's own ValidatingWebhookConfiguration. Every scenario asserts
# what kubectl printed, what the API server stored and what the audit log
# holds. With RECORD=1 the measurements are added to bench/RESULTS.md.
set -uo pipefail
build=$(cd "${1:-build}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
t_start=$(date +%s)
work=$(mktemp -d /tmp/driftgate-e2e.XXXXXX)
scratch=$work
# shellcheck source=../tests/lib.sh
. "$root/tests/lib.sh"
pids=()

cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    # E2E_KEEP_AUDIT=FILE keeps the API server's audit log (timeline fixtures
    # and the timeline benchmark are made from it).
    if [ -n "${E2E_KEEP_AUDIT:-}" ] && [ -f "$work/audit.log" ]; then
        cp "$work/audit.log" "$E2E_KEEP_AUDIT" && echo "e2e: audit log kept in $E2E_KEEP_AUDIT"
    fi
    if [ "$fails" -ne 0 ]; then
        for f in driftgate apiserver etcd; do
            echo "---- last lines of $f.log" >&2
            tail -n 15 "$work/$f.log" >&2
        done
    fi
    rm -rf "$work"
}
trap cleanup EXIT
step() { echo "== $*"; }

# shellcheck source=cluster.sh
. "$root/e2e/cluster.sh"

# ---- the control plane's PKI, and the API server's identity towards webhooks ----------
cluster_pki
# AdmissionConfiguration's kubeConfigFile: driftgate requires this
# certificate, by CA, clientAuth and name.
sign webhook-client /CN=apiserver-webhook-client 'extendedKeyUsage=clientAuth\n'
cat >"$work/webhook-kubeconfig.yaml" <<EOF
apiVersion: v1
kind: Config
users:
- name: "127.0.0.1:$gate_port"
  user: {client-certificate: "$pki/webhook-client.crt", client-key: "$pki/webhook-client.key"}
EOF
cat >"$work/admission.yaml" <<EOF
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: ValidatingAdmissionWebhook
  configuration:
    apiVersion: apiserver.config.k8s.io/v1
    kind: WebhookAdmissionConfiguration
    kubeConfigFile: "$work/webhook-kubeconfig.yaml"
EOF
# driftgate's serving pair, before the API server starts: its audit webhook
# backend trusts driftgate's CA bundle from a file read once at start.
"$root/certs/driftgate-certs" init --dir "$work/tls" --ip 127.0.0.1 2>/dev/null
bundle=$("$root/certs/driftgate-certs" bundle --dir "$work/tls")
# The audit webhook backend: every audit event also goes to driftgate's
# POST /audit, with the same client certificate as the admission calls.
cat >"$work/audit-webhook-kubeconfig.yaml" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: driftgate
  cluster: {server: "https://127.0.0.1:$gate_port/audit", certificate-authority: "$work/tls/ca-bundle.crt"}
users:
- name: kube-apiserver
  user: {client-certificate: "$pki/webhook-client.crt", client-key: "$pki/webhook-client.key"}
contexts:
- name: driftgate
  context: {cluster: driftgate, user: kube-apiserver}
current-context: driftgate
EOF
cluster_apiserver_args=(--admission-control-config-file="$work/admission.yaml"
    --audit-webhook-config-file="$work/audit-webhook-kubeconfig.yaml" --audit-webhook-batch-max-wait=1s)

# ---- etcd and kube-apiserver ---------------------------------------------------------
step "control plane: $("$cp_bin/kube-apiserver" --version), etcd $("$cp_bin/etcd" --version | awk 'NR == 1 {print $3}')"
cluster_start || { fail "the control plane did not start"; exit 1; }
step "control plane ready in ${cp_ready}s"
audit() { # JQ FILTER over the audit events
    jq -c "select(.stage == \"ResponseComplete\") | $1" "$work/audit.log"
}
ann() { printf '%s' "$1" | jq -r --arg k "validate.driftgate.io/$2" '.annotations[$k] // empty'; }

# ---- driftgate, with certificates from certs/driftgate-certs (made above) --------------
gate_pid=
gate_policy=$root/examples/policy.yaml
gate_extra=()
start_gate() {
    "$build/driftgate" "${gate_listen[@]}" --tls-cert "$work/tls/tls.crt" \
        --tls-key "$work/tls/tls.key" --kubeconfig "$KUBECONFIG" --helm-secrets \
        --client-ca "$pki/ca.crt" --client-allowed-names apiserver-webhook-client --shutdown-delay 0 \
        --baseline-namespace driftgate-system \
        --policy "$gate_policy" --audit-interval 2 "${gate_extra[@]}" 2>>"$work/driftgate.log" &
    gate_pid=$!
    pids+=("$gate_pid")
    wait_for 30 gate /readyz -f
}
as_apiserver=(--cert "$pki/webhook-client.crt" --key "$pki/webhook-client.key")
register() { # FAILURE_POLICY: the chart's webhook configuration, pointed at this driftgate
    helm template driftgate "$root/deploy/chart/driftgate" --namespace driftgate-system \
        --show-only templates/webhook.yaml --set webhook.failurePolicy="$1" --set-file policy="$gate_policy" \
        --set webhook.url="https://127.0.0.1:$gate_port/validate" --set webhook.caBundle="$bundle" |
        kubectl apply -f - >/dev/null
}
start_gate || { fail "driftgate did not become ready"; exit 1; }
# The API server picks a webhook configuration up asynchronously: probe with
# an UPDATE that changes nothing governed (a label on the API server's own
# Service) until it reaches driftgate, or passes, or is refused.
probe() { kubectl label svc kubernetes -n default "driftgate-probe=$RANDOM" --overwrite; }
# gate_down_open NAME: failurePolicy Ignore, driftgate stopped (SIGTERM), and
# waited for until the API server lets changes through unjudged.
gate_down_open() {
    register Ignore
    kill -TERM "$gate_pid"
    wait "$gate_pid" 2>/dev/null
    eq "$1: driftgate exits 0 on SIGTERM" "$?" 0
    checks=$((checks + 1))
    wait_for 30 probe >/dev/null 2>&1 || fail "$1: failurePolicy Ignore never took effect"
}
judged() { local before=$1; [ "$(gate /api/v1/decisions | jq .total)" -gt "$before" ]; }
probe_judged() { local n; n=$(gate /api/v1/decisions | jq .total); probe >/dev/null 2>&1 && judged "$n"; }
probe_refused() { ! probe >/dev/null 2>&1; }
register Fail
wait_for 30 probe_judged || fail "the API server never called driftgate"
# Only the API server's certificate is let in: not another client
# certificate from the same CA, not no certificate at all.
decisions_now=$(gate /api/v1/decisions | jq .total)
eq "no client certificate: 401" "$(gate /validate -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary @"$root/examples/reviews/hpa-floor-4.json")" 401
eq "the admin's client certificate: 401" "$(gate /validate -o /dev/null -w '%{http_code}' \
    --cert "$pki/admin.crt" --key "$pki/admin.key" -H 'Content-Type: application/json' \
    --data-binary @"$root/examples/reviews/hpa-floor-4.json")" 401
eq "refused callers are not recorded" "$(gate /api/v1/decisions | jq .total)" "$decisions_now"
eq "the console is not on the webhook port" "$(curl -s -o /dev/null -w '%{http_code}' "${as_apiserver[@]}" \
    --cacert "$work/tls/ca-bundle.crt" "https://127.0.0.1:$gate_port/api/v1/decisions")" 404

release() { gate /api/v1/releases | jq -c --arg n "$1" '.releases[] | select(.name == $n)'; }
release_has() { release "$1" | jq -e "$2" >/dev/null; }
hpa_min() { kubectl get hpa test-nginx -n sandbox-nginx -o jsonpath='{.spec.minReplicas}'; }
patch_min() { kubectl patch hpa test-nginx -n sandbox-nginx --type merge -p "{\"spec\":{\"minReplicas\":$1}}" "${@:2}"; }
denied='admission webhook "validate.driftgate.io" denied the request'

# ---- 1. helm install: driftgate lists the release baseline ------------------------------
step "1. helm install (configmap driver)"
run "helm install" 0 -- env HELM_DRIVER=configmap helm install test-nginx "$root/examples/charts/nginx" \
    -n sandbox-nginx --create-namespace --no-hooks
checks=$((checks + 1))
wait_for 15 release_has test-nginx '.revision == 1 and .origin == "helm"' ||
    fail "driftgate does not list test-nginx revision 1: $(gate /api/v1/releases)"
has "baseline objects" "$(release test-nginx)" '"hpa/test-nginx"' '"svc/test-nginx"' '"deploy/test-nginx"' \
    '"chart":"nginx-0.1.0"'

# ---- 2. the floor, lowered out of band: kubectl patch and kubectl edit --------------------
step "2. kubectl patch / kubectl edit hpa minReplicas 6 -> 4"
run "kubectl patch hpa" nonzero -- patch_min 4
has "patch denial" "$err" "$denied" "hpa/test-nginx spec.minReplicas" "desired 6, requested 4" \
    "release sandbox-nginx/test-nginx"
printf '#!/bin/sh\nsed -i "s/minReplicas: 6/minReplicas: 4/" "$1"\n' >"$work/edit-floor.sh"
chmod +x "$work/edit-floor.sh"
run "kubectl edit hpa" nonzero -- env EDITOR="$work/edit-floor.sh" kubectl edit hpa test-nginx -n sandbox-nginx
has "edit denial" "$err" "$denied" "desired 6, requested 4"
eq "stored floor after the denials" "$(hpa_min)" 6
ev=$(audit 'select(.objectRef.resource == "horizontalpodautoscalers" and .verb == "patch")' | tail -n 2)
eq "audit: both denials recorded" "$(printf '%s\n' "$ev" | jq -r '.annotations["validate.driftgate.io/decision"]' | sort -u)" deny
last=$(printf '%s\n' "$ev" | tail -n 1)
eq "audit: the release" "$(ann "$last" release)" sandbox-nginx/test-nginx
eq "audit: the rule" "$(ann "$last" rule)" hpa-bounds
has "audit: the variance" "$(ann "$last" variances)" "spec.minReplicas: 6 -> 4"
eq "audit: the status code" "$(printf '%s' "$last" | jq -r .responseStatus.code)" 403
has "audit: the message" "$(printf '%s' "$last" | jq -r .responseStatus.message)" "$denied"
# The same two denials as driftgate's audit backend heard them (within the
# backend's 1 s batch wait); kept for step 11: driftgate restarts before it,
# and its timeline lives in memory.
live_floor() { gate '/api/v1/timeline?namespace=sandbox-nginx&release=test-nginx' |
    jq -c '[.events[] | select(.object.resource == "horizontalpodautoscalers" and .decision == "deny")
        | {time, stage, verb, code, decision, variances}]'; }
live_has_floor() { [ "$(live_floor | jq length)" -ge 2 ]; }
checks=$((checks + 1))
wait_for 20 live_has_floor || fail "POST /audit: the denials never reached /api/v1/timeline: $(live_floor)"
live_floor=$(live_floor)
# Kubernetes Events: driftgate's DriftDenied on the HPA, posted after the
# answer on a thread of its own; the patch and the edit (same object, user
# and values) are one Event whose series counts both.
hpa_events() { kubectl events --for hpa/test-nginx -n sandbox-nginx 2>&1; }
events_show() { local o; o=$(hpa_events); grep -q -- "$1" <<<"$o"; }
ev_of() { # NS REASON NAME: driftgate's Events of that reason about NAME, as JSON
    kubectl get events.events.k8s.io -n "$1" -o json |
        jq -c --arg r "$2" --arg n "$3" '[.items[] | select(.reason == $r and .regarding.name == $n)]'; }
floor_series() { [ "$(ev_of sandbox-nginx DriftDenied test-nginx | jq '[.[] | .series.count // 1] | add')" = 2 ]; }
checks=$((checks + 1))
wait_for 20 events_show DriftDenied || fail "kubectl events shows no DriftDenied: $(hpa_events)"
has "kubectl events: the denial" "$(hpa_events)" "DriftDenied" "spec.minReplicas: desired 6, requested 4" \
    "release sandbox-nginx/test-nginx"
checks=$((checks + 1))
wait_for 20 floor_series || fail "the two denials are not one Event counting 2: $(ev_of sandbox-nginx DriftDenied test-nginx)"
floor_ev=$(ev_of sandbox-nginx DriftDenied test-nginx)
eq "Events: the two denials are one Event" "$(jq length <<<"$floor_ev")" 1
eq "Event: who reports it, and on what" "$(jq -r '.[0] | "\(.reportingController) \(.type) \(.action) \(.regarding.apiVersion) \(.regarding.kind) \(.regarding.uid != null)"' <<<"$floor_ev")" \
    "driftgate.io/driftgate Warning Deny autoscaling/v2 HorizontalPodAutoscaler true"

# ---- 3. a Service port; kubectl scale with and without an HPA ---------------------------
step "3. service port, kubectl scale"
run "service port change" nonzero -- kubectl patch svc test-nginx -n sandbox-nginx --type json \
    -p '[{"op":"replace","path":"/spec/ports/0/port","value":8080}]'
has "service denial" "$err" "$denied" "spec.ports[name=http].port" "desired 80, requested 8080"
eq "stored port" "$(kubectl get svc test-nginx -n sandbox-nginx -o jsonpath='{.spec.ports[0].port}')" 80
run "scale a Deployment its HPA drives" 0 -- kubectl scale deployment test-nginx -n sandbox-nginx --replicas=3
eq "stored replicas" "$(kubectl get deploy test-nginx -n sandbox-nginx -o jsonpath='{.spec.replicas}')" 3
run "helm install (secret driver), no HPA" 0 -- helm install plain-nginx "$root/examples/charts/nginx" \
    -n sandbox-plain --create-namespace --no-hooks --set autoscaling.enabled=false
checks=$((checks + 1))
wait_for 15 release_has plain-nginx '.revision == 1' ||
    fail "driftgate does not list the Secret-driver release: $(gate /api/v1/releases)"
has "secret-driver record" "$(release plain-nginx)" "sh.helm.release.v1.plain-nginx.v1"
run "scale a Deployment without an HPA" nonzero -- kubectl scale deployment plain-nginx -n sandbox-plain --replicas=5
has "scale denial" "$err" "$denied" "spec.replicas" "desired 2, requested 5"
eq "stored replicas (no HPA)" "$(kubectl get deploy plain-nginx -n sandbox-plain -o jsonpath='{.spec.replicas}')" 2
ev=$(audit 'select(.objectRef.subresource == "scale")' | tail -n 1)
eq "audit: scale subresource denial" "$(ann "$ev" decision)" deny

# ---- 4. a warn rule: allowed, and kubectl shows the warning ------------------------------
step "4. kubectl set image (warn)"
run "set image" 0 -- kubectl set image deployment/test-nginx nginx=nginx:1.28.0 -n sandbox-nginx
has "warning shown" "$err" "Warning: driftgate: deploy/test-nginx containers[name=nginx].image: desired nginx:1.27.3, requested nginx:1.28.0"
eq "stored image" "$(kubectl get deploy test-nginx -n sandbox-nginx -o jsonpath='{.spec.template.spec.containers[0].image}')" nginx:1.28.0
ev=$(audit 'select(.objectRef.resource == "deployments" and .verb == "patch")' | tail -n 1)
eq "audit: warn" "$(ann "$ev" decision)" warn
run "set the image back (reconcile)" 0 -- kubectl set image deployment/test-nginx nginx=nginx:1.27.3 -n sandbox-nginx

# ---- 5. helm upgrade is Helm doing its job; afterwards 8 is the baseline ----------------------
step "5. helm upgrade --set autoscaling.minReplicas=8"
run "helm upgrade" 0 -- env HELM_DRIVER=configmap helm upgrade test-nginx "$root/examples/charts/nginx" \
    -n sandbox-nginx --no-hooks --set autoscaling.minReplicas=8
eq "stored floor after the upgrade" "$(hpa_min)" 8
ev=$(audit 'select(.objectRef.resource == "horizontalpodautoscalers" and .verb == "patch")' | tail -n 1)
eq "audit: helm's own change" "$(ann "$ev" decision)" helm-change
checks=$((checks + 1))
wait_for 15 release_has test-nginx '.revision == 2' || fail "baseline did not move to revision 2"
run "patch back to 6" nonzero -- patch_min 6
has "the new baseline is enforced" "$err" "$denied" "desired 8, requested 6"

# ---- 6. break-glass --------------------------------------------------------------------------
step "6. break-glass (--as, --as-group), expired, wrong group, --dry-run=server"
kubectl create clusterrole hpa-editor --verb=get,list,patch,update --resource=horizontalpodautoscalers >/dev/null
kubectl create clusterrolebinding hpa-editors --clusterrole=hpa-editor --group=sre-oncall --group=devs >/dev/null
soon=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
past=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
bg() { # USER GROUP EXPIRES MIN [kubectl args]
    kubectl patch hpa test-nginx -n sandbox-nginx --as="$1" --as-group="$2" --type merge \
        -p "{\"metadata\":{\"annotations\":{\"driftgate.io/break-glass\":\"INC-42 load test\",\"driftgate.io/break-glass-expires\":\"$3\"}},\"spec\":{\"minReplicas\":$4}}" "${@:5}"
}
run "break-glass, dry run" 0 -- bg alice sre-oncall "$soon" 5 --dry-run=server
dry_warn=$(grep -F "Warning:" <<<"$err")
eq "dry run stored nothing" "$(hpa_min)" 8
run "break-glass by sre-oncall" 0 -- bg alice sre-oncall "$soon" 5
has "break-glass warning" "$err" "Warning: driftgate:" "break-glass by alice"
eq "dry run warned the same" "$dry_warn" "$(grep -F "Warning:" <<<"$err")"
eq "stored floor after break-glass" "$(hpa_min)" 5
ev=$(audit 'select(.objectRef.resource == "horizontalpodautoscalers" and .impersonatedUser.username == "alice")' | tail -n 1)
eq "audit: break-glass decision" "$(ann "$ev" decision)" break-glass
eq "audit: break-glass reason" "$(ann "$ev" break-glass-reason)" "INC-42 load test"
eq "audit: break-glass user" "$(ann "$ev" break-glass-user)" alice
eq "audit: who impersonated" "$(printf '%s' "$ev" | jq -r .user.username)" e2e-admin
run "break-glass expired" nonzero -- bg bob sre-oncall "$past" 3
has "expired denial" "$err" "$denied"
run "break-glass, wrong group" nonzero -- bg mallory devs "$soon" 3
has "wrong-group denial" "$err" "$denied"
run "break-glass, wrong group, dry run" nonzero -- bg mallory devs "$soon" 3 --dry-run=server
has "dry run denies the same" "$err" "$denied"
eq "stored floor unchanged by refusals" "$(hpa_min)" 5
run "reconcile to the baseline, break-glass over" 0 -- kubectl patch hpa test-nginx -n sandbox-nginx --type merge \
    -p '{"metadata":{"annotations":{"driftgate.io/break-glass":null,"driftgate.io/break-glass-expires":null}},"spec":{"minReplicas":8}}'
eq "stored floor reconciled" "$(hpa_min)" 8

# ---- 7. a published baseline outranks the Helm record ------------------------------------------
step "7. driftctl render + publish --apply"
kubectl create namespace driftgate-system >/dev/null
run "driftctl render" 0 -- "$build/driftctl" render --chart "$root/examples/charts/nginx" --release test-nginx \
    -n sandbox-nginx --set autoscaling.minReplicas=7 -o "$work/approved.yaml"
run "driftctl publish --apply" 0 -- "$build/driftctl" publish --baseline "$work/approved.yaml" -n sandbox-nginx \
    --revision 3 --source "git:https://example.com/platform.git@abc123" --apply
has "kubectl applied it" "$out" "configmap/driftgate-baseline.sandbox-nginx.test-nginx serverside-applied"
checks=$((checks + 1))
wait_for 15 release_has test-nginx '.origin == "published" and .revision == 3' ||
    fail "the published baseline does not override the Helm record: $(release test-nginx)"
has "published digest" "$(release test-nginx)" "\"digest\":\"sha256:$(sha256sum "$work/approved.yaml" | cut -d' ' -f1)\""
run "patch to the Helm record's 8 is now drift" nonzero -- patch_min 6
has "published desired" "$err" "desired 7, requested 6"
run "patch to the published 7" 0 -- patch_min 7

# ---- a corrupt Helm record, and the API server going away and coming back ----------------------
step "7b. a corrupt Helm record; the API server restarted under driftgate"
kubectl create configmap sh.helm.release.v1.broken.v1 -n sandbox-nginx --from-literal=release='not base64!' >/dev/null
kubectl label configmap sh.helm.release.v1.broken.v1 -n sandbox-nginx owner=helm name=broken status=deployed \
    version=1 >/dev/null
logged() { grep -F "$1" "$work/driftgate.log"; }
checks=$((checks + 1))
wait_for 15 logged "sandbox-nginx/sh.helm.release.v1.broken.v1" || fail "the corrupt record is not logged by name"
checks=$((checks + 1))
[ -z "$(release broken)" ] || fail "a corrupt record became a baseline"
checks=$((checks + 1))
release_has test-nginx '.origin == "published" and .revision == 3' || fail "the store lost test-nginx: $(gate /api/v1/releases)"
kill -TERM "$apiserver_pid"
wait "$apiserver_pid" 2>/dev/null
checks=$((checks + 1))
wait_for 20 logged "Kubernetes API unreachable; serving the last good baselines" ||
    fail "driftgate did not notice the API server leaving"
checks=$((checks + 1))
release_has test-nginx '.revision == 3' || fail "baselines dropped while the API server is away"
run "judging while the API server is away" 0 -- gate /validate -H 'Content-Type: application/json' \
    --data-binary @"$root/examples/reviews/hpa-floor-4.json" "${as_apiserver[@]}"
eq "still denies" "$(printf '%s' "$out" | jq -r .response.status.message | grep -o 'desired 7, requested 4')" \
    "desired 7, requested 4"
start_apiserver || { fail "kube-apiserver did not come back"; exit 1; }
run "publish revision 4" 0 -- "$build/driftctl" publish --baseline "$work/approved.yaml" -n sandbox-nginx \
    --revision 4 --apply
checks=$((checks + 1))
wait_for 60 release_has test-nginx '.revision == 4' || fail "driftgate did not resume watching: $(release test-nginx)"

# ---- 8. driftgate down: failurePolicy Ignore, then Fail; restart --------------------------------
step "8. driftgate stopped: Ignore, Fail, restart"
gate_down_open "8. gate down"
run "Ignore: the change passes" 0 -- patch_min 2
eq "stored floor with the gate down" "$(hpa_min)" 2
run "driftctl capture" 0 -- "$build/driftctl" capture --baseline "$work/approved.yaml" -n sandbox-nginx \
    -o "$work/live.yaml"
has "capture says what it read" "$err" "captured 3 of 3 governed objects of release test-nginx" \
    "diff with --kinds svc,deploy,hpa"
run "diff of the capture" 2 -- "$build/driftctl" diff --baseline "$work/approved.yaml" --live "$work/live.yaml" \
    -n sandbox-nginx --kinds svc,deploy,hpa -o json
eq "the drift let through" "$(jq -c '[.variances[] | {path, desired, live}]' <<<"$out")" \
    '[{"path":"spec.minReplicas","desired":7,"live":2}]'
ev=$(audit 'select(.objectRef.resource == "horizontalpodautoscalers" and .verb == "patch")' | tail -n 1)
eq "audit: failed open" "$(printf '%s' "$ev" | jq -r '.annotations["failed-open.validating.webhook.admission.k8s.io/round_0_index_0"] // empty')" \
    validate.driftgate.io
register Fail
checks=$((checks + 1))
wait_for 30 probe_refused || fail "failurePolicy Fail never took effect"
run "Fail: the change is refused" nonzero -- patch_min 3
has "fail-closed message" "$err" 'failed calling webhook "validate.driftgate.io"'
eq "stored floor unchanged" "$(hpa_min)" 2
# While driftgate is down, jane, a namespace editor (the built-in `edit`
# role in sandbox-nginx), forges its record there: Events with driftgate's
# reportingController, reportingInstance and field manager and its
# annotations, copied from its genuine signed Event of the floor's denial.
# The built-in `view` and `edit` ClusterRoles are aggregated by
# kube-controller-manager, which this control plane does not run: aggregate
# them as that controller does (the union of the rules of the ClusterRoles
# their selectors match; `edit` includes `view`, so view first).
aggregate() { # CLUSTERROLE
    local sel
    for sel in $(kubectl get clusterrole "$1" -o json |
        jq -r '.aggregationRule.clusterRoleSelectors[].matchLabels | to_entries | map("\(.key)=\(.value)") | join(",")'); do
        kubectl get clusterroles -l "$sel" -o json | jq '[.items[] | (.rules // [])[]]'
    done | jq -s '{rules: add}' >"$work/$1-rules.json"
    kubectl patch clusterrole "$1" --type merge --patch-file "$work/$1-rules.json" >/dev/null
}
aggregate view
aggregate edit
kubectl create rolebinding jane-edit --clusterrole=edit --user=jane -n sandbox-nginx >/dev/null
jane() { kubectl --as=jane "$@"; }
# `edit` grants Events in the core group (not events.k8s.io): the same
# objects, which driftgate reads back through events.k8s.io/v1.
eq "jane may create Events in her namespace" "$(jane auth can-i create events -n sandbox-nginx)" yes
genuine=$(ev_of sandbox-nginx DriftDenied test-nginx | jq -c '[.[] | select(.note | contains("desired 6, requested 4"))][0]')
has "the floor's Event is signed" "$(jq -r '.metadata.annotations["driftgate.io/signature"]' <<<"$genuine")" "v1:"
forge() { # NAME JQ: jane creates a copy of the genuine Event named NAME, changed by JQ
    jq --arg n "$1" ".metadata.name = \$n | $2 | {apiVersion: \"v1\", kind: \"Event\",
        metadata: {name: .metadata.name, namespace: .metadata.namespace, annotations: .metadata.annotations},
        eventTime, reportingComponent: .reportingController, reportingInstance, action, reason, type,
        message: .note, involvedObject: .regarding}" <<<"$genuine" >"$work/forged.json"
    jane create -f "$work/forged.json" --field-manager=driftgate
}
forged_note='HorizontalPodAutoscaler test-nginx spec.minReplicas: desired 6, requested 1 by forged-by-jane (release sandbox-nginx/test-nginx)'
run "forge: a denial, the signature copied" 0 -- forge test-nginx.forged-deny \
    ".note = \"$forged_note\" | .metadata.annotations += {\"driftgate.io/user\": \"forged-by-jane\",
    \"driftgate.io/variances\": \"spec.minReplicas: 6 -> 1\"}"
run "forge: a reconcile, unsigned" 0 -- forge test-nginx.forged-reconcile \
    ".note = \"$forged_note\" | .reason = \"DriftReconciled\" | .action = \"Reconcile\" | .type = \"Normal\" |
    .metadata.annotations += {\"driftgate.io/user\": \"forged-by-jane\", \"driftgate.io/decision\": \"reconcile\"} |
    del(.metadata.annotations[\"driftgate.io/signature\"])"
run "forge: the genuine Event copied, its note changed" 0 -- forge test-nginx.forged-copy '.note += " (edited)"'
# What the old checks believed: each forgery passes every one of them.
eq "forged Events carry driftgate's controller, instance and field manager" "$(kubectl get events.events.k8s.io -n sandbox-nginx -o json --show-managed-fields |
    jq -c --argjson g "$genuine" '[.items[] | select(.metadata.name | startswith("test-nginx.forged-"))
    | [.reportingController, .reportingInstance == $g.reportingInstance, ([.metadata.managedFields[].manager] | index("driftgate") != null)]]')" \
    '[["driftgate.io/driftgate",true,true],["driftgate.io/driftgate",true,true],["driftgate.io/driftgate",true,true]]'
# The series is not signed (driftgate patches it on every repeat): jane
# may move a genuine Event's, and the rebuild keeps its time at most now.
run "jane moves the genuine Event's series into 2099" 0 -- jane patch event "$(jq -r .metadata.name <<<"$genuine")" \
    -n sandbox-nginx --type merge -p '{"series":{"count":99,"lastObservedTime":"2099-01-01T00:00:00.000000Z"}}'
start_gate || fail "driftgate did not become ready after restart"
# Restarted, driftgate's timeline is not blank: it is rebuilt from its own
# Events (the denials since step 2; userAgent driftgate/event).
rebuilt() { gate '/api/v1/timeline?namespace=sandbox-nginx&release=test-nginx' |
    jq -c '[.events[] | select(.userAgent == "driftgate/event")]'; }
has_rebuilt() { [ "$(rebuilt | jq '[.[] | select(.decision == "deny" and .object.resource == "horizontalpodautoscalers")] | length')" -ge 1 ]; }
checks=$((checks + 1))
wait_for 15 has_rebuilt || fail "after restart, /api/v1/timeline has no history: $(gate '/api/v1/timeline?namespace=sandbox-nginx&release=test-nginx')"
eq "restart: the floor's denial, rebuilt from its Event" "$(rebuilt | jq -c '[.[] | select(.object.resource == "horizontalpodautoscalers"
    and .decision == "deny" and .variances == [{"path": "spec.minReplicas", "desired": 6, "requested": 4}]) | "\(.stage) \(.code) \(.user)"] | .[0]')" \
    '"out-of-band-mutation 403 e2e-admin"'
# jane's forgeries are not believed; the genuine Event still is, once, at
# no later than now though its series says 2099; the three counted.
floor_rebuilt=$(rebuilt | jq -c '[.[] | select(.object.resource == "horizontalpodautoscalers"
    and .variances == [{"path": "spec.minReplicas", "desired": 6, "requested": 4}])]')
eq "restart: the floor's denial once (its copy with another note not believed)" "$(jq length <<<"$floor_rebuilt")" 1
[ "$(jq length <<<"$floor_rebuilt")" = 1 ] ||
    echo "rebuilt: $(rebuilt | jq -c '[.[] | [.time, .decision, .user, .variances]]'); $(grep 'not believed' "$work/driftgate.log")" >&2
eq "restart: its series moved to 2099, filed no later than now" \
    "$(jq -r '(.[0].time | sub("\\.[0-9]+"; "") | fromdateiso8601) <= (now | floor)' <<<"$floor_rebuilt")" true
eq "restart: nothing forged in the timeline" "$(gate '/api/v1/timeline?namespace=sandbox-nginx&release=test-nginx' |
    jq '[.events[] | select(.user == "forged-by-jane" or (.variances // [] | tostring | contains("\"requested\":1")))] | length')" 0
eq "restart: the forgeries counted as distrusted" "$(gate /metrics | awk '$1 == "driftgate_events_distrusted" {print $2}')" 3
# The continuous audit finds what went through while the gate was down.
floor_variance() { gate /api/v1/variances | jq -e --arg live "$1" '.variances[] |
    select(.object.name == "test-nginx" and .path == "spec.minReplicas" and (.live | tostring) == $live)'; }
checks=$((checks + 1))
wait_for 15 floor_variance 2 || fail "the audit does not report the floor at 2: $(gate /api/v1/variances)"
checks=$((checks + 1))
# (grep reads a variable, not curl's pipe: grep -q leaving early would make
# curl fail writing, and pipefail the check)
variances_counted() { local m; m=$(gate /metrics); grep -Eq '^driftgate_active_variances [1-9]' <<<"$m"; }
wait_for 15 variances_counted || fail "driftgate_active_variances is 0: $(gate /metrics | grep active_variances)"
# Its drift episode: started when first seen by this driftgate, or at the
# patch itself once the API server's audit backend (which retries a
# driftgate that was down) delivers it; who changed it (the field manager);
# and the oldest open episode's age per release.
eq "episode of the floor at 2" "$(floor_variance 2 | jq -c '.episode | [(.startedFrom | IN("first-seen", "audit-event")),
    .changedBy, .changedByFrom, (.started != null), (.lastSeen != null), .hold, .endedBy]')" \
    '[true,"kubectl-patch","field-manager",true,true,null,null]'
episode_metric() { local m; m=$(gate /metrics); grep -Eq '^driftgate_drift_episode_oldest_seconds\{namespace="sandbox-nginx",release="test-nginx"\} [0-9]' <<<"$m"; }
checks=$((checks + 1))
wait_for 10 episode_metric || fail "no driftgate_drift_episode_oldest_seconds for test-nginx: $(gate /metrics | grep episode)"
checks=$((checks + 1))
wait_for 15 events_show DriftDetected || fail "kubectl events shows no DriftDetected: $(hpa_events)"
run "after restart: enforcing again" nonzero -- patch_min 3
has "restart denial" "$err" "$denied" "desired 7, requested 3"
run "after restart: reconcile" 0 -- patch_min 7
checks=$((checks + 1))
floor_reconciled() { ! floor_variance 2; }
wait_for 15 floor_reconciled || fail "the reconciled floor is still reported as drift"
floor_ended() { gate /api/v1/variances | jq -e '[.endedEpisodes[] | select(.object | test("test-nginx"))
    | select(.path == "spec.minReplicas" and .endedBy == "reconciled" and .ended != null)] | length > 0' >/dev/null; }
checks=$((checks + 1))
wait_for 15 floor_ended || fail "the floor's episode did not end reconciled: $(gate /api/v1/variances | jq -c .endedEpisodes)"
checks=$((checks + 1))
wait_for 15 events_show DriftResolved || fail "kubectl events shows no DriftResolved: $(hpa_events)"
has "kubectl events: the reconcile" "$(hpa_events)" "DriftReconciled"

# ---- 9. the chart's plain manifests on this API server ----------------------------------------
step "9. kubectl apply --dry-run=server -f deploy/manifests/driftgate.yaml"
run "server-side dry run of the manifests" 0 -- kubectl apply --dry-run=server -f "$root/deploy/manifests/driftgate.yaml"
has "every object validated" "$out$err" "validatingwebhookconfiguration.admissionregistration.k8s.io/driftgate configured (server dry run)" \
    "deployment.apps/driftgate created (server dry run)" "poddisruptionbudget.policy/driftgate created (server dry run)" \
    "clusterrole.rbac.authorization.k8s.io/driftgate created (server dry run)"

# ---- the API server's view of the webhook's latency: 1,000 patches ----------------------------
step "burst: 1,000 patches through the webhook"
metric() { api /metrics | awk -v n="$1" 'index($0, n) == 1 && /name="validate.driftgate.io"/' ; }
gauge() { gate /metrics | awk -v n="$1" '$1 == n {print $2}'; }
# burst URL PATCH: 1,000 merge patches, 8 at a time, as the admin; sets
# burst_s, w_n/w_p50/w_p99 (the API server's webhook latency histogram,
# after - before, linear within a bucket) and g_n/g_p50/g_p99 (driftgate's
# own latency_ms for the same calls, from its log).
burst() {
    metric apiserver_admission_webhook_admission_duration_seconds_bucket >"$work/before"
    local log_lines t0
    log_lines=$(wc -l <"$work/driftgate.log")
    t0=$(date +%s.%N)
    seq 1000 | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' --cacert "$pki/ca.crt" \
        --cert "$pki/admin.crt" --key "$pki/admin.key" -X PATCH -H 'Content-Type: application/merge-patch+json' \
        -d "$2" "https://127.0.0.1:$apiserver_port$1" >"$work/codes"
    burst_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
    metric apiserver_admission_webhook_admission_duration_seconds_bucket >"$work/after"
    read -r w_n w_p50 w_p99 < <(awk '
        function le(l) { sub(/.*le="/, "", l); sub(/".*/, "", l); return l }
        FNR == NR { b[$1] = $2; next }
        { d[le($1)] += $2 - b[$1] }   # summed over the series (operation, rejected, ...)
        END {
            for (l in d) if (l == "+Inf") total = d[l]; else { bound[++n] = l + 0; cum[n] = d[l] }
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (bound[j] < bound[i]) {
                t = bound[i]; bound[i] = bound[j]; bound[j] = t; t = cum[i]; cum[i] = cum[j]; cum[j] = t }
            printf "%d", total
            split("0.5 0.99", qs, " ")
            for (k = 1; k <= 2; k++) {
                want = qs[k] * total; lo = 0; prev = 0
                for (i = 1; i <= n; i++) { if (cum[i] >= want) break; lo = bound[i]; prev = cum[i] }
                v = i > n ? bound[n] : lo + (bound[i] - lo) * (want - prev) / (cum[i] - prev > 0 ? cum[i] - prev : 1)
                printf " %.2f", v * 1000
            }
            printf "\n"
        }' "$work/before" "$work/after")
    tail -n +"$((log_lines + 1))" "$work/driftgate.log" |
        jq -Rr 'fromjson? | select(.msg == "admission decision") | .latency_ms' | sort -g >"$work/lat"
    read -r g_n g_p50 g_p99 < <(awk '{a[NR] = $1} END {i = int(NR * 0.5); j = int(NR * 0.99)
        if (i < 1) i = 1; if (j < 1) j = 1; printf "%d %.3f %.3f\n", NR, a[i], a[j]}' "$work/lat")
}
burst /apis/autoscaling/v2/namespaces/sandbox-nginx/horizontalpodautoscalers/test-nginx '{"spec":{"minReplicas":4}}'
eq "burst: every patch denied (403)" "$(sort -u "$work/codes" | tr '\n' ' ')" "403 "
eq "the API server counted the burst's webhook calls" "$w_n" 1000
eq "driftgate judged the burst" "$g_n" 1000
echo "   apiserver_admission_webhook_admission_duration_seconds: p50 ${w_p50} ms, p99 ${w_p99} ms over $w_n calls; burst ${burst_s}s"
echo "   driftgate's own latency for the same calls: p50 ${g_p50} ms, p99 ${g_p99} ms"
pub_row="${w_p50} ms | ${w_p99} ms | ${g_p50} / ${g_p99} ms | ${burst_s} s"

# A denial storm on a Helm-origin release: each denial re-reads Helm's
# records first (Helm's own write may not have reached the watch yet), and
# concurrent ones share one re-read per release at a time.
step "denial storm: 1,000 denied patches on a Helm-origin release (plain-nginx)"
rr0=$(gauge driftgate_rereads_total) sh0=$(gauge driftgate_rereads_shared_total)
un0=$(gauge driftgate_rereads_unanswered_total)
burst /api/v1/namespaces/sandbox-plain/services/plain-nginx \
    '{"spec":{"ports":[{"name":"http","port":8080,"targetPort":"http","protocol":"TCP"}]}}'
rereads=$(($(gauge driftgate_rereads_total) - rr0)) shared=$(($(gauge driftgate_rereads_shared_total) - sh0))
unanswered=$(($(gauge driftgate_rereads_unanswered_total) - un0))
eq "storm: every patch denied (403)" "$(sort -u "$work/codes" | tr '\n' ' ')" "403 "
# (one whose budget ran out on a loaded machine is counted too: then the
# stored judgement stands, which still denies)
eq "storm: every denial was re-read, shared a re-read, or ran out of budget" \
    "$((rereads + shared + unanswered))" 1000
checks=$((checks + 1))
[ "$rereads" -lt 1000 ] || fail "storm: no re-read was shared ($rereads re-reads for 1,000 denials)"
echo "   storm: $rereads re-reads for 1,000 denials ($shared shared, $unanswered past the budget); webhook p50 ${w_p50} ms, p99 ${w_p99} ms; driftgate p50 ${g_p50} ms, p99 ${g_p99} ms; ${burst_s}s"
storm_row="Events | $rereads / 1000 | ${w_p50} / ${w_p99} ms | ${g_p50} / ${g_p99} ms | ${burst_s} s"
# Its Events: a bounded number (every denial is the same object, user and
# values: one Event), their series counting the storm.
storm_ev() { ev_of sandbox-plain DriftDenied plain-nginx; }
storm_counted() { [ "$(storm_ev | jq '[.[] | .series.count // 1] | add // 0')" -ge 990 ]; }
checks=$((checks + 1))
wait_for 30 storm_counted || fail "storm: the Events do not count the denials: $(storm_ev | jq -c '[.[] | {name: .metadata.name, count: .series.count}]')"
n_ev=$(storm_ev | jq length) n_count=$(storm_ev | jq '[.[] | .series.count // 1] | add')
checks=$((checks + 1))
[ "$n_ev" -le 3 ] || fail "storm: $n_ev Events for 1,000 identical denials (want at most 3)"
echo "   storm: $n_ev Event(s), series counting $n_count denials; posted: $(gate /metrics | awk '/^driftgate_events_posted_total/ {printf "%s=%s ", $1, $2}')dropped $(gauge driftgate_events_dropped_total)"
# The same storm against driftgate without Events: the latency beside it.
kill -TERM "$gate_pid"
wait "$gate_pid" 2>/dev/null
gate_extra=(--no-events)
start_gate || { fail "driftgate --no-events did not become ready"; exit 1; }
checks=$((checks + 1))
wait_for 30 probe_judged || fail "the API server never called driftgate --no-events"
rr0=$(gauge driftgate_rereads_total)
burst /api/v1/namespaces/sandbox-plain/services/plain-nginx \
    '{"spec":{"ports":[{"name":"http","port":8080,"targetPort":"http","protocol":"TCP"}]}}'
rereads=$(($(gauge driftgate_rereads_total) - rr0))
eq "storm without Events: every patch denied (403)" "$(sort -u "$work/codes" | tr '\n' ' ')" "403 "
eq "storm without Events: none posted" "$(storm_ev | jq '[.[] | .series.count // 1] | add')" "$n_count"
echo "   storm without Events: webhook p50 ${w_p50} ms, p99 ${w_p99} ms; driftgate p50 ${g_p50} ms, p99 ${g_p99} ms; ${burst_s}s"
storm_row_off="no Events | $rereads / 1000 | ${w_p50} / ${w_p99} ms | ${g_p50} / ${g_p99} ms | ${burst_s} s"
gate_extra=()

# ---- 10. the gate holds: a namespace editor tries every way around it ------------------------
# jane has the built-in `edit` ClusterRole in sandbox-nginx and tenant-b, nothing more; the
# policy names ci-deployer as the only deployer (helm runs as it with --kube-as-user).
step "10. the gate holds: jane (edit in sandbox-nginx) against driftgate with deployers"
printf '%s\n' "$(cat "$root/examples/policy.yaml")" "  deployers:" "    users: [ci-deployer]" >"$work/policy-deployers.yaml"
gate_policy=$work/policy-deployers.yaml
kill -TERM "$gate_pid"
wait "$gate_pid" 2>/dev/null
start_gate || { fail "driftgate did not start with deployers"; exit 1; }
register Fail
checks=$((checks + 1))
wait_for 30 probe_judged || fail "the API server never called driftgate after re-registering"
has "no-deployers warning gone" "$(gate /api/v1/releases)" '"releases"'
kubectl create namespace tenant-b >/dev/null
# jane has had `edit` in sandbox-nginx since step 8 (the forged Events); tenant-b too now.
kubectl create rolebinding jane-edit --clusterrole=edit --user=jane -n tenant-b >/dev/null
kubectl create clusterrolebinding ci-deployer --clusterrole=cluster-admin --user=ci-deployer >/dev/null
eq "jane cannot write the baseline namespace" "$(jane auth can-i create configmaps -n driftgate-system)" no
eq "jane can write ConfigMaps in her namespace" "$(jane auth can-i create configmaps -n sandbox-nginx)" yes
hpa_uid=$(kubectl get hpa test-nginx -n sandbox-nginx -o jsonpath='{.metadata.uid}')
jane_event() { # RESOURCE VERB: jane's last audit event on it
    audit "select(.impersonatedUser.username == \"jane\" and .objectRef.resource == \"$1\" and .verb == \"$2\")" | tail -n 1
}

# 1. DELETE then CREATE (kubectl replace --force), and a plain delete
kubectl get hpa test-nginx -n sandbox-nginx -o yaml | sed 's/minReplicas: 7/minReplicas: 3/' >"$work/hpa-3.yaml"
run "1. replace --force (DELETE then CREATE)" nonzero -- jane replace --force -f "$work/hpa-3.yaml"
has "1. the DELETE is denied" "$err" "$denied" "hpa/test-nginx is governed by release sandbox-nginx/test-nginx" \
    "deleting it removes every governed value"
run "1. kubectl delete hpa" nonzero -- jane delete hpa test-nginx -n sandbox-nginx
eq "1. the HPA is the same object" "$(kubectl get hpa test-nginx -n sandbox-nginx -o jsonpath='{.metadata.uid}')" "$hpa_uid"
eq "1. its floor is unchanged" "$(hpa_min)" 7
ev=$(jane_event horizontalpodautoscalers delete)
eq "1. audit: the delete denied" "$(ann "$ev" decision)" deny
eq "1. audit: 403" "$(printf '%s' "$ev" | jq -r .responseStatus.code)" 403

# 2. a forged Helm release record, by hand and through helm itself
cat >"$work/forged-record.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: sh.helm.release.v1.test-nginx.v99
  namespace: sandbox-nginx
  labels: {owner: helm, name: test-nginx, status: pending-upgrade, version: "99"}
data:
  release: $(kubectl get cm sh.helm.release.v1.test-nginx.v2 -n sandbox-nginx -o jsonpath='{.data.release}')
YAML
run "2. forge a Helm record" nonzero -- jane apply -f "$work/forged-record.yaml"
has "2. the record write is refused" "$err" 'admission webhook "helm-records.validate.driftgate.io" denied the request' \
    "only the policy's deployers may write one" "jane is not one"
run "2. it was not stored" nonzero -- kubectl get cm sh.helm.release.v1.test-nginx.v99 -n sandbox-nginx
run "2. relabel a real record" nonzero -- jane label cm sh.helm.release.v1.test-nginx.v2 -n sandbox-nginx status=pending-upgrade --overwrite
run "2. helm upgrade by jane" nonzero -- env HELM_DRIVER=configmap helm upgrade test-nginx "$root/examples/charts/nginx" \
    -n sandbox-nginx --no-hooks --kube-as-user jane --set autoscaling.minReplicas=3
eq "2. floor unchanged by the attempts" "$(hpa_min)" 7
ev=$(jane_event configmaps create)
eq "2. audit: the record refused" "$(printf '%s' "$ev" | jq -r '.annotations["helm-records.validate.driftgate.io/decision"] // empty')" deny

# 3. a forged baseline ConfigMap in jane's own namespace
printf '%s\n' "$(cat "$work/approved.yaml")" | sed 's/minReplicas: 7/minReplicas: 3/' >"$work/forged-render.yaml"
"$build/driftctl" publish --baseline "$work/forged-render.yaml" -n sandbox-nginx --baseline-namespace sandbox-nginx \
    --revision 99 >"$work/forged-baseline.yaml"
run "3. jane writes a labelled baseline in her namespace" 0 -- jane apply -f "$work/forged-baseline.yaml"
checks=$((checks + 1))
wait_for 15 logged "baseline ConfigMap outside the baseline namespace ignored" ||
    fail "3. the untrusted baseline is not logged"
checks=$((checks + 1))
m=$(gate /metrics)
grep -q '^driftgate_baselines_untrusted_ignored 1$' <<<"$m" || fail "3. untrusted baseline not counted"
run "3. the floor she published is still drift" nonzero -- jane patch hpa test-nginx -n sandbox-nginx --type merge -p '{"spec":{"minReplicas":3}}'
has "3. judged against the trusted baseline" "$err" "$denied" "desired 7, requested 3"

# 4. an approved baseline broken (wrong digest) keeps its last good version
kubectl get cm driftgate-baseline.sandbox-nginx.test-nginx -n driftgate-system -o json |
    jq '.metadata.annotations["driftgate.io/digest"] = "sha256:0000000000000000000000000000000000000000000000000000000000000000" | del(.metadata.managedFields)' |
    kubectl replace -f - >/dev/null
checks=$((checks + 1))
wait_for 15 release_has test-nginx '.origin == "published" and (.note // "" | test("kept the last good version"))' ||
    fail "4. the broken baseline did not keep its last good version: $(release test-nginx)"
run "4. still enforced" nonzero -- jane patch hpa test-nginx -n sandbox-nginx --type merge -p '{"spec":{"minReplicas":3}}'
has "4. the last good baseline" "$err" "desired 7, requested 3"
run "4. republish the approved baseline" 0 -- "$build/driftctl" publish --baseline "$work/approved.yaml" -n sandbox-nginx \
    --revision 5 --apply

# 5. a cross-namespace claim: a baseline for tenant-b naming sandbox-nginx's objects
sed 's/^  name: test-nginx$/  name: test-nginx\n  namespace: sandbox-nginx/' "$work/forged-render.yaml" >"$work/claim.yaml"
run "5. a tenant-b baseline claiming sandbox-nginx (in jane's namespace)" 0 -- sh -c \
    "'$build/driftctl' publish --baseline '$work/claim.yaml' -n tenant-b --release test-nginx --baseline-namespace tenant-b | kubectl --as=jane apply -f -"
run "5. the same, published by the platform team" 0 -- "$build/driftctl" publish --baseline "$work/claim.yaml" \
    -n tenant-b --release test-nginx --apply
checks=$((checks + 1))
tenant_b() { gate /api/v1/releases | jq -e '.releases[] | select(.namespace == "tenant-b") | select(.note // "" | test("outside namespace tenant-b dropped"))' >/dev/null; }
wait_for 15 tenant_b || fail "5. tenant-b's claim was not confined: $(gate /api/v1/releases)"
run "5. sandbox-nginx is still judged by its own release" nonzero -- jane patch hpa test-nginx -n sandbox-nginx --type merge -p '{"spec":{"minReplicas":3}}'
has "5. owner unchanged" "$err" "release sandbox-nginx/test-nginx" "desired 7, requested 3"

# 6. retargeting the HPA; a deleted HPA no longer owns the replicas
run "6. retarget the HPA" nonzero -- jane patch hpa test-nginx -n sandbox-nginx --type merge -p '{"spec":{"scaleTargetRef":{"name":"decoy"}}}'
has "6. scaleTargetRef is governed" "$err" "$denied" "spec.scaleTargetRef" "hpa-target"
run "6. scale what the HPA drives" 0 -- jane scale deployment test-nginx -n sandbox-nginx --replicas=4
kubectl create rolebinding jane-edit --clusterrole=edit --user=jane -n sandbox-plain >/dev/null
kubectl autoscale deployment plain-nginx -n sandbox-plain --min=2 --max=5 --name=hand-made >/dev/null
hand_made() { gate /api/v1/decisions >/dev/null; jane scale deployment plain-nginx -n sandbox-plain --replicas=4 >/dev/null 2>&1; }
checks=$((checks + 1))
wait_for 15 hand_made || fail "6/10. a hand-made HPA does not own the replicas"
kubectl delete hpa hand-made -n sandbox-plain >/dev/null
checks=$((checks + 1))
scale_refused() { ! jane scale deployment plain-nginx -n sandbox-plain --replicas=5 >/dev/null 2>&1; }
wait_for 15 scale_refused || fail "6. with the HPA gone, scaling is still allowed"
eq "6. replicas as the HPA left them" "$(kubectl get deploy plain-nginx -n sandbox-plain -o jsonpath='{.spec.replicas}')" 4

# 7. break-glass without an expiry, or with one far away
run "7. break-glass without expiry" nonzero -- kubectl patch hpa test-nginx -n sandbox-nginx --as=alice --as-group=sre-oncall \
    --type merge -p '{"metadata":{"annotations":{"driftgate.io/break-glass":"INC-1"}},"spec":{"minReplicas":3}}'
has "7. refused without expiry" "$err" "$denied" "needs an expiry"
run "7. break-glass until 9999" nonzero -- bg alice sre-oncall 9999-12-31T23:59:59Z 3
has "7. refused too far ahead" "$err" "$denied" "more than 24h00m ahead"
eq "7. floor unchanged" "$(hpa_min)" 7

# 8. Service externalIPs (CVE-2020-8554) and selector
run "8. externalIPs" nonzero -- jane patch svc test-nginx -n sandbox-nginx --type merge -p '{"spec":{"externalIPs":["203.0.113.7"]}}'
has "8. externalIPs governed" "$err" "$denied" "spec.externalIPs" "service-routing"
run "8. selector" nonzero -- jane patch svc test-nginx -n sandbox-nginx --type merge -p '{"spec":{"selector":{"app":"mine"}}}'
has "8. selector governed" "$err" "$denied" "spec.selector"
eq "8. no externalIPs stored" "$(kubectl get svc test-nginx -n sandbox-nginx -o jsonpath='{.spec.externalIPs}')" ""

# 9-11 and Helm's own life cycle, by the deployer: install (no resources), upgrade, rollback, uninstall
dh() { HELM_DRIVER=configmap helm --kube-as-user ci-deployer "$@" -n sandbox-deploy --no-hooks; }
run "deployer: helm install (a chart that sets no resources)" 0 -- dh install app "$root/examples/charts/nginx" --create-namespace \
    --set resources=null
checks=$((checks + 1))
wait_for 15 release_has app '.revision == 1' || fail "the deployer's release is not listed"
kubectl create rolebinding jane-edit --clusterrole=edit --user=jane -n sandbox-deploy >/dev/null
run "9. an unrelated edit on a chart without resources" 0 -- jane label deployment app-nginx -n sandbox-deploy team=web
lacks "9. no resources: {} drift" "$err" "resources"
run "deployer: helm upgrade" 0 -- dh upgrade app "$root/examples/charts/nginx" --set resources=null --set autoscaling.minReplicas=3
ev=$(audit 'select(.objectRef.namespace == "sandbox-deploy" and .objectRef.resource == "horizontalpodautoscalers" and .verb == "patch")' | tail -n 1)
eq "deployer: the upgrade is helm-change" "$(ann "$ev" decision)" helm-change
run "deployer: helm rollback" 0 -- dh rollback app 1
eq "deployer: rolled back" "$(kubectl get hpa app-nginx -n sandbox-deploy -o jsonpath='{.spec.minReplicas}')" 6
run "deployer: helm uninstall" 0 -- dh uninstall app
run "deployer: uninstalled" nonzero -- kubectl get hpa app-nginx -n sandbox-deploy
ev=$(audit 'select(.objectRef.namespace == "sandbox-deploy" and .objectRef.resource == "horizontalpodautoscalers" and .verb == "delete")' | tail -n 1)
eq "deployer: the uninstall's delete is helm-change" "$(ann "$ev" decision)" helm-change
# Namespace deletion: the namespace controller (and GC) may delete what a release owns.
run "namespace controller deletes a governed object" 0 -- kubectl delete deployment plain-nginx -n sandbox-plain \
    --as=system:serviceaccount:kube-system:namespace-controller
run "kubectl delete namespace" 0 -- kubectl delete namespace sandbox-plain --wait=false

# ---- 11. the run's story, read back from the API server's audit log ---------------------------
step "11. driftctl timeline: the seed's three stages from this run's audit log"
# driftgate's live timeline first: what it heard was written to the log before.
live=$(gate '/api/v1/timeline?namespace=sandbox-nginx&release=test-nginx')
run "driftctl timeline -o json" 0 -- "$build/driftctl" timeline --audit-log "$work/audit.log" \
    -n sandbox-nginx --release test-nginx -o json
tl=$out
tlq() { printf '%s' "$tl" | jq -r "$1"; }
hpa_ev='.events[] | select(.object.resource == "horizontalpodautoscalers")'
eq "timeline: in time order" "$(tlq '[.events[].time] == ([.events[].time] | sort)')" true
eq "timeline: the install's render" "$(tlq '[.events[] | select(.stage == "baseline-render" and
    .object.name == "sh.helm.release.v1.test-nginx.v1" and .verb == "create") | .revision] | join(",")')" 1
eq "timeline: Helm applying revision 1 to the HPA" "$(tlq "[$hpa_ev | select(.stage == \"baseline-render\" and
    .revision == 1 and (.userAgent | startswith(\"Helm/\")))] | length")" 1
eq "timeline: the upgrade's render" "$(tlq "[$hpa_ev | select(.decision == \"helm-change\") | \"\(.stage) \(.revision)\"] | join(\",\")")" \
    "baseline-render 2"
eq "timeline: kubectl patch and kubectl edit of the floor, denied" "$(tlq "[$hpa_ev | select(.decision == \"deny\" and
    .variances == [{\"path\": \"spec.minReplicas\", \"desired\": 6, \"requested\": 4}]) | \"\(.stage) \(.code)\"] | join(\",\")")" \
    "out-of-band-mutation 403,out-of-band-mutation 403"
eq "timeline: the change let through while driftgate was down" "$(tlq "[$hpa_ev | select(.decision == \"failed-open\") |
    \"\(.stage) \(.code) \(.variances | tojson)\"] | join(\",\")")" \
    'out-of-band-mutation 200 [{"path":"spec.minReplicas","desired":7,"requested":2}]'
eq "timeline: refused while driftgate was down" "$(tlq "[$hpa_ev | select(.decision == \"webhook-unreachable\") | .code] | join(\",\")")" 500
reconciles=$(audit 'select(.annotations["validate.driftgate.io/decision"] == "reconcile" and
    .annotations["validate.driftgate.io/release"] == "sandbox-nginx/test-nginx")' | wc -l)
eq "timeline: every reconcile decision" "$(tlq '[.events[] | select(.decision == "reconcile") | .stage] | unique | join(",")') $(tlq '[.events[] | select(.stage == "controlled-reconcile")] | length')" \
    "controlled-reconcile $reconciles"
checks=$((checks + 1))
[ "$reconciles" -ge 4 ] || fail "timeline: the run made $reconciles reconciles of test-nginx, want at least 4"
eq "timeline: the burst's denials" "$(tlq '.summary.objects[] | select(.object.resource == "horizontalpodautoscalers") | .outcomes.deny >= 1000')" true
# driftgate as the audit backend: the denied patch and edit of the floor
# (heard in step 2) are the log's, and every event it holds since its last
# restart is in the log, at the same stage (what it missed while down or
# before it started is allowed to be absent).
eq "audit backend: the floor's denials as in the log" "$live_floor" "$(tlq "[$hpa_ev | select(.decision == \"deny\") |
    {time, stage, verb, code, decision, variances}] | .[0:2] | tojson")"
# (what it rebuilt from its own Events on restart is driftgate's record, not
# the API server's: those are told apart by their userAgent)
key='[.events[] | select(.userAgent != "driftgate/event") | "\(.time) \(.stage) \(.verb) \(.object.resource)/\(.object.name) \(.code)"]'
eq "audit backend: /api/v1/timeline holds events" "$(printf '%s' "$live" | jq '.events | length > 0')" true
eq "audit backend: every event it holds is the log's, at the same stage" \
    "$(jq -cn --argjson a "$(printf '%s' "$live" | jq -c "$key")" --argjson b "$(tlq "$key | tojson")" '$a - $b')" "[]"
run "driftctl timeline (table)" 0 -- "$build/driftctl" timeline --audit-log "$work/audit.log" -n sandbox-nginx \
    --release test-nginx --object hpa/test-nginx
has "timeline table: the three stages and the floor's story" "$out" "  baseline-render  " "  out-of-band-mutation  " \
    "  controlled-reconcile  " "hpa/test-nginx: 2 renders, " " failed open" " webhook unreachable"

# ---- 12. driftctl reconcile: drift let through while driftgate was down, put back through it ----
step "12. driftctl reconcile: the gate down, drift let through, a gated reconcile"
gate_down_open "12. gate down"
run "12. gate down: the floor lowered" 0 -- patch_min 2
run "12. gate down: the port moved, NodePort" 0 -- kubectl patch svc test-nginx -n sandbox-nginx --type json \
    -p '[{"op":"replace","path":"/spec/ports/0/port","value":8080},{"op":"replace","path":"/spec/type","value":"NodePort"}]'
start_gate || { fail "12. driftgate did not start again"; exit 1; }
register Fail
checks=$((checks + 1))
wait_for 30 probe_judged || fail "12. the API server never called driftgate after re-registering"
svc_port() { kubectl get svc test-nginx -n sandbox-nginx -o jsonpath='{.spec.ports[0].port} {.spec.type} {.spec.ports[0].nodePort}'; }
rec() { "$build/driftctl" reconcile --release test-nginx -n sandbox-nginx --policy "$gate_policy" "$@"; }

# The plan: read from the gate's own baseline (the published revision 5) and live state.
run "12. the plan" 2 -- rec --out "$work/plan.json"
has "12. the plan shows the drift" "$out" "hpa/test-nginx  patch   spec.minReplicas" "restore 3 variances in release sandbox-nginx/test-nginx (revision 5)."
eq "12. the plan's operations, each judged a reconcile" \
    "$(jq -c '[.operations[] | "\(.object.kind):\(.decision)"]' "$work/plan.json")" \
    '["Service:reconcile","HorizontalPodAutoscaler:reconcile"]'

# Asked on a terminal; declining applies nothing.
if command -v script >/dev/null; then
    run "12. asked on a terminal, declined" 2 -- sh -c "printf 'n\n' | script -qec \"'$build/driftctl' reconcile --release test-nginx -n sandbox-nginx --policy '$gate_policy' --apply\" /dev/null"
    has "12. the question" "$out" "Apply 2 operations to sandbox-nginx/test-nginx? [y/N]" "nothing applied"
fi
run "12. no terminal, no --yes" 1 -- rec --apply </dev/null
has "12. refused without a terminal" "$err" "give --yes"

# --dry-run=server: the real gate and API server answer (NodePort -> ClusterIP
# included), nothing changes.
decisions_before=$(gate /api/v1/decisions | jq .total)
run "12. --apply --dry-run=server" 0 -- rec --apply --yes --dry-run=server
has "12. each change a server dry run" "$err" "svc/test-nginx: dry-run" "hpa/test-nginx: dry-run"
eq "12. dry run: the floor unchanged" "$(hpa_min)" 2
eq "12. dry run: the Service unchanged" "$(svc_port | cut -d' ' -f1,2)" "8080 NodePort"
checks=$((checks + 1))
[ "$(gate /api/v1/decisions | jq .total)" -ge $((decisions_before + 2)) ] || fail "12. driftgate did not judge the dry run"

# A change between plan and apply: the saved plan's test fails, that object is left as it is.
plan_svc_patch=$(jq -c '.operations[] | select(.object.kind == "Service") | .patch' "$work/plan.json")
run "12. someone sets the type back by hand (a reconcile, allowed)" 0 -- kubectl patch svc test-nginx -n sandbox-nginx \
    --type merge -p '{"spec":{"type":"ClusterIP"}}'
run "12. the plan's own patch: its test fails at the API server" nonzero -- kubectl patch svc test-nginx -n sandbox-nginx \
    --type json -p "$plan_svc_patch"
has "12. the API server refuses it" "$err" "the server rejected our request due to an error in our request"
run "12. --apply plan.json after the change" 1 -- rec --apply "$work/plan.json" --yes
has "12. the conflict is reported" "$err" "svc/test-nginx: conflict: it changed since the plan: test of /spec/type failed" \
    "0 applied, 1 conflict, 0 failed, 1 not attempted"
eq "12. nothing of the Service changed" "$(svc_port | cut -d' ' -f1,2)" "8080 ClusterIP"
eq "12. the rest stopped: the floor as it was" "$(hpa_min)" 2

# The gated reconcile.
recon_count() { ev_of sandbox-nginx DriftReconciled test-nginx | jq '[.[] | select(.note | test("desired 7, was 2"))
    | .series.count // 1] | add // 0'; }
recon_before=$(recon_count)
run "12. reconcile --apply --yes" 0 -- rec --apply --yes --evidence "$work/evidence.json"
has "12. applied and verified" "$err" "applied 2 operations on sandbox-nginx/test-nginx; live state read again: the drift is gone"
eq "12. the stored floor is the baseline's again" "$(hpa_min)" 7
eq "12. the Service is the baseline's again" "$(svc_port)" "80 ClusterIP "
ev=$(audit 'select(.objectRef.resource == "horizontalpodautoscalers" and .verb == "patch")' | tail -n 1)
eq "12. audit: decision=reconcile" "$(ann "$ev" decision)" reconcile
has "12. audit: the reconcile's field manager" "$(printf '%s' "$ev" | jq -r .requestURI)" "fieldManager=driftctl-reconcile"
has "12. audit: what it moved back" "$(ann "$ev" reconciled)" "spec.minReplicas"
eq "12. evidence: who" "$(jq -r .who.username "$work/evidence.json")" e2e-admin
eq "12. evidence: before and after" "$(jq -c '[.values[] | "\(.path):\(.before)->\(.after)"]' "$work/evidence.json")" \
    '["spec.ports[name=http].port:8080->80","spec.minReplicas:2->7"]'
eq "12. evidence: verified" "$(jq -r .verified "$work/evidence.json")" true
# Its Event: DriftReconciled, the floor from 2 (one Event with step 8's
# reconcile from 2, the same note: its series counts this one too).
recon_posted() { [ "$(recon_count)" -gt "$recon_before" ]; }
checks=$((checks + 1))
wait_for 20 recon_posted || fail "12. no DriftReconciled posted for the reconcile: $(ev_of sandbox-nginx DriftReconciled test-nginx)"
has "12. kubectl events: the reconcile" "$(hpa_events)" "DriftReconciled" "spec.minReplicas: desired 7, was 2"
run "12. nothing left to do" 0 -- rec

# --strategy apply (the seed's path): server-side apply of the baseline, judged by its dry run.
kubectl create clusterrole svc-editor --verb=get,list,patch,update --resource=services >/dev/null
kubectl create clusterrolebinding svc-editors --clusterrole=svc-editor --group=sre-oncall >/dev/null
bg_svc() { # JSON-PATCH-OPS: a break-glass change to the Service, by alice
    kubectl patch svc test-nginx -n sandbox-nginx --as=alice --as-group=sre-oncall --type json -p "[
        {\"op\":\"add\",\"path\":\"/metadata/annotations/driftgate.io~1break-glass\",\"value\":\"INC-77\"},
        {\"op\":\"add\",\"path\":\"/metadata/annotations/driftgate.io~1break-glass-expires\",\"value\":\"$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)\"},
        $1]"
}
run "12. break-glass: the targetPort moved" 0 -- bg_svc '{"op":"replace","path":"/spec/ports/0/targetPort","value":8081}'
run "12. --strategy apply" 0 -- rec --strategy apply --apply --yes
eq "12. --strategy apply restored the port" "$(kubectl get svc test-nginx -n sandbox-nginx -o jsonpath='{.spec.ports[0].targetPort}')" http
ev=$(audit 'select(.objectRef.resource == "services" and .verb == "patch" and (.requestURI | test("dryRun") | not))' | tail -n 1)
has "12. audit: server-side apply as helm" "$(printf '%s' "$ev" | jq -r .requestURI)" "fieldManager=helm"
eq "12. audit: judged a reconcile" "$(ann "$ev" decision)" reconcile
# A renumbered port is another list element to server-side apply: refused
# before anything is applied; the minimal patch restores it.
run "12. break-glass: the port renumbered" 0 -- bg_svc '{"op":"replace","path":"/spec/ports/0/port","value":8080}'
run "12. --strategy apply cannot take a renumbered port back" 1 -- rec --strategy apply --apply --yes
has "12. it says why" "$err" 'Duplicate value: "http"' "--strategy patch restores it"
eq "12. nothing applied" "$(svc_port | cut -d' ' -f1)" 8080
run "12. --strategy patch does" 0 -- rec --apply --yes
eq "12. the port is back" "$(svc_port | cut -d' ' -f1)" 80

# ---- 13. driftctl status and the execution runner against this cluster ------------------------
step "13. driftctl status: in-sync, a drift let through (Ignore, gate down), who changed it, fixed; the runner"
st() { "$build/driftctl" status --release test-nginx -n sandbox-nginx -o json "$@"; }
run "status before" 0 -- st
eq "13. in sync before" "$(jq -r .state <<<"$out")" in-sync
eq "13. the published baseline is the source" "$(jq -r '"\(.source.origin) \(.source.location) \(.source.revision)"' <<<"$out")" \
    "published driftgate-system/driftgate-baseline.sandbox-nginx.test-nginx 5"
eq "13. its digest" "$(jq -r .source.digest <<<"$out")" "sha256:$(sha256sum "$work/approved.yaml" | cut -d' ' -f1)"
eq "13. the gate: configuration, failure policy" "$(jq -r '"\(.gate.configuration) \(.gate.failurePolicy)"' <<<"$out")" "driftgate Fail"
eq "13. the caBundle verifies driftgate's certificate" "$(jq -r .gate.caBundle.verifies <<<"$out")" true
eq "13. deployers configured (the helm-records webhook)" "$(jq -r .gate.deployers.configured <<<"$out")" true
# A Service port changed while the gate is down and fails open, as in step 8.
gate_down_open "13. gate down"
run "13. kubectl patch of the port, the gate down" 0 -- kubectl patch svc test-nginx -n sandbox-nginx --type json \
    -p '[{"op":"replace","path":"/spec/ports/0/port","value":8080}]'
run "status with the drift" 2 -- st
eq "13. variance-detected" "$(jq -r .state <<<"$out")" variance-detected
eq "13. the drift" "$(jq -c '[.variances[] | {path, desired, live}]' <<<"$out")" \
    '[{"path":"spec.ports[name=http].port","desired":80,"live":8080}]'
eq "13. changed by kubectl patch" "$(jq -r '.variances[0].changedBy | "\(.manager) \(.operation)"' <<<"$out")" "kubectl-patch Update"
has "13. when" "$(jq -r '.variances[0].changedBy.time' <<<"$out")" "$(date -u +%Y-%m-%d)T"
eq "13. the gate fails open" "$(jq -r .gate.failurePolicy <<<"$out")" Ignore
eq "13. driftgate down: its certificate cannot be checked" "$(jq -r .gate.caBundle.verifies <<<"$out")" null
run "status as a table" 2 -- "$build/driftctl" status --release test-nginx -n sandbox-nginx
has "13. the card" "$out" "Workflow:         helm-release-assurance" "Scope:            sandbox-nginx / test-nginx" \
    "State:            variance-detected" "failurePolicy Ignore" "CHANGED BY" "kubectl-patch  Update"
# The runner, against this cluster, while the drift is there.
ev=$work/evidence
run "13. run_helm_mode.sh --context e2e" 2 -- env DRIFTCTL="$build/driftctl" "$root/scripts/run_helm_mode.sh" --chart "$root/examples/charts/nginx" \
    --release test-nginx -n sandbox-nginx --set autoscaling.minReplicas=7 --context e2e --out "$ev"
has "13. the runner's summary" "$out" "context: sandbox-nginx / test-nginx  workflow: helm-release-audit  state: variance-detected" \
    "active variances: 1 (1 deny, 0 warn, 0 audit)" "cluster=e2e" "artifact=release-baseline.yaml"
checks=$((checks + 1))
(cd "$ev" && jq -r '.files | to_entries[] | "\(.value.sha256)  \(.key)"' evidence.json | sha256sum -c --quiet) ||
    fail "13. evidence.json digests do not match the bundle"
eq "13. the bundle" "$(jq -r '.files | keys | sort | join(",")' "$ev/evidence.json")" \
    "drift.json,drift.md,drift.sarif,live-snapshot.yaml,release-baseline.yaml,status.json"
eq "13. evidence: context and exit status" "$(jq -r '"\(.context) \(.exitStatus)"' "$ev/evidence.json")" "e2e 2"
eq "13. the runner saw who changed it" "$(jq -r '.variances[0].changedBy.manager' "$ev/drift.json")" kubectl-patch
# The gate back, and the port fixed: in sync again.
start_gate || fail "13. driftgate did not restart"
register Fail
checks=$((checks + 1))
wait_for 30 probe_judged || fail "13. the API server never called driftgate after the restart"
# The port back from the operator console, fed a script: status, then
# reconcile (the plan judged, applied through the gate, verified); its
# context line turns in-sync. Exit 2: the first status found the drift.
run "13. driftctl console: status, reconcile --yes" 2 -- sh -c "printf 'status\\nreconcile --yes\\n' |
    '$build/driftctl' console --release test-nginx -n sandbox-nginx --context e2e"
has "13. the console's context line" "$(head -n 2 <<<"$out")" \
    "context: sandbox-nginx / test-nginx  workflow: helm-release-audit  state: variance-detected" \
    "cluster=e2e audited=svc,deploy,hpa artifact=driftgate-baseline.sandbox-nginx.test-nginx"
has "13. the console's status card and plan" "$out" "State:            variance-detected" \
    "1 operation (1 patch) restores 1 variance"
has "13. applied and verified" "$err" "the drift is gone"
has "13. the context line turns in-sync" "$(tail -n 2 <<<"$out")" "state: in-sync"
run "status after the fix" 0 -- st
eq "13. in sync after" "$(jq -r .state <<<"$out")" in-sync
eq "13. nothing active" "$(jq -r .signals.total <<<"$out")" 0
eq "13. the gate enforcing again, its certificate verified" "$(jq -r '"\(.gate.failurePolicy) \(.gate.caBundle.verifies)"' <<<"$out")" "Fail true"
# driftgate serves a baseline ConfigMap as the release its labels name,
# whatever it is called, and driftctl finds it as driftgate does. A second
# baseline of test-nginx, named for release decoy (first by name) and
# approving floor 2 as revision 9: both enforce the one publish names
# (floor 7, revision 5), whatever order they list them in, and name the
# other; decoy has none.
sed 's/minReplicas: 7$/minReplicas: 2/' "$work/approved.yaml" >"$work/copy.yaml"
checks=$((checks + 1))
grep -q 'minReplicas: 2$' "$work/copy.yaml" || fail "13. the copy's render approves no floor of 2"
"$build/driftctl" publish --baseline "$work/copy.yaml" -n sandbox-nginx --release test-nginx --revision 9 -o - |
    kubectl create --dry-run=client -f - -o json | jq '.metadata.name = "driftgate-baseline.sandbox-nginx.decoy"' |
    kubectl create -f - >/dev/null
checks=$((checks + 1))
wait_for 15 logged '"ignored":"driftgate-system/driftgate-baseline.sandbox-nginx.decoy"' ||
    fail "13. driftgate did not name the second baseline"
has "13. driftgate names the one it enforces" "$(logged '"ignored":"driftgate-system/driftgate-baseline.sandbox-nginx.decoy"')" \
    '"enforced":"driftgate-system/driftgate-baseline.sandbox-nginx.test-nginx"'
eq "13. counted as shadowed" "$(gate /metrics | awk '$1 == "driftgate_baselines_shadowed" {print $2}')" 1
eq "13. driftgate serves one baseline of test-nginx, revision 5" \
    "$(release test-nginx | jq -r 'select(.namespace == "sandbox-nginx") | .revision')" 5
run "13. the copy's floor of 2, a server-side dry run" nonzero -- patch_min 2 --dry-run=server
has "13. judged by the one publish names" "$err" "desired 7, requested 2"
run "13. status of test-nginx with a second baseline" 0 -- st
eq "13. driftctl reads the one driftgate enforces" "$(jq -r '"\(.state) \(.source.location) \(.source.revision)"' <<<"$out")" \
    "in-sync driftgate-system/driftgate-baseline.sandbox-nginx.test-nginx 5"
has "13. and names the other" "$err" \
    "release sandbox-nginx/test-nginx has 2 baseline ConfigMaps in driftgate-system: driftgate enforces driftgate-baseline.sandbox-nginx.test-nginx" \
    "delete driftgate-baseline.sandbox-nginx.decoy"
run "13. status of decoy, whose name the copy has" 1 -- "$build/driftctl" status --release decoy -n sandbox-nginx -o json
eq "13. decoy has no baseline" "$(jq -r '"\(.state) \(.reason)"' <<<"$out")" \
    "no-baseline no ConfigMap in driftgate-system labelled for sandbox-nginx/decoy and no deployed Helm release record of decoy in sandbox-nginx"
kubectl delete cm driftgate-baseline.sandbox-nginx.decoy -n driftgate-system >/dev/null
shadow_gone() { [ "$(gate /metrics | awk '$1 == "driftgate_baselines_shadowed" {print $2}')" = 0 ]; }
checks=$((checks + 1))
wait_for 15 shadow_gone || fail "13. driftgate_baselines_shadowed stays after the copy is deleted"


# ---- 14. the web console: a drift let through (the gate down), put back from the browser ----
step "14. driftctl console --web: the plan judged, applied from the browser, in-sync"
gate_down_open "14. gate down"
run "14. kubectl patch of the floor, the gate down" 0 -- kubectl patch hpa test-nginx -n sandbox-nginx --type merge \
    -p '{"spec":{"minReplicas":3}}'
start_gate || fail "14. driftgate did not restart"
register Fail
checks=$((checks + 1))
wait_for 30 probe_judged || fail "14. the API server never called driftgate after the restart"
web_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$build/driftctl" console --web --listen "127.0.0.1:$web_port" --release test-nginx -n sandbox-nginx \
    --policy "$gate_policy" 2>"$work/console-web.log" &
web_pid=$!
web_up() { curl -sf "http://127.0.0.1:$web_port/api/v1/context" >/dev/null; }
checks=$((checks + 1))
wait_for 30 web_up || fail "14. driftctl console --web did not answer: $(cat "$work/console-web.log")"
run "14. the console's context" 0 -- curl -sf "http://127.0.0.1:$web_port/api/v1/context"
eq "14. online, variance-detected" "$(jq -r '"\(.mode) \(.state) \(.reconcile.canApply)"' <<<"$out")" "online variance-detected true"
# driftgate's console answers the same, from the objects it reads now.
q='namespace=sandbox-nginx&release=test-nginx'
run "14. driftgate's live download" 0 -- gate "/api/v1/assets/live?$q" -f
eq "14. driftgate's live HPA holds the drifted floor" "$(jq -r '.kind as $k | .items[] |
    select(.kind == "HorizontalPodAutoscaler" and .metadata.name == "test-nginx") | "\($k) \(.spec.minReplicas)"' <<<"$out")" "List 3"
run "14. driftgate's plan" 0 -- gate "/api/v1/plan?$q" -f
eq "14. driftgate's plan: the HPA's patch judged a reconcile" "$(jq -r '[.operations[] |
    select(.object.kind == "HorizontalPodAutoscaler") | "\(.action) \(.decision)"] | join(",")' <<<"$out") $(jq -r '"\(.known) \(.canApply)"' <<<"$out")" \
    "patch reconcile true false"
run "14. driftgate's SARIF" 0 -- gate "/api/v1/assets/sarif?$q" -f
eq "14. driftgate's SARIF: 2.1.0, the floor's variance" "$(jq -r '"\(.version) \([.runs[0].results[] |
    select(tostring | test("spec.minReplicas"))] | length > 0)"' <<<"$out")" "2.1.0 true"
run "14. a reconcile without the page's token" 0 -- curl -s -o /dev/null -w '%{http_code}' -X POST \
    -H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$web_port/api/v1/reconcile"
eq "14. refused without the token" "$out" 403
# Debian's chromium and selenium (scripts/deps.sh) are always there: no
# quiet fallback that would let the page go unused.
run "14. apply from the web console (headless Chromium)" 0 -- "$root/scripts/python.sh" "$root/tests/console-web/run.py" apply \
    "http://127.0.0.1:$web_port" test-nginx "$build/screenshots"
run "14. the console after" 0 -- curl -sf "http://127.0.0.1:$web_port/api/v1/context"
eq "14. in-sync in the console" "$(jq -r .state <<<"$out")" in-sync
kill -TERM "$web_pid"
wait "$web_pid" 2>/dev/null
eq "14. driftctl console --web exits 0 on SIGTERM" "$?" 0
ev=$(audit 'select(.objectRef.resource == "horizontalpodautoscalers" and .objectRef.name == "test-nginx" and .verb == "patch"
    and (.requestURI | contains("fieldManager=driftctl-reconcile")))' | tail -n 1)
eq "14. audit: the web console's patch judged a reconcile" "$(ann "$ev" decision)" reconcile
eq "14. the stored floor is the baseline's again" "$(hpa_min)" 7
run "14. status after the web console's reconcile" 0 -- st
eq "14. in sync" "$(jq -r .state <<<"$out")" in-sync

# Stopped as Kubernetes stops it; under ASan a leak would make this non-zero.
kill -TERM "$gate_pid"
wait "$gate_pid" 2>/dev/null
eq "driftgate exits 0 on SIGTERM after the whole run" "$?" 0

t_total=$(($(date +%s) - t_start))
echo "e2e: ${t_total}s"
# Recorded on request (RECORD=1 make e2e), not by every `make test`.
if [ "$fails" -eq 0 ] && [ "${RECORD:-0}" = 1 ] && grep -q '^<!-- e2e-rows -->' "$root/bench/RESULTS.md"; then
    row="| $(date -u +%Y-%m-%d) | $(cat "$cp_bin/build-seconds" 2>/dev/null || echo '?') s | ${cp_ready} s | ${t_total} s | $checks | $pub_row | $(nproc) CPU |"
    srow="| $(date -u +%Y-%m-%d) | $storm_row | $(nproc) CPU |"
    srow_off="| $(date -u +%Y-%m-%d) | $storm_row_off | $(nproc) CPU |"
    awk -v row="$row" -v srow="$srow" -v srow_off="$srow_off" \
        '{print} /^<!-- e2e-rows -->/ {print row} /^<!-- storm-rows -->/ {print srow; print srow_off}' \
        "$root/bench/RESULTS.md" >"$work/r" && cp "$work/r" "$root/bench/RESULTS.md"
    echo "recorded in bench/RESULTS.md"
fi
summary e2e
