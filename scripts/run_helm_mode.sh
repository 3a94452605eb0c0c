#!/usr/bin/env bash
# scripts/run_helm_mode.sh: the execution runner, one command for CI and
# audits. Renders the release baseline with the real helm (driftctl render),
# captures the live state with kubectl (driftctl capture) or takes a
# snapshot file, diffs them, and writes the evidence bundle: the baseline,
# the snapshot, the drift as JSON, SARIF and Markdown, the status card, a
# reconcile plan when asked, and evidence.json (each file's SHA-256, the
# tool versions, the context, start and end times, the exit status).
# Exit status as driftctl diff: 0 no drift, 2 drift found, 1 error.
set -uo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/run_helm_mode.sh --chart PATH --release NAME -n NS
         [-f values.yaml]... [--set K=V]... [--live FILE | --context CTX]
         [--out DIR] [--reconcile plan|apply]

Render the release (helm template --include-crds, through driftctl render),
capture its live state (driftctl capture, kubectl's current or --context
context; or copy --live FILE), diff, and write the evidence bundle to --out
(default ./drift-evidence/<ns>-<release>-<UTC time>): release-baseline.yaml,
live-snapshot.yaml, drift.json, drift.sarif, drift.md, status.json,
plan.json (with --reconcile) and evidence.json.

driftctl is $DRIFTCTL, else driftctl on PATH, else build/driftctl of this
checkout; helm and kubectl are found as driftctl finds them ($HELM, $KUBECTL).
Exit status: 0 no drift, 2 drift found, 1 error.
EOF
}

die() { echo "run_helm_mode: $*" >&2; exit 1; }

# ---- arguments --------------------------------------------------------------------------
chart="" release="" ns="" live="" context="" out="" reconcile=""
values=()
while [ $# -gt 0 ]; do
    case $1 in
    -h | --help) usage; exit 0 ;;
    --chart | --release | -n | --namespace | -f | --values | --set | --live | --context | --out | --reconcile)
        if [ $# -lt 2 ] || [ -z "$2" ]; then die "$1 needs a value"; fi
        case $1 in
        --chart) chart=$2 ;;
        --release) release=$2 ;;
        -n | --namespace) ns=$2 ;;
        -f | --values) values+=(-f "$2") ;;
        --set) values+=(--set "$2") ;;
        --live) live=$2 ;;
        --context) context=$2 ;;
        --out) out=$2 ;;
        --reconcile) reconcile=$2 ;;
        esac
        shift 2 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
    esac
done
if [ -z "$chart" ] || [ -z "$release" ] || [ -z "$ns" ]; then
    usage >&2
    die "--chart, --release and -n are required"
fi
[ -z "$live" ] || [ -z "$context" ] || die "--live and --context exclude each other (a file, or a cluster)"
case $reconcile in
"" | plan) ;;
apply) [ -z "$live" ] || die "--reconcile apply changes a cluster: give --context, not --live" ;;
*) die "--reconcile takes plan or apply, not '$reconcile'" ;;
esac

here=$(cd "$(dirname "$0")/.." && pwd)
driftctl=${DRIFTCTL:-$(command -v driftctl || echo "$here/build/driftctl")}
[ -x "$driftctl" ] || die "driftctl not found (set \$DRIFTCTL, put it on PATH, or make build)"
# Fail before any work: a reconcile asked of a driftctl that cannot do it.
if [ -n "$reconcile" ] && ! "$driftctl" reconcile --help >/dev/null 2>&1; then
    die "driftctl reconcile is not available ($driftctl $("$driftctl" version 2>/dev/null | cut -d' ' -f2))"
fi

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
out=${out:-./drift-evidence/$ns-$release-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out" || die "cannot create $out"
kube=()
[ -z "$context" ] || kube=(--context "$context")

# ---- evidence.json: written on every exit, failures included ----------------------------------

# A JSON string of $1 (backslash, quote and control characters escaped).
json_str() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\r'/\\r}
    s=${s//$'\t'/\\t}
    printf '"%s"' "$(printf '%s' "$s" | tr -d '\000-\037')"
}

# The version of a tool, or "unavailable".
version_of() {
    local v
    case $1 in
    helm) v=$("${HELM:-helm}" version --short 2>/dev/null) ;;
    kubectl) v=$("${KUBECTL:-kubectl}" version --client 2>/dev/null | sed -n 's/^Client Version: //p') ;;
    driftctl) v=$("$driftctl" version 2>/dev/null | cut -d' ' -f2) ;;
    esac
    printf '%s' "${v:-unavailable}"
}

# Which cluster the live state came from.
cluster_of() {
    if [ -n "$live" ]; then
        printf 'file:%s' "$live"
    elif [ -n "$context" ]; then
        printf '%s' "$context"
    else
        "${KUBECTL:-kubectl}" config current-context 2>/dev/null || printf 'unknown'
    fi
}

