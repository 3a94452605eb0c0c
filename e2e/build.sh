#!/usr/bin/env bash
# Build the control plane for the end-to-end tests: kube-apiserver from the
# k8s.io/kubernetes Go module (pinned in e2e/kube/go.mod) and etcd from the
# go.etcd.io/etcd/server/v3 module, each in its own wrapper module so neither
# bends the other's dependency versions. Binaries are cached outside the
# repository; a second run only checks them. Prints the bin directory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${DRIFTGATE_CACHE:-$HOME/.cache/driftgate}"
kver=v1.33.13
bin="$cache/control-plane-$kver"
mkdir -p "$bin"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

build_apiserver() {
  local work="$cache/build/kube"
  mkdir -p "$work"
  cp "$here/kube/go.mod" "$work/go.mod"
  # The version stamp matters: Helm checks charts' kubeVersion against /version.
  local ldf="-s -w" k
  for k in gitVersion=$kver gitMajor=1 gitMinor=33 gitTreeState=clean \
           buildDate=2026-01-01T00:00:00Z; do
    ldf="$ldf -X k8s.io/component-base/version.$k -X k8s.io/client-go/pkg/version.$k"
  done
  ( cd "$work" && go mod tidy >&2 &&
    go build -trimpath -ldflags "$ldf" -o "$bin/kube-apiserver.tmp" \
      k8s.io/kubernetes/cmd/kube-apiserver ) >&2
  mv "$bin/kube-apiserver.tmp" "$bin/kube-apiserver"
}

build_etcd() {
  local work="$cache/build/etcd"
  mkdir -p "$work"
  cp "$here/etcd/go.mod" "$work/go.mod"
  ( cd "$work" && go mod tidy >&2 &&
    go build -trimpath -ldflags "-s -w" -o "$bin/etcd.tmp" go.etcd.io/etcd/server/v3 ) >&2
  mv "$bin/etcd.tmp" "$bin/etcd"
}

# The cold build time is kept beside the binaries for bench/RESULTS.md.
if [ ! -x "$bin/kube-apiserver" ] || [ ! -x "$bin/etcd" ]; then
  t0=$(date +%s)
  [ -x "$bin/kube-apiserver" ] || build_apiserver
  [ -x "$bin/etcd" ] || build_etcd
  echo "$(( $(date +%s) - t0 ))" >"$bin/build-seconds"
fi
echo "$bin"
