#!/usr/bin/env bash
# Starts one Redis of the StatefulSet. Whoever Sentinel names as primary stays primary;
# with no Sentinel answer (first start, or Sentinel off), ordinal 0 is the primary and
# the others replicate from it. The rendered redis.conf is included read-only.
#
# Environment: POD_NAME, PRIMARY_HOST (ordinal 0's DNS name), SELF_HOST, SENTINEL_HOST
# (empty when Sentinel is off), MASTER_NAME.
set -euo pipefail

primary=""
if [[ -n "${SENTINEL_HOST:-}" ]]; then
  answer=$(redis-cli -h "${SENTINEL_HOST}" -p 26379 --raw SENTINEL GET-MASTER-ADDR-BY-NAME "${MASTER_NAME}" 2>/dev/null | head -1 || true)
  primary="${answer}"
fi
[[ -n "${primary}" ]] || primary="${PRIMARY_HOST}"

{
  echo "include /etc/redis/redis.conf"
  echo "replica-announce-ip ${SELF_HOST}"
  if [[ "${primary}" != "${SELF_HOST}" ]]; then
    echo "replicaof ${primary} 6379"
  fi
} >/run/redis/redis.conf

echo "redis-start: ${POD_NAME} starts as $([[ "${primary}" == "${SELF_HOST}" ]] && echo primary || echo "replica of ${primary}")"
exec redis-server /run/redis/redis.conf
