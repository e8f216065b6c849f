#!/usr/bin/env bash
# Builds (once) the Prometheus exporters the stacks deploy, at the versions the images pin
# (components/postgres/settings.ts, components/redis/settings.ts, components/monitoring/settings.ts), from the Go module
# proxy into the tool cache, so the integration tier can scrape the real thing:
#
#   ${BLACKLAKE_TOOLS_CACHE:-~/.cache/blacklake-tools}/postgres_exporter-<version>/bin/postgres_exporter
#   ${BLACKLAKE_TOOLS_CACHE:-~/.cache/blacklake-tools}/redis_exporter-<version>/bin/redis_exporter
#   ${BLACKLAKE_TOOLS_CACHE:-~/.cache/blacklake-tools}/kube-state-metrics-<version>/bin/kube-state-metrics
#
# pgbackrest_exporter (github.com/woblerr/pgbackrest_exporter) is not served by the proxy
# here (403 for every version); the script says so, and the tiers check its series against
# label sets transcribed from its documentation (test/fixtures/exporter-contracts) instead.
#
# Each is built in a throw-away wrapper module that requires the pinned version, so the
# dependency graph is upstream's go.mod (go install pkg@version would also ask the proxy
# for the module's version list, which it refuses). The checksum database reachable here
# has no entry for redis_exporter v1.74.0, so that one module is exempted from it
# (GONOSUMDB) and checked against the h1: hash pinned below instead; every dependency is
# still verified.
#
# Idempotent: a binary that exists and reports the pinned version is not rebuilt.
# Build logs: <cache>/logs/<tool>-<version>.log; cold build times: <cache>/logs/timings.tsv
#
# stdout: one line per built exporter, "<name> <bin dir>", nothing else. Everything else
# goes to stderr.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../engine/lib.sh
source "$HERE/../engine/lib.sh"
bl_go_env

POSTGRES_EXPORTER_VERSION="${BL_POSTGRES_EXPORTER_VERSION:-v0.17.1}"
REDIS_EXPORTER_VERSION="${BL_REDIS_EXPORTER_VERSION:-v1.74.0}"
REDIS_EXPORTER_SUM="h1:/ESQZa3xqpQxiQmk4tpo90Y8gPWLpYVF6E5SR262KtM="
PGBACKREST_EXPORTER_VERSION="${BL_PGBACKREST_EXPORTER_VERSION:-v0.18.0}"
KUBE_STATE_METRICS_VERSION="${BL_KUBE_STATE_METRICS_VERSION:-v2.15.0}"

LOGDIR="$BL_CACHE/logs"
mkdir -p "$LOGDIR" "$BL_CACHE/wrappers"

