#!/usr/bin/env bash
# Installs Debian's prometheus (promtool) and prometheus-alertmanager (amtool) for the
# integration tier, if missing. Their services are not started: the tests only run
# promtool and amtool on rendered files.
#
# Debian builds Prometheus without Kubernetes service discovery, so its promtool rejects
# `kubernetes_sd_configs` ("field kubernetes_sd_configs not found"). When it does, this
# builds upstream promtool (Prometheus 2.54.1, same 2.x PromQL semantics as Debian's 2.42)
# from the Go module proxy into a cache directory, once.
#
# The last line of output is the path of the promtool to use.
set -euo pipefail
PROM_VERSION=v0.54.1   # Go module version of Prometheus 2.54.1
CACHE="${BLACKLAKE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/blacklake-tools}"
BUILT="$CACHE/promtool-$PROM_VERSION/promtool"

if ! command -v promtool >/dev/null || ! command -v amtool >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager >/dev/null
fi
amtool --version 2>&1 | head -1 >&2

supports_k8s_sd() {
  local dir
  dir=$(mktemp -d)
  printf 'scrape_configs:\n  - job_name: x\n    kubernetes_sd_configs:\n      - role: pod\n' >"$dir/p.yml"
  "$1" check config "$dir/p.yml" >/dev/null 2>&1 && rc=0 || rc=1
  rm -rf "$dir"
  return $rc
}

if supports_k8s_sd "$(command -v promtool)"; then
  promtool --version 2>&1 | head -1 >&2
  command -v promtool
  exit 0
fi

if [ ! -x "$BUILT" ] || ! supports_k8s_sd "$BUILT"; then
  command -v go >/dev/null || { echo "Debian's promtool lacks Kubernetes SD and Go is not installed to build upstream promtool" >&2; exit 1; }
  echo "building promtool $PROM_VERSION from the Go module proxy (Debian's lacks Kubernetes SD)" >&2
  src=$(mktemp -d)
  dir=$(go mod download -json "github.com/prometheus/prometheus@$PROM_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  cp -r "$dir/." "$src"
  chmod -R u+w "$src"
  mkdir -p "$(dirname "$BUILT")"
  (cd "$src" && go build -o "$BUILT" ./cmd/promtool) >&2
  rm -rf "$src"
fi
"$BUILT" --version 2>&1 | head -1 >&2
echo "$BUILT"
