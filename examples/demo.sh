#!/usr/bin/env bash
# The seed scenario, offline: the release baseline, the governed drift in a
# live snapshot (HPA floor desired 6, live 4, among 4 variances), and the
# gate's answer to the out-of-band change and to the reconcile.
# Usage: examples/demo.sh path/to/driftctl
set -uo pipefail
ctl=${1:?usage: examples/demo.sh path/to/driftctl}
cd "$(dirname "$0")/.."
ex=examples
failed=0

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; }

# Run a command and check its exit status (0 allowed/no drift, 2 denied/drift).
expect() {
    local want=$1; shift
    "$@"
    local got=$?
    if [ "$got" -ne "$want" ]; then
        echo "demo: expected exit $want from: $*, got $got" >&2
        failed=1
    fi
}

step "Release baseline: helm template test-nginx examples/charts/nginx --namespace sandbox-nginx" \
    "grep -E '^(kind|  name):' $ex/release-baseline.yaml"
awk '/^# Source:/{src=$3} /^kind:/{k=$2} /^  name:/{print "  " k "/" $2 "   (" src ")"}' \
    "$ex/release-baseline.yaml"

step "Governed drift: desired (baseline) vs live (kubectl get hpa,svc,deploy -o yaml)" \
    "driftctl diff --baseline $ex/release-baseline.yaml --live $ex/live-snapshot.yaml -n sandbox-nginx --policy $ex/policy.yaml"
expect 2 "$ctl" diff --baseline "$ex/release-baseline.yaml" --live "$ex/live-snapshot.yaml" \
    -n sandbox-nginx --policy "$ex/policy.yaml"

step "Gate: the out-of-band change, kubectl edit hpa test-nginx (minReplicas 6 -> 4)" \
    "driftctl simulate --review $ex/reviews/hpa-floor-4.json --baseline $ex/release-baseline.yaml -n sandbox-nginx -o table"
expect 2 "$ctl" simulate --review "$ex/reviews/hpa-floor-4.json" \
    --baseline "$ex/release-baseline.yaml" -n sandbox-nginx --policy "$ex/policy.yaml" -o table

step "Gate: what the webhook sends back for it (AdmissionReview response)" \
    "driftctl simulate --review $ex/reviews/hpa-floor-4.json --baseline $ex/release-baseline.yaml -n sandbox-nginx"
expect 2 "$ctl" simulate --review "$ex/reviews/hpa-floor-4.json" \
    --baseline "$ex/release-baseline.yaml" -n sandbox-nginx --policy "$ex/policy.yaml"

step "Gate: the controlled reconcile back to the baseline (minReplicas 4 -> 6)" \
    "driftctl simulate --review $ex/reviews/hpa-reconcile-6.json --baseline $ex/release-baseline.yaml -n sandbox-nginx -o table"
expect 0 "$ctl" simulate --review "$ex/reviews/hpa-reconcile-6.json" \
    --baseline "$ex/release-baseline.yaml" -n sandbox-nginx --policy "$ex/policy.yaml" -o table

step "Gate: a proposed change, before anyone applies it" \
    "driftctl simulate --baseline $ex/release-baseline.yaml --live $ex/live-snapshot.yaml --target hpa/test-nginx -n sandbox-nginx --patch '{\"spec\":{\"minReplicas\":6}}'"
expect 0 "$ctl" simulate --baseline "$ex/release-baseline.yaml" --live "$ex/live-snapshot.yaml" \
    --target hpa/test-nginx -n sandbox-nginx --policy "$ex/policy.yaml" \
    --patch '{"spec":{"minReplicas":6}}'

if [ "$failed" -ne 0 ]; then
    echo; echo "demo: FAILED (see above)" >&2
    exit 1
fi
printf '\ndemo: every step gave the expected answer.\n'
