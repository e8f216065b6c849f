#!/usr/bin/env bash
# Build (once) and cache the engine-tier binaries outside the repo.
#
#   scripts/engine/tools.sh              # what `pulumi up` and the engine tier need:
#                                        # pulumi k8s etcd pulumi-resource-kubernetes pulumi-resource-random
#   scripts/engine/tools.sh pulumi k8s   # only some tools
#   scripts/engine/tools.sh all          # also the modules the proxy here refuses today (403):
#                                        # pulumi-language-nodejs, pulumi-resource-aws, pulumi-resource-docker
#   scripts/engine/tools.sh --list       # print the bin dirs only
#   scripts/engine/tools.sh --trim       # delete the Go build cache + wrappers (keeps binaries)
#
# Each tool lands in ${BLACKLAKE_TOOLS_CACHE:-~/.cache/blacklake-tools}/<tool>-<version>/bin
# and is built from Go modules fetched through the Go module proxy, in a throw-away
# wrapper module (upstream go.mod files carry replace directives that
# `go install pkg@version` refuses). All builds share one module and one build cache.
# Idempotent: a tool whose binaries exist is skipped. The resource providers are then
# installed into $PULUMI_HOME as plugins at exactly the versions the npm SDKs request.
# Build logs: <cache>/logs/<tool>-<version>.log. Cold build times: <cache>/logs/timings.tsv
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
bl_go_env
mkdir -p "$BL_CACHE/logs" "$BL_CACHE/wrappers"
LOGDIR="$BL_CACHE/logs"
# the build bodies run in their own bash and read these
export BL_PULUMI_K8S_MODVER BL_PULUMI_K8S_VERSION BL_PULUMI_RANDOM_VERSION BL_TF_BRIDGE_VERSION \
  BL_TF_RANDOM_MODVER BL_TF_PLUGIN_SDK_FORK HERE

