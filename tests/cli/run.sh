#!/usr/bin/env bash
# tests/cli/run.sh DRIFTCTL SRCDIR: driftctl as users run it, on the bundled
# example, with the real helm when it is on PATH (ctest puts
# scripts/tools.sh's directory there). Every check prints what it expected.
set -uo pipefail
ctl=${1:?usage: run.sh DRIFTCTL SRCDIR}
src=$(realpath "${2:?usage: run.sh DRIFTCTL SRCDIR}")
ctl=$(realpath "$ctl")
ex=$src/examples
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
checks=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect_exit CODE NAME -- command...: run, keep stdout/stderr in $out/$err.
expect_exit() {
    local want=$1 name=$2
    shift 3
    checks=$((checks + 1))
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")
    [ "$got" -eq "$want" ] || fail "$name: exit $got, want $want; stderr: $err"
}

contains() { # NAME HAYSTACK NEEDLE
    checks=$((checks + 1))
    case $2 in *"$3"*) ;; *) fail "$1: output lacks '$3'. Output was:
$2" ;; esac
}

lacks() { # NAME HAYSTACK NEEDLE
    checks=$((checks + 1))
    case $2 in *"$3"*) fail "$1: output has '$3'. Output was:
$2" ;; esac
}

jq_eq() { # NAME JSON FILTER WANT
    checks=$((checks + 1))
    local got
    got=$(printf '%s' "$2" | jq -r "$3" 2>&1)
    [ "$got" = "$4" ] || fail "$1: jq '$3' gave '$got', want '$4'"
}

base=(--baseline "$ex/release-baseline.yaml" -n sandbox-nginx)

# The example policy says it holds the built-in rules: every one of them.
for r in $("$ctl" policy default | awk '/^  - name:/ {print $3}'); do
    checks=$((checks + 1))
    grep -q "^  - name: $r\$" "$ex/policy.yaml" || fail "examples/policy.yaml lacks the built-in rule $r"
done

# ---- diff -----------------------------------------------------------------------
expect_exit 2 "diff finds the seed drift" -- "$ctl" diff "${base[@]}" --live "$ex/live-snapshot.yaml"
contains "diff table" "$out" "4 active variances"
contains "diff table: the HPA floor" "$out" "hpa/test-nginx     spec.minReplicas"
for h in OBJECT PATH DESIRED LIVE RULE ACTION; do contains "diff table header" "$out" "$h"; done

expect_exit 2 "diff -o json" -- "$ctl" diff "${base[@]}" --live "$ex/live-snapshot.yaml" -o json
jq_eq "json: 4 variances" "$out" '.variances | length' 4
jq_eq "json: HPA desired" "$out" '.variances[] | select(.object.kind=="HorizontalPodAutoscaler") | .desired' 6
jq_eq "json: HPA live" "$out" '.variances[] | select(.object.kind=="HorizontalPodAutoscaler") | .live' 4
jq_eq "json: HPA path" "$out" '.variances[] | select(.object.kind=="HorizontalPodAutoscaler") | .path' spec.minReplicas
jq_eq "json: type" "$out" '[.variances[].type] | unique | join(",")' changed
jq_eq "json: summary" "$out" '.summary | "\(.total) \(.deny) \(.warn)"' "4 3 1"

expect_exit 2 "diff -o sarif" -- "$ctl" diff "${base[@]}" --live "$ex/live-snapshot.yaml" -o sarif
jq_eq "sarif version" "$out" .version 2.1.0
jq_eq "sarif results" "$out" '.runs[0].results | length' 4
jq_eq "sarif levels" "$out" '[.runs[0].results[].level] | sort | join(",")' error,error,error,warning

expect_exit 2 "diff -o markdown" -- "$ctl" diff "${base[@]}" --live "$ex/live-snapshot.yaml" -o markdown
contains "markdown table" "$out" "| Object | Path | Desired | Live | Rule | Action |"

expect_exit 2 "diff -o yaml" -- "$ctl" diff "${base[@]}" --live "$ex/live-snapshot.yaml" -o yaml
contains "yaml" "$out" 'path: "spec.minReplicas"'

# Who changed each field: the managedFields a real kube-apiserver wrote
# (tests/fixtures/managed: helm install, then kubectl edit, patch, set image).
real=$src/tests/fixtures/managed
for f in live.yaml live.json; do
    expect_exit 2 "diff -o json of a real snapshot ($f)" -- "$ctl" diff "${base[@]}" --live "$real/$f" -o json
    jq_eq "changedBy: kubectl edit lowered the floor ($f)" "$out" \
        '.variances[] | select(.path=="spec.minReplicas") | .changedBy | "\(.manager) \(.operation) \(.time)"' \
        "kubectl-edit Update 2026-12-01T20:51:51Z"
    jq_eq "changedBy: kubectl patch moved the port ($f)" "$out" \
        '.variances[] | select(.path=="spec.ports[name=http].port") | .changedBy.manager' kubectl-patch
    jq_eq "changedBy: kubectl set image ($f)" "$out" \
        '.variances[] | select(.object.kind=="Deployment") | .changedBy.manager' kubectl-set
done
expect_exit 2 "reconcile plan of a real snapshot" -- "$ctl" reconcile "${base[@]}" --live "$real/live.yaml" -o json
jq_eq "the plan names who changed the floor" "$out" \
    '.operations[].variances[] | select(.path=="spec.minReplicas") | .changedBy | "\(.manager) \(.operation)"' \
    "kubectl-edit Update"
expect_exit 2 "diff table of a real snapshot" -- "$ctl" diff "${base[@]}" --live "$real/live.yaml"
contains "CHANGED BY column" "$out" "ACTION  CHANGED BY"
contains "CHANGED BY cell" "$out" "deny    kubectl-edit   Update  2026-12-01T20:51:51Z"
expect_exit 2 "diff -o markdown of a real snapshot" -- "$ctl" diff "${base[@]}" --live "$real/live.yaml" -o markdown
contains "markdown: Changed by" "$out" "| Action | Changed by |"
expect_exit 2 "diff -o sarif of a real snapshot" -- "$ctl" diff "${base[@]}" --live "$real/live.yaml" -o sarif
jq_eq "sarif: changedBy in properties" "$out" \
    '[.runs[0].results[].properties.changedBy.manager] | sort | join(",")' \
    "kubectl-edit,kubectl-patch,kubectl-patch,kubectl-patch,kubectl-set"
# Without managedFields (kubectl get without --show-managed-fields) nobody is named.
awk '/^    managedFields:/{skip=1; next} skip && /^    [a-z]/{skip=0} !skip' "$real/live.yaml" >"$tmp/no-mf.yaml"
expect_exit 2 "diff of a snapshot without managedFields" -- "$ctl" diff "${base[@]}" --live "$tmp/no-mf.yaml" -o json
jq_eq "no changedBy without managedFields" "$out" '[.variances[] | select(has("changedBy"))] | length' 0
expect_exit 2 "diff table without managedFields" -- "$ctl" diff "${base[@]}" --live "$tmp/no-mf.yaml"
lacks "no CHANGED BY column" "$out" "CHANGED BY"

# No drift: live equal to the baseline (what `kubectl apply` of the render gives).
expect_exit 0 "diff of the baseline against itself" -- "$ctl" diff "${base[@]}" --live "$ex/release-baseline.yaml"
contains "no drift" "$out" "No governed drift"

# stdin
expect_exit 2 "diff --live -" -- sh -c "\"$ctl\" diff --baseline \"$ex/release-baseline.yaml\" -n sandbox-nginx --live - < \"$ex/live-snapshot.yaml\""

# Coverage: a snapshot of HPAs says nothing about the Service, unless --kinds says so.
awk 'BEGIN{p=1} /^- apiVersion: v1$/{p=0} /^- apiVersion: apps\/v1$/{p=0} /^kind: List/{p=1} p' \
    "$ex/live-snapshot.yaml" >"$tmp/hpa-only.yaml"
expect_exit 2 "diff of an HPA-only snapshot" -- "$ctl" diff "${base[@]}" --live "$tmp/hpa-only.yaml" -o json
jq_eq "only the HPA variance" "$out" '.variances | length' 1
expect_exit 2 "diff --kinds hpa,svc" -- "$ctl" diff "${base[@]}" --live "$tmp/hpa-only.yaml" --kinds hpa,svc -o json
jq_eq "--kinds: the Service is missing" "$out" '.variances[] | select(.object.kind=="Service") | .type' missing
expect_exit 1 "--kinds with an unknown kind" -- "$ctl" diff "${base[@]}" --live "$tmp/hpa-only.yaml" --kinds hpa,gizmos
contains "--kinds error" "$err" "unknown kind 'gizmos'"

# Errors: exit 1 and a message naming the input.
expect_exit 1 "missing file" -- "$ctl" diff "${base[@]}" --live "$tmp/nope.yaml"
contains "missing file message" "$err" "$tmp/nope.yaml: No such file or directory"
printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n   bad: indent\n' >"$tmp/bad.yaml"
expect_exit 1 "YAML syntax error" -- "$ctl" diff "${base[@]}" --live "$tmp/bad.yaml"
contains "syntax error names file:line:col" "$err" "$tmp/bad.yaml:5:"
expect_exit 1 "oversize input" -- "$ctl" diff "${base[@]}" --live "$ex/live-snapshot.yaml" --max-bytes 100
contains "oversize message" "$err" "larger than the limit of 100 bytes"
printf 'apiVersion: driftgate.io/v1alpha1\nkind: DriftPolicy\nspec:\n  rules:\n  - name: r\n    kinds: [hpa]\n    paths: [spec.minReplicas]\n    action: block\n' >"$tmp/policy.yaml"
expect_exit 1 "invalid policy" -- "$ctl" diff "${base[@]}" --live "$ex/live-snapshot.yaml" --policy "$tmp/policy.yaml"
contains "policy error names file:line:col" "$err" "$tmp/policy.yaml:8:5: action 'block' is not deny, warn or audit"
expect_exit 1 "missing flag" -- "$ctl" diff --live "$ex/live-snapshot.yaml"
contains "usage error" "$err" "--baseline and --live are required"
expect_exit 1 "bad -o" -- "$ctl" diff "${base[@]}" --live "$ex/live-snapshot.yaml" -o xml
contains "format error" "$err" "unknown output format"

# ---- simulate a recorded review ----------------------------------------------------
expect_exit 2 "simulate: the out-of-band floor change" -- "$ctl" simulate --review "$ex/reviews/hpa-floor-4.json" "${base[@]}"
jq_eq "response uid" "$out" .response.uid 1f7c2e4a-8b3d-4c6e-9a15-7d2b0e6f3c81
jq_eq "response allowed" "$out" .response.allowed false
jq_eq "response code" "$out" .response.status.code 403
for s in spec.minReplicas "desired 6" "requested 4" test-nginx; do
    contains "deny message" "$(printf '%s' "$out" | jq -r .response.status.message)" "$s"
done
jq_eq "audit annotation" "$out" .response.auditAnnotations.decision deny

expect_exit 0 "simulate: the reconcile" -- "$ctl" simulate --review "$ex/reviews/hpa-reconcile-6.json" "${base[@]}"
jq_eq "reconcile allowed" "$out" .response.allowed true
jq_eq "reconcile annotation" "$out" .response.auditAnnotations.decision reconcile

expect_exit 0 "simulate: image change warns" -- "$ctl" simulate --review "$ex/reviews/image-warn.json" "${base[@]}"
jq_eq "warning" "$out" '.response.warnings | length' 1

expect_exit 1 "simulate: a bad review" -- sh -c "echo '{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"request\":{}}' | \"$ctl\" simulate --review - --baseline \"$ex/release-baseline.yaml\""
contains "bad review message" "$err" "uid"

