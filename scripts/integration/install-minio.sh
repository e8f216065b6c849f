#!/usr/bin/env bash
# Builds (once) the MinIO server and the `mc` client the integration tier runs, from
# the Go module proxy (dl.min.io and GitHub are not needed), into the tool cache:
#
#   ${BLACKLAKE_TOOLS_CACHE:-~/.cache/blacklake-tools}/minio-<version>/bin/minio
#   ${BLACKLAKE_TOOLS_CACHE:-~/.cache/blacklake-tools}/mc-<version>/bin/mc
#
# Neither module is tagged on the proxy, so both are pinned to pseudo-versions (what
# `go list -m github.com/minio/{minio,mc}@latest` answered). Each is built in its own
# throw-away wrapper module (as scripts/engine/tools.sh does) so that upstream replace
# directives are honoured and the two dependency graphs never mix.
#
# Idempotent: a binary that exists and reports the pinned version is not rebuilt.
# Build logs: <cache>/logs/<tool>-<version>.log; cold build times: <cache>/logs/timings.tsv
#
# stdout: the bin dir of minio, then the bin dir of mc, one per line, nothing else.
# Everything else goes to stderr.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../engine/lib.sh
source "$HERE/../engine/lib.sh"
bl_go_env

MINIO_VERSION="${BL_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"
MC_VERSION="${BL_MC_VERSION:-v0.0.0-20250313080218-cf909e1063a9}"

LOGDIR="$BL_CACHE/logs"
mkdir -p "$LOGDIR" "$BL_CACHE/wrappers"

log() { printf '[install-minio %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

for cmd in go jq; do
  command -v "$cmd" >/dev/null 2>&1 || { log "$cmd is required"; exit 1; }
done

# v0.0.0-20260212201848-7aac2a2c5b7c -> 2026-02-12T20:18:48Z / 7aac2a2c5b7c
pseudo_time() { sed -E 's/^v0\.0\.0-([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})-.*/\1-\2-\3T\4:\5:\6Z/' <<<"$1"; }
pseudo_commit() { sed -E 's/^.*-([0-9a-f]{12})$/\1/' <<<"$1"; }

# The ldflags upstream's buildscripts/gen-ldflags.go sets (minus GOPATH/GOROOT, which
# would leak this machine's paths), so `minio --version` / `mc --version` say what was built.
version_ldflags() { # <go package of cmd> <pseudo-version>
  local pkg="$1" v="$2" t
  t="$(pseudo_time "$v")"
  printf -- '-X %s.Version=%s -X %s.ReleaseTag=DEVELOPMENT.%s -X %s.CommitID=%s -X %s.ShortCommitID=%s -X %s.CopyrightYear=%s' \
    "$pkg" "$t" "$pkg" "${t//:/-}" "$pkg" "$(pseudo_commit "$v")" "$pkg" "$(pseudo_commit "$v")" "$pkg" "${t:0:4}"
}

_wrapper_body() { # <wrapperdir> <outdir> <name> <module> <version> <ldflags> <pkg>
  local w="$1" out="$2" name="$3" mod="$4" ver="$5" ldflags="$6" pkg="$7"
  cd "$w"
  go mod download -json "$mod@$ver" >modinfo.json ||
    { echo "go mod download $mod@$ver: $(jq -r '.Error // "failed"' modinfo.json)" >&2; return 1; }
  cat >go.mod <<EOF
module blacklake.local/wrap/$name

go $(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')

require $mod $ver
EOF
  # Upstream replace directives (none in the pinned versions; a local-path one could
  # not be honoured outside upstream's tree and fails the build loudly).
  go mod edit -json "$(jq -r .GoMod modinfo.json)" | jq -r '
    (.Replace // [])[] |
    if (.New.Path | startswith(".")) then error("local replace \(.Old.Path) => \(.New.Path)") else
    "-replace=\(.Old.Path)\(if .Old.Version then "@"+.Old.Version else "" end)=\(.New.Path)\(if .New.Version then "@"+.New.Version else "" end)"
    end' >replaces.txt
  if [[ -s replaces.txt ]]; then xargs go mod edit <replaces.txt; fi
  # Resolve the dependency graph exactly as upstream's go.mod pins it.
  go get "$pkg@$ver"
  go mod edit -require="$mod@$ver"
  cat go.mod
  mkdir -p bin
  go build -trimpath -ldflags="-s -w $ldflags" -o "bin/$name" "$pkg"
  mkdir -p "$out"
  mv "bin/$name" "$out/$name.tmp" && mv "$out/$name.tmp" "$out/$name"
}

# build <name> <module> <version> <pkg>: <cache>/<name>-<version>/bin/<name>
build() {
  local name="$1" mod="$2" ver="$3" pkg="$4"
  local out; out="$(bl_tool_dir "$name" "$ver")/bin"
  local bin="$out/$name" want; want="$(pseudo_commit "$ver")"
  if [[ -x "$bin" ]] && bl_prints "$want" "$bin" --version; then
    log "$name $ver: cached ($out)"
    echo "$out"
    return 0
  fi
  local w="$BL_CACHE/wrappers/$name-$ver" logf="$LOGDIR/$name-$ver.log"
  log "$name $ver: building (log: $logf)"
  local t0=$SECONDS rc=0
  rm -rf "$w" && mkdir -p "$w"
  bash -c "$(declare -f _wrapper_body); set -euo pipefail; _wrapper_body \"\$@\"" _wrapper_body \
    "$w" "$out" "$name" "$mod" "$ver" "$(version_ldflags "$mod/cmd" "$ver")" "$pkg" >"$logf" 2>&1 || rc=$?
  local dt=$((SECONDS - t0))
  if [[ $rc != 0 ]]; then
    log "$name $ver: FAILED after ${dt}s, see $logf"
    grep -E '403|410|error|cannot|not available' "$logf" | head -n 8 >&2 || tail -n 20 "$logf" >&2
    return 1
  fi
  "$bin" --version >&2 || { log "$name $ver: the built binary does not run"; return 1; }
  printf '%s\t%s\t%ss\t%s\n' "$name" "$ver" "$dt" "$(date -u +%FT%TZ)" >>"$LOGDIR/timings.tsv"
  log "$name $ver: built in ${dt}s ($(du -sh "$bin" | cut -f1)) -> $out"
  rm -rf "$w"
  echo "$out"
}

t0=$SECONDS
minio_dir="$(build minio github.com/minio/minio "$MINIO_VERSION" github.com/minio/minio)"
mc_dir="$(build mc github.com/minio/mc "$MC_VERSION" github.com/minio/mc)"
log "done in $((SECONDS - t0))s"
echo "$minio_dir"
echo "$mc_dir"