log() { printf '[tools %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

go_minor() { go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/'; }

# wrapper_module <module> <module-version> <local-replace-version>: in the current
# directory, a go.mod requiring <module>@<module-version> with the upstream replace
# directives copied; local-path ones (same-repo nested modules, e.g. k8s.io/* staging,
# pulumi's ../sdk) point at the published module at <local-replace-version> instead.
# Sets MODULE_DIR to the downloaded module's source.
wrapper_module() {
  local mod="$1" modver="$2" staging="$3"
  go mod download -json "$mod@$modver" >modinfo.json ||
    { echo "go mod download $mod@$modver: $(jq -r '.Error // "failed"' modinfo.json)" >&2; return 1; }
  MODULE_DIR="$(jq -r .Dir modinfo.json)"
  cat >go.mod <<EOF
module blacklake.local/wrap/$(basename "$PWD")

go $(go_minor)

require $mod $modver
EOF
  go mod edit -json "$(jq -r .GoMod modinfo.json)" | jq -r --arg st "$staging" '
    (.Replace // [])[] |
    if (.New.Path | startswith(".")) then
      if $st == "" then empty else "-replace=\(.Old.Path)=\(.Old.Path)@\($st)" end
    else
      "-replace=\(.Old.Path)\(if .Old.Version then "@"+.Old.Version else "" end)=\(.New.Path)\(if .New.Version then "@"+.New.Version else "" end)"
    end' >replaces.txt
  if [[ -s replaces.txt ]]; then xargs go mod edit <replaces.txt; fi
  cat go.mod
}

# Resolve <pkg>... at the module version (never a bare `go get <pkg>`: that means
# @upgrade and lifts shared modules past their pins), then keep the module's pin.
get_at() { # <module> <module-version> <pkg>...
  local mod="$1" modver="$2" pk gets=()
  shift 2
  for pk in "$@"; do gets+=("$pk@$modver"); done
  go get "${gets[@]}"
  go mod edit -require="$mod@$modver"
}

# The plain case: <pkg>... of <module> built as they are.
_module_body() { # <outdir> <module> <module-version> <local-replace-version> <ldflags> <pkg>...
  local out="$1" mod="$2" modver="$3" staging="$4" ldflags="$5"
  shift 5
  wrapper_module "$mod" "$modver" "$staging"
  get_at "$mod" "$modver" "$@"
  go build -trimpath -ldflags="-s -w $ldflags" -o "$out/" "$@"
}

# pulumi-resource-kubernetes embeds schema files that upstream's `make provider`
# generates (go:generate generate.go) and that the module zip does not carry: the
# wrapper holds its own copy of the command and runs generate.go, as upstream does.
_kubernetes_provider_body() { # <outdir>
  local out="$1" mod=github.com/pulumi/pulumi-kubernetes/provider/v4 cmd=cmd/pulumi-resource-kubernetes
  wrapper_module "$mod" "$BL_PULUMI_K8S_MODVER" "v$BL_PULUMI_K8S_VERSION"
  mkdir -p "$cmd"
  install -m644 "$MODULE_DIR/$cmd/"{main.go,generate.go,schema.json,terraform-mapping.json} "$cmd/"
  get_at "$mod" "$BL_PULUMI_K8S_MODVER" "$mod/pkg/provider" "$mod/pkg/version"
  (cd "$cmd" && VERSION="$BL_PULUMI_K8S_VERSION" go run generate.go)
  go build -trimpath -ldflags="-s -w -X $mod/pkg/version.Version=$BL_PULUMI_K8S_VERSION" -o "$out/" "./$cmd"
}

# pulumi-random's own module is refused, so random-provider/ bridges the Terraform random
# provider with pulumi-terraform-bridge: tfgen writes the Pulumi schema and the bridge
# metadata, then the provider binary embeds both.
_random_provider_body() { # <outdir>
  local out="$1" tfrandom=github.com/terraform-providers/terraform-provider-random
  cp -r "$HERE/random-provider/." .
  cat >shim/go.mod <<EOF
module $tfrandom/shim

go $(go_minor)

require $tfrandom $BL_TF_RANDOM_MODVER
EOF
  cat >go.mod <<EOF
module blacklake.local/wrap/pulumi-resource-random

go $(go_minor)

require (
	github.com/pulumi/pulumi-terraform-bridge/v3 $BL_TF_BRIDGE_VERSION
	$tfrandom/shim v0.0.0
)

replace $tfrandom/shim => ./shim

// the fork of terraform-plugin-sdk that pulumi-random 4.21.1 builds with
replace github.com/hashicorp/terraform-plugin-sdk/v2 => github.com/pulumi/terraform-plugin-sdk/v2 $BL_TF_PLUGIN_SDK_FORK
EOF
  (cd shim && go mod tidy)
  go mod tidy
  local ld="-s -w -X blacklake.local/wrap/pulumi-resource-random/random.Version=$BL_PULUMI_RANDOM_VERSION"
  echo '{}' >random/bridge-metadata.json # tfgen embeds a placeholder; the provider the real one
  go build -trimpath -ldflags="$ld" -o bin/ ./cmd/pulumi-tfgen-random
  ./bin/pulumi-tfgen-random schema --out cmd/pulumi-resource-random
  cp cmd/pulumi-resource-random/bridge-metadata.json random/bridge-metadata.json
  go build -trimpath -ldflags="$ld" -o "$out/" ./cmd/pulumi-resource-random
}

# How long a cold build took on this project's 2-core machines (README), so that a
# first run says what it waits for; nothing for a build never measured here.
cold_minutes() {
  case "$1" in
    pulumi) echo 6 ;; pulumi-resource-kubernetes) echo 15 ;; pulumi-resource-random) echo 4 ;; k8s) echo 7 ;; *) ;;
  esac
}