log() { printf '[install-exporters %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
command -v go >/dev/null 2>&1 || { log "go is required"; exit 1; }

# build <name> <module> <version> <package> <ldflags> [<pinned h1 sum>]
build() {
  local name="$1" mod="$2" ver="$3" pkg="$4" ldflags="$5" sum="${6:-}"
  local out bin logf w
  out="$(bl_tool_dir "$name" "$ver")/bin"
  bin="$out/$name"
  if [[ -x "$bin" ]] && bl_prints "${ver#v}" "$bin" --version; then
    log "$name $ver: cached ($out)"
    echo "$name $out"
    return 0
  fi
  logf="$LOGDIR/$name-$ver.log"
  w="$BL_CACHE/wrappers/$name-$ver"
  log "$name $ver: building (log: $logf)"
  local t0=$SECONDS
  rm -rf "$w" && mkdir -p "$w"
  if ! (
    set -euo pipefail
    cd "$w"
    if [[ -n "$sum" ]]; then
      export GONOSUMDB="$mod"
      got="$(go mod download -json "$mod@$ver" | jq -r '.Sum // .Error')"
      [[ "$got" == "$sum" ]] || { echo "$mod@$ver: checksum $got, pinned $sum" >&2; exit 1; }
    fi
    printf 'module blacklake.local/wrap/%s\n\ngo %s\n\nrequire %s %s\n' "$name" "$(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')" "$mod" "$ver" >go.mod
    go get "$pkg@$ver"
    go build -trimpath -ldflags="-s -w $ldflags" -o "bin/$name" "$pkg"
    mkdir -p "$out"
    mv "bin/$name" "$out/$name.tmp" && mv "$out/$name.tmp" "$bin"
  ) >"$logf" 2>&1; then
    log "$name $ver: FAILED after $((SECONDS - t0))s, see $logf"
    grep -E '403|404|410|error|cannot|not available|checksum' "$logf" | head -n 8 >&2 || tail -n 20 "$logf" >&2
    return 1
  fi
  local dt=$((SECONDS - t0))
  "$bin" --version >&2 2>&1 || { log "$name $ver: the built binary does not run"; return 1; }
  printf '%s\t%s\t%ss\t%s\n' "$name" "$ver" "$dt" "$(date -u +%FT%TZ)" >>"$LOGDIR/timings.tsv"
  log "$name $ver: built in ${dt}s -> $out"
  rm -rf "$w"
  echo "$name $out"
}

# Both stamp their version the way their release builds do, so --version tells what ran.
build postgres_exporter github.com/prometheus-community/postgres_exporter "$POSTGRES_EXPORTER_VERSION" \
  github.com/prometheus-community/postgres_exporter/cmd/postgres_exporter \
  "-X github.com/prometheus/common/version.Version=${POSTGRES_EXPORTER_VERSION#v}"
build redis_exporter github.com/oliver006/redis_exporter "$REDIS_EXPORTER_VERSION" \
  github.com/oliver006/redis_exporter \
  "-X main.BuildVersion=${REDIS_EXPORTER_VERSION#v}" "$REDIS_EXPORTER_SUM"

# kube-state-metrics from its own module tree (its go.mod's replace directives apply); the
# engine tier runs it against the real kube-apiserver. It says its version with `version`.
KSM_OUT="$(bl_tool_dir kube-state-metrics "$KUBE_STATE_METRICS_VERSION")/bin"
if ! bl_prints "version ${KUBE_STATE_METRICS_VERSION#v} " "$KSM_OUT/kube-state-metrics" version; then
  log "kube-state-metrics $KUBE_STATE_METRICS_VERSION: building (log: $LOGDIR/kube-state-metrics-$KUBE_STATE_METRICS_VERSION.log)"
  t0=$SECONDS
  bl_build_module k8s.io/kube-state-metrics/v2 "$KUBE_STATE_METRICS_VERSION" "$KSM_OUT" \
    "-X github.com/prometheus/common/version.Version=${KUBE_STATE_METRICS_VERSION#v} -X github.com/prometheus/common/version.Branch=HEAD" . \
    >"$LOGDIR/kube-state-metrics-$KUBE_STATE_METRICS_VERSION.log" 2>&1 || { log "kube-state-metrics: build FAILED"; tail -n 20 "$LOGDIR/kube-state-metrics-$KUBE_STATE_METRICS_VERSION.log" >&2; exit 1; }
  printf '%s\t%s\t%ss\t%s\n' kube-state-metrics "$KUBE_STATE_METRICS_VERSION" "$((SECONDS - t0))" "$(date -u +%FT%TZ)" >>"$LOGDIR/timings.tsv"
  log "kube-state-metrics $KUBE_STATE_METRICS_VERSION: built in $((SECONDS - t0))s"
fi
"$KSM_OUT/kube-state-metrics" version 2>&1 | head -n 1 >&2
echo "kube-state-metrics $KSM_OUT"

# Not built: say why, once, where the tier's output shows it.
if ! go mod download -json "github.com/woblerr/pgbackrest_exporter@$PGBACKREST_EXPORTER_VERSION" >/dev/null 2>&1; then
  log "pgbackrest_exporter $PGBACKREST_EXPORTER_VERSION: not served by the Go module proxy here (403); not built"
fi