evidence() { # STATUS
    local f first=1
    {
        printf '{\n  "release": {"namespace": %s, "name": %s, "chart": %s},\n' \
            "$(json_str "$ns")" "$(json_str "$release")" "$(json_str "$chart")"
        printf '  "context": %s,\n  "started": %s,\n  "finished": %s,\n  "exitStatus": %d,\n' \
            "$(json_str "$(cluster_of)")" "$(json_str "$started")" \
            "$(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)")" "$1"
        printf '  "tools": {"helm": %s, "kubectl": %s, "driftctl": %s},\n' \
            "$(json_str "$(version_of helm)")" "$(json_str "$(version_of kubectl)")" \
            "$(json_str "$(version_of driftctl)")"
        printf '  "files": {'
        for f in release-baseline.yaml live-snapshot.yaml drift.json drift.sarif drift.md status.json plan.json; do
            [ -f "$out/$f" ] || continue
            [ $first = 1 ] || printf ','
            first=0
            printf '\n    %s: {"sha256": "%s", "bytes": %d}' "$(json_str "$f")" \
                "$(sha256sum "$out/$f" | cut -d' ' -f1)" "$(wc -c <"$out/$f")"
        done
        printf '\n  }\n}\n'
    } >"$out/evidence.json"
}

finish() { # STATUS [MESSAGE]
    [ $# -lt 2 ] || echo "run_helm_mode: $2" >&2
    evidence "$1"
    exit "$1"
}

# step NAME OKSTATUSES CMD...: run a step; an exit status not in OKSTATUSES
# ("0" or "0 2") ends the run with 1. Leaves the status in $rc.
step() {
    local name=$1 ok=$2
    shift 2
    "$@"
    rc=$?
    case " $ok " in *" $rc "*) return 0 ;; esac
    finish 1 "$name failed (exit $rc)"
}

# ---- render, capture, diff -------------------------------------------------------------------
b=$out/release-baseline.yaml l=$out/live-snapshot.yaml
step "driftctl render" 0 "$driftctl" render --chart "$chart" --release "$release" -n "$ns" \
    --include-crds "${values[@]}" -o "$b"
kinds=()
if [ -n "$live" ]; then
    step "copying --live" 0 cp "$live" "$l"
else
    step "driftctl capture" 0 "$driftctl" capture --baseline "$b" -n "$ns" "${kube[@]}" -o "$l" 2>"$out/.capture"
    cat "$out/.capture" >&2
    # capture names the kinds it read: only they can be "missing".
    k=$(sed -n 's/.*diff with --kinds \([a-z.,-]*\).*/\1/p' "$out/.capture")
    rm -f "$out/.capture"
    [ -z "$k" ] || kinds=(--kinds "$k")
fi
in=(--baseline "$b" --live "$l" -n "$ns" "${kinds[@]}")
step "driftctl diff" "0 2" "$driftctl" diff "${in[@]}" -o json >"$out/drift.json"
drift=$rc
step "driftctl diff -o sarif" "0 2" "$driftctl" diff "${in[@]}" -o sarif >"$out/drift.sarif"
step "driftctl diff -o markdown" "0 2" "$driftctl" diff "${in[@]}" -o markdown >"$out/drift.md"

# ---- the reconcile, when asked ------------------------------------------------------------------
plan=()
if [ -n "$reconcile" ]; then
    apply=()
    [ "$reconcile" = plan ] || apply=(--apply --yes "${kube[@]}")
    # The plan goes to plan.json (--out); what reconcile prints is its table.
    step "driftctl reconcile" "0 2" "$driftctl" reconcile --baseline "$b" --live "$l" -n "$ns" \
        --out "$out/plan.json" "${apply[@]}" >/dev/null
    plan=(--plan "$out/plan.json")
fi
step "driftctl status" "0 2" "$driftctl" status "${in[@]}" "${plan[@]}" -o json >"$out/status.json"

# ---- the summary, as the console prints it -----------------------------------------------------
field() { sed -n "s/^  *\"$1\": \"*\\([^\",]*\\)\"*,*\$/\\1/p" "$out/status.json" | head -n 1; }
audited=${k:-$(sed -n 's/^  kind: //p' "$l" | sort -u | sed 's/^HorizontalPodAutoscaler$/hpa/; s/^Service$/svc/;
    s/^Deployment$/deploy/; s/^StatefulSet$/sts/; s/^DaemonSet$/ds/' | paste -sd, -)}
echo "context: $ns / $release  workflow: helm-release-audit  state: $(field state)"
echo "active variances: $(field total) ($(field deny) deny, $(field warn) warn, $(field audit) audit)"
echo "shell=bash cluster=$(cluster_of) audited=${audited:-none} artifact=release-baseline.yaml"
echo "evidence: $out"
finish "$drift"
