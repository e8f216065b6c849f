#!/usr/bin/env bash
# Builds (once) kube-score, an independent judge of Kubernetes objects, from the Go
# module proxy into the tool cache (its release binaries are on GitHub, out of reach):
#
#   ${BLACKLAKE_TOOLS_CACHE:-~/.cache/blacklake-tools}/kube-score-<version>/bin/kube-score
#
# The versioned directory is the version (`go install` stamps no release version in).
# stdout: the bin dir of kube-score, nothing else. Everything else goes to stderr.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../engine/lib.sh
source "$HERE/../engine/lib.sh"
bl_go_env

VERSION="${BL_KUBE_SCORE_VERSION:-v1.20.0}"
bl_go_install kube-score "$VERSION" "github.com/zegl/kube-score/cmd/kube-score@$VERSION"
