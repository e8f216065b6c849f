#!/usr/bin/env bash
# Weekly restore drill (run by a Kubernetes CronJob): restores the latest pgBackRest
# backup into a scratch volume, starts PostgreSQL on it on a private unix socket only,
# runs a check query, and reports the outcome as Prometheus metrics.
#
# Untested backups are not backups: this proves that the repository can be read and
# decrypted, that the WAL needed to make the backup consistent is in the archive, and
# that the result opens as a database.
#
# Environment:
#   PGBACKREST_CONFIG    path to the production pgbackrest.conf (required)
#   PGBACKREST_STANZA    the stanza to restore (required)
#   DRILL_SCRATCH_DIR    an empty, writable scratch volume big enough for the database (required)
#   DRILL_PORT           port number of the drill server's socket (default 54329; it never listens on TCP)
#   DRILL_CHECK_SQL      query that must succeed on the restored database (default: SELECT count(*) FROM pg_database)
#   DRILL_DATABASE       database the check query runs in (default postgres)
#   DRILL_DB_USER        role the check query runs as (default postgres)
#   DRILL_METRICS_FILE   if set, Prometheus text-format metrics are written there (atomically)
#   DRILL_START_TIMEOUT  seconds to wait for recovery to finish and the server to open (default 900)
#   DRILL_CHECK_TIMEOUT  seconds the check query may take (default 600)
#   DRILL_SHARED_BUFFERS shared_buffers of the drill server (default 128MB)
#   DRILL_POSTGRES_CONFIG optional production postgresql.conf to start with, for clusters
#                        whose config_file lives outside PGDATA (and so is not in the backup)
#   PG_BIN               PostgreSQL bin directory; else `pg_config --bindir`, else the newest
#                        /usr/lib/postgresql/*/bin (the one matching the backup's version wins)
#   PGBACKREST_REPO<n>_CIPHER_PASS and any S3 credentials, as for every pgBackRest command.
#
# The server starts with the restored postgresql.conf (or DRILL_POSTGRES_CONFIG);
# everything that must differ for a throwaway copy is overridden on the postgres
# command line, which beats every file: no TCP listener, archiving off, our own socket
# directory, port, pg_hba.conf and a small shared_buffers. hot_standby is off: nobody
# needs to connect before recovery ends, and it spares the check that max_connections
# and friends are at least the primary's (the restored file may be initdb's default).
# pgBackRest writes to the scratch volume only (pg1-path, spool-path and lock-path are
# overridden), so the production paths in the mounted pgbackrest.conf are never touched.
#
# Exit status 0 when the drill passed. On any failure one line
# "restore drill FAILED: <reason>" goes to stderr, the metrics say 0, and the exit
# status is non-zero. The scratch data is removed either way.
set -euo pipefail

readonly METRIC_PREFIX=blacklake_restore_drill
started_ns="$(date +%s%N)"
step="starting"
work=""
pg_pid=""
child_pid=""
failed_reported=0

