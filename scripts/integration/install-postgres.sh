#!/usr/bin/env bash
# Installs what the integration tier and `npm run bench:backup` need on a Debian or
# Ubuntu machine: the PostgreSQL server (with contrib: pg_stat_statements, pg_trgm)
# and pgBackRest, from the distribution's packages. Idempotent: a machine that has
# both is left alone.
#
# The distribution package creates and starts a "main" cluster on port 5432. The
# tests start their own servers on loopback ports and never use it, so every cluster
# the package manages is stopped and set to start manually.
#
# stdout: the PostgreSQL bin directory (e.g. /usr/lib/postgresql/15/bin), nothing else.
# Everything else goes to stderr.
set -euo pipefail

log() { echo "install-postgres: $*" >&2; }

newest_bindir() {
  local dir best=""
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/postgres" ]] || continue
    if [[ -z "$best" ]] || [[ "$(basename "$(dirname "$dir")")" -gt "$(basename "$(dirname "$best")")" ]]; then
      best="$dir"
    fi
  done
  [[ -n "$best" ]] && echo "$best"
}

if command -v pgbackrest >/dev/null 2>&1 && newest_bindir >/dev/null; then
  log "PostgreSQL and pgBackRest are already installed"
else
  if [[ "$(id -u)" -ne 0 ]]; then
    log "PostgreSQL or pgBackRest is missing and installing them needs root (run this script as root)"
    exit 1
  fi
  log "installing postgresql, postgresql-contrib and pgbackrest"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y \
    postgresql postgresql-contrib pgbackrest >&2
fi

# Stop any cluster the package created (pg_lsclusters comes with postgresql-common)
# and keep it from starting again with the machine.
if command -v pg_lsclusters >/dev/null 2>&1; then
  while read -r version cluster port status _; do
    [[ -n "$version" ]] || continue
    start_conf="/etc/postgresql/$version/$cluster/start.conf"
    if [[ -w "$start_conf" ]] && ! grep -qx 'manual' "$start_conf"; then
      echo manual >"$start_conf"
      log "cluster $version/$cluster set to start manually"
    fi
    if [[ "$status" == online* ]]; then
      log "stopping cluster $version/$cluster (port $port)"
      pg_ctlcluster "$version" "$cluster" stop -m fast >&2 || log "could not stop cluster $version/$cluster"
    fi
  done < <(pg_lsclusters -h 2>/dev/null || true)
fi

if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  log "warning: something still listens on 127.0.0.1:5432 (not a cluster this script manages)"
fi

bindir="$(newest_bindir)" || {
  log "no /usr/lib/postgresql/*/bin/postgres after installing"
  exit 1
}
command -v pgbackrest >/dev/null 2>&1 || {
  log "pgbackrest is not on PATH after installing"
  exit 1
}
log "pgBackRest: $(pgbackrest version)"
echo "$bindir"
