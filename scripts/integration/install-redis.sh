#!/usr/bin/env bash
# Installs Debian's redis-server and redis-sentinel for the integration tier, if missing.
# The packages' own service is not started (no init system here; tests start their own).
set -euo pipefail
if ! command -v redis-server >/dev/null || ! command -v redis-sentinel >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-sentinel >/dev/null
fi
redis-server --version