# ---- simulate a proposed change -----------------------------------------------------
live=(--live "$ex/live-snapshot.yaml")
expect_exit 2 "simulate --patch merge" -- "$ctl" simulate "${base[@]}" "${live[@]}" --target hpa/test-nginx --patch '{"spec":{"minReplicas":3}}'
contains "table verdict" "$out" "Decision:  deny (403 Forbidden)"
contains "the requested value is labelled as such" "$out" "DESIRED  REQUESTED"
expect_exit 0 "simulate --patch back to the baseline" -- "$ctl" simulate "${base[@]}" "${live[@]}" --target hpa/test-nginx --patch '{"spec":{"minReplicas":6}}' -o json
jq_eq "json verdict" "$out" .decision reconcile
jq_eq "json response" "$out" .response.response.allowed true
# --set PATH=VALUE: a governed path and a value (JSON, else a string).
expect_exit 0 "simulate --set back to the baseline" -- "$ctl" simulate "${base[@]}" "${live[@]}" --target hpa/test-nginx --set spec.minReplicas=6 -o json
jq_eq "--set: a reconcile" "$out" .decision reconcile
expect_exit 2 "simulate --set: a value live already holds is replayed on the baseline" -- "$ctl" simulate "${base[@]}" "${live[@]}" --target hpa/test-nginx --set spec.minReplicas=4
contains "--set 4: the gate's message" "$out" "desired 6, requested 4"
contains "--set 4: replayed, and said so" "$err" "live hpa/test-nginx already holds this change; judging it as made to the baseline's object"
# --from baseline: the web simulator's "Starting from baseline"; the same verdict, nothing to replay.
expect_exit 2 "simulate --from baseline" -- "$ctl" simulate "${base[@]}" "${live[@]}" --target hpa/test-nginx --set spec.minReplicas=4 --from baseline
contains "--from baseline: the gate's message" "$out" "desired 6, requested 4"
checks=$((checks + 1)); [ -z "$err" ] || fail "--from baseline: nothing replayed, nothing said: $err"
expect_exit 1 "simulate --from elsewhere" -- "$ctl" simulate "${base[@]}" --target hpa/test-nginx --set spec.minReplicas=4 --from yesterday
contains "--from: live or baseline" "$err" "--from 'yesterday': live or baseline"
expect_exit 0 "simulate --set a keyed list element, a string value" -- "$ctl" simulate "${base[@]}" "${live[@]}" --target deploy/test-nginx --set 'spec.template.spec.containers[name=nginx].image=nginx:1.29' -o json
jq_eq "--set image: warn" "$out" .decision warn
expect_exit 2 "simulate --set twice" -- "$ctl" simulate "${base[@]}" "${live[@]}" --target svc/test-nginx --set spec.type=ClusterIP --set 'spec.ports[name=http].port=9090'
contains "--set twice: the second is judged" "$out" "9090"
expect_exit 1 "simulate --set without =" -- "$ctl" simulate "${base[@]}" --target hpa/test-nginx --set spec.minReplicas
contains "--set without =" "$err" "expected PATH=VALUE"
expect_exit 1 "simulate --set on an absent element" -- "$ctl" simulate "${base[@]}" --target svc/test-nginx --set 'spec.ports[name=grpc].port=1'
contains "--set absent element" "$err" "no object holds field 'port'"
expect_exit 1 "simulate --set with --patch" -- "$ctl" simulate "${base[@]}" --target hpa/test-nginx --set spec.minReplicas=3 --patch '{}'
expect_exit 2 "simulate --type json" -- "$ctl" simulate "${base[@]}" "${live[@]}" --target svc/test-nginx --type json --patch '[{"op":"replace","path":"/spec/ports/0/port","value":9090}]' -o json
jq_eq "json patch judged" "$out" '.variances[0].path' 'spec.ports[name=http].port'
expect_exit 1 "simulate: a patch that cannot apply" -- "$ctl" simulate "${base[@]}" "${live[@]}" --target svc/test-nginx --type json --patch '[{"op":"remove","path":"/spec/nope"}]'
contains "patch error" "$err" "cannot be applied"
expect_exit 0 "simulate --subresource scale (an HPA owns replicas)" -- "$ctl" simulate "${base[@]}" "${live[@]}" --target deploy/test-nginx --subresource scale --patch '{"spec":{"replicas":9}}' -o json
jq_eq "scale allowed" "$out" .response.response.allowed true
printf '%s\n' "$(sed -n '/^# Source: nginx\/templates\/hpa.yaml/q;p' "$ex/release-baseline.yaml" | sed 's/^spec:$/spec:\n  replicas: 3/')" >"$tmp/no-hpa.yaml"
expect_exit 2 "simulate --subresource scale without an HPA" -- "$ctl" simulate --baseline "$tmp/no-hpa.yaml" -n sandbox-nginx --target deploy/test-nginx --subresource scale --patch '{"spec":{"replicas":5}}'
contains "scale denied" "$out" "spec.replicas"
cp "$ex/live-snapshot.yaml" "$tmp/live.yaml"
expect_exit 0 "break-glass with --as/--as-group" -- "$ctl" simulate "${base[@]}" --live "$tmp/live.yaml" --policy "$ex/policy.yaml" --target hpa/test-nginx --as oncall@example.com --as-group sre-oncall --patch '{"metadata":{"annotations":{"driftgate.io/break-glass":"INC-4711","driftgate.io/break-glass-expires":"'"$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)"'"}},"spec":{"minReplicas":2}}' -o json
jq_eq "break-glass verdict" "$out" .decision break-glass
jq_eq "break-glass user" "$out" '.response.response.auditAnnotations["break-glass-user"]' oncall@example.com
expect_exit 2 "break-glass outside the group" -- "$ctl" simulate "${base[@]}" --live "$tmp/live.yaml" --policy "$ex/policy.yaml" --target hpa/test-nginx --as dev@example.com --as-group developers --patch '{"metadata":{"annotations":{"driftgate.io/break-glass":"INC-4711"}},"spec":{"minReplicas":2}}'
expect_exit 2 "--dry-run: the same answer" -- "$ctl" simulate "${base[@]}" "${live[@]}" --target hpa/test-nginx --dry-run --patch '{"spec":{"minReplicas":3}}'
expect_exit 1 "simulate: unknown target" -- "$ctl" simulate "${base[@]}" --target hpa/nope -n sandbox-nginx --patch '{}'
contains "unknown target" "$err" "no autoscaling/HorizontalPodAutoscaler sandbox-nginx/nope"

# The decision record (the same writer as driftgate's /api/v1/decisions):
# the operation, the requested value under "requested" (never "live"), the
# denial message, the reconciled paths, and why a request was not judged.
expect_exit 2 "simulate -o json: the record of a denial" -- "$ctl" simulate --review "$ex/reviews/hpa-floor-4.json" "${base[@]}" -o json
jq_eq "record: operation" "$out" .operation UPDATE
jq_eq "record: decision" "$out" .decision deny
jq_eq "record: requested value" "$out" '.variances[0] | "\(.path) \(.desired) \(.requested)"' "spec.minReplicas 6 4"
jq_eq "record: no live in a request's variance" "$out" '[.variances[] | has("live")] | any' false
jq_eq "record: the denial message" "$out" .message "$(printf '%s' "$out" | jq -r .response.response.status.message)"
contains "record: the message names the request" "$(printf '%s' "$out" | jq -r .message)" "desired 6, requested 4"
expect_exit 0 "simulate -o json: the record of a reconcile" -- "$ctl" simulate --review "$ex/reviews/hpa-reconcile-6.json" "${base[@]}" -o json
jq_eq "record: reconciled paths" "$out" '[.reconciled[] | "\(.path) \(.before)->\(.desired)"] | join(",")' "spec.minReplicas 4->6"
jq_eq "record: no message when allowed" "$out" .message null
fx=$src/tests/fixtures/decide
expect_exit 0 "simulate -o json: no baseline" -- "$ctl" simulate --review "$fx/no-baseline/review.json" "${base[@]}" -o json
jq_eq "record: no-baseline" "$out" .decision no-baseline
jq_eq "record: why no baseline" "$out" .reason "no baseline holds hpa/other-app in namespace sandbox-nginx"
expect_exit 0 "simulate -o json: an unknown operation" -- "$ctl" simulate --review "$fx/unknown-operation-allowed/review.json" "${base[@]}" -o json
jq_eq "record: skip" "$out" '"\(.operation) \(.decision)"' "PROMOTE skip"
jq_eq "record: why skipped" "$out" .reason "operation PROMOTE is not judged"
expect_exit 0 "simulate -o json: a status update" -- "$ctl" simulate --review "$fx/status-subresource-skipped/review.json" "${base[@]}" -o json
jq_eq "record: why a subresource is skipped" "$out" .reason "UPDATE of subresource status is not judged"
expect_exit 0 "simulate -o json: an ungoverned kind" -- "$ctl" simulate --review "$fx/configmap-ungoverned-skipped/review.json" "${base[@]}" -o json
jq_eq "record: why a kind is skipped" "$out" .reason "configmaps is not governed by policy default"

# Simulation is enforcement: the same change, built by driftctl and recorded
# from the API server, gets the same decision and message.
expect_exit 2 "built request" -- "$ctl" simulate "${base[@]}" --target hpa/test-nginx --patch '{"spec":{"minReplicas":4}}' -o json
built=$(printf '%s' "$out" | jq -c '.response.response | del(.uid)')
expect_exit 2 "recorded request" -- "$ctl" simulate --review "$ex/reviews/hpa-floor-4.json" "${base[@]}"
recorded=$(printf '%s' "$out" | jq -c '.response | del(.uid)')
checks=$((checks + 1))
[ "$built" = "$recorded" ] || fail "built and recorded requests differ: $built vs $recorded"

# ---- the committed baseline is what the real helm renders ----------------------------
if command -v helm >/dev/null; then
    helm template test-nginx "$ex/charts/nginx" --namespace sandbox-nginx >"$tmp/render.yaml" 2>"$tmp/helm.err" ||
        fail "helm template failed: $(cat "$tmp/helm.err")"
    checks=$((checks + 1))
    cmp -s "$tmp/render.yaml" "$ex/release-baseline.yaml" ||
        fail "examples/release-baseline.yaml is stale: run examples/regen-baseline.sh"
    expect_exit 2 "diff of a fresh helm render" -- "$ctl" diff --baseline "$tmp/render.yaml" -n sandbox-nginx --live "$ex/live-snapshot.yaml" -o json
    jq_eq "fresh render: 4 variances" "$out" '.variances | length' 4
else
    echo "note: helm not on PATH; the render check was skipped" >&2
fi

# ---- render and publish ---------------------------------------------------------------
if command -v helm >/dev/null; then
    expect_exit 0 "render a chart" -- "$ctl" render --chart "$ex/charts/nginx" --release test-nginx -n sandbox-nginx -o "$tmp/r.yaml"
    contains "render says what it wrote" "$err" "3 objects into $tmp/r.yaml"
    contains "render says the hook is kept but not governed" "$err" "and 1 Helm hook (helm.sh/hook) kept in the file but not governed"
    checks=$((checks + 1))
    cmp -s "$tmp/r.yaml" "$ex/release-baseline.yaml" || fail "render differs from helm template"
    expect_exit 0 "render with values" -- "$ctl" render --chart "$ex/charts/nginx" --release test-nginx -n sandbox-nginx --set autoscaling.minReplicas=8 -o -
    contains "render --set reaches helm" "$out" "minReplicas: 8"
    # A chart with CRDs: helm template leaves them out unless --include-crds.
    cp -r "$ex/charts/nginx" "$tmp/crd-chart" && mkdir -p "$tmp/crd-chart/crds"
    printf 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]\n' \
        >"$tmp/crd-chart/crds/widgets.yaml"
    expect_exit 0 "render without --include-crds" -- "$ctl" render --chart "$tmp/crd-chart" --release test-nginx -n sandbox-nginx -o -
    lacks "no CRD without --include-crds" "$out" "kind: CustomResourceDefinition"
    expect_exit 0 "render --include-crds" -- "$ctl" render --chart "$tmp/crd-chart" --release test-nginx -n sandbox-nginx --include-crds -o -
    contains "--include-crds reaches helm" "$out" "kind: CustomResourceDefinition"
    expect_exit 1 "--include-crds is for charts" -- "$ctl" render --manifests "$tmp" --release x --include-crds
    expect_exit 1 "render a missing chart" -- "$ctl" render --chart "$tmp/nochart" --release x -n y -o "$tmp/none.yaml"
    contains "render error names helm and the chart" "$err" "helm template x $tmp/nochart: helm exited with status 1"
    checks=$((checks + 1))
    [ ! -e "$tmp/none.yaml" ] || fail "a failed render left a file"
