#!/usr/bin/env bash
# deploy/render.sh: regenerate deploy/manifests/driftgate.yaml, the plain
# manifests, from the chart with the real helm. Its caBundle is left for the
# install step to fill (README, "Install").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
helm=${HELM:-helm}
mkdir -p "$here/manifests"
{
    echo "# Rendered from deploy/chart/driftgate by deploy/render.sh; do not edit."
    "$helm" template driftgate "$here/chart/driftgate" --namespace driftgate-system \
        --set namespace.create=true
} >"$here/manifests/driftgate.yaml"
echo "wrote $here/manifests/driftgate.yaml" >&2
