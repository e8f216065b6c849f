#!/usr/bin/env bash
# shellcheck shell=bash
# Source me:  source scripts/engine/env.sh
# Puts the cached engine-tier binaries (built by scripts/engine/tools.sh) on
# PATH and sets the Pulumi variables so that nothing is fetched from the network.
# Executed instead of sourced (`scripts/engine/env.sh --print-path`), it prints
# the bin dirs it would add, one per line.

_bl_env_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$_bl_env_here/lib.sh"

# Only the CLI, Kubernetes and etcd go on PATH: resource providers are installed into
# $PULUMI_HOME/plugins by tools.sh instead, where the engine picks exactly the version
# an SDK asks for.
_bl_bin_dirs() {
  local d
  for d in \
    "$(bl_tool_dir pulumi "$BL_PULUMI_VERSION")/bin" \
    "$(bl_tool_dir k8s "$BL_K8S_VERSION")/bin" \
    "$(bl_tool_dir etcd "$BL_ETCD_VERSION")/bin"; do
    [[ -d "$d" ]] && echo "$d"
  done
  return 0
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  # executed, not sourced
  _bl_bin_dirs
  exit 0
fi

while read -r _bl_d; do
  [[ -n "$_bl_d" ]] || continue
  case ":$PATH:" in *":$_bl_d:"*) ;; *) PATH="$_bl_d:$PATH" ;; esac
done < <(_bl_bin_dirs)
export PATH
unset _bl_d

mkdir -p "$BL_PULUMI_HOME"
export PULUMI_HOME="$BL_PULUMI_HOME"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true
# test-only passphrase for the local (file://) backend, only when the caller set none
if [[ -z "${PULUMI_CONFIG_PASSPHRASE+x}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
  export PULUMI_CONFIG_PASSPHRASE="blacklake-test-only"
fi