fi
mkdir -p "$tmp/git/sub"
cp "$ex/release-baseline.yaml" "$tmp/git/sub/all.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata: {a: "1"}' >"$tmp/git/a.yml"
echo 'not: a manifest' >"$tmp/git/README.txt"
expect_exit 0 "render --manifests" -- "$ctl" render --manifests "$tmp/git" --release test-nginx -n sandbox-nginx -o "$tmp/g.yaml"
contains "render --manifests counts objects in every file" "$err" "4 objects"
contains "render --manifests marks sources" "$(cat "$tmp/g.yaml")" "# Source: $tmp/git/sub/all.yaml"
printf 'kind: [\n' >"$tmp/git/bad.yaml"
expect_exit 1 "render --manifests with a broken file" -- "$ctl" render --manifests "$tmp/git" --release r -o "$tmp/g2.yaml"
contains "the broken file is named with its line" "$err" "$tmp/git/bad.yaml:2:1"
expect_exit 1 "render needs a source" -- "$ctl" render --release r
expect_exit 1 "render needs a release" -- "$ctl" render --chart "$ex/charts/nginx"

expect_exit 0 "publish" -- "$ctl" publish --baseline "$ex/release-baseline.yaml" -n sandbox-nginx --revision 3
printf '%s\n' "$out" >"$tmp/cm.yaml"
contains "publish: the ConfigMap name" "$out" "name: driftgate-baseline.sandbox-nginx.test-nginx"
contains "publish: in the trusted namespace" "$out" "  namespace: driftgate-system"
contains "publish: the release namespace" "$out" "driftgate.io/release-namespace: sandbox-nginx"
contains "publish: the baseline label" "$out" 'driftgate.io/baseline: "true"'
contains "publish: the release from the objects" "$out" "driftgate.io/release: test-nginx"
contains "publish: the revision" "$out" 'driftgate.io/revision: "3"'
expect_exit 0 "publish --baseline-namespace" -- "$ctl" publish --baseline "$ex/release-baseline.yaml" -n sandbox-nginx --baseline-namespace platform-baselines
contains "publish --baseline-namespace: where it goes" "$out" "  namespace: platform-baselines"
contains "publish: the chart from helm.sh/chart" "$out" 'driftgate.io/chart: "nginx-0.1.0"'
contains "publish: the digest of the render" "$out" "sha256:$(sha256sum "$ex/release-baseline.yaml" | cut -d' ' -f1)"
expect_exit 2 "a published baseline diffs like the render" -- "$ctl" diff --baseline "$tmp/cm.yaml" --live "$ex/live-snapshot.yaml" -o json
jq_eq "published: 4 variances" "$out" '.variances | length' 4
expect_exit 0 "publish --gzip" -- "$ctl" publish --baseline "$ex/release-baseline.yaml" -n sandbox-nginx --gzip -o "$tmp/gz.yaml"
contains "publish --gzip: binaryData" "$(cat "$tmp/gz.yaml")" "manifest.yaml.gz: H4sI"
expect_exit 2 "a gzip'd baseline diffs like the render" -- "$ctl" diff --baseline "$tmp/gz.yaml" --live "$ex/live-snapshot.yaml" -o json
jq_eq "gzip'd: 4 variances" "$out" '.variances | length' 4
printf 'apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: a\r\n   \n' >"$tmp/crlf.yaml"
expect_exit 0 "publish a render with CRLF and blank lines" -- "$ctl" publish --baseline "$tmp/crlf.yaml" -n ns --release r -o "$tmp/crlf-cm.yaml"
expect_exit 0 "it reads back with its digest" -- "$ctl" diff --baseline "$tmp/crlf-cm.yaml" --live "$tmp/crlf.yaml"
expect_exit 1 "publish a ConfigMap twice" -- "$ctl" publish --baseline "$tmp/cm.yaml" -n sandbox-nginx
contains "publish refuses a ConfigMap" "$err" "is already a baseline ConfigMap"
expect_exit 1 "publish a bad namespace" -- "$ctl" publish --baseline "$ex/release-baseline.yaml" -n Bad_NS
contains "publish names the namespace" "$err" "namespace 'Bad_NS' is not a valid RFC 1123 label"
expect_exit 1 "publish needs -n" -- "$ctl" publish --baseline "$ex/release-baseline.yaml"
expect_exit 1 "publish a broken render" -- "$ctl" publish --baseline "$tmp/git/bad.yaml" -n x --release r
contains "publish names the file and line" "$err" "$tmp/git/bad.yaml:2:1"

# ---- capture: the real kubectl (the e2e suite reads a real cluster with it) ------------
if command -v kubectl >/dev/null; then
    printf 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\nusers: [{name: u, user: {token: t}}]\n' >"$tmp/kubeconfig"
    expect_exit 1 "capture from an unreachable cluster" -- "$ctl" capture --baseline "$ex/release-baseline.yaml" -n sandbox-nginx --kubeconfig "$tmp/kubeconfig" -o "$tmp/live.yaml"
    contains "capture names kubectl and its status" "$err" "driftctl: kubectl exited with status 1"
    contains "capture gives the likely cause" "$err" "likely cause: the cluster is unreachable"
    contains "capture says what it ran" "$err" "  ran: kubectl get services/test-nginx deployments.apps/test-nginx horizontalpodautoscalers.autoscaling/test-nginx --namespace sandbox-nginx --ignore-not-found --show-managed-fields -o yaml --kubeconfig $tmp/kubeconfig"
    contains "capture keeps the gist of kubectl's stderr" "$err" "  kubectl said: The connection to the server 127.0.0.1:1 was refused"
    lacks "not kubectl's raw stderr" "$err" "memcache.go"
    checks=$((checks + 1)); [ "$(printf '%s\n' "$err" | wc -l)" -le 4 ] || fail "capture: more than a short excerpt: $err"
    expect_exit 1 "capture with a context the kubeconfig lacks" -- "$ctl" capture --baseline "$ex/release-baseline.yaml" -n sandbox-nginx --kubeconfig "$tmp/kubeconfig" --context nope -o "$tmp/live.yaml"
    contains "wrong context" "$err" "likely cause: wrong context"
    mkdir -p "$tmp/nohome"
    expect_exit 1 "publish --apply with no kubeconfig" -- env HOME="$tmp/nohome" KUBECONFIG= "$ctl" publish --baseline "$ex/release-baseline.yaml" -n sandbox-nginx --apply
    contains "no kubeconfig" "$err" "likely cause: no kubeconfig"
    contains "publish --apply says what it ran" "$err" "  ran: kubectl apply --server-side --field-manager=driftctl --force-conflicts -f -"
    lacks "publish --apply does not print the ConfigMap it could not apply" "$out" "kind: ConfigMap"
fi
# A release of 70 Services: every one asked of kubectl, in one call (a
# stand-in kubectl records its arguments and prints an empty List).
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s"\nprintf "apiVersion: v1\\nkind: List\\nitems: []\\n"\n' "$tmp/kubectl.args" >"$tmp/fake-kubectl"
chmod +x "$tmp/fake-kubectl"
for i in $(seq 70); do printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: s%d}\nspec:\n  ports: [{port: 80}]\n' "$i"; done >"$tmp/many.yaml"
expect_exit 0 "capture of 70 objects" -- "$ctl" capture --baseline "$tmp/many.yaml" -n many --kubectl "$tmp/fake-kubectl" -o "$tmp/many-live.yaml"
contains "capture of 70: said" "$err" "captured 0 of 70 governed objects"
checks=$((checks + 1))
[ "$(grep -c '^services/s[0-9]*$' "$tmp/kubectl.args")" = 70 ] || fail "capture asked kubectl for $(grep -c '^services/' "$tmp/kubectl.args") of 70 objects"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: only}\n' >"$tmp/ungoverned.yaml"
expect_exit 1 "capture of a release that governs nothing" -- "$ctl" capture --baseline "$tmp/ungoverned.yaml"
contains "capture says why" "$err" "governs no object under the policy"
expect_exit 1 "capture needs a baseline" -- "$ctl" capture

# ---- timeline: the audit lifecycle from real audit events (captured from e2e/run.sh) -----------
tlfx=$src/tests/fixtures/timeline
tlog=$tlfx/e2e-audit.log
tl=(-n sandbox-nginx --release test-nginx -o json)
same_timeline() { # NAME JSON: the expected test-nginx timeline, the events compared as JSON
    checks=$((checks + 1))
    [ "$(printf '%s' "$2" | jq -cS .events)" = "$(jq -cS .events "$tlfx/expect-test-nginx.json")" ] ||
        fail "$1: not the expected timeline: $(printf '%s' "$2" | jq -c '[.events[] | [.time, .stage, .decision]]' 2>&1 | head -c 600)"
}
expect_exit 0 "timeline -o json" -- "$ctl" timeline --audit-log "$tlog" "${tl[@]}"
same_timeline "timeline -o json" "$out"
jq_eq "timeline: the failed-open change, against the published 7" "$out" \
    '.events[] | select(.decision == "failed-open") | .variances | map("\(.path) \(.desired) \(.requested)") | join(",")' \
    "spec.minReplicas 7 2"
