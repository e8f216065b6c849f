#!/usr/bin/env bash
# Starts one PostgreSQL instance of the StatefulSet. Ordinal 0 is the primary: on an
# empty volume it runs initdb and the bootstrap SQL. Every other ordinal is a streaming
# replica: on an empty volume it clones the primary with pg_basebackup. The rendered
# postgresql.conf and pg_hba.conf are mounted read-only and passed explicitly.
#
# Environment: PGDATA, POSTGRES_CONFIG_DIR, PRIMARY_HOST, POD_NAME, POSTGRES_PASSWORD,
# REPLICATION_USER, REPLICATION_PASSWORD, APP_DATABASE, APP_USER, APP_PASSWORD,
# EXPORTER_USER, EXPORTER_PASSWORD; optional PRIMARY_PORT (5432) and
# PRIMARY_WAIT_SECONDS (300), how long a new replica waits for the primary; PGSSLMODE and
# PGSSLROOTCERT (libpq's own variables) make a replica verify the primary's certificate.
set -euo pipefail

ordinal="${POD_NAME##*-}"
primary_port="${PRIMARY_PORT:-5432}"
config=(-c "config_file=${POSTGRES_CONFIG_DIR}/postgresql.conf" -c "hba_file=${POSTGRES_CONFIG_DIR}/pg_hba.conf")

if [[ "${ordinal}" != "0" ]]; then
  # A replica reaches the primary with the replication password as the Secret holds it
  # NOW, written at every start into a passfile beside the data directory (never into
  # the data directory, where a clone would copy it). Rotating the password is then
  # ALTER ROLE on the primary and a restart of each replica.
  passfile="$(dirname "${PGDATA}")/replication.pgpass"
  (umask 077 && printf '%s:%s:*:%s:%s\n' "${PRIMARY_HOST}" "${primary_port}" "${REPLICATION_USER}" "${REPLICATION_PASSWORD}" >"${passfile}")
  # On the command line, primary_conninfo beats postgresql.auto.conf (where older clones
  # have a password of their own).
  # The stream verifies the primary as the clone did (stated here, not left to the
  # walreceiver's inherited environment, so the conninfo shows it).
  tls_conninfo=""
  if [[ -n "${PGSSLMODE:-}" ]]; then tls_conninfo=" sslmode=${PGSSLMODE} sslrootcert=${PGSSLROOTCERT}"; fi
  config+=(-c "primary_conninfo=host=${PRIMARY_HOST} port=${primary_port} user=${REPLICATION_USER} passfile=${passfile} application_name=${POD_NAME}${tls_conninfo}")
fi

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
      --set=app_database="${APP_DATABASE}" --set=app_user="${APP_USER}" \
      --set=replication_user="${REPLICATION_USER}" \
      --set=exporter_user="${EXPORTER_USER}" \
      --file="${POSTGRES_CONFIG_DIR}/bootstrap.sql"
    pg_ctl --pgdata="${PGDATA}" --wait --mode=fast stop
  else
    # OrderedReady starts this pod once ordinal 0 is Ready, and its socket probe already
    # passes while the primary bootstraps on its socket alone: wait, bounded, until the
    # primary listens on the network instead of failing the clone and crash-looping.
    waited=0
    until pg_isready --quiet --host="${PRIMARY_HOST}" --port="${primary_port}"; do
      if ((waited >= ${PRIMARY_WAIT_SECONDS:-300})); then
        echo "entrypoint: ${PRIMARY_HOST}:${primary_port} did not accept connections within ${waited} s; cannot clone" >&2
        exit 1
      fi
      sleep 1
      waited=$((waited + 1))
    done
    echo "entrypoint: cloning ${PRIMARY_HOST} into a new replica"
    PGPASSFILE="${passfile}" pg_basebackup --pgdata="${PGDATA}" --host="${PRIMARY_HOST}" --port="${primary_port}" \
      --username="${REPLICATION_USER}" --wal-method=stream --checkpoint=fast --progress
    # Standby mode; its primary_conninfo comes from the command line below, not from a file.
    touch "${PGDATA}/standby.signal"
  fi
fi

if [[ "${ordinal}" != "0" && ! -f "${PGDATA}/standby.signal" ]]; then
  # A former primary must never come back as a second primary: failover is a manual,
  # runbook-driven step (docs/runbooks/postgres-replica-rebuild.md).
  echo "entrypoint: ${POD_NAME} holds a primary's data but is not ordinal 0; refusing to start" >&2
  exit 1
fi

exec postgres -D "${PGDATA}" "${config[@]}"
