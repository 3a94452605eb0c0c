#!/usr/bin/env bash
# tests/sarif/run.sh DRIFTCTL SRCDIR: `driftctl diff -o sarif` as CI code
# scanning reads it: valid against the official SARIF 2.1.0 schema
# (scripts/fetch-sarif-schema.sh), every result at the chart template line
# that sets the governed value, URIs relative to the repository root.
set -uo pipefail
ctl=${1:?usage: run.sh DRIFTCTL SRCDIR}
src=${2:?usage: run.sh DRIFTCTL SRCDIR}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# shellcheck source=tests/lib.sh
. "$src/tests/lib.sh"
ex=examples
cd "$src" || exit 1

schema=$(scripts/fetch-sarif-schema.sh) || fail "the SARIF schema could not be fetched"

valid() { # FILE: valid SARIF 2.1.0, or the schema's complaints on stderr
    [ -f "$schema" ] || { echo "no schema" >&2; return 1; }
    scripts/python.sh - "$schema" "$1" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
v = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
for e in errors:
    print("%s: %s" % ("/".join(map(str, e.path)), e.message), file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}

# locs FILE: "uri:line" of every result, in order.
locs() { jq -r '.runs[0].results[].locations[0].physicalLocation | "\(.artifactLocation.uri):\(.region.startLine)"' "$1" | paste -sd' '; }

# The validator itself must refuse what the schema forbids.
echo '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x","informationUri":"not a uri"}},"results":[{"message":{}}]}]}' >"$scratch/bad.sarif"
quiet_valid() { valid "$1" 2>/dev/null; }
desc="the validator refuses an invalid log" refused quiet_valid "$scratch/bad.sarif"

seed=(--baseline "$ex/release-baseline.yaml" --live "$ex/live-snapshot.yaml" -n sandbox-nginx)
run "diff -o sarif" 2 -- "$ctl" diff "${seed[@]}" -o sarif
printf '%s\n' "$out" >"$scratch/seed.sarif"
desc="the seed's SARIF is valid against the SARIF 2.1.0 schema: $(valid "$scratch/seed.sarif" 2>&1)" \
    check valid "$scratch/seed.sarif"
t=examples/charts/nginx/templates
eq "each result at the template line that sets the value" "$(locs "$scratch/seed.sarif")" \
    "$t/service.yaml:10 $t/service.yaml:8 $t/deployment.yaml:21 $t/hpa.yaml:13"
eq "relative URIs name their base" "$(jq -r '[.runs[0].results[].locations[0].physicalLocation.artifactLocation.uriBaseId] | unique | join(",")' "$scratch/seed.sarif")" SRCROOT
eq "the base is the repository root" "$(jq -r '.runs[0].originalUriBaseIds.SRCROOT.uri' "$scratch/seed.sarif")" "file://$src/"
eq "no placeholder informationUri" "$(jq -r '.runs[0].tool.driver.informationUri // "none"' "$scratch/seed.sarif")" none
eq "the HPA floor's template line is the one that sets it" \
    "$(sed -n 13p $t/hpa.yaml)" "  minReplicas: {{ .Values.autoscaling.minReplicas }}"

# --sarif-root: paths relative to another root.
run "diff --sarif-root" 2 -- "$ctl" diff "${seed[@]}" -o sarif --sarif-root examples/charts
printf '%s\n' "$out" >"$scratch/root.sarif"
eq "--sarif-root" "$(locs "$scratch/root.sarif")" \
    "nginx/templates/service.yaml:10 nginx/templates/service.yaml:8 nginx/templates/deployment.yaml:21 nginx/templates/hpa.yaml:13"
run "a --sarif-root that does not exist" 1 -- "$ctl" diff "${seed[@]}" -o sarif --sarif-root "$scratch/nope"
has "--sarif-root error" "$err" "--sarif-root $scratch/nope: not a directory"

# No chart under the root: the rendered baseline's line for each value.
mkdir -p "$scratch/repo/rendered"
cp "$ex/release-baseline.yaml" "$scratch/repo/rendered/baseline.yaml"
run "a render whose chart is elsewhere" 2 -- "$ctl" diff --baseline "$scratch/repo/rendered/baseline.yaml" \
    --live "$ex/live-snapshot.yaml" -n sandbox-nginx -o sarif --sarif-root "$scratch/repo"
printf '%s\n' "$out" >"$scratch/render.sarif"
b=rendered/baseline.yaml
eq "the render's lines when the template is not found" "$(locs "$scratch/render.sarif")" "$b:16 $b:14 $b:48 $b:86"
eq "... line 86 is the HPA floor" "$(sed -n 86p "$ex/release-baseline.yaml")" "  minReplicas: 6"
desc="fallback SARIF valid: $(valid "$scratch/render.sarif" 2>&1)" check valid "$scratch/render.sarif"

# A published baseline ConfigMap: the templates still, else the file's line.
"$ctl" publish --baseline "$ex/release-baseline.yaml" -n sandbox-nginx -o "$scratch/repo/cm.yaml" 2>/dev/null
run "diff of a published baseline" 2 -- "$ctl" diff --baseline "$scratch/repo/cm.yaml" --live "$ex/live-snapshot.yaml" -o sarif
printf '%s\n' "$out" >"$scratch/cm.sarif"
eq "published: the templates" "$(locs "$scratch/cm.sarif")" \
    "$t/service.yaml:10 $t/service.yaml:8 $t/deployment.yaml:21 $t/hpa.yaml:13"
run "published, no chart under the root" 2 -- "$ctl" diff --baseline "$scratch/repo/cm.yaml" --live "$ex/live-snapshot.yaml" -o sarif --sarif-root "$scratch/repo"
printf '%s\n' "$out" >"$scratch/cm2.sarif"
eq "published: the line in the ConfigMap" "$(locs "$scratch/cm2.sarif" | awk '{print $4}')" cm.yaml:102
eq "... which is the floor" "$(sed -n 102p "$scratch/repo/cm.yaml")" "      minReplicas: 6"

# A governed object missing from live: the template's kind line. A path
# with spaces is percent-encoded.
mkdir -p "$scratch/my repo"
cp -r "$ex/charts" "$scratch/my repo/"
awk 'BEGIN{p=1} /^- apiVersion: v1$/{p=0} /^- apiVersion: apps\/v1$/{p=0} /^kind: List/{p=1} p' \
    "$ex/live-snapshot.yaml" >"$scratch/hpa-only.yaml"
run "a missing Service" 2 -- "$ctl" diff --baseline "$ex/release-baseline.yaml" --live "$scratch/hpa-only.yaml" \
    -n sandbox-nginx --kinds hpa,svc -o sarif --sarif-root "$scratch/my repo"
printf '%s\n' "$out" >"$scratch/missing.sarif"
eq "missing: the template's kind line" "$(locs "$scratch/missing.sarif")" \
    "charts/nginx/templates/service.yaml:2 charts/nginx/templates/hpa.yaml:13"
eq "root URI encoded" "$(jq -r '.runs[0].originalUriBaseIds.SRCROOT.uri' "$scratch/missing.sarif")" \
    "file://${scratch}/my%20repo/"
desc="missing-object SARIF valid: $(valid "$scratch/missing.sarif" 2>&1)" check valid "$scratch/missing.sarif"

summary sarif
