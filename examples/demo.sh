#!/usr/bin/env bash
# The seed scenario, offline: the release baseline, the governed drift in a
# live snapshot (HPA floor desired 6, live 4, among 4 variances), and the
# gate's answer to the out-of-band change and to the reconcile.
# Every command is shown as it runs, with the same flags ("driftctl" is
# the binary given here; README's walkthrough puts it on PATH).
# Usage: examples/demo.sh path/to/driftctl
set -uo pipefail
ctl=${1:?usage: examples/demo.sh path/to/driftctl}
case $ctl in /*) ;; *) ctl=$PWD/$ctl ;; esac
cd "$(dirname "$0")/.."
ex=examples
failed=0

title() { printf '\n\033[1m== %s\033[0m\n' "$1"; }

# One word as a shell reads it: bare when safe, else in single quotes.
quote() {
    if [[ $1 =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then
        printf '%s' "$1"
    else
        printf "'%s'" "${1//\'/\'\\\'\'}"
    fi
}

# show_run WANT CMD...: print CMD as one would type it (driftctl by name),
# run it, and check its exit status (0 allowed/no drift, 2 denied/drift).
show_run() {
    local want=$1 shown=() got
    shift
    for a in "$@"; do shown+=("$(quote "$a")"); done
    [ "$1" = "$ctl" ] && shown[0]=driftctl
    printf '$ %s\n' "${shown[*]}"
    "$@"
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "demo: expected exit $want, got $got" >&2
        failed=1
    fi
}

title "Release baseline: what helm template test-nginx examples/charts/nginx --namespace sandbox-nginx rendered"
show_run 0 grep -E '^(# Source:|kind:|  name:)' "$ex/release-baseline.yaml"

title "Governed drift: desired (baseline) vs live (kubectl get hpa,svc,deploy -o yaml)"
show_run 2 "$ctl" diff --baseline "$ex/release-baseline.yaml" --live "$ex/live-snapshot.yaml" \
    -n sandbox-nginx --policy "$ex/policy.yaml"

title "Gate: the out-of-band change, kubectl edit hpa test-nginx (minReplicas 6 -> 4)"
show_run 2 "$ctl" simulate --review "$ex/reviews/hpa-floor-4.json" \
    --baseline "$ex/release-baseline.yaml" -n sandbox-nginx --policy "$ex/policy.yaml" -o table

title "Gate: what the webhook sends back for it (AdmissionReview response)"
show_run 2 "$ctl" simulate --review "$ex/reviews/hpa-floor-4.json" \
    --baseline "$ex/release-baseline.yaml" -n sandbox-nginx --policy "$ex/policy.yaml"

title "Gate: the controlled reconcile back to the baseline (minReplicas 4 -> 6)"
show_run 0 "$ctl" simulate --review "$ex/reviews/hpa-reconcile-6.json" \
    --baseline "$ex/release-baseline.yaml" -n sandbox-nginx --policy "$ex/policy.yaml" -o table

title "Gate: a proposed change, before anyone applies it"
show_run 0 "$ctl" simulate --baseline "$ex/release-baseline.yaml" --live "$ex/live-snapshot.yaml" \
    --target hpa/test-nginx -n sandbox-nginx --policy "$ex/policy.yaml" \
    --patch '{"spec":{"minReplicas":6}}'

if [ "$failed" -ne 0 ]; then
    echo; echo "demo: FAILED (see above)" >&2
    exit 1
fi
printf '\ndemo: every step gave the expected answer.\n'