log() { printf '%s restore-drill: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

fail() {
  local reason
  reason="$(printf '%s' "$*" | tr '\n\t' '  ' | tr -s ' ')"
  echo "restore drill FAILED: ${reason}" >&2
  failed_reported=1
  exit 1
}

write_metrics() { # <success 0|1>
  [[ -n "${DRILL_METRICS_FILE:-}" ]] || return 0
  local now duration tmp
  now="$(date +%s)"
  duration="$(awk -v a="$started_ns" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"
  tmp="${DRILL_METRICS_FILE}.tmp.$$"
  {
    echo "# HELP ${METRIC_PREFIX}_success Whether the last restore drill restored the latest backup and answered the check query (1) or not (0)."
    echo "# TYPE ${METRIC_PREFIX}_success gauge"
    echo "${METRIC_PREFIX}_success $1"
    echo "# HELP ${METRIC_PREFIX}_duration_seconds Wall-clock duration of the last restore drill."
    echo "# TYPE ${METRIC_PREFIX}_duration_seconds gauge"
    echo "${METRIC_PREFIX}_duration_seconds ${duration}"
    echo "# HELP ${METRIC_PREFIX}_last_run_timestamp_seconds Unix time the last restore drill finished."
    echo "# TYPE ${METRIC_PREFIX}_last_run_timestamp_seconds gauge"
    echo "${METRIC_PREFIX}_last_run_timestamp_seconds ${now}"
  } >"$tmp" && mv -f "$tmp" "$DRILL_METRICS_FILE"
}

pg_alive() { [[ -n "$pg_pid" ]] && kill -0 "$pg_pid" 2>/dev/null; }

stop_postgres() {
  pg_alive || return 0
  local i
  for ((i = 0; i < 300; i++)); do # 30 s
    # Fast shutdown, repeated: a background job starts with SIGINT ignored, so a
    # signal that arrives before postgres installs its handler is lost.
    ((i % 10 == 0)) && { kill -INT "$pg_pid" 2>/dev/null || true; }
    pg_alive || break
    sleep 0.1
  done
  if pg_alive; then
    log "postgres did not stop within 30 s; sending SIGQUIT"
    kill -QUIT "$pg_pid" 2>/dev/null || true
    sleep 2
    if pg_alive; then kill -KILL "$pg_pid" 2>/dev/null || true; fi
  fi
  wait "$pg_pid" 2>/dev/null || true
  pg_pid=""
}

# Runs a command in the background with its output in a file and waits for it, so that
# SIGTERM (the Job's deadline, a node drain) is acted on at once instead of after the
# command. (The redirection must not be on the function call: a trap running during
# the wait would inherit it.) With setsid the command leads its own process group, so
# stopping it also stops its helpers (pgBackRest's parallel restore processes).
run_waiting() { # <output file> <command...>
  local out="$1"
  shift
  if command -v setsid >/dev/null 2>&1; then
    setsid "$@" >"$out" 2>&1 &
  else
    "$@" >"$out" 2>&1 &
  fi
  child_pid=$!
  local rc=0
  wait "$child_pid" || rc=$?
  child_pid=""
  return "$rc"
}

stop_child() {
  [[ -n "$child_pid" ]] && kill -0 "$child_pid" 2>/dev/null || return 0
  kill -TERM -- "-$child_pid" 2>/dev/null || kill -TERM "$child_pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do # 10 s
    kill -0 -- "-$child_pid" 2>/dev/null || kill -0 "$child_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$child_pid" 2>/dev/null || kill -KILL "$child_pid" 2>/dev/null || true
  wait "$child_pid" 2>/dev/null || true
  child_pid=""
}

on_exit() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  stop_child
  stop_postgres
  if [[ -n "$work" && -d "$work" ]]; then
    rm -rf -- "$work" || echo "restore-drill: could not remove ${work}" >&2
  fi
  if ((rc != 0)) && ((failed_reported == 0)); then
    echo "restore drill FAILED: ${step} failed (exit status ${rc})" >&2
  fi
  if ! write_metrics "$((rc == 0 ? 1 : 0))" 2>/dev/null; then
    rm -f -- "${DRILL_METRICS_FILE}.tmp.$$"
    if ((rc == 0)); then
      echo "restore drill FAILED: could not write metrics to ${DRILL_METRICS_FILE}" >&2
      rc=1
    else
      echo "restore-drill: could not write metrics to ${DRILL_METRICS_FILE} either" >&2
    fi
  fi
  if ((rc == 0)); then
    log "restore drill PASSED in $(awk -v a="$started_ns" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s"
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'fail "terminated by SIGTERM during: ${step}"' TERM
trap 'fail "interrupted during: ${step}"' INT

# Last ERROR line of a pgBackRest or PostgreSQL log, for the one-line reason.
last_error() { # <file>
  grep -E '(ERROR|FATAL|PANIC):' "$1" 2>/dev/null | tail -n 1 | sed -E 's/^.*(ERROR|FATAL|PANIC):/\1:/' || true
}

# --- inputs ----------------------------------------------------------------
step="checking the environment"
[[ -n "${PGBACKREST_CONFIG:-}" ]] || fail "PGBACKREST_CONFIG is not set"
[[ -r "$PGBACKREST_CONFIG" ]] || fail "PGBACKREST_CONFIG ${PGBACKREST_CONFIG} is not a readable file"
[[ -n "${PGBACKREST_STANZA:-}" ]] || fail "PGBACKREST_STANZA is not set"
[[ -n "${DRILL_SCRATCH_DIR:-}" ]] || fail "DRILL_SCRATCH_DIR is not set"
[[ -d "$DRILL_SCRATCH_DIR" && -w "$DRILL_SCRATCH_DIR" ]] || fail "DRILL_SCRATCH_DIR ${DRILL_SCRATCH_DIR} is not a writable directory"
DRILL_PORT="${DRILL_PORT:-54329}"
if ! [[ "$DRILL_PORT" =~ ^[0-9]+$ ]] || ((DRILL_PORT < 1 || DRILL_PORT > 65535)); then
  fail "DRILL_PORT ${DRILL_PORT} is not a port number"
fi
DRILL_CHECK_SQL="${DRILL_CHECK_SQL:-SELECT count(*) FROM pg_database}"
DRILL_DATABASE="${DRILL_DATABASE:-postgres}"
DRILL_DB_USER="${DRILL_DB_USER:-postgres}"
DRILL_START_TIMEOUT="${DRILL_START_TIMEOUT:-900}"
DRILL_CHECK_TIMEOUT="${DRILL_CHECK_TIMEOUT:-600}"
DRILL_SHARED_BUFFERS="${DRILL_SHARED_BUFFERS:-128MB}"
[[ "$DRILL_START_TIMEOUT" =~ ^[0-9]+$ ]] || fail "DRILL_START_TIMEOUT ${DRILL_START_TIMEOUT} is not a number of seconds"
[[ "$DRILL_CHECK_TIMEOUT" =~ ^[0-9]+$ ]] || fail "DRILL_CHECK_TIMEOUT ${DRILL_CHECK_TIMEOUT} is not a number of seconds"
if [[ -n "${DRILL_POSTGRES_CONFIG:-}" ]]; then
  [[ -r "$DRILL_POSTGRES_CONFIG" ]] || fail "DRILL_POSTGRES_CONFIG ${DRILL_POSTGRES_CONFIG} is not a readable file"
fi
if [[ -n "${DRILL_METRICS_FILE:-}" ]]; then
  metrics_dir="$(dirname -- "$DRILL_METRICS_FILE")"
  [[ -d "$metrics_dir" && -w "$metrics_dir" ]] || fail "the directory of DRILL_METRICS_FILE (${metrics_dir}) is not writable"
fi
(($(id -u) != 0)) || fail "running as root; PostgreSQL refuses to, run as the postgres user"
command -v pgbackrest >/dev/null 2>&1 || fail "pgbackrest is not on PATH"

# Candidate bin directories, best first: PG_BIN alone when given.
pg_bin_candidates() {
  if [[ -n "${PG_BIN:-}" ]]; then
    echo "$PG_BIN"
    return
  fi
  if command -v pg_config >/dev/null 2>&1; then
    pg_config --bindir 2>/dev/null || true
  fi
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -d "$dir" ]] && echo "$dir"
  done | sort -t/ -k5,5 -n -r
}

