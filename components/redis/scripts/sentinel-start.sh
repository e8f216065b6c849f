#!/usr/bin/env bash
# Starts the Sentinel beside each Redis. Sentinel rewrites its own config, so the
# rendered template is copied to a writable volume and completed with this pod's
# address and the sentinel user's credentials (from the Secret, via the environment).
set -euo pipefail
conf=/run/sentinel/sentinel.conf
if [[ ! -f "${conf}" ]]; then
  cp /etc/redis/sentinel.conf "${conf}"
  {
    echo "sentinel announce-ip ${SELF_HOST}"
    echo "sentinel auth-user ${MASTER_NAME} sentinel"
    echo "sentinel auth-pass ${MASTER_NAME} ${SENTINEL_PASSWORD}"
  } >>"${conf}"
fi
exec redis-sentinel "${conf}"