jq_eq "timeline: refused with the webhook down" "$out" '[.events[] | select(.decision == "webhook-unreachable") | .code] | join(",")' 500
jq_eq "timeline: lines read" "$out" '.summary | "\(.lines) \(.malformed)"' "68 0"
# Rotated: the older half gzip'd, the newer plain; each shuffled (any order within a file).
head -n 34 "$tlog" | shuf | gzip >"$tmp/audit.log.1.gz"
tail -n +35 "$tlog" | shuf >"$tmp/audit.log"
expect_exit 0 "timeline over a rotated .gz and the live log" -- "$ctl" timeline --audit-log "$tmp/audit.log.1.gz" "$tmp/audit.log" "${tl[@]}"
same_timeline "rotated, shuffled, .gz" "$out"
expect_exit 0 "timeline: --audit-log twice" -- "$ctl" timeline --audit-log "$tmp/audit.log" --audit-log "$tmp/audit.log.1.gz" "${tl[@]}"
same_timeline "--audit-log twice" "$out"
expect_exit 0 "timeline: the same log given twice" -- "$ctl" timeline --audit-log "$tlog" "$tlog" "${tl[@]}"
same_timeline "each event once" "$out"
expect_exit 0 "timeline from stdin" -- sh -c "gzip -c '$tlog' | '$ctl' timeline --audit-log - -n sandbox-nginx --release test-nginx -o json"
same_timeline "stdin, gzip'd" "$out"
# Malformed lines: counted, the first named, never fatal.
{ echo '{"kind":"Event","truncated'; sed -n 1,10p "$tlog"; echo 'not json at all'; echo '{"kind":"Pod"}'; sed -n '11,$p' "$tlog"; } >"$tmp/bad.log"
expect_exit 0 "timeline with malformed lines" -- "$ctl" timeline --audit-log "$tmp/bad.log" "${tl[@]}"
same_timeline "malformed lines skipped" "$out"
jq_eq "timeline: malformed counted" "$out" '.summary.malformed' 3
contains "timeline: malformed said on stderr" "$err" "driftctl timeline: 3 malformed lines skipped (first: $tmp/bad.log:1: "
# A line past the 16 MiB cap is skipped without being held.
{ head -c $((17 << 20)) /dev/zero | tr '\0' x; echo; cat "$tlog"; } >"$tmp/long.log"
expect_exit 0 "timeline with a 17 MiB line" -- "$ctl" timeline --audit-log "$tmp/long.log" "${tl[@]}"
same_timeline "a 17 MiB line skipped" "$out"
contains "timeline: the long line" "$err" "(first: $tmp/long.log:1: line longer than 16777216 bytes)"
rm -f "$tmp/long.log"
# --since and --object
expect_exit 0 "timeline --since" -- "$ctl" timeline --audit-log "$tlog" "${tl[@]}" --since 2026-12-01T21:53:45+01:00
jq_eq "--since: only what came after" "$out" '[.events[].time | . >= "2026-12-01T20:53:45"] | unique | join(",")' true
jq_eq "--since: the first event after it" "$out" '.events[0].decision' failed-open
jq_eq "--since: what came before is still known" "$out" '.events[0].variances[0].desired' 7
expect_exit 0 "timeline --object" -- "$ctl" timeline --audit-log "$tlog" "${tl[@]}" --object svc/test-nginx
jq_eq "--object: the Service and the release's intent" "$out" '[.events[].object.resource] | unique | join(",")' configmaps,services
jq_eq "--object: the Service's story" "$out" '[.events[] | select(.object.resource == "services") | .decision] | join(",")' deny,deny
# The table: the three stages, and a closing line per object.
expect_exit 0 "timeline table" -- "$ctl" timeline --audit-log "$tlog" -n sandbox-nginx --release test-nginx
for h in TIME STAGE OBJECT VERB USER OUTCOME DETAIL; do contains "timeline header" "$out" "$h"; done
for st in baseline-render out-of-band-mutation controlled-reconcile; do contains "timeline stage $st" "$out" "  $st  "; done
contains "timeline: the floor denied" "$out" "hpa/test-nginx                                  patch            e2e-admin              deny 403                 spec.minReplicas: 6 -> 4"
contains "timeline: closing line" "$out" "hpa/test-nginx: 2 renders, 13 out-of-band attempts (9 denied, 1 webhook unreachable, 1 failed open, 2 break-glass), 3 reconciles"
contains "timeline: intent" "$out" "release sandbox-nginx/test-nginx intent: 3 renders, 2 out-of-band attempts (2 denied), 0 reconciles"
# Another release in the same log: Helm's install, upgrade, rollback and uninstall are renders.
expect_exit 0 "timeline of the deployer's release" -- "$ctl" timeline --audit-log "$tlog" -n sandbox-deploy --release app -o json
jq_eq "deployer: revisions" "$out" '[.events[] | select(.object.resource == "configmaps") | .revision] | join(",")' 1,2,3
jq_eq "deployer: every Helm write is a render" "$out" '[.events[] | select(.userAgent | startswith("Helm/")) | .stage] | unique | join(",")' baseline-render
jq_eq "deployer: the uninstall under the last revision" "$out" '[.events[] | select(.verb == "delete") | .revision] | unique | join(",")' 3
jq_eq "deployer: jane's label" "$out" '[.events[] | select(.stage == "out-of-band-mutation") | "\(.user) \(.decision)"] | join(",")' "jane allow"
# Errors name the input.
expect_exit 1 "timeline needs a log" -- "$ctl" timeline -n sandbox-nginx
contains "timeline: --audit-log required" "$err" "--audit-log is required"
expect_exit 1 "timeline: no such file" -- "$ctl" timeline --audit-log "$tmp/nope.log"
contains "timeline: the missing file" "$err" "$tmp/nope.log: No such file or directory"
expect_exit 1 "timeline: a directory" -- "$ctl" timeline --audit-log "$tmp"
contains "timeline: the directory" "$err" "is a directory; --audit-log wants a file"
head -c "$(($(wc -c <"$tmp/audit.log.1.gz") / 2))" "$tmp/audit.log.1.gz" >"$tmp/cut.gz"
expect_exit 1 "timeline: a cut .gz" -- "$ctl" timeline --audit-log "$tmp/cut.gz"
contains "timeline: the cut .gz" "$err" "$tmp/cut.gz: read error after line"
contains "timeline: why" "$err" ": unexpected end of file"
expect_exit 1 "timeline: --since" -- "$ctl" timeline --audit-log "$tlog" --since yesterday
contains "timeline: bad --since" "$err" "--since yesterday: not an RFC 3339 time"
expect_exit 1 "timeline: --object" -- "$ctl" timeline --audit-log "$tlog" --object widget/x
contains "timeline: bad --object" "$err" "--object widget/x: unknown kind 'widget'"
expect_exit 1 "timeline: -o yaml" -- "$ctl" timeline --audit-log "$tlog" -o yaml
contains "timeline: formats" "$err" "a timeline is a table or json"
# ---- reconcile: the plan, offline --------------------------------------------------------
expect_exit 2 "reconcile: the seed drift" -- "$ctl" reconcile "${base[@]}" --live "$ex/live-snapshot.yaml"
contains "reconcile: one row per variance" "$out" "hpa/test-nginx     patch   spec.minReplicas"
contains "reconcile: the patch" "$out" "    replace  /spec/minReplicas  6"
contains "reconcile: the summary" "$out" "3 operations (3 patch) restore 4 variances in release sandbox-nginx/test-nginx."
for h in OBJECT ACTION PATH DESIRED LIVE RULE DECISION; do contains "reconcile table header" "$out" "$h"; done
expect_exit 2 "reconcile -o json" -- "$ctl" reconcile "${base[@]}" --live "$ex/live-snapshot.yaml" -o json
jq_eq "plan: the summary" "$out" '.summary | "\(.operations) \(.patch) \(.create) \(.variances)"' "3 3 0 4"
jq_eq "plan: every operation judged a reconcile" "$out" '[.operations[].decision] | unique | join(",")' reconcile
jq_eq "plan: the HPA floor, tested then restored" "$out" \
    '.operations[] | select(.object.kind == "HorizontalPodAutoscaler") | .patch | map("\(.op) \(.path) \(.value)") | join(";")' \
    "test /spec/minReplicas 4;replace /spec/minReplicas 6"
jq_eq "plan: the Service port by its merge key, and the type" "$out" \
    '.operations[] | select(.object.kind == "Service") | .patch | map(select(.op != "test")) | map("\(.path)=\(.value)") | join(";")' \
    "/spec/ports/0/port=80;/spec/type=ClusterIP"
jq_eq "plan: the port's element is tested by name" "$out" \
    '.operations[] | select(.object.kind == "Service") | .patch[0] | "\(.op) \(.path) \(.value)"' "test /spec/ports/0/name http"
jq_eq "plan: the live resourceVersion" "$out" '.operations[] | select(.object.kind == "Service") | .resourceVersion' 48260
jq_eq "plan: the baseline's digest" "$out" .release.digest "sha256:$(sha256sum "$ex/release-baseline.yaml" | cut -d' ' -f1)"
expect_exit 2 "reconcile -o markdown" -- "$ctl" reconcile "${base[@]}" --live "$ex/live-snapshot.yaml" -o markdown
contains "markdown plan" "$out" "| Object | Action | Path | Desired | Live | Rule | Decision |"
expect_exit 1 "reconcile -o sarif" -- "$ctl" reconcile "${base[@]}" --live "$ex/live-snapshot.yaml" -o sarif
expect_exit 0 "reconcile: nothing to do" -- "$ctl" reconcile "${base[@]}" --live "$ex/release-baseline.yaml"
contains "nothing to do" "$out" "Nothing to reconcile: no governed drift in release sandbox-nginx/test-nginx."
expect_exit 2 "reconcile --only RULE" -- "$ctl" reconcile "${base[@]}" --live "$ex/live-snapshot.yaml" --only hpa-bounds -o json
jq_eq "--only hpa-bounds" "$out" '[.operations[].variances[].path] | join(",")' spec.minReplicas
expect_exit 2 "reconcile --only PATH, twice" -- "$ctl" reconcile "${base[@]}" --live "$ex/live-snapshot.yaml" --only spec.ports --only spec.type -o json
jq_eq "--only spec.ports --only spec.type" "$out" '[.operations[].variances[].path] | join(",")' "spec.ports[name=http].port,spec.type"
expect_exit 1 "reconcile --only neither" -- "$ctl" reconcile "${base[@]}" --live "$ex/live-snapshot.yaml" --only 'spec.ports[0]'
contains "--only says what it is not" "$err" "--only: 'spec.ports[0]' is neither a rule of policy default nor a path"
# A governed object live lacks (a Service snapshot covers Services): created.
awk 'BEGIN{p=1} /^- apiVersion: v1$/{p=0} /^kind: List/{p=1} p' "$ex/live-snapshot.yaml" >"$tmp/no-svc.yaml"
expect_exit 2 "reconcile: a missing object" -- "$ctl" reconcile "${base[@]}" --live "$tmp/no-svc.yaml" -o json
jq_eq "no --kinds: the Service is not known to be missing" "$out" '[.operations[].object.kind] | join(",")' HorizontalPodAutoscaler
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: other, namespace: sandbox-nginx}\nspec: {ports: [{port: 1}]}\n' >"$tmp/other-svc.yaml"
{ cat "$tmp/no-svc.yaml"; echo ---; cat "$tmp/other-svc.yaml"; } >"$tmp/svc-missing.yaml"
expect_exit 2 "reconcile: a missing Service, Services covered" -- "$ctl" reconcile "${base[@]}" --live "$tmp/svc-missing.yaml" -o json
jq_eq "the missing Service is created" "$out" '.operations[] | select(.object.kind == "Service") | "\(.action) \(.decision) \(.manifest.metadata.namespace) \(.manifest.metadata.annotations["meta.helm.sh/release-name"])"' \
    "create allow sandbox-nginx test-nginx"
expect_exit 2 "reconcile --strategy apply" -- "$ctl" reconcile "${base[@]}" --live "$ex/live-snapshot.yaml" --strategy apply -o json
jq_eq "--strategy apply: whole objects" "$out" '[.operations[] | "\(.action):\(.manifest.kind)"] | join(",")' \
    "apply:Service,apply:Deployment,apply:HorizontalPodAutoscaler"

# Usage errors
expect_exit 1 "reconcile with nothing" -- "$ctl" reconcile -n x
contains "reconcile needs a baseline" "$err" "give --baseline FILE (and --live FILE), or --release NAME -n NS"
expect_exit 1 "reconcile --release without -n" -- "$ctl" reconcile --release r
contains "--release needs -n" "$err" "it needs -n NAMESPACE"
expect_exit 1 "--apply with --live" -- "$ctl" reconcile "${base[@]}" --live "$ex/live-snapshot.yaml" --apply
contains "--apply reads live state itself" "$err" "a --live snapshot may already be stale"
expect_exit 1 "--yes without --apply" -- "$ctl" reconcile "${base[@]}" --live "$ex/live-snapshot.yaml" --yes
contains "--yes goes with --apply" "$err" "go with --apply"
expect_exit 1 "--dry-run=client" -- "$ctl" reconcile --release r -n x --apply --dry-run=client
contains "only server dry runs" "$err" "--dry-run: only 'server'"
expect_exit 1 "--strategy merge" -- "$ctl" reconcile "${base[@]}" --live "$ex/live-snapshot.yaml" --strategy merge
expect_exit 1 "--apply FILE --only" -- "$ctl" reconcile --release r -n x --apply plan.json --only hpa-bounds
contains "a saved plan is applied as it is" "$err" "applies the saved plan as it is"

