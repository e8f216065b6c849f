#!/usr/bin/env bash
# Builds (once) actionlint, the static checker of the GitHub Actions workflows under
# .github/workflows, from the Go module proxy (GitHub releases are not needed) into the
# tool cache:
#
#   ${BLACKLAKE_TOOLS_CACHE:-~/.cache/blacklake-tools}/actionlint-<version>/bin/actionlint
#
# and installs Debian's shellcheck when it is missing: actionlint runs shellcheck over
# every `run:` block when it finds it on PATH, and skips that check silently when not,
# so without it the tier would check less on a fresh machine than on a warm one.
#
# Idempotent: a binary that exists and reports the pinned version is not rebuilt.
# Build log: <cache>/logs/actionlint-<version>.log; cold build times: <cache>/logs/timings.tsv
#
# stdout: the bin dir of actionlint, nothing else. Everything else goes to stderr.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../engine/lib.sh
source "$HERE/../engine/lib.sh"
bl_go_env

ACTIONLINT_VERSION="${BL_ACTIONLINT_VERSION:-v1.7.12}"
ACTIONLINT_MODULE=github.com/rhysd/actionlint

LOGDIR="$BL_CACHE/logs"
mkdir -p "$LOGDIR"

log() { printf '[install-actionlint %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

if ! command -v shellcheck >/dev/null 2>&1; then
  log "shellcheck: installing (Debian)"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >&2
fi
log "shellcheck: $(shellcheck --version | sed -n 's/^version: //p') ($(command -v shellcheck))"

command -v go >/dev/null 2>&1 || { log "go is required"; exit 1; }

out="$(bl_tool_dir actionlint "$ACTIONLINT_VERSION")/bin"
bin="$out/actionlint"
# `go install <module>@<version>` stamps the module version into the binary, and
# actionlint prints it as the first line of --version.
if [[ -x "$bin" ]] && [[ "$("$bin" --version 2>/dev/null | head -n 1)" == "$ACTIONLINT_VERSION" ]]; then
  log "actionlint $ACTIONLINT_VERSION: cached ($bin)"
  echo "$out"
  exit 0
fi

logf="$LOGDIR/actionlint-$ACTIONLINT_VERSION.log"
log "actionlint $ACTIONLINT_VERSION: building (log: $logf)"
t0=$SECONDS
# Installed into a temporary GOBIN, then moved into place: an interrupted build never
# leaves a half-written binary that the cache check above would accept.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Outside any module: `go install pkg@version` resolves the graph from actionlint's own go.mod.
if ! (cd "$tmp" && GOBIN="$tmp/bin" go install -trimpath -ldflags="-s -w" \
  "$ACTIONLINT_MODULE/cmd/actionlint@$ACTIONLINT_VERSION") >"$logf" 2>&1; then
  log "actionlint $ACTIONLINT_VERSION: FAILED after $((SECONDS - t0))s, see $logf"
  grep -E '403|410|error|cannot|not available' "$logf" | head -n 8 >&2 || tail -n 20 "$logf" >&2
  exit 1
fi
mkdir -p "$out"
mv "$tmp/bin/actionlint" "$out/actionlint.tmp" && mv "$out/actionlint.tmp" "$bin"
dt=$((SECONDS - t0))
"$bin" --version >&2 || { log "actionlint $ACTIONLINT_VERSION: the built binary does not run"; exit 1; }
printf '%s\t%s\t%ss\t%s\n' actionlint "$ACTIONLINT_VERSION" "$dt" "$(date -u +%FT%TZ)" >>"$LOGDIR/timings.tsv"
log "actionlint $ACTIONLINT_VERSION: built in ${dt}s ($(du -sh "$bin" | cut -f1)) -> $bin"
echo "$out"
