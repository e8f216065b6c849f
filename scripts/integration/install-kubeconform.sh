#!/usr/bin/env bash
# Builds (once) kubeconform from the Go module proxy and unpacks the Kubernetes JSON
# schemas of the PyPI package kubernetes-validate, both into the tool cache:
#
#   ${BLACKLAKE_TOOLS_CACHE:-~/.cache/blacklake-tools}/kubeconform-<version>/bin/kubeconform
#   ${BLACKLAKE_TOOLS_CACHE:-~/.cache/blacklake-tools}/kubernetes-validate-<version>/kubernetes_validate/kubernetes-json-schema/
#
# (kubeconform fetches its schemas from GitHub by default, which is out of reach here.)
# Idempotent: what exists in its versioned directory is not fetched or built again.
#
# stdout: two lines, the bin dir of kubeconform and the schema root. The rest goes to stderr.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../engine/lib.sh
source "$HERE/../engine/lib.sh"
bl_go_env

VERSION="${BL_KUBECONFORM_VERSION:-v0.8.0}"
SCHEMAS_VERSION="${BL_KUBERNETES_VALIDATE_VERSION:-1.37.0}"
log() { printf '[install-kubeconform %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

out="$(bl_go_install kubeconform "$VERSION" "github.com/yannh/kubeconform/cmd/kubeconform@$VERSION")"

schemas="$(bl_tool_dir kubernetes-validate "$SCHEMAS_VERSION")"
if [[ ! -d "$schemas/kubernetes_validate/kubernetes-json-schema" ]]; then
  log "kubernetes-validate $SCHEMAS_VERSION: downloading its wheel from PyPI"
  wheel="$(mktemp -d)"
  python3 -m pip download --quiet --no-deps --only-binary=:all: "kubernetes-validate==$SCHEMAS_VERSION" -d "$wheel" >&2
  mkdir -p "$schemas.tmp"
  python3 -m zipfile -e "$wheel"/kubernetes_validate-*.whl "$schemas.tmp"
  rm -rf "$wheel" "$schemas" && mv "$schemas.tmp" "$schemas"
fi
echo "$out"
echo "$schemas/kubernetes_validate/kubernetes-json-schema"
