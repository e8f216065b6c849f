#!/usr/bin/env bash
# Build (once) and cache the engine-tier binaries outside the repo.
#
#   scripts/engine/tools.sh            # build everything that is missing
#   scripts/engine/tools.sh pulumi k8s # only some tools
#   scripts/engine/tools.sh all        # also the modules the proxy here refuses (403):
#                                      # pulumi-language-nodejs, pulumi-resource-kubernetes,
#                                      # pulumi-resource-random
#   scripts/engine/tools.sh --list     # print the bin dirs only
#   scripts/engine/tools.sh --trim     # delete the Go build cache + wrappers (keeps binaries)
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

_wrapper_body() { # <wrapperdir> <outdir> <name> <module> <modver> <staging> <ldflags> <pkg>...
  local w="$1" out="$2" name="$3" mod="$4" modver="$5" staging="$6" ldflags="$7"
  shift 7
  cd "$w"
  go mod download -json "$mod@$modver" >modinfo.json ||
    { echo "go mod download $mod@$modver: $(jq -r '.Error // "failed"' modinfo.json)" >&2; return 1; }
  local upstream_mod; upstream_mod="$(jq -r .GoMod modinfo.json)"
  cat >go.mod <<EOF
module blacklake.local/wrap/$name

go $(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')

require $mod $modver
EOF
  # Copy the upstream replace directives; local-path ones (same-repo nested
  # modules, e.g. k8s.io/* staging or pulumi's ../sdk) point at the published
  # module at the staging version instead.
  go mod edit -json "$upstream_mod" | jq -r --arg st "$staging" '
    (.Replace // [])[] |
    if (.New.Path | startswith(".")) then
      if $st == "" or (.New.Path | test("FORBIDDEN")) then empty else "-replace=\(.Old.Path)=\(.Old.Path)@\($st)" end
    else
      "-replace=\(.Old.Path)\(if .Old.Version then "@"+.Old.Version else "" end)=\(.New.Path)\(if .New.Version then "@"+.New.Version else "" end)"
    end' >replaces.txt
  if [[ -s replaces.txt ]]; then xargs go mod edit <replaces.txt; fi
  cat go.mod
  local pk gets=()
  for pk in "$@"; do gets+=("$pk@$modver"); done
  go get "${gets[@]}"
  go mod edit -require="$mod@$modver"
  mkdir -p bin
  go build -trimpath -ldflags="-s -w $ldflags" -o bin/ "$@"
  mkdir -p "$out"
  mv bin/* "$out/"
}

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
  rm -rf "$w" && mkdir -p "$w"
  # The body runs in its own bash so that `set -e` applies (it is ignored in
  # any function called from an `||` list, as main() does).
  local rc=0
  bash -c "$(declare -f _wrapper_body); set -euo pipefail; _wrapper_body \"\$@\"" _wrapper_body \
    "$w" "$out" "$name" "$mod" "$modver" "$staging" "$ldflags" "$@" >"$logf" 2>&1 || rc=$?
  if [[ $rc != 0 ]]; then
    log "$name $version: FAILED after $((SECONDS - t0))s, see $logf"
    grep -E '403|error|cannot|not available' "$logf" | head -n 5 >&2 || tail -n 20 "$logf" >&2
    return 1
  fi
  local dt=$((SECONDS - t0))
  printf '%s\t%s\t%ss\t%s\n' "$name" "$version" "$dt" "$(date -u +%FT%TZ)" >>"$LOGDIR/timings.tsv"
  log "$name $version: built in ${dt}s -> $out"
}

build_pulumi() {
  go_wrapper_build pulumi "$BL_PULUMI_VERSION" github.com/pulumi/pulumi/pkg/v3 "$BL_PULUMI_VERSION" "$BL_PULUMI_VERSION" \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$BL_PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi || return 1
  install_dynamic_provider_shim "$(bl_tool_dir pulumi "$BL_PULUMI_VERSION")/bin"
}

# `pulumi-resource-pulumi-nodejs` is the plugin the engine launches for
# pulumi.dynamic.Resource providers. Upstream ships it as a small script next
# to pulumi-language-nodejs; this is our own equivalent: it runs the
# @pulumi/pulumi SDK's cmd/dynamic-provider resolved from the program's
# node_modules (the plugin's working directory is the program directory).
install_dynamic_provider_shim() {
  local f="$1/pulumi-resource-pulumi-nodejs"
  [[ -x "$f" ]] && return 0
  cat >"$f" <<'EOF'
#!/bin/sh
# generated by blacklake scripts/engine/tools.sh
entry="$(node -p 'require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [process.cwd()] })' 2>/dev/null)" || {
  echo "pulumi-resource-pulumi-nodejs: cannot resolve @pulumi/pulumi from $(pwd)" >&2; exit 1; }
exec node "$entry" "$@"
EOF
  chmod +x "$f"
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
  # Prefer Debian's etcd-server package (3.4.x on bookworm); build from source
  # only when it cannot be installed or BL_ETCD_FROM_SOURCE=1.
  if [[ ! -x /usr/bin/etcd && "${BL_ETCD_FROM_SOURCE:-0}" != 1 && $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "etcd: apt-get install etcd-server"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y --no-install-recommends etcd-server ||
      { apt-get update && apt-get install -y --no-install-recommends etcd-server; }; } >"$LOGDIR/apt-etcd-server.log" 2>&1 ||
      log "etcd: apt-get failed (see $LOGDIR/apt-etcd-server.log), building from source"
  fi
  if [[ -x "$out/etcd" ]]; then log "etcd $BL_ETCD_VERSION: cached ($out)"; return 0; fi
  if [[ -x /usr/bin/etcd && "${BL_ETCD_FROM_SOURCE:-0}" != 1 ]]; then
    log "etcd: using Debian /usr/bin/etcd ($(/usr/bin/etcd --version 2>/dev/null | head -1))"; return 0
  fi
  go_wrapper_build etcd "$BL_ETCD_VERSION" go.etcd.io/etcd/server/v3 "$BL_ETCD_VERSION" "$BL_ETCD_VERSION" \
    "-X go.etcd.io/etcd/api/v3/version.GitSHA=blacklake" \
    go.etcd.io/etcd/server/v3 || return 1
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
    github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 || return 1
  # language hosts are "bundled" plugins: the CLI looks next to its own
  # executable first; anywhere else on PATH it works but warns on every run.
  local pbin; pbin="$(bl_tool_dir pulumi "$BL_PULUMI_VERSION")/bin"
  mkdir -p "$pbin"
  cp -f "$(bl_tool_dir pulumi-language-nodejs "$BL_PULUMI_VERSION")/bin/pulumi-language-nodejs" "$pbin/"
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

# Resource providers go into the plugin cache of $PULUMI_HOME (inside the tool
# cache) with `pulumi plugin install --file`, where the engine finds exactly the
# version the SDK asks for. (A provider on PATH also works, but the CLI then
# prints "using pulumi-resource-X from $PATH" on every run and uses it for any
# requested version.)
install_provider_plugins() {
  local pulumi_bin; pulumi_bin="$(bl_tool_dir pulumi "$BL_PULUMI_VERSION")/bin/pulumi"
  [[ -x "$pulumi_bin" ]] || return 0
  local name ver bin
  for spec in "kubernetes $BL_PULUMI_K8S_VERSION" "random $BL_PULUMI_RANDOM_VERSION"; do
    read -r name ver <<<"$spec"
    bin="$(bl_tool_dir "pulumi-resource-$name" "$ver")/bin/pulumi-resource-$name"
    [[ -x "$bin" ]] || continue
    if [[ -x "$BL_PULUMI_HOME/plugins/resource-$name-$ver/pulumi-resource-$name" ]]; then continue; fi
    log "installing plugin resource $name $ver into $BL_PULUMI_HOME"
    PULUMI_HOME="$BL_PULUMI_HOME" PULUMI_SKIP_UPDATE_CHECK=true \
      "$pulumi_bin" plugin install resource "$name" "${ver#v}" --file "$bin" >&2
  done
}

main() {
  if [[ "${1:-}" == --list ]]; then bash "$HERE/env.sh" --print-path; return; fi
  if [[ "${1:-}" == --trim ]]; then # drop the Go build cache and wrappers (~5 GB), keep binaries + module cache
    rm -rf "$GOCACHE" "$BL_CACHE/wrappers"; du -sh "$BL_CACHE" >&2; return; fi
  local tools=("$@")
  [[ ${#tools[@]} -gt 0 ]] || tools=(pulumi k8s etcd)
  if [[ "${tools[0]}" == all ]]; then
    tools=(pulumi k8s etcd pulumi-language-nodejs pulumi-resource-kubernetes pulumi-resource-random)
  fi
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
  install_provider_plugins || rc=1
  bash "$HERE/env.sh" --print-path
  return $rc
}
main "$@"
