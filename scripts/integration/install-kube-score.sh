#!/usr/bin/env bash
# Builds (once) kube-score, an independent judge of Kubernetes objects, from the Go
# module proxy into the tool cache (its release binaries are on GitHub, out of reach):
#
#   ${BLACKLAKE_TOOLS_CACHE:-~/.cache/blacklake-tools}/kube-score-<version>/bin/kube-score
#
# Idempotent: a binary in the versioned directory is not rebuilt (`go install` stamps no
# release version into it, so the directory is the version). Build log:
# <cache>/logs/kube-score-<version>.log; cold build times: <cache>/logs/timings.tsv.
#
# stdout: the bin dir of kube-score, nothing else. Everything else goes to stderr.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../engine/lib.sh
source "$HERE/../engine/lib.sh"
bl_go_env

VERSION="${BL_KUBE_SCORE_VERSION:-v1.20.0}"
LOGDIR="$BL_CACHE/logs"
mkdir -p "$LOGDIR"
log() { printf '[install-kube-score %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

out="$(bl_tool_dir kube-score "$VERSION")/bin"
if [[ -x "$out/kube-score" ]]; then
  log "kube-score $VERSION: cached ($out/kube-score)"
  echo "$out"
  exit 0
fi
logf="$LOGDIR/kube-score-$VERSION.log"
log "kube-score $VERSION: building (log: $logf)"
t0=$SECONDS
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && GOBIN="$tmp/bin" go install -trimpath -ldflags="-s -w" "github.com/zegl/kube-score/cmd/kube-score@$VERSION") >"$logf" 2>&1; then
  log "kube-score $VERSION: FAILED after $((SECONDS - t0))s, see $logf"
  tail -n 20 "$logf" >&2
  exit 1
fi
mkdir -p "$out"
mv "$tmp/bin/kube-score" "$out/kube-score.tmp" && mv "$out/kube-score.tmp" "$out/kube-score"
dt=$((SECONDS - t0))
printf '%s\t%s\t%ss\t%s\n' kube-score "$VERSION" "$dt" "$(date -u +%FT%TZ)" >>"$LOGDIR/timings.tsv"
log "kube-score $VERSION: built in ${dt}s -> $out/kube-score"
echo "$out"