# cached_build <name> <version> "<binary>..." <body> [args...]: runs <body> <outdir>
# [args...] in a fresh wrapper dir, in its own bash (so that `set -e` applies: it is
# ignored in any function called from an `||` list), unless every binary exists.
cached_build() {
  local name="$1" version="$2" bins="$3" body="$4"
  shift 4
  local out; out="$(bl_tool_dir "$name" "$version")/bin"
  local w="$BL_CACHE/wrappers/$name-$version" logf="$LOGDIR/$name-$version.log" b missing=0
  for b in $bins; do [[ -x "$out/$b" ]] || missing=1; done
  if [[ $missing == 0 ]]; then log "$name $version: cached ($out)"; return 0; fi
  local minutes; minutes="$(cold_minutes "$name")"
  log "$name $version: building${minutes:+, about $minutes min on 2 cores when the caches are cold} (log: $logf)"
  local t0=$SECONDS rc=0 started; started=$(date +%s)
  (while sleep 60 >/dev/null 2>&1; do log "$name $version: still building ($(( ($(date +%s) - started) / 60 )) min)"; done) &
  local heartbeat=$!
  rm -rf "$w" && mkdir -p "$w" "$out"
  (cd "$w" && bash -c "$(declare -f); set -euo pipefail; \"\$@\"" "$body" "$body" "$out" "$@") >"$logf" 2>&1 || rc=$?
  kill "$heartbeat" 2>/dev/null; wait "$heartbeat" 2>/dev/null || true
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
  cached_build pulumi "$BL_PULUMI_VERSION" pulumi _module_body github.com/pulumi/pulumi/pkg/v3 "$BL_PULUMI_VERSION" "$BL_PULUMI_VERSION" \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$BL_PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
}

build_k8s() {
  local minor; minor="$(echo "$BL_K8S_VERSION" | cut -d. -f2)"
  local ld="-X k8s.io/component-base/version.gitVersion=$BL_K8S_VERSION -X k8s.io/component-base/version.gitMajor=1"
  ld+=" -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  ld+=" -X k8s.io/client-go/pkg/version.gitVersion=$BL_K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1"
  ld+=" -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  cached_build k8s "$BL_K8S_VERSION" "kube-apiserver kube-controller-manager kubectl" _module_body \
    k8s.io/kubernetes "$BL_K8S_VERSION" "$BL_K8S_STAGING_VERSION" "$ld" \
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
  cached_build etcd "$BL_ETCD_VERSION" v3 _module_body go.etcd.io/etcd/server/v3 "$BL_ETCD_VERSION" "$BL_ETCD_VERSION" \
    "-X go.etcd.io/etcd/api/v3/version.GitSHA=blacklake" go.etcd.io/etcd/server/v3 || return 1
  # the server module's main package builds a binary named v3
  mv "$out/v3" "$out/etcd"
}

build_kubernetes_provider() {
  cached_build pulumi-resource-kubernetes "$BL_PULUMI_K8S_VERSION" pulumi-resource-kubernetes _kubernetes_provider_body
}

build_random_provider() {
  cached_build pulumi-resource-random "$BL_PULUMI_RANDOM_VERSION" pulumi-resource-random _random_provider_body
}

# Refused by the module proxy reachable here (HTTP 403 "This module version is not
# available"); tried on every `tools.sh all` so that they are picked up once served.
build_language_nodejs() {
  cached_build pulumi-language-nodejs "$BL_PULUMI_VERSION" pulumi-language-nodejs _module_body \
    github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 "$BL_PULUMI_VERSION" "$BL_PULUMI_VERSION" \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$BL_PULUMI_VERSION" \
    github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 || return 1
  # a language host is a "bundled" plugin: the CLI looks next to its own executable
  cp -f "$(bl_tool_dir pulumi-language-nodejs "$BL_PULUMI_VERSION")/bin/pulumi-language-nodejs" \
    "$(bl_tool_dir pulumi "$BL_PULUMI_VERSION")/bin/"
}
# A Pulumi provider as published: github.com/pulumi/pulumi-<name>/provider/v<major>.
build_published_provider() { # <name> <version>
  local name="$1" version="$2" mod
  mod="github.com/pulumi/pulumi-$name/provider/v${version%%.*}"
  cached_build "pulumi-resource-$name" "$version" "pulumi-resource-$name" _module_body \
    "$mod" "v$version" "v$version" "-X $mod/pkg/version.Version=$version" "$mod/cmd/pulumi-resource-$name"
}

