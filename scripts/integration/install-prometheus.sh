#!/usr/bin/env bash
# Builds (once) Prometheus and Alertmanager at the versions the stacks ship
# (components/monitoring/settings.ts: Prometheus 3.4.1, Alertmanager 0.28.1), from the Go
# module proxy into the tool cache, with their command-line tools:
#
#   <cache>/prometheus-<module version>/bin/{prometheus,promtool}
#   <cache>/alertmanager-<version>/bin/{alertmanager,amtool}
#
# The integration tier runs promtool and amtool on our rendered files, and the servers on
# loopback with them. Prometheus 3.x is the Go module version v0.3xx.y (3.4.1 = v0.304.1).
# Upstream's release builds embed the web UI (build tag builtinassets); these do not, which
# changes nothing the tests use (the HTTP API, /metrics, the lifecycle endpoints).
#
# stdout: one line per tool, "<name> <path>", nothing else. Idempotent.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../engine/lib.sh
source "$HERE/../engine/lib.sh"
bl_go_env

PROMETHEUS_VERSION="${BL_PROMETHEUS_VERSION:-3.4.1}"
PROMETHEUS_MODVER="v0.$((10#$(cut -d. -f1 <<<"$PROMETHEUS_VERSION") * 100 + 10#$(cut -d. -f2 <<<"$PROMETHEUS_VERSION"))).$(cut -d. -f3 <<<"$PROMETHEUS_VERSION")"
ALERTMANAGER_VERSION="${BL_ALERTMANAGER_VERSION:-0.28.1}"
LOGDIR="$BL_CACHE/logs"
mkdir -p "$LOGDIR"

log() { printf '[install-prometheus %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
command -v go >/dev/null 2>&1 || { log "go is required"; exit 1; }

# cached <dir> <release version> <tool>...: every tool is there and reports that version.
cached() {
  local out="$1" release="$2" t
  shift 2
  for t in "$@"; do bl_prints "version $release" "$out/$t" --version || return 1; done
}

# install <module> <version> <release version> <tool>...: the tools, built unless cached.
install() {
  local mod="$1" ver="$2" release="$3" out logf t0
  shift 3
  out="$(bl_tool_dir "${mod##*/}" "$ver")/bin"
  if ! cached "$out" "$release" "$@"; then
    logf="$LOGDIR/${mod##*/}-$ver.log"
    log "${mod##*/} $release: building $* (log: $logf)"
    t0=$SECONDS
    local stamp="-X github.com/prometheus/common/version.Version=$release -X github.com/prometheus/common/version.Branch=HEAD"
    bl_build_module "$mod" "$ver" "$out" "$stamp" "${@/#/./cmd/}" >"$logf" 2>&1 || { log "build failed, see $logf"; tail -n 20 "$logf" >&2; exit 1; }
    printf '%s\t%s\t%ss\t%s\n' "${mod##*/}" "$ver" "$((SECONDS - t0))" "$(date -u +%FT%TZ)" >>"$LOGDIR/timings.tsv"
    log "${mod##*/} $release: built in $((SECONDS - t0))s -> $out"
  fi
  for t in "$@"; do
    "$out/$t" --version 2>&1 | head -n 1 >&2
    echo "$t $out/$t"
  done
}

install github.com/prometheus/prometheus "$PROMETHEUS_MODVER" "$PROMETHEUS_VERSION" prometheus promtool
install github.com/prometheus/alertmanager "v$ALERTMANAGER_VERSION" "$ALERTMANAGER_VERSION" alertmanager amtool
