#!/bin/sh
# Starts one Redis of the StatefulSet. Whoever Sentinel names as primary stays primary;
# with no Sentinel answer (first start, or Sentinel off), ordinal 0 is the primary and
# the others replicate from it. The rendered redis.conf is included read-only.
# POSIX sh: the redis alpine image has no bash.
#
# Environment: POD_NAME, PRIMARY_HOST (ordinal 0's DNS name), SELF_HOST, SENTINEL_HOST
# (empty when Sentinel is off), SENTINEL_AUTH_PASSWORD (with Sentinel), MASTER_NAME;
# optional REDIS_CONFIG_DIR, REDIS_RUN_DIR,
# PRIMARY_PORT and SENTINEL_PORT (the pod's paths and ports by default).
set -eu
config_dir="${REDIS_CONFIG_DIR:-/etc/redis}"
run_dir="${REDIS_RUN_DIR:-/run/redis}"

primary=""
if [ -n "${SENTINEL_HOST:-}" ]; then
  primary=$(REDISCLI_AUTH="${SENTINEL_AUTH_PASSWORD:-}" redis-cli -h "${SENTINEL_HOST}" -p "${SENTINEL_PORT:-26379}" --raw SENTINEL GET-MASTER-ADDR-BY-NAME "${MASTER_NAME}" 2>/dev/null | head -n 1 || true)
fi
[ -n "${primary}" ] || primary="${PRIMARY_HOST}"

{
  echo "include ${config_dir}/redis.conf"
  echo "replica-announce-ip ${SELF_HOST}"
  if [ "${primary}" != "${SELF_HOST}" ]; then
    echo "replicaof ${primary} ${PRIMARY_PORT:-6379}"
  fi
} >"${run_dir}/redis.conf"

if [ "${primary}" = "${SELF_HOST}" ]; then role="primary"; else role="replica of ${primary}"; fi
echo "redis-start: ${POD_NAME} starts as ${role}"
exec redis-server "${run_dir}/redis.conf"
