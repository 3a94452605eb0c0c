#!/usr/bin/env bash
# Install the Debian packages driftgate builds and tests with, if missing.
# Safe to run again: it only calls apt-get when something is absent.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libjansson-dev libyaml-dev zlib1g-dev check
      libmicrohttpd-dev libgnutls28-dev libssl-dev libcurl4-openssl-dev
      clang libclang-rt-14-dev curl unzip openssl nginx wrk nghttp2-client python3 python3-yaml time jq libedit-dev
      python3-pip python3-jsonschema man-db groff-base zsh shellcheck
      chromium chromium-driver python3-selenium)  # the console's browser test
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
