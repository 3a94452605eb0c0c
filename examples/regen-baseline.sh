#!/usr/bin/env bash
# Regenerate examples/release-baseline.yaml with the real helm, exactly as
# the README's walkthrough renders it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$("$root/scripts/tools.sh")
cd "$root"
"$bin/helm" lint examples/charts/nginx >/dev/null
"$bin/helm" template test-nginx examples/charts/nginx --namespace sandbox-nginx \
    > examples/release-baseline.yaml
echo "wrote examples/release-baseline.yaml ($(grep -c '^kind:' examples/release-baseline.yaml) objects)"
