#!/usr/bin/env bash
# Build (once) and cache the engine-tier binaries outside the repo.
#
#   scripts/engine/tools.sh            # build everything that is missing
#   scripts/engine/tools.sh pulumi k8s # only some tools
#   scripts/engine/tools.sh --list     # print the bin dirs only
#
# Tools: pulumi, k8s (kube-apiserver, kube-controller-manager, kubectl), etcd,
#        pulumi-language-nodejs, pulumi-resource-kubernetes, pulumi-resource-random
# Each tool lands in ${BLACKLAKE_TOOLS_CACHE:-~/.cache/blacklake-tools}/<tool>-<version>/bin
# and is built from Go modules fetched through the Go module proxy, in a
# throw-away wrapper module (upstream go.mod files carry replace directives that
# `go install pkg@version` refuses). Idempotent: a tool whose binaries exist is
# skipped. Build logs: <cache>/logs/<tool>-<version>.log. Timings: <cache>/logs/timings.tsv
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
bl_go_env
mkdir -p "$BL_CACHE/logs" "$BL_CACHE/wrappers"
LOGDIR="$BL_CACHE/logs"

log() { printf '[tools %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# go_wrapper_build <name> <version> <module> <module-version> <staging-version> <ldflags> <pkg>...
# Creates <cache>/wrappers/<name>-<version>/go.mod requiring <module>@<module-version>,
# copies the upstream replace directives (local-path replaces of nested
# modules become "<path> => <path> <staging-version>"), then builds each <pkg>
# into <cache>/<name>-<version>/bin.
go_wrapper_build() {
  local name="$1" version="$2" mod="$3" modver="$4" staging="$5" ldflags="$6"
  shift 6
  local out; out="$(bl_tool_dir "$name" "$version")/bin"
  local w="$BL_CACHE/wrappers/$name-$version"
  local logf="$LOGDIR/$name-$version.log"
  local missing=0 p
  for p in "$@"; do [[ -x "$out/$(basename "$p")" ]] || missing=1; done
  if [[ $missing == 0 ]]; then log "$name $version: cached ($out)"; return 0; fi
  log "$name $version: building (log: $logf)"
  local t0=$SECONDS
  rm -rf "$w" && mkdir -p "$w" "$out"
  (
    set -euo pipefail
    cd "$w"
    go mod download -json "$mod@$modver" >modinfo.json
    local upstream_mod; upstream_mod="$(jq -r .GoMod modinfo.json)"
    cat >go.mod <<EOF
module blacklake.local/wrap/$name

go $(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')

require $mod $modver
EOF
    # copy replace directives
    go mod edit -json "$upstream_mod" | jq -r --arg st "$staging" '
      (.Replace // [])[] |
      if (.New.Path | startswith(".")) then
        if $st == "" then empty else "-replace=\(.Old.Path)=\(.Old.Path)@\($st)" end
      else
        "-replace=\(.Old.Path)\(if .Old.Version then "@"+.Old.Version else "" end)=\(.New.Path)\(if .New.Version then "@"+.New.Version else "" end)"
      end' >replaces.txt
    if [[ -s replaces.txt ]]; then xargs go mod edit <replaces.txt; fi
    # same-repo nested modules replaced by local paths must also be *required*
    # at the staging version, or MVS would look for the placeholder versions.
    cat go.mod
    local pk gets=()
    for pk in "$@"; do gets+=("$pk@$modver"); done
    go get "${gets[@]}"
    go mod edit -require="$mod@$modver"
    mkdir -p bin
    go build -trimpath -ldflags="-s -w $ldflags" -o bin/ "$@"
    cp bin/* "$out/"
  ) >"$logf" 2>&1 || { log "$name $version: FAILED after $((SECONDS - t0))s, see $logf"; tail -n 30 "$logf" >&2; return 1; }
  local dt=$((SECONDS - t0))
  printf '%s\t%s\t%ss\t%s\n' "$name" "$version" "$dt" "$(date -u +%FT%TZ)" >>"$LOGDIR/timings.tsv"
  log "$name $version: built in ${dt}s -> $out"
}

build_pulumi() {
  go_wrapper_build pulumi "$BL_PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3 "$BL_PULUMI_VERSION" "$BL_PULUMI_VERSION" \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$BL_PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
}

build_k8s() {
  local ld="-X k8s.io/component-base/version.gitVersion=$BL_K8S_VERSION -X k8s.io/component-base/version.gitMajor=1"
  ld+=" -X k8s.io/component-base/version.gitMinor=$(echo "$BL_K8S_VERSION" | cut -d. -f2) -X k8s.io/component-base/version.gitTreeState=clean"
  ld+=" -X k8s.io/client-go/pkg/version.gitVersion=$BL_K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1"
  ld+=" -X k8s.io/client-go/pkg/version.gitMinor=$(echo "$BL_K8S_VERSION" | cut -d. -f2)"
  go_wrapper_build k8s "$BL_K8S_VERSION" k8s.io/kubernetes "$BL_K8S_VERSION" "$BL_K8S_STAGING_VERSION" "$ld" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl
}

build_etcd() {
  local out; out="$(bl_tool_dir etcd "$BL_ETCD_VERSION")/bin"
  # Prefer Debian's etcd-server when it is installed (apt-get install etcd-server)
  if [[ -x /usr/bin/etcd && "${BL_ETCD_FROM_SOURCE:-0}" != 1 ]]; then
    log "etcd: using Debian /usr/bin/etcd ($(/usr/bin/etcd --version 2>/dev/null | head -1))"; return 0
  fi
  go_wrapper_build etcd "$BL_ETCD_VERSION" go.etcd.io/etcd/server/v3 "$BL_ETCD_VERSION" "$BL_ETCD_VERSION" \
    "-X go.etcd.io/etcd/api/v3/version.GitSHA=blacklake" \
    go.etcd.io/etcd/server/v3
  # the server module's main package builds a binary named v3; rename
  local b; for b in v3 server; do [[ -x "$out/$b" ]] && mv "$out/$b" "$out/etcd"; done
  true
}

# The following are refused by the module proxy reachable here (HTTP 403
# "This module version is not available" for every version tried); the
# functions are kept so the scripts work unchanged where the proxy serves them.
build_language_nodejs() {
  go_wrapper_build pulumi-language-nodejs "$BL_PULUMI_VERSION" github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 "$BL_PULUMI_VERSION" "$BL_PULUMI_VERSION" \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$BL_PULUMI_VERSION" \
    github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
}
build_provider_kubernetes() {
  go_wrapper_build pulumi-resource-kubernetes "$BL_PULUMI_K8S_VERSION" github.com/pulumi/pulumi-kubernetes/provider/v4 "$BL_PULUMI_K8S_VERSION" "$BL_PULUMI_K8S_VERSION" \
    "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${BL_PULUMI_K8S_VERSION#v}" \
    github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes
}
build_provider_random() {
  go_wrapper_build pulumi-resource-random "$BL_PULUMI_RANDOM_VERSION" github.com/pulumi/pulumi-random/provider/v4 "$BL_PULUMI_RANDOM_VERSION" "$BL_PULUMI_RANDOM_VERSION" \
    "-X github.com/pulumi/pulumi-random/provider/v4/pkg/version.Version=${BL_PULUMI_RANDOM_VERSION#v}" \
    github.com/pulumi/pulumi-random/provider/v4/cmd/pulumi-resource-random
}

main() {
  if [[ "${1:-}" == --list ]]; then "$HERE/env.sh" --print-path; return; fi
  local tools=("$@")
  [[ ${#tools[@]} -gt 0 ]] || tools=(pulumi k8s etcd)
  local t rc=0
  for t in "${tools[@]}"; do
    case "$t" in
      pulumi) build_pulumi || rc=1 ;;
      k8s) build_k8s || rc=1 ;;
      etcd) build_etcd || rc=1 ;;
      pulumi-language-nodejs) build_language_nodejs || rc=1 ;;
      pulumi-resource-kubernetes) build_provider_kubernetes || rc=1 ;;
      pulumi-resource-random) build_provider_random || rc=1 ;;
      *) log "unknown tool: $t"; rc=2 ;;
    esac
  done
  return $rc
}
main "$@"
