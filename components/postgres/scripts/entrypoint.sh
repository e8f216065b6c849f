#!/usr/bin/env bash
# Starts one PostgreSQL instance of the StatefulSet. Ordinal 0 is the primary: on an
# empty volume it runs initdb and the bootstrap SQL. Every other ordinal is a streaming
# replica: on an empty volume it clones the primary with pg_basebackup. The rendered
# postgresql.conf and pg_hba.conf are mounted read-only and passed explicitly.
#
# Environment: PGDATA, POSTGRES_CONFIG_DIR, PRIMARY_HOST, POD_NAME, POSTGRES_PASSWORD,
# REPLICATION_USER, REPLICATION_PASSWORD, APP_DATABASE, APP_USER, APP_PASSWORD,
# EXPORTER_USER, EXPORTER_PASSWORD.
set -euo pipefail

ordinal="${POD_NAME##*-}"
config=(-c "config_file=${POSTGRES_CONFIG_DIR}/postgresql.conf" -c "hba_file=${POSTGRES_CONFIG_DIR}/pg_hba.conf")

if [[ ! -s "${PGDATA}/PG_VERSION" ]]; then
  mkdir -p "${PGDATA}"
  chmod 0700 "${PGDATA}"
  if [[ "${ordinal}" == "0" ]]; then
    echo "entrypoint: initialising a new primary in ${PGDATA}"
    initdb --pgdata="${PGDATA}" --username=postgres --auth-local=peer --auth-host=scram-sha-256 \
      --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD}") --data-checksums --encoding=UTF8 --locale=C.UTF-8
    # Bootstrap on a socket only, before the server listens on the network.
    pg_ctl --pgdata="${PGDATA}" --wait --options="${config[*]} -c listen_addresses=''" start
    psql --no-psqlrc --set=ON_ERROR_STOP=1 --username=postgres --dbname=postgres \
      --set=app_database="${APP_DATABASE}" --set=app_user="${APP_USER}" --set=app_password="${APP_PASSWORD}" \
      --set=replication_user="${REPLICATION_USER}" --set=replication_password="${REPLICATION_PASSWORD}" \
      --set=exporter_user="${EXPORTER_USER}" --set=exporter_password="${EXPORTER_PASSWORD}" \
      --file="${POSTGRES_CONFIG_DIR}/bootstrap.sql"
    pg_ctl --pgdata="${PGDATA}" --wait --mode=fast stop
  else
    echo "entrypoint: cloning ${PRIMARY_HOST} into a new replica"
    PGPASSWORD="${REPLICATION_PASSWORD}" pg_basebackup --pgdata="${PGDATA}" --host="${PRIMARY_HOST}" \
      --username="${REPLICATION_USER}" --wal-method=stream --write-recovery-conf --checkpoint=fast --progress
  fi
fi

if [[ "${ordinal}" != "0" && ! -f "${PGDATA}/standby.signal" ]]; then
  # A former primary must never come back as a second primary: failover is a manual,
  # runbook-driven step (docs/runbooks/postgres-replica-rebuild.md).
  echo "entrypoint: ${POD_NAME} holds a primary's data but is not ordinal 0; refusing to start" >&2
  exit 1
fi

exec postgres -D "${PGDATA}" "${config[@]}"