# The version of the plugin an npm SDK asks the engine for: its package.json pin.
sdk_version() { # <npm package>
  jq -r --arg p "$1" '.dependencies[$p]' "$REPO/package.json"
}

# Resource providers go into the plugin cache of $PULUMI_HOME (inside the tool cache)
# with `pulumi plugin install --file`, where the engine finds exactly the version the
# SDK asks for. A binary is installed only under the version it was built as, and that
# must be the SDK's: a mismatch stops here instead of warning on every run.
install_provider_plugins() {
  local pulumi_bin; pulumi_bin="$(bl_tool_dir pulumi "$BL_PULUMI_VERSION")/bin/pulumi"
  [[ -x "$pulumi_bin" ]] || return 0
  local name ver bin sdk rc=0
  for spec in "kubernetes $BL_PULUMI_K8S_VERSION" "random $BL_PULUMI_RANDOM_VERSION" \
    "aws $BL_PULUMI_AWS_VERSION" "docker $BL_PULUMI_DOCKER_VERSION"; do
    read -r name ver <<<"$spec"
    bin="$(bl_tool_dir "pulumi-resource-$name" "$ver")/bin/pulumi-resource-$name"
    [[ -x "$bin" ]] || continue
    sdk="$(sdk_version "@pulumi/$name")"
    if [[ "$sdk" != "$ver" ]]; then
      log "pulumi-resource-$name is $ver but package.json pins @pulumi/$name $sdk: not installed (pin both to one release)"
      rc=1; continue
    fi
    [[ -x "$BL_PULUMI_HOME/plugins/resource-$name-v$ver/pulumi-resource-$name" ]] && continue
    log "installing plugin resource $name $ver into $BL_PULUMI_HOME"
    PULUMI_HOME="$BL_PULUMI_HOME" PULUMI_SKIP_UPDATE_CHECK=true \
      "$pulumi_bin" plugin install resource "$name" "$ver" --file "$bin" >&2
  done
  return $rc
}

main() {
  if [[ "${1:-}" == --list ]]; then bash "$HERE/env.sh" --print-path; return; fi
  if [[ "${1:-}" == --trim ]]; then # drop the Go build cache and wrappers, keep binaries + module cache
    rm -rf "$GOCACHE" "$BL_CACHE/wrappers"; du -sh "$BL_CACHE" >&2; return; fi
  local engine=(pulumi k8s etcd pulumi-resource-kubernetes pulumi-resource-random)
  local tools=("$@")
  [[ ${#tools[@]} -gt 0 ]] || tools=("${engine[@]}")
  if [[ "${tools[0]}" == all ]]; then
    tools=("${engine[@]}" pulumi-language-nodejs pulumi-resource-aws pulumi-resource-docker)
  fi
  local t rc=0
  for t in "${tools[@]}"; do
    case "$t" in
      pulumi) build_pulumi || rc=1 ;;
      k8s) build_k8s || rc=1 ;;
      etcd) build_etcd || rc=1 ;;
      pulumi-resource-kubernetes) build_kubernetes_provider || rc=1 ;;
      pulumi-resource-random) build_random_provider || rc=1 ;;
      pulumi-language-nodejs) build_language_nodejs || rc=1 ;;
      pulumi-resource-aws) build_published_provider aws "$BL_PULUMI_AWS_VERSION" || rc=1 ;;
      pulumi-resource-docker) build_published_provider docker "$BL_PULUMI_DOCKER_VERSION" || rc=1 ;;
      *) log "unknown tool: $t"; rc=2 ;;
    esac
  done
  install_provider_plugins || rc=1
  bash "$HERE/env.sh" --print-path
  return $rc
}
main "$@"
