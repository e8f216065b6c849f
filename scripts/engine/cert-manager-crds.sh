#!/usr/bin/env bash
# Prints the directory of cert-manager's CustomResourceDefinitions (Certificate, Issuer,
# ClusterIssuer, ...), fetched once through the Go module proxy into the shared module
# cache: github.com/cert-manager/cert-manager@$BL_CERT_MANAGER_VERSION, deploy/crds.
# The engine tier applies them to its kube-apiserver; nothing of them is committed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
bl_go_env
dir="$(go mod download -json "github.com/cert-manager/cert-manager@${BL_CERT_MANAGER_VERSION}" | jq -r '.Dir // empty')"
[[ -n "$dir" && -f "$dir/deploy/crds/cert-manager.io_certificates.yaml" ]] ||
  { echo "cert-manager ${BL_CERT_MANAGER_VERSION}: its module (deploy/crds) is not served by the Go module proxy here" >&2; exit 1; }
echo "$dir/deploy/crds"
