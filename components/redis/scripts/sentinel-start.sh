#!/bin/sh
# Starts the Sentinel beside each Redis. Sentinel rewrites its own config, so the
# rendered template is copied to a writable volume and completed with this pod's
# address and the sentinel user's credentials (from the Secret, via the environment).
# POSIX sh: the redis alpine image has no bash.
#
# Environment: SELF_HOST, MASTER_NAME, SENTINEL_PASSWORD (the sentinel user's, for Redis),
# SENTINEL_AUTH_PASSWORD (what clients and the other sentinels authenticate with); optional
# REDIS_CONFIG_DIR and SENTINEL_RUN_DIR (the pod's paths by default).
set -eu
conf="${SENTINEL_RUN_DIR:-/run/sentinel}/sentinel.conf"
if [ ! -f "${conf}" ]; then
  cp "${REDIS_CONFIG_DIR:-/etc/redis}/sentinel.conf" "${conf}"
  {
    echo "sentinel announce-ip ${SELF_HOST}"
    echo "sentinel auth-user ${MASTER_NAME} sentinel"
    echo "sentinel auth-pass ${MASTER_NAME} ${SENTINEL_PASSWORD}"
    echo "requirepass ${SENTINEL_AUTH_PASSWORD}"
    echo "sentinel sentinel-pass ${SENTINEL_AUTH_PASSWORD}"
  } >>"${conf}"
fi
exec redis-sentinel "${conf}"
