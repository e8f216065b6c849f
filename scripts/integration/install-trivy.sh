#!/usr/bin/env bash
# Builds (once) trivy, an independent misconfiguration scanner, from the Go module proxy
# into the tool cache (its release binaries are on GitHub, out of reach):
#
#   ${BLACKLAKE_TOOLS_CACHE:-~/.cache/blacklake-tools}/trivy-<version>/bin/trivy
#
# trivy v0.74.0 uses encoding/json/v2, which Go 1.26 has only behind GOEXPERIMENT=jsonv2.
# Its Kubernetes checks are compiled into the binary, so `trivy config --skip-check-update`
# runs offline; test/integration/judges.test.ts runs it over the synthesized stacks.
# stdout: the bin dir of trivy, nothing else. Everything else goes to stderr.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../engine/lib.sh
source "$HERE/../engine/lib.sh"
bl_go_env
export GOEXPERIMENT=jsonv2

VERSION="${BL_TRIVY_VERSION:-v0.74.0}"
bl_go_install trivy "$VERSION" "github.com/aquasecurity/trivy/cmd/trivy@$VERSION"