# ---- reconcile: applying, with a stand-in kubectl (tests/fake-kubectl) ---------------------
# It serves the live snapshot to `get` (the reconciled one once a patch went
# through), a published baseline ConfigMap to the baseline lookup, a user to
# `auth whoami`, and records patch/create/apply; "$fk/conflict" makes a patch
# fail as the API server fails a JSON patch whose test fails.
fk=$tmp/fake
mkdir -p "$fk/bin"
cp "$src/tests/fake-kubectl" "$fk/bin/kubectl"
fake() { env FAKE_KUBECTL_DIR="$fk" KUBECTL="$fk/bin/kubectl" "$@"; }
fake_reset() { rm -f "$fk/calls" "$fk/stdin" "$fk/patched" "$fk/conflict" "$fk/cm.json" "$fk/helm.json" "$fk/ssa.json"; cp "$ex/live-snapshot.yaml" "$fk/live.yaml"; cp "$ex/release-baseline.yaml" "$fk/after.yaml"; }
fake_reset
expect_exit 1 "--apply without a terminal and without --yes" -- fake "$ctl" reconcile "${base[@]}" --apply </dev/null
contains "no one to ask" "$err" "stdin is not a terminal, so no one can confirm: give --yes to apply these 3 operations"
checks=$((checks + 1)); [ ! -e "$fk/calls" ] || fail "something was applied without confirmation: $(cat "$fk/calls")"
expect_exit 0 "--apply --yes" -- fake "$ctl" reconcile "${base[@]}" --apply --yes --evidence "$tmp/evidence.json"
contains "applied and verified" "$err" "applied 3 operations on sandbox-nginx/test-nginx; live state read again: the drift is gone"
contains "kubectl patch, as the reconcile's field manager" "$(cat "$fk/calls")" \
    'patch horizontalpodautoscalers.autoscaling/test-nginx --type=json -p [{"op":"test","path":"/spec/minReplicas","value":4},{"op":"replace","path":"/spec/minReplicas","value":6}] --field-manager=driftctl-reconcile --namespace sandbox-nginx'
checks=$((checks + 1)); [ "$(wc -l <"$fk/calls")" = 3 ] || fail "not one patch per object: $(cat "$fk/calls")"
ev=$(cat "$tmp/evidence.json")
jq_eq "evidence: who" "$ev" .who.username fake-admin
jq_eq "evidence: when" "$ev" '.startedAt | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")' true
jq_eq "evidence: the plan" "$ev" '.plan.summary.operations' 3
jq_eq "evidence: each result" "$ev" '[.results[].result] | join(",")' applied,applied,applied
jq_eq "evidence: governed values before and after" "$ev" \
    '.values[] | select(.path == "spec.minReplicas") | "\(.before)->\(.after) (desired \(.desired))"' "4->6 (desired 6)"
jq_eq "evidence: verified" "$ev" '"\(.verified) \(.exitStatus)"' "true 0"
fake_reset
cp "$ex/live-snapshot.yaml" "$fk/after.yaml" # the API server "took" the patches, but nothing changed
expect_exit 1 "--apply: drift left after applying" -- fake "$ctl" reconcile "${base[@]}" --apply --yes
contains "what is left is named" "$err" "hpa/test-nginx: spec.minReplicas still drifts after the reconcile"
fake_reset
expect_exit 0 "--apply --dry-run=server" -- fake "$ctl" reconcile "${base[@]}" --apply --yes --dry-run=server
contains "every change a server dry run" "$(cat "$fk/calls")" "--dry-run=server"
lacks "nothing verified after a dry run" "$err" "read again"
fake_reset
touch "$fk/conflict"
expect_exit 1 "--apply: the object changed since it was read" -- fake "$ctl" reconcile "${base[@]}" --apply --yes --evidence "$tmp/ev2.json"
contains "a failed test is a conflict" "$err" "svc/test-nginx: conflict: it changed since it was read"
contains "the rest stops" "$err" "0 applied, 1 conflict, 0 failed, 2 not attempted"
jq_eq "evidence of a conflict" "$(cat "$tmp/ev2.json")" '[.results[].result] | join(",")' conflict,skipped,skipped
expect_exit 1 "--continue-on-conflict" -- fake "$ctl" reconcile "${base[@]}" --apply --yes --continue-on-conflict
checks=$((checks + 1)); [ "$(wc -l <"$fk/calls")" = 4 ] || fail "--continue-on-conflict did not try every object: $(cat "$fk/calls")"

# --strategy apply: the server-side apply's dry run is judged, and must restore every variance.
ssa_svc() { # EXTRA-PORTS: the Service as a server-side apply of the baseline would store it
    printf '{"apiVersion":"v1","kind":"Service","metadata":{"name":"test-nginx","namespace":"sandbox-nginx"},"spec":{"type":"ClusterIP","ports":[{"name":"http","port":80,"protocol":"TCP","targetPort":"http"}%s],"selector":{"app.kubernetes.io/name":"nginx","app.kubernetes.io/instance":"test-nginx"}}}' "$1"
}
svc_only=(--only service-ports --only service-type)
fake_reset
# A debug port added out of band: server-side apply leaves it, as it is not helm's.
sed '0,/^      targetPort: http$/s//      targetPort: http\n    - name: debug\n      port: 9090\n      protocol: TCP\n      targetPort: 9090/' \
    "$ex/live-snapshot.yaml" >"$fk/live.yaml"
ssa_svc ',{"name":"debug","port":9090,"protocol":"TCP","targetPort":9090}' >"$fk/ssa.json"
expect_exit 1 "--strategy apply that would leave a port another manager owns" -- fake "$ctl" reconcile "${base[@]}" "${svc_only[@]}" --strategy apply --apply --yes
contains "what server-side apply would leave" "$err" 'svc/test-nginx: failed: server-side apply would leave spec.ports[name=debug] at {"name":"debug","port":9090,"protocol":"TCP","targetPort":9090}'
lacks "only the dry run was sent" "$(grep -v -- --dry-run=server "$fk/calls")" "apply"
fake_reset
ssa_svc '' >"$fk/ssa.json"
expect_exit 0 "--strategy apply" -- fake "$ctl" reconcile "${base[@]}" "${svc_only[@]}" --strategy apply --apply --yes
contains "server-side apply as helm, the dry run first" "$(cat "$fk/calls")" "apply --server-side --field-manager=helm --force-conflicts -f - -o json --namespace sandbox-nginx --dry-run=server
apply --server-side --field-manager=helm --force-conflicts -f - --namespace sandbox-nginx"
contains "the live resourceVersion as its precondition" "$(cat "$fk/stdin")" '"resourceVersion":"48260"'

# Online: the published baseline the gate uses, a saved plan, and the baseline changing under it.
fake_reset
fake "$fk/bin/kubectl" fake-publish 3 "$ex/release-baseline.yaml"
expect_exit 2 "reconcile --release: the published baseline" -- fake "$ctl" reconcile --release test-nginx -n sandbox-nginx --out "$tmp/plan.json"
contains "the published revision" "$out" "in release sandbox-nginx/test-nginx (revision 3)."
jq_eq "the saved plan" "$(cat "$tmp/plan.json")" '"\(.release.revision) \(.summary.operations)"' "3 3"
sed 's/minReplicas: 6/minReplicas: 8/' "$ex/release-baseline.yaml" >"$tmp/rev4.yaml"
fake "$fk/bin/kubectl" fake-publish 4 "$tmp/rev4.yaml"
expect_exit 1 "a saved plan after the baseline changed" -- fake "$ctl" reconcile --release test-nginx -n sandbox-nginx --apply "$tmp/plan.json" --yes
contains "the saved plan is refused" "$err" "$tmp/plan.json was made against baseline revision 3 (sha256:$(sha256sum "$ex/release-baseline.yaml" | cut -c1-12)); the baseline of sandbox-nginx/test-nginx is now revision 4 (sha256:$(sha256sum "$tmp/rev4.yaml" | cut -c1-12)): make a new plan"
checks=$((checks + 1)); [ ! -e "$fk/calls" ] || fail "a stale plan was applied: $(cat "$fk/calls")"
expect_exit 1 "a saved plan against another baseline file" -- fake "$ctl" reconcile --baseline "$tmp/rev4.yaml" -n sandbox-nginx --apply "$tmp/plan.json" --yes
contains "a file's digest too" "$err" "make a new plan"
fake "$fk/bin/kubectl" fake-publish 3 "$ex/release-baseline.yaml"
expect_exit 0 "the saved plan, exactly" -- fake "$ctl" reconcile --release test-nginx -n sandbox-nginx --apply "$tmp/plan.json" --yes
checks=$((checks + 1)); [ "$(wc -l <"$fk/calls")" = 3 ] || fail "the saved plan was not applied: $(cat "$fk/calls")"
# No published baseline: Helm's latest deployed release record (ConfigMap driver).
helm_record() { # VERSION STATUS RENDER: a release record as the API returns it
    local rel
    rel=$(jq -n --rawfile m "$3" --arg s "$2" --argjson v "$1" '{name:"test-nginx",namespace:"sandbox-nginx",
        version:$v,info:{status:$s},chart:{metadata:{name:"nginx",version:"0.1.0"}},manifest:$m}' | gzip -c | base64 -w0)
    jq -n --arg r "$rel" --arg v "$1" --arg s "$2" '{apiVersion:"v1",kind:"ConfigMap",
        metadata:{name:("sh.helm.release.v1.test-nginx.v" + $v),namespace:"sandbox-nginx",
        labels:{owner:"helm",name:"test-nginx",status:$s,version:$v}},data:{release:$r}}'
}
fake_reset
{ helm_record 1 superseded "$tmp/rev4.yaml"; helm_record 2 deployed "$ex/release-baseline.yaml"
  echo '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"sh.helm.release.v1.test-nginx.v3","namespace":"sandbox-nginx"},"data":{"release":"not base64!"}}'
} | jq -s '{kind:"List",items:.}' >"$fk/helm.json"
expect_exit 2 "reconcile --release: Helm's deployed record" -- fake "$ctl" reconcile --release test-nginx -n sandbox-nginx -o json
jq_eq "the deployed revision and its manifest's digest" "$out" '"\(.release.revision) \(.release.digest)"' \
    "2 sha256:$(sha256sum "$ex/release-baseline.yaml" | cut -d' ' -f1)"
jq_eq "the deployed revision's floor, not the superseded one's" "$out" \
    '.operations[] | select(.object.kind == "HorizontalPodAutoscaler") | .variances[0].desired' 6
contains "a corrupt record is skipped, as driftgate skips it" "$err" "sandbox-nginx/sh.helm.release.v1.test-nginx.v3"
{ helm_record 2 deployed "$ex/release-baseline.yaml"; helm_record 3 pending-upgrade "$tmp/rev4.yaml"; } |
    jq -s '{kind:"List",items:.}' >"$fk/helm.json"
expect_exit 1 "reconcile --release while Helm upgrades it" -- fake "$ctl" reconcile --release test-nginx -n sandbox-nginx
contains "a pending revision is refused" "$err" "release sandbox-nginx/test-nginx has revision 3 pending-upgrade: Helm is changing it now"
fake_reset
# Names go into label selectors ("a,b" would add a term): refused first.
expect_exit 1 "status of a release name with a comma" -- fake "$ctl" status --release 'a,driftgate.io/baseline!=true' -n sandbox-nginx
contains "the release name refused" "$err" "release name 'a,driftgate.io/baseline!=true' is not valid: lowercase letters, digits, '-' and '.', at most 53 characters (Helm's rule)"
expect_exit 1 "reconcile in a namespace that cannot be one" -- fake "$ctl" reconcile --release test-nginx -n 'Sandbox_NGINX'
contains "the namespace refused" "$err" "namespace 'Sandbox_NGINX' is not a valid RFC 1123 label"
expect_exit 1 "a baseline namespace that cannot be one" -- fake "$ctl" status --release test-nginx -n sandbox-nginx --baseline-namespace 'a b'
contains "the baseline namespace refused" "$err" "baseline namespace 'a b' is not a valid RFC 1123 label"
expect_exit 1 "reconcile --release with no baseline anywhere" -- fake "$ctl" reconcile --release test-nginx -n sandbox-nginx
contains "no baseline" "$err" "no baseline for release sandbox-nginx/test-nginx: no ConfigMap in driftgate-system labelled for it"
# Published baselines are found by their labels, as driftgate finds them.
# Two for one release: the one driftgate enforces (the one publish names,
# else the first by name), whatever order kubectl lists them in, the other
# named in a warning. One a kubectl handed for another release (this fake
# ignores the selector): not taken for it.
fake "$fk/bin/kubectl" fake-publish 3 "$ex/release-baseline.yaml"
copy() { # NAME REVISION: a copy of the published ConfigMap, listed first
    jq --arg n "$1" --arg r "$2" '.items = [.items[0] | .metadata.name = $n |
        .metadata.annotations["driftgate.io/revision"] = $r] + .items' "$fk/cm.json" >"$fk/two.json"
    mv "$fk/two.json" "$fk/cm.json"
}
copy driftgate-baseline.copy 9
expect_exit 2 "reconcile --release with two baselines" -- fake "$ctl" reconcile --release test-nginx -n sandbox-nginx -o json
jq_eq "the one publish names is read" "$out" .release.revision 3
contains "the other named" "$err" "driftctl: warning: release sandbox-nginx/test-nginx has 2 baseline ConfigMaps in driftgate-system: driftgate enforces driftgate-baseline.sandbox-nginx.test-nginx (the one publish names, else the first by name), and driftctl reads it; delete driftgate-baseline.copy"
jq '.items |= map(select(.metadata.name != "driftgate-baseline.sandbox-nginx.test-nginx"))' "$fk/cm.json" >"$fk/two.json"
mv "$fk/two.json" "$fk/cm.json"
copy driftgate-baseline.zz 8
expect_exit 2 "status with two copies, none named by publish" -- fake "$ctl" status --release test-nginx -n sandbox-nginx -o json
jq_eq "the first by name is read, listed second" "$out" .source.location driftgate-system/driftgate-baseline.copy
contains "the other named" "$err" "driftgate enforces driftgate-baseline.copy (the one publish names, else the first by name), and driftctl reads it; delete driftgate-baseline.zz"
fake "$fk/bin/kubectl" fake-publish 3 "$ex/release-baseline.yaml"
expect_exit 1 "status of another release, handed test-nginx's" -- fake "$ctl" status --release other -n sandbox-nginx
contains "not taken for it" "$err" "ConfigMap driftgate-system/driftgate-baseline.sandbox-nginx.test-nginx is not a baseline of release sandbox-nginx/other: its labels driftgate.io/release-namespace and driftgate.io/release say sandbox-nginx/test-nginx"
fake_reset

