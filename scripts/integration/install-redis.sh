#!/usr/bin/env bash
# Installs Debian's redis-server and redis-sentinel for the integration tier, if missing,
# and busybox, whose sh runs our start scripts as the redis alpine image would.
# The packages' own service is not started (no init system here; tests start their own).
set -euo pipefail
if ! command -v redis-server >/dev/null || ! command -v redis-sentinel >/dev/null || ! command -v busybox >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-sentinel busybox >/dev/null
fi
redis-server --version
