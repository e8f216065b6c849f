# shellcheck shell=bash
# Shared settings for the engine-tier tool scripts (sourced, not executed).
# Everything that is built or downloaded lives OUTSIDE the repo, under
# ${BLACKLAKE_TOOLS_CACHE:-$HOME/.cache/blacklake-tools}, one folder per
# <tool>-<version>, so several versions can coexist and a warm run is a no-op.

BL_CACHE="${BLACKLAKE_TOOLS_CACHE:-$HOME/.cache/blacklake-tools}"

# --- pinned versions (override through the environment) ---------------------
# The Go module proxy reachable here serves only some versions; each pin below is one
# it serves (scripts/engine/README.md lists what it refuses).
BL_PULUMI_VERSION="${BL_PULUMI_VERSION:-v3.274.1}"
# pulumi-kubernetes: the one served provider/v4 version is this pseudo-version, which
# is upstream tag v4.25.0; @pulumi/kubernetes is pinned to the same release.
BL_PULUMI_K8S_MODVER="${BL_PULUMI_K8S_MODVER:-v4.0.0-20260115033456-f47bc2d6f199}"
BL_PULUMI_K8S_VERSION="${BL_PULUMI_K8S_VERSION:-4.25.0}"
# pulumi-random/provider is refused, so scripts/engine/random-provider bridges the
# Terraform random provider at the commit and SDK fork that pulumi-random 4.21.1 builds
# on; @pulumi/random is pinned to 4.21.1.
BL_PULUMI_RANDOM_VERSION="${BL_PULUMI_RANDOM_VERSION:-4.21.1}"
BL_TF_BRIDGE_VERSION="${BL_TF_BRIDGE_VERSION:-v3.120.0}"
BL_TF_RANDOM_MODVER="${BL_TF_RANDOM_MODVER:-v1.3.2-0.20260513075824-f8d869dc98d9}"
BL_TF_PLUGIN_SDK_FORK="${BL_TF_PLUGIN_SDK_FORK:-v2.0.0-20260318212141-5525259d096b}"
# Refused today (403); `tools.sh all` keeps trying them so the engine tier can turn
# AWS and image builds on as soon as they are served. Versions = the npm SDKs'.
BL_PULUMI_AWS_VERSION="${BL_PULUMI_AWS_VERSION:-7.48.0}"
BL_PULUMI_DOCKER_VERSION="${BL_PULUMI_DOCKER_VERSION:-5.2.0}"
BL_K8S_VERSION="${BL_K8S_VERSION:-v1.36.3}"
# k8s.io/* staging modules are published as v0.<minor>.<patch>
BL_K8S_STAGING_VERSION="${BL_K8S_STAGING_VERSION:-v0.${BL_K8S_VERSION#v1.}}"
BL_ETCD_VERSION="${BL_ETCD_VERSION:-v3.6.16}"
# cert-manager's CustomResourceDefinitions (deploy/crds in its Go module): the engine tier
# installs them so the stacks' Certificates are validated by the real schemas.
BL_CERT_MANAGER_VERSION="${BL_CERT_MANAGER_VERSION:-v1.21.2}"

BL_PULUMI_HOME="${BL_CACHE}/pulumi-home"

bl_tool_dir() { # <tool> <version> -> cache dir of that tool
  echo "${BL_CACHE}/$1-$2"
}

# bl_prints <text> <command>...: whether the command's output (stdout and stderr) holds
# the text, e.g. a cached binary's version. The output is captured first: under pipefail,
# `cmd | grep -q` fails when grep stops at its first match and the command, still
# writing, dies of SIGPIPE, and a cached tool would be rebuilt.
bl_prints() {
  local want="$1" out
  shift
  out="$("$@" 2>&1)" || true
  [[ "$out" == *"$want"* ]]
}

bl_go_env() {
  export GOPATH="${BL_CACHE}/go"
  export GOMODCACHE="${BL_CACHE}/go/pkg/mod"
  export GOCACHE="${BL_CACHE}/go-build"
  export GOFLAGS="-mod=mod -buildvcs=false"
  export GOTOOLCHAIN=local
  export CGO_ENABLED="${CGO_ENABLED:-0}"
  export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
}

# bl_build_module <module> <version> <out dir> <ldflags> <package>...
# Builds the packages from the module's own source tree, as upstream's release does (its
# go.mod and replace directives apply, which a wrapper module's would not), into <out dir>.
bl_build_module() {
  local mod="$1" ver="$2" out="$3" ldflags="$4" dir src rc=0
  shift 4
  dir="$(go mod download -json "$mod@$ver" | jq -r '.Dir // empty')"
  [[ -n "$dir" ]] || { echo "$mod@$ver: not served by the Go module proxy here" >&2; return 1; }
  src="$(mktemp -d)"
  cp -r "$dir/." "$src" && chmod -R u+w "$src"
  mkdir -p "$out"
  (cd "$src" && for p in "$@"; do go build -trimpath -ldflags="-s -w $ldflags" -o "$out/" "$p" || exit 1; done) || rc=$?
  rm -rf "$src"
  return "$rc"
}

# bl_go_install <tool> <version> <package@version>
# `go install`s one command (outside any module, so its own go.mod applies) into
# <cache>/<tool>-<version>/bin, unless it is there already; logs to <cache>/logs and
# appends the cold build time to timings.tsv. Built in a temporary GOBIN and moved into
# place, so an interrupted build never leaves a binary the check would accept.
# stdout: the bin dir. Needs bl_go_env.
bl_go_install() {
  local tool="$1" version="$2" pkg="$3" out bin logf tmp t0
  out="$(bl_tool_dir "$tool" "$version")/bin"
  bin="$out/$(basename "${pkg%@*}")"
  mkdir -p "$BL_CACHE/logs"
  if [[ -x "$bin" ]]; then
    printf '[%s] %s %s: cached (%s)\n' "$tool" "$tool" "$version" "$bin" >&2
    echo "$out"
    return 0
  fi
  logf="$BL_CACHE/logs/$tool-$version.log"
  printf '[%s] %s %s: building (log: %s)\n' "$tool" "$tool" "$version" "$logf" >&2
  t0=$SECONDS
  tmp="$(mktemp -d)"
  if ! (cd "$tmp" && GOBIN="$tmp/bin" go install -trimpath -ldflags="-s -w" "$pkg") >"$logf" 2>&1; then
    printf '[%s] %s %s: FAILED after %ss, see %s\n' "$tool" "$tool" "$version" "$((SECONDS - t0))" "$logf" >&2
    tail -n 20 "$logf" >&2
    rm -rf "$tmp"
    return 1
  fi
  mkdir -p "$out"
  mv "$tmp/bin/$(basename "$bin")" "$bin.tmp" && mv "$bin.tmp" "$bin"
  rm -rf "$tmp"
  printf '%s\t%s\t%ss\t%s\n' "$tool" "$version" "$((SECONDS - t0))" "$(date -u +%FT%TZ)" >>"$BL_CACHE/logs/timings.tsv"
  printf '[%s] %s %s: built in %ss -> %s\n' "$tool" "$tool" "$version" "$((SECONDS - t0))" "$bin" >&2
  echo "$out"
}