# ---- status: the pipeline card, offline ---------------------------------------------------
expect_exit 2 "status of the bundled example" -- "$ctl" status "${base[@]}" --live "$ex/live-snapshot.yaml"
contains "status: workflow" "$out" "Workflow:         helm-release-assurance"
contains "status: scope" "$out" "Scope:            sandbox-nginx / test-nginx"
contains "status: source of truth" "$out" "Source of truth:  file $ex/release-baseline.yaml"
contains "status: chart and digest" "$out" "chart nginx-0.1.0, digest sha256:$(sha256sum "$ex/release-baseline.yaml" | cut -d' ' -f1)"
contains "status: signals" "$out" "Drift signals:    4 active (3 deny, 1 warn, 0 audit)"
contains "status: state" "$out" "State:            variance-detected"
contains "status: who changed the floor" "$out" "kubectl-edit   Update  2026-11-24T14:03:17Z"
lacks "status offline: no gate looked at" "$out" "Gate:"
expect_exit 2 "status -o json" -- "$ctl" status "${base[@]}" --live "$ex/live-snapshot.yaml" -o json
jq_eq "status json: workflow" "$out" .workflow helm-release-assurance
jq_eq "status json: scope" "$out" '"\(.scope.namespace) / \(.scope.release)"' "sandbox-nginx / test-nginx"
jq_eq "status json: state" "$out" .state variance-detected
jq_eq "status json: origin" "$out" .source.origin file
jq_eq "status json: digest of the file" "$out" .source.digest "sha256:$(sha256sum "$ex/release-baseline.yaml" | cut -d' ' -f1)"
jq_eq "status json: chart" "$out" .source.chart nginx-0.1.0
jq_eq "status json: signals" "$out" '.signals | "\(.total) \(.deny) \(.warn) \(.audit)"' "4 3 1 0"
jq_eq "status json: no plan" "$out" .plan null
jq_eq "status json: changedBy" "$out" '.variances[] | select(.path=="spec.minReplicas") | .changedBy.manager' kubectl-edit
jq_eq "status json: offline has no gate" "$out" 'has("gate")' false
expect_exit 0 "status in sync" -- "$ctl" status "${base[@]}" --live "$ex/release-baseline.yaml"
contains "status: in-sync" "$out" "State:            in-sync"
contains "status: nothing active" "$out" "Drift signals:    0 active"
# A saved plan for this release: reconcile-pending, with --plan or ./plan.json.
digest="sha256:$(sha256sum "$ex/release-baseline.yaml" | cut -d' ' -f1)"
plan() { printf '{"release":{"namespace":"%s","name":"%s","revision":1,"digest":"%s"},"operations":[]}\n' "$@"; }
plan sandbox-nginx test-nginx "$digest" >"$tmp/plan.json"
expect_exit 2 "status with a plan" -- "$ctl" status "${base[@]}" --live "$ex/live-snapshot.yaml" --plan "$tmp/plan.json" -o json
jq_eq "status: reconcile-pending" "$out" .state reconcile-pending
jq_eq "status: the plan" "$out" .plan "$tmp/plan.json"
expect_exit 2 "status finds ./plan.json" -- sh -c "cd '$tmp' && '$ctl' status --baseline '$ex/release-baseline.yaml' --live '$ex/live-snapshot.yaml' -n sandbox-nginx"
contains "status: ./plan.json counted" "$out" "State:            reconcile-pending"
contains "status: the plan named" "$out" "Plan:             plan.json"
expect_exit 0 "a plan but no drift" -- "$ctl" status "${base[@]}" --live "$ex/release-baseline.yaml" --plan "$tmp/plan.json"
contains "a plan without drift is in sync" "$out" "State:            in-sync"
plan sandbox-nginx other "$digest" >"$tmp/other.json"
expect_exit 2 "a plan of another release" -- "$ctl" status "${base[@]}" --live "$ex/live-snapshot.yaml" --plan "$tmp/other.json"
contains "another release's plan: not counted" "$out" "State:            variance-detected"
contains "another release's plan: said" "$err" "is a plan for release sandbox-nginx/other, not this one"
plan sandbox-nginx test-nginx "sha256:0000" >"$tmp/stale.json"
expect_exit 2 "a plan against another baseline" -- "$ctl" status "${base[@]}" --live "$ex/live-snapshot.yaml" --plan "$tmp/stale.json"
contains "a stale plan: not counted" "$out" "State:            variance-detected"
contains "a stale plan: said" "$err" "was planned against baseline sha256:0000"
expect_exit 1 "an unreadable --plan" -- "$ctl" status "${base[@]}" --live "$ex/live-snapshot.yaml" --plan "$tmp/nope.json"
# A published baseline says its own revision, source and digest.
"$ctl" publish --baseline "$ex/release-baseline.yaml" -n sandbox-nginx --revision 7 -o "$tmp/published.yaml" 2>/dev/null
expect_exit 2 "status of a published baseline" -- "$ctl" status --baseline "$tmp/published.yaml" --live "$ex/live-snapshot.yaml" -o json
jq_eq "published: origin" "$out" .source.origin published
jq_eq "published: revision" "$out" .source.revision 7
jq_eq "published: digest of the render" "$out" .source.digest "$digest"
expect_exit 1 "status needs a release or files" -- "$ctl" status
contains "status usage" "$err" "--release and -n are required"
expect_exit 1 "status --baseline without --live" -- "$ctl" status "${base[@]}"
contains "status: the pair" "$err" "--baseline and --live go together"
expect_exit 1 "status -o sarif" -- "$ctl" status "${base[@]}" --live "$ex/live-snapshot.yaml" -o sarif
contains "status formats" "$err" "status prints table or json"

# ---- scripts/run_helm_mode.sh: the execution runner, offline, with the real helm -------------
runner=$src/scripts/run_helm_mode.sh
if command -v helm >/dev/null; then
    ev=$tmp/evidence
    expect_exit 2 "runner with --live" -- env DRIFTCTL="$ctl" "$runner" --chart "$ex/charts/nginx" \
        --release test-nginx -n sandbox-nginx --live "$ex/live-snapshot.yaml" --out "$ev"
    contains "runner: the seed's summary" "$out" "context: sandbox-nginx / test-nginx  workflow: helm-release-audit  state: variance-detected"
    contains "runner: the variance count" "$out" "active variances: 4 (3 deny, 1 warn, 0 audit)"
    contains "runner: the artifact" "$out" "artifact=release-baseline.yaml"
    for f in release-baseline.yaml live-snapshot.yaml drift.json drift.sarif drift.md status.json evidence.json; do
        checks=$((checks + 1)); [ -s "$ev/$f" ] || fail "runner: $f missing from the bundle"
    done
    checks=$((checks + 1)); [ ! -e "$ev/plan.json" ] || fail "runner: a plan without --reconcile"
    evidence=$(cat "$ev/evidence.json")
    jq_eq "runner: evidence lists every file" "$evidence" '.files | keys | sort | join(",")' \
        "drift.json,drift.md,drift.sarif,live-snapshot.yaml,release-baseline.yaml,status.json"
    checks=$((checks + 1))
    (cd "$ev" && jq -r '.files | to_entries[] | "\(.value.sha256)  \(.key)"' evidence.json | sha256sum -c --quiet) ||
        fail "runner: evidence.json digests do not match the files"
    jq_eq "runner: exit status recorded" "$evidence" .exitStatus 2
    jq_eq "runner: context recorded" "$evidence" .context "file:$ex/live-snapshot.yaml"
    jq_eq "runner: tool versions" "$evidence" '[.tools.helm, .tools.driftctl] | map(startswith("v") or test("^[0-9]")) | all' true
    jq_eq "runner: times" "$evidence" '[.started, .finished] | map(test("^20[0-9-]+T[0-9:]+Z$")) | all' true
    jq_eq "runner: drift.json is diff's" "$(cat "$ev/drift.json")" '.summary.total' 4
    jq_eq "runner: status.json is status's" "$(cat "$ev/status.json")" .state variance-detected
    jq_eq "runner: drift.sarif" "$(cat "$ev/drift.sarif")" .version 2.1.0
    contains "runner: drift.md" "$(cat "$ev/drift.md")" "| Object | Path |"
    cmp -s "$ev/release-baseline.yaml" "$ex/release-baseline.yaml" ||
        fail "runner: the render differs from examples/release-baseline.yaml"
    cmp -s "$ev/live-snapshot.yaml" "$ex/live-snapshot.yaml" || fail "runner: --live was not copied as is"
    # --reconcile plan: the plan driftctl reconcile saves, in the bundle and its evidence.
    expect_exit 2 "runner --reconcile plan" -- env DRIFTCTL="$ctl" "$runner" --chart "$ex/charts/nginx" \
        --release test-nginx -n sandbox-nginx --live "$ex/live-snapshot.yaml" --out "$tmp/ev-plan" --reconcile plan
    jq_eq "runner: plan.json is reconcile's" "$(cat "$tmp/ev-plan/plan.json")" \
        '[.operations[].object.kind] | sort | join(",")' "Deployment,HorizontalPodAutoscaler,Service"
    jq_eq "runner: the plan in the evidence" "$(cat "$tmp/ev-plan/evidence.json")" '.files | has("plan.json")' true
    jq_eq "runner: status sees the plan" "$(cat "$tmp/ev-plan/status.json")" .state reconcile-pending
    # A tampered bundle no longer matches its evidence.
    echo "# edited" >>"$ev/drift.md"
    checks=$((checks + 1))
    ! (cd "$ev" && jq -r '.files | to_entries[] | "\(.value.sha256)  \(.key)"' evidence.json | sha256sum -c --quiet >/dev/null 2>&1) ||
        fail "runner: a tampered file still matches evidence.json"
    expect_exit 0 "runner in sync" -- env DRIFTCTL="$ctl" "$runner" --chart "$ex/charts/nginx" \
        --release test-nginx -n sandbox-nginx --live "$ex/release-baseline.yaml" --out "$tmp/ev-sync"
    contains "runner: in-sync" "$out" "state: in-sync"
    jq_eq "runner: exit 0 recorded" "$(cat "$tmp/ev-sync/evidence.json")" .exitStatus 0
    expect_exit 2 "runner: default --out under ./drift-evidence" -- sh -c "cd '$tmp' && DRIFTCTL='$ctl' '$runner' --chart '$ex/charts/nginx' --release test-nginx -n sandbox-nginx --live '$ex/live-snapshot.yaml'"
    checks=$((checks + 1))
    ls -d "$tmp"/drift-evidence/sandbox-nginx-test-nginx-20*Z >/dev/null 2>&1 || fail "runner: no ./drift-evidence/<ns>-<release>-<UTC time>"
    if "$ctl" reconcile --help >/dev/null 2>&1; then
        echo "note: driftctl reconcile exists; the runner's 'not available' path was not tried" >&2
    else
        expect_exit 1 "runner --reconcile without driftctl reconcile" -- env DRIFTCTL="$ctl" "$runner" \
            --chart "$ex/charts/nginx" --release test-nginx -n sandbox-nginx --live "$ex/live-snapshot.yaml" \
            --out "$tmp/ev-rec" --reconcile plan
        contains "runner: reconcile unavailable" "$err" "driftctl reconcile is not available"
        checks=$((checks + 1)); [ ! -e "$tmp/ev-rec" ] || fail "runner: worked before saying reconcile is not available"
    fi
    expect_exit 1 "runner: a broken chart" -- env DRIFTCTL="$ctl" "$runner" --chart "$tmp/nochart" \
        --release test-nginx -n sandbox-nginx --live "$ex/live-snapshot.yaml" --out "$tmp/ev-bad"
    contains "runner: which step failed" "$err" "driftctl render failed"
    jq_eq "runner: the failure recorded" "$(cat "$tmp/ev-bad/evidence.json")" .exitStatus 1