# The bin directory whose postgres has the given major version (any, if none given).
pick_pg_bin() { # [major]
  local dir version
  while read -r dir; do
    [[ -x "$dir/postgres" ]] || continue
    [[ -n "${1:-}" ]] || { echo "$dir"; return 0; }
    version="$("$dir/postgres" --version 2>/dev/null | grep -oE '[0-9]+' | head -n 1)"
    [[ "$version" == "$1" ]] && { echo "$dir"; return 0; }
  done < <(pg_bin_candidates)
  return 1
}
pick_pg_bin >/dev/null || fail "no PostgreSQL server binaries found (set PG_BIN)"

# --- restore ------------------------------------------------------------------
step="preparing the scratch directory"
work="$(mktemp -d "${DRILL_SCRATCH_DIR%/}/restore-drill.XXXXXX")" || fail "cannot create a directory in ${DRILL_SCRATCH_DIR}"
data="$work/pgdata"
sock="$work/socket"
mkdir -m 0700 "$data" "$sock" "$work/spool" "$work/lock" "$work/log"

# Our copies of what the production config points at: pgBackRest touches nothing else.
export PGBACKREST_PG1_PATH="$data" PGBACKREST_SPOOL_PATH="$work/spool" PGBACKREST_LOCK_PATH="$work/lock" PGBACKREST_LOG_PATH="$work/log"
export PGBACKREST_CONFIG PGBACKREST_STANZA

