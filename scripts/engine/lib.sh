# shellcheck shell=bash
# Shared settings for the engine-tier tool scripts (sourced, not executed).
# Everything that is built or downloaded lives OUTSIDE the repo, under
# ${BLACKLAKE_TOOLS_CACHE:-$HOME/.cache/blacklake-tools}, one folder per
# <tool>-<version>, so several versions can coexist and a warm run is a no-op.

BL_CACHE="${BLACKLAKE_TOOLS_CACHE:-$HOME/.cache/blacklake-tools}"

# --- pinned versions (override through the environment) ---------------------
# The Go module proxy reachable here does not serve every module version:
#   github.com/pulumi/pulumi/pkg/v3: newest with a downloadable zip is v3.259.0
#   (v3.260.0 has .info/.mod but its .zip is refused; v3.261.0+ refused).
BL_PULUMI_VERSION="${BL_PULUMI_VERSION:-v3.259.0}"
BL_PULUMI_K8S_VERSION="${BL_PULUMI_K8S_VERSION:-v4.34.2}"
BL_PULUMI_RANDOM_VERSION="${BL_PULUMI_RANDOM_VERSION:-v4.21.2}"
BL_K8S_VERSION="${BL_K8S_VERSION:-v1.36.3}"
# k8s.io/* staging modules are published as v0.<minor>.<patch>
BL_K8S_STAGING_VERSION="${BL_K8S_STAGING_VERSION:-v0.${BL_K8S_VERSION#v1.}}"
BL_ETCD_VERSION="${BL_ETCD_VERSION:-v3.6.16}"

BL_PULUMI_HOME="${BL_CACHE}/pulumi-home"

bl_tool_dir() { # <tool> <version> -> cache dir of that tool
  echo "${BL_CACHE}/$1-$2"
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