else
    fail "helm not on PATH (scripts/tools.sh): the runner was not tried"
fi
expect_exit 1 "runner without a chart" -- "$runner" --release test-nginx -n sandbox-nginx
contains "runner usage" "$err" "--chart, --release and -n are required"
expect_exit 1 "runner: --live and --context" -- "$runner" --chart x --release r -n n --live a --context b
expect_exit 1 "runner: --reconcile what" -- "$runner" --chart x --release r -n n --reconcile maybe
contains "runner: reconcile modes" "$err" "--reconcile takes plan or apply"

# ---- the rest of the command surface ----------------------------------------------------
expect_exit 0 "policy default" -- "$ctl" policy default
contains "default policy" "$out" "name: hpa-bounds"
"$ctl" policy default >"$tmp/default.yaml"
expect_exit 2 "the printed default policy loads" -- "$ctl" diff "${base[@]}" --live "$ex/live-snapshot.yaml" --policy "$tmp/default.yaml"
expect_exit 0 "version" -- "$ctl" version
expect_exit 0 "--help" -- "$ctl" --help
contains "help lists simulate" "$out" "simulate"
expect_exit 1 "unknown command" -- "$ctl" frobnicate

# ---- the first hour: flags, help, '-' ----------------------------------------------------
expect_exit 1 "--baseline with no value" -- "$ctl" diff --live "$ex/live-snapshot.yaml" --baseline
contains "--baseline with no value: one clear error" "$err" "--baseline needs a value"
lacks "--baseline with no value: no second opinion" "$err" "unknown flag"
checks=$((checks + 1)); [ "$(printf '%s\n' "$err" | grep -c '^driftctl')" = 1 ] || fail "--baseline with no value: more than one error line: $err"
expect_exit 1 "--baseline followed by a flag" -- "$ctl" diff --baseline --live "$ex/live-snapshot.yaml"
contains "a flag is not a value" "$err" "--baseline needs a value"
expect_exit 0 "help diff" -- "$ctl" help diff
contains "help diff is diff's help" "$out" "Usage: driftctl diff"
expect_exit 0 "help policy kinds" -- "$ctl" help policy kinds
contains "help policy kinds" "$out" "Usage: driftctl policy kinds"
expect_exit 1 "help for nothing" -- "$ctl" help frobnicate
expect_exit 1 "version --json" -- "$ctl" version --json
contains "version rejects an unknown flag" "$err" "unknown flag '--json'"
expect_exit 1 "policy default --x" -- "$ctl" policy default --x
expect_exit 1 "an abbreviated flag" -- "$ctl" diff --base "$ex/release-baseline.yaml" --live "$ex/live-snapshot.yaml"
contains "no abbreviations" "$err" "unknown flag '--base'"
expect_exit 2 "--kinds with spaces" -- "$ctl" diff "${base[@]}" --live "$tmp/hpa-only.yaml" --kinds "hpa, svc" -o json
jq_eq "--kinds 'hpa, svc': the Service is missing" "$out" '.variances[] | select(.object.kind=="Service") | .type' missing
expect_exit 2 "--flag=value" -- "$ctl" diff --baseline="$ex/release-baseline.yaml" -n sandbox-nginx --live "$ex/live-snapshot.yaml"

mkdir -p "$tmp/cwd"
expect_exit 0 "publish -o -" -- sh -c "cd \"$tmp/cwd\" && \"$ctl\" publish --baseline \"$ex/release-baseline.yaml\" -n sandbox-nginx -o -"
contains "publish -o - writes stdout" "$out" "kind: ConfigMap"
checks=$((checks + 1)); [ ! -e "$tmp/cwd/-" ] || fail "publish -o - wrote a file named '-'"
expect_exit 2 "diff --policy -" -- sh -c "\"$ctl\" diff --baseline \"$ex/release-baseline.yaml\" -n sandbox-nginx --live \"$ex/live-snapshot.yaml\" --policy - < \"$tmp/default.yaml\""
expect_exit 1 "two inputs on stdin" -- "$ctl" diff --baseline - --live "$ex/live-snapshot.yaml" --policy -
contains "one stdin" "$err" "can be '-' (stdin)"
awk '/^# Source: nginx\/templates\/hpa.yaml/{p=1} p' "$ex/release-baseline.yaml" | sed 's/minReplicas: 6/minReplicas: 2/' >"$tmp/hpa-2.yaml"
expect_exit 2 "simulate --object -" -- sh -c "\"$ctl\" simulate --baseline \"$ex/release-baseline.yaml\" -n sandbox-nginx --target hpa/test-nginx --object - < \"$tmp/hpa-2.yaml\""
contains "simulate --object - judged" "$out" "spec.minReplicas"
if command -v helm >/dev/null; then
    expect_exit 0 "render -f -" -- sh -c "echo 'autoscaling: {minReplicas: 9}' | \"$ctl\" render --chart \"$ex/charts/nginx\" --release test-nginx -f - -o -"
    contains "render -f - reads the values from stdin" "$out" "minReplicas: 9"
fi
for c in diff status simulate publish capture render reconcile "policy kinds"; do
    # shellcheck disable=SC2086
    help=$("$ctl" $c --help)
    for f in --baseline --live --policy --review --object --values --output; do
        line=$(printf '%s\n' "$help" | grep -A2 -- "^  \(-., \)\{0,1\}$f FILE" | tr '\n' ' ')
        [ -n "$line" ] || continue
        contains "$c --help: what '-' means for $f" "$line" "'-' ="
    done
done

# Help is the parser's truth: every flag --help lists is accepted (with a
# value exactly when it shows one), and no flag is accepted that it does not list.
cmds=(render publish capture diff status simulate reconcile console "policy kinds" "policy default" version)
help_flags() { # CMD: "FLAG ARG [SHORT]" per flag line of its --help (ARG "-" for a switch)
    # shellcheck disable=SC2086
    "$ctl" $1 --help |
        sed -n 's/^  \(-\(.\), \)\{0,1\}--\([a-z][a-z-]*\)\( \(\[\{0,1\}[A-Za-z][A-Za-z/=|.-]*\]\{0,1\}\)\)\{0,1\}\( .*\)\{0,1\}$/--\3 \5 -\2/p' |
        sed 's/^\(--[a-z-]*\)  /\1 - /; s/ -$//'
}
all=""
for c in "${cmds[@]}"; do
    all="$all $(help_flags "$c" | sed 's/ .*//' | tr '\n' ' ')"
    all="$all $(help_flags "$c" | awk 'NF == 3 {print $3}' | tr '\n' ' ')"
done
candidates=$(printf '%s\n' $all --json --version --verbose --namespace --dry-run -f -n -o -v -q | sort -u)
for c in "${cmds[@]}"; do
    listed=$(help_flags "$c")
    for f in $candidates; do
        [ "$f" = --help ] || [ "$f" = -h ] && continue
        # shellcheck disable=SC2086
        "$ctl" $c "$f" x --zz-not-a-flag >/dev/null 2>"$tmp/flag.err"
        accepted=yes; grep -qF -- "unknown flag '$f'" "$tmp/flag.err" && accepted=no
        shown=no; awk -v f="$f" '$1 == f || $3 == f {n++} END {exit !n}' <<<"$listed" && shown=yes
        checks=$((checks + 1))
        [ "$accepted" = "$shown" ] || fail "driftctl $c: flag $f accepted=$accepted but listed in --help=$shown"
    done
    while read -r f arg _; do
        [ -n "$f" ] && [ "$f" != --help ] || continue
        # shellcheck disable=SC2086
        if [ "$arg" = - ]; then
            "$ctl" $c "$f=x" >/dev/null 2>"$tmp/flag.err"
            contains "driftctl $c: $f is a switch in --help and in the parser" "$(cat "$tmp/flag.err")" "$f takes no value"
        elif [ "${arg#[}" != "$arg" ]; then # [ARG]: a value that may be left out
            "$ctl" $c "$f" --zz-not-a-flag >/dev/null 2>"$tmp/flag.err"
            lacks "driftctl $c: $f's value is optional in --help and in the parser" "$(cat "$tmp/flag.err")" "needs a value"
            "$ctl" $c "$f=x" --zz-not-a-flag >/dev/null 2>"$tmp/flag.err"
            lacks "driftctl $c: $f takes an optional value" "$(cat "$tmp/flag.err")" "takes no value"
        else
            "$ctl" $c "$f" >/dev/null 2>"$tmp/flag.err"
            contains "driftctl $c: $f takes $arg in --help and in the parser" "$(cat "$tmp/flag.err")" "$f needs a value"
        fi
    done <<<"$listed"
done

# A directory where a file goes, and output into a missing directory.
expect_exit 1 "a directory as --baseline" -- "$ctl" diff --baseline "$tmp" -n x --live "$ex/live-snapshot.yaml"
contains "a directory is named as one" "$err" "$tmp: is a directory; --baseline wants a file"
lacks "not a read error" "$err" "read error"
expect_exit 1 "publish -o into a missing directory" -- "$ctl" publish --baseline "$ex/release-baseline.yaml" -n sandbox-nginx -o "$tmp/nodir/cm.yaml"
contains "the target path is named" "$err" "$tmp/nodir/cm.yaml: cannot write: directory $tmp/nodir"
lacks "not the temporary file" "$err" ".tmp"
if command -v helm >/dev/null; then
    expect_exit 1 "render -o into a missing directory" -- "$ctl" render --chart "$ex/charts/nginx" --release test-nginx -n sandbox-nginx -o "$tmp/nodir/r.yaml"
    contains "render names the target path" "$err" "$tmp/nodir/r.yaml: cannot write"
    lacks "render: not the temporary file" "$err" "r.yaml.tmp"
fi