step="restoring the latest backup"
log "restoring the latest backup of stanza ${PGBACKREST_STANZA} into ${data}"
restore_log="$work/restore.log"
if ! run_waiting "$restore_log" pgbackrest --config="$PGBACKREST_CONFIG" --stanza="$PGBACKREST_STANZA" --pg1-path="$data" \
  --type=immediate --target-action=promote --archive-mode=off --no-delta restore; then
  cat "$restore_log" >&2
  fail "pgbackrest restore failed: $(last_error "$restore_log")"
fi
cat "$restore_log"
backup_set="$(sed -nE 's/.*restore backup set ([^,]+).*/\1/p' "$restore_log" | head -n 1)"

[[ -r "$data/PG_VERSION" ]] || fail "the restored directory has no PG_VERSION"
pg_major="$(cat "$data/PG_VERSION")"
pg_bin="$(pick_pg_bin "$pg_major")" || fail "the backup is PostgreSQL ${pg_major} but no PostgreSQL ${pg_major} server binaries were found (set PG_BIN)"
log "backup set ${backup_set:-?} is PostgreSQL ${pg_major}; using ${pg_bin}"

config_file="${DRILL_POSTGRES_CONFIG:-$data/postgresql.conf}"
[[ -e "$config_file" ]] || : >"$config_file" # nothing but the overrides below, then
# Only this script's user can reach the socket directory (0700), so trust is enough.
printf 'local all all trust\n' >"$work/pg_hba.conf"
: >"$work/pg_ident.conf"

# --- start and check ------------------------------------------------------------
step="starting PostgreSQL on the restored data"
server_log="$work/postgres.log"
"$pg_bin/postgres" -D "$data" \
  -c config_file="$config_file" \
  -c listen_addresses='' \
  -c port="$DRILL_PORT" \
  -c unix_socket_directories="$sock" \
  -c unix_socket_permissions=0700 \
  -c hba_file="$work/pg_hba.conf" \
  -c ident_file="$work/pg_ident.conf" \
  -c archive_mode=off \
  -c archive_command='' \
  -c hot_standby=off \
  -c shared_buffers="$DRILL_SHARED_BUFFERS" \
  -c synchronous_standby_names='' \
  -c ssl=off \
  -c logging_collector=off \
  -c log_destination=stderr \
  -c cluster_name=restore-drill \
  >"$server_log" 2>&1 &
pg_pid=$!

psql_drill() {
  "$pg_bin/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h "$sock" -p "$DRILL_PORT" -U "$DRILL_DB_USER" -d "$DRILL_DATABASE" "$@"
}

# With hot_standby off the server accepts connections only once recovery has ended.
step="waiting for recovery to finish"
deadline=$((SECONDS + DRILL_START_TIMEOUT))
state="recovering"
while :; do
  if ! pg_alive; then
    tail -n 30 "$server_log" >&2
    fail "postgres exited while ${state}: $(last_error "$server_log")"
  fi
  if ((SECONDS >= deadline)); then
    tail -n 30 "$server_log" >&2
    fail "postgres was still ${state} after ${DRILL_START_TIMEOUT} s"
  fi
  if [[ "$state" == recovering ]]; then
    "$pg_bin/pg_isready" -q -h "$sock" -p "$DRILL_PORT" && state="promoting"
  else
    in_recovery="$(psql_drill -c 'SELECT pg_is_in_recovery()' 2>/dev/null || true)"
    [[ "$in_recovery" == f ]] && break
  fi
  sleep 1
done
log "recovery finished; the restored server is open"

step="running the check query"
check_out="$work/check.out"
if ! run_waiting "$check_out" timeout "$DRILL_CHECK_TIMEOUT" "$pg_bin/psql" -X -A -t -v ON_ERROR_STOP=1 -h "$sock" -p "$DRILL_PORT" \
  -U "$DRILL_DB_USER" -d "$DRILL_DATABASE" -c "$DRILL_CHECK_SQL"; then
  cat "$check_out" >&2
  fail "check query failed: $(grep -m1 -E 'ERROR|FATAL|psql:' "$check_out" || echo "timed out after ${DRILL_CHECK_TIMEOUT} s")"
fi
log "check query returned: $(tr '\n' ' ' <"$check_out")"

step="stopping PostgreSQL"
stop_postgres
step="done"