# ---- the first hour: empty inputs, and which namespace ------------------------------------
: >"$tmp/empty.yaml"
printf '# nothing here\n---\n' >"$tmp/comments.yaml"
expect_exit 1 "an empty baseline" -- "$ctl" diff --baseline "$tmp/empty.yaml" -n sandbox-nginx --live "$ex/live-snapshot.yaml"
contains "an empty baseline is named" "$err" "$tmp/empty.yaml: holds no Kubernetes objects"
lacks "an empty baseline is not 'no drift'" "$out" "No governed drift"
expect_exit 1 "an empty live snapshot" -- "$ctl" diff "${base[@]}" --live "$tmp/empty.yaml"
contains "an empty snapshot is named" "$err" "$tmp/empty.yaml: holds no Kubernetes objects"
expect_exit 1 "a comments-only baseline" -- "$ctl" diff --baseline "$tmp/comments.yaml" --live "$ex/live-snapshot.yaml"
contains "comments only" "$err" "$tmp/comments.yaml: holds no Kubernetes objects"
expect_exit 1 "an empty --object" -- "$ctl" simulate "${base[@]}" --target hpa/test-nginx --object "$tmp/empty.yaml"
contains "an empty --object is named" "$err" "$tmp/empty.yaml: holds no Kubernetes objects"
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations: {helm.sh/hook: test}\n' >"$tmp/hooks-only.yaml"
expect_exit 1 "a baseline of hooks only" -- "$ctl" diff --baseline "$tmp/hooks-only.yaml" -n x --live "$ex/live-snapshot.yaml"
contains "hooks only" "$err" "1 Helm hook"
printf 'apiVersion: v1\nkind: List\nitems: []\n' >"$tmp/empty-list.yaml"
expect_exit 1 "an empty List without --kinds" -- "$ctl" diff "${base[@]}" --live "$tmp/empty-list.yaml"
contains "an empty List" "$err" "$tmp/empty-list.yaml: holds no Kubernetes objects (an empty List)"
expect_exit 2 "an empty List with --kinds: everything is missing" -- "$ctl" diff "${base[@]}" --live "$tmp/empty-list.yaml" --kinds hpa,svc,deploy -o json
jq_eq "an empty List with --kinds" "$out" '[.variances[].type] | join(",")' missing,missing,missing
sed 's/namespace: sandbox-nginx/namespace: other-ns/' "$ex/live-snapshot.yaml" >"$tmp/live-other.yaml"
expect_exit 2 "a snapshot of another namespace" -- "$ctl" diff "${base[@]}" --live "$tmp/live-other.yaml" --kinds hpa,svc,deploy
contains "it says what the snapshot holds" "$err" "holds none of the 3 objects of release sandbox-nginx/test-nginx; it holds 3 objects, by namespace: other-ns (3)"

# Forgetting -n: the namespace comes from the review, the baseline or the snapshot.
expect_exit 2 "simulate --review without -n" -- "$ctl" simulate --review "$ex/reviews/hpa-floor-4.json" --baseline "$ex/release-baseline.yaml"
jq_eq "the review's namespace is the release's" "$out" .response.auditAnnotations.release sandbox-nginx/test-nginx
expect_exit 0 "simulate --review with a wrong -n" -- "$ctl" simulate --review "$ex/reviews/hpa-floor-4.json" --baseline "$ex/release-baseline.yaml" -n elsewhere
contains "a wrong -n is pointed out" "$err" "-n elsewhere, but the review is in namespace sandbox-nginx"
expect_exit 2 "diff without -n" -- "$ctl" diff --baseline "$ex/release-baseline.yaml" --live "$ex/live-snapshot.yaml" -o json
jq_eq "diff without -n: the snapshot's namespace" "$out" '"\(.summary.namespace) \(.summary.total)"' "sandbox-nginx 4"
contains "diff without -n says where the namespace came from" "$err" "using namespace sandbox-nginx, where $ex/live-snapshot.yaml holds the release's objects"
expect_exit 2 "diff with a wrong -n" -- "$ctl" diff --baseline "$ex/release-baseline.yaml" --live "$ex/live-snapshot.yaml" -n default --kinds hpa,svc,deploy
contains "a wrong -n: where the snapshot's objects are" "$err" "it holds 3 objects, by namespace: sandbox-nginx (3)"
sed 's/^metadata:$/metadata:\n  namespace: sandbox-nginx/' "$ex/release-baseline.yaml" >"$tmp/namespaced.yaml"
expect_exit 2 "diff: the baseline's objects name their namespace" -- "$ctl" diff --baseline "$tmp/namespaced.yaml" --live "$ex/live-snapshot.yaml" -o json
jq_eq "the objects' namespace" "$out" .summary.namespace sandbox-nginx
expect_exit 1 "diff: -n against the objects' own namespace" -- "$ctl" diff --baseline "$tmp/namespaced.yaml" --live "$ex/live-snapshot.yaml" -n other
contains "an explicit -n against the objects" "$err" "-n other, but $tmp/namespaced.yaml holds objects in namespace sandbox-nginx"
expect_exit 2 "simulate --target: the baseline's objects name their namespace" -- "$ctl" simulate --baseline "$tmp/namespaced.yaml" --target hpa/test-nginx --patch '{"spec":{"minReplicas":3}}'
expect_exit 1 "simulate --target with nothing to say the namespace" -- "$ctl" simulate --baseline "$ex/release-baseline.yaml" --target hpa/test-nginx --patch '{}'
contains "--target asks for -n" "$err" "--target needs -n NAMESPACE"
expect_exit 1 "diff with a -n the baseline disagrees with" -- "$ctl" diff --baseline "$tmp/cm.yaml" --live "$ex/live-snapshot.yaml" -n default --kinds hpa
contains "an explicit -n against the ConfigMap" "$err" "-n default, but $tmp/cm.yaml is release namespace sandbox-nginx"
contains "a release left with nothing is an error" "$err" "none of its 3 objects is in the release namespace default; by namespace it holds sandbox-nginx (3)"

# ---- the first hour: errors name the right file:line:col ---------------------------------
{ sed -n 1,40p "$ex/release-baseline.yaml"; printf 'x: "a\001b"\n'; } >"$tmp/bad-byte.yaml"
expect_exit 1 "a control character on line 41" -- "$ctl" diff --baseline "$tmp/bad-byte.yaml" -n x --live "$ex/live-snapshot.yaml"
contains "the bad byte's line and column" "$err" "$tmp/bad-byte.yaml:41:6: control characters are not allowed (byte 0x01)"
printf 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a, namespace: x}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a, namespace: x}\n' >"$tmp/dup-list.yaml"
expect_exit 1 "a duplicate inside a List" -- "$ctl" diff --baseline "$ex/release-baseline.yaml" -n x --live "$tmp/dup-list.yaml"
contains "the second copy's line, and the first's" "$err" "$tmp/dup-list.yaml:7:3: duplicate object Service x/a (first defined at line 4)"
printf '{\n  "apiVersion": "admission.k8s.io/v1",\n  "kind": "AdmissionReview",\n  "request": {\n    "uid": 7\n  }\n}\n' >"$tmp/uid-number.json"
expect_exit 1 "a review field of the wrong type" -- "$ctl" simulate --review "$tmp/uid-number.json" "${base[@]}"
contains "the field's line and column" "$err" "$tmp/uid-number.json:5:12: request.uid is a number, expected a string"

# ---- the first hour: a tool that prints without end is stopped ------------------------------
mkdir -p "$tmp/fakebin"
printf '#!/bin/sh\nexec yes driftgate\n' >"$tmp/fakebin/helm"
printf '#!/bin/sh\ncat >/dev/null\nexec yes driftgate\n' >"$tmp/fakebin/kubectl"
chmod +x "$tmp/fakebin/helm" "$tmp/fakebin/kubectl"
expect_exit 1 "helm printing past the cap" -- env PATH="$tmp/fakebin:$PATH" timeout 60 "$ctl" render --chart "$ex/charts/nginx" --release r -o "$tmp/endless.yaml"
contains "render: the tool is named and stopped" "$err" "helm printed more than 67108864 bytes, the most driftctl takes; it was stopped"
expect_exit 1 "kubectl apply printing past the cap" -- env PATH="$tmp/fakebin:$PATH" timeout 60 "$ctl" publish --baseline "$ex/release-baseline.yaml" -n sandbox-nginx --apply
contains "publish --apply: stopped" "$err" "kubectl printed more than 1048576 bytes, the most driftctl takes; it was stopped"
expect_exit 1 "kubectl get printing past the cap" -- env PATH="$tmp/fakebin:$PATH" timeout 60 "$ctl" capture --baseline "$ex/release-baseline.yaml" -n sandbox-nginx -o "$tmp/endless.yaml"
contains "capture: stopped" "$err" "kubectl printed more than 67108864 bytes"

# ---- the first hour: a file given to the wrong flag is named for what it is -------------------
expect_exit 1 "an AdmissionReview as --baseline" -- "$ctl" diff --baseline "$ex/reviews/hpa-floor-4.json" -n sandbox-nginx --live "$ex/live-snapshot.yaml"
contains "a review as --baseline" "$err" "$ex/reviews/hpa-floor-4.json is an AdmissionReview; --baseline wants a rendered release"
contains "a review goes to --review" "$err" "give it to 'driftctl simulate --review'"
expect_exit 1 "a manifest as --review" -- "$ctl" simulate --review "$ex/release-baseline.yaml" "${base[@]}"
contains "a manifest as --review" "$err" "$ex/release-baseline.yaml is a Kubernetes manifest (Service test-nginx, ...); --review wants an AdmissionReview"
contains "a manifest goes to --baseline" "$err" "give it to --baseline, --live or --object"
expect_exit 1 "a policy as --baseline" -- "$ctl" diff --baseline "$ex/policy.yaml" -n sandbox-nginx --live "$ex/live-snapshot.yaml"
contains "a policy as --baseline" "$err" "is a DriftPolicy; --baseline wants"
expect_exit 1 "a manifest as --policy" -- "$ctl" diff "${base[@]}" --live "$ex/live-snapshot.yaml" --policy "$ex/live-snapshot.yaml"
contains "a manifest as --policy" "$err" "--policy wants a DriftPolicy"

# ---- the first hour: decision messages and tables ------------------------------------------
expect_exit 2 "a number against a string" -- "$ctl" simulate "${base[@]}" --target hpa/test-nginx --patch '{"spec":{"minReplicas":"6"}}' -o json
contains "the string is quoted in the message" "$(printf '%s' "$out" | jq -r .response.response.status.message)" 'desired 6, requested "6"'
jq_eq "and in the annotation" "$out" '.response.response.auditAnnotations.variances' 'spec.minReplicas: 6 -> "6"'
expect_exit 2 "a number against a string, as a table" -- "$ctl" simulate "${base[@]}" --target hpa/test-nginx --patch '{"spec":{"minReplicas":"6"}}'
contains "the table quotes it" "$out" 'spec.minReplicas  6        "6"'
sed 's/minReplicas: 4/minReplicas: "6"/' "$ex/live-snapshot.yaml" >"$tmp/live-string.yaml"
expect_exit 2 "diff: a number against a string" -- "$ctl" diff "${base[@]}" --live "$tmp/live-string.yaml"
contains "diff quotes the string" "$out" 'spec.minReplicas                                 6             "6"'
expect_exit 0 "simulate -o table: a reconcile" -- "$ctl" simulate "${base[@]}" "${live[@]}" --target hpa/test-nginx --patch '{"spec":{"minReplicas":6}}'
contains "reconcile: the verdict" "$out" "Decision:  reconcile (allowed)"
contains "reconcile: the row says what happened" "$out" "hpa-bounds  reconciled"
lacks "reconcile: no deny on an allowed request" "$(printf '%s\n' "$out" | sed -n '/Moved back/,$p')" "deny"
contains "kubectl's resource names" "$out" "Request:   UPDATE horizontalpodautoscalers.autoscaling sandbox-nginx/test-nginx"
expect_exit 0 "simulate -o table: an allow" -- "$ctl" simulate "${base[@]}" "${live[@]}" --target svc/test-nginx --patch '{"metadata":{"labels":{"team":"a"}}}'
contains "allow, said once" "$out" "Decision:  allow
"
lacks "not 'allow (allowed)'" "$out" "allow (allowed)"
contains "the core group as kubectl names it" "$out" "Request:   UPDATE services sandbox-nginx/test-nginx"
expect_exit 0 "an allowed scale through an HPA" -- "$ctl" simulate "${base[@]}" "${live[@]}" --target deploy/test-nginx --subresource scale --patch '{"spec":{"replicas":9}}'
contains "the scale's reason" "$out" "Audit:     reason=spec.replicas belongs to hpa/test-nginx, which scales deploy/test-nginx"

echo "cli: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
