#!/usr/bin/env bash
# MinIO bootstrap, run by a Kubernetes Job after every change (and safe to run by hand):
# creates the buckets, turns on versioning and default encryption (SSE-S3) on every
# bucket, applies their lifecycle rules, and gives each consumer a user with exactly
# one policy. Declarative and idempotent: a second run changes nothing and says so.
#
# Environment:
#   MINIO_URL             https://minio.<namespace>.svc:9000
#   MINIO_ROOT_USER       } the root credentials (from the tenant's Secret); read by
#   MINIO_ROOT_PASSWORD   } mc from stdin, never put on a command line
#   BOOTSTRAP_DIR         the files components/minio/policies.ts renders:
#                           buckets, lifecycle.<bucket>.json, policy.<policy>.json,
#                           users ("<consumer> <policy>" per line) and, from each
#                           consumer's Secret, user.<consumer>.access-key and
#                           user.<consumer>.secret-key
#   MINIO_CA_FILE         optional: PEM bundle of the private CA that signed MinIO's certificate
#   MC_INSECURE           optional: "true" skips TLS verification (tests only)
#   MC                    optional: the mc binary (default: mc on PATH)
#   BOOTSTRAP_WAIT_SECONDS optional: how long to wait for MinIO to become ready (default 300)
#
# Needs bash and mc only (the quay.io/minio/mc image has no jq, grep or sed).
set -euo pipefail

MC="${MC:-mc}"
ALIAS=bootstrap
WAIT="${BOOTSTRAP_WAIT_SECONDS:-300}"

log() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: ERROR: %s\n' "$*" >&2; exit 1; }

: "${MINIO_URL:?MINIO_URL is not set}"
: "${MINIO_ROOT_USER:?MINIO_ROOT_USER is not set}"
: "${MINIO_ROOT_PASSWORD:?MINIO_ROOT_PASSWORD is not set}"
: "${BOOTSTRAP_DIR:?BOOTSTRAP_DIR is not set}"
[[ -d "$BOOTSTRAP_DIR" ]] || die "BOOTSTRAP_DIR $BOOTSTRAP_DIR is not a directory"
for f in buckets users; do [[ -r "$BOOTSTRAP_DIR/$f" ]] || die "missing $BOOTSTRAP_DIR/$f"; done
command -v "$MC" >/dev/null 2>&1 || die "mc not found (MC=$MC)"

# mc keeps aliases and CAs in its config dir: a private one, so nothing is written to
# $HOME (read-only in the Job) and the root credentials do not outlive the run.
MC_CONFIG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/mc-bootstrap.XXXXXX")"
export MC_CONFIG_DIR
trap 'rm -rf "$MC_CONFIG_DIR"' EXIT
mkdir -p "$MC_CONFIG_DIR/certs/CAs"
chmod 700 "$MC_CONFIG_DIR"
if [[ -n "${MINIO_CA_FILE:-}" ]]; then
  [[ -r "$MINIO_CA_FILE" ]] || die "MINIO_CA_FILE $MINIO_CA_FILE is not readable"
  cp "$MINIO_CA_FILE" "$MC_CONFIG_DIR/certs/CAs/private-ca.crt"
fi
MC_FLAGS=(--no-color --disable-pager)
[[ "${MC_INSECURE:-false}" == true ]] && MC_FLAGS+=(--insecure)

mcq() { "$MC" "${MC_FLAGS[@]}" "$@"; }

# The file's content without trailing newlines; empty or missing files are errors.
read_file() {
  local f="$BOOTSTRAP_DIR/$1" v
  [[ -r "$f" ]] || die "missing $f"
  v="$(<"$f")"
  [[ -n "$v" ]] || die "$f is empty"
  printf '%s' "$v"
}

# JSON with all whitespace removed and every array of plain strings sorted: MinIO keeps
# a policy's actions and resources as sets and prints them in any order. Enough to
# compare what the server reports with the rendered file (no jq in the mc image).
canon() {
  local s="${1//[[:space:]]/}" head body tail i j item
  local -a items
  while [[ "$s" =~ ^(.*)\[([^][]*)\](.*)$ ]]; do
    head="${BASH_REMATCH[1]}" body="${BASH_REMATCH[2]}" tail="${BASH_REMATCH[3]}"
    if [[ "$body" =~ ^(\"[^\",]*\")(,\"[^\",]*\")*$ ]]; then
      IFS=, read -r -a items <<<"$body"
      for ((i = 1; i < ${#items[@]}; i++)); do # insertion sort, a handful of items
        item="${items[i]}"
        for ((j = i - 1; j >= 0; j--)); do
          [[ "${items[j]}" > "$item" ]] || break
          items[j + 1]="${items[j]}"
        done
        items[j + 1]="$item"
      done
      body="$(IFS=,; printf '%s' "${items[*]}")"
    fi
    s="$head<$body>$tail" # done: brackets become <> so the loop moves on
  done
  printf '%s' "$s"
}

# Lines of a list file, without blanks and comments.
list() {
  local line
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line%%#*}"
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    [[ -n "$line" ]] && printf '%s\n' "$line"
  done <"$BOOTSTRAP_DIR/$1"
}

set_alias() { # <alias> <access key> <secret key>: keys go through stdin
  printf '%s\n%s\n' "$2" "$3" | mcq alias set "$1" "$MINIO_URL" --api S3v4 >/dev/null
}

# --- connect -------------------------------------------------------------------------
set_alias "$ALIAS" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" || die "cannot configure the mc alias for $MINIO_URL"
deadline=$((SECONDS + WAIT))
until out="$(mcq admin info "$ALIAS" --json 2>&1)" && [[ "$out" =~ \"status\":\ *\"success\" ]]; do
  if ((SECONDS >= deadline)); then
    die "MinIO at $MINIO_URL not ready after ${WAIT}s: ${out:0:400}"
  fi
  log "waiting for MinIO at $MINIO_URL"
  sleep 5
done
log "connected to $MINIO_URL"

changes=0
changed() { changes=$((changes + 1)); log "$*"; }

# --- buckets -------------------------------------------------------------------------
mapfile -t buckets < <(list buckets)
((${#buckets[@]} > 0)) || die "$BOOTSTRAP_DIR/buckets lists no bucket"

for b in "${buckets[@]}"; do
  [[ "$b" =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || die "\"$b\" is not a bucket name"
  target="$ALIAS/$b"

  if mcq stat "$target" >/dev/null 2>&1; then
    log "bucket $b: exists"
  else
    mcq mb "$target" >/dev/null || die "cannot create bucket $b"
    changed "bucket $b: created"
  fi

  info="$(mcq version info "$target" --json)" || die "cannot read the versioning of $b"
  if [[ "$info" =~ \"status\":\ *\"Enabled\" ]]; then
    log "bucket $b: versioning already enabled"
  else
    # Needs erasure coding (4+ drives): a single-drive server answers NotImplemented.
    mcq version enable "$target" >/dev/null || die "cannot enable versioning on $b (single-drive MinIO does not support versioning)"
    changed "bucket $b: versioning enabled"
  fi

  enc="$(mcq encrypt info "$target" --json 2>&1)" || enc=""
  if [[ "$enc" =~ \"algorithm\":\ *\"AES256\" ]]; then
    log "bucket $b: SSE-S3 already the default"
  else
    if ! err="$(mcq encrypt set sse-s3 "$target" 2>&1)"; then
      die "cannot set default encryption (SSE-S3) on $b: MinIO needs a KMS (MINIO_KMS_KES_* or MINIO_KMS_SECRET_KEY): ${err:0:400}"
    fi
    changed "bucket $b: default encryption SSE-S3 set"
  fi

  want="$(read_file "lifecycle.$b.json")"
  have="$(mcq ilm rule export "$target" 2>/dev/null)" || have=""
  if [[ -n "$have" && "$(canon "$have")" == "$(canon "$want")" ]]; then
    log "bucket $b: lifecycle unchanged"
  else
    printf '%s\n' "$want" | mcq ilm rule import "$target" >/dev/null || die "cannot apply the lifecycle of $b"
    changed "bucket $b: lifecycle applied"
  fi
done

# --- policies ------------------------------------------------------------------------
for f in "$BOOTSTRAP_DIR"/policy.*.json; do
  [[ -e "$f" ]] || break
  name="${f##*/policy.}"
  name="${name%.json}"
  want="$(read_file "policy.$name.json")"
  # Prints {"PolicyName":"..","Policy":{..},"CreateDate":..}: keep the document.
  have="$(mcq admin policy info "$ALIAS" "$name" 2>/dev/null)" || have=""
  if [[ "$have" == *'"Policy":'* ]]; then
    have="${have#*\"Policy\":}"
    have="${have%,\"CreateDate\"*}"
  fi
  if [[ -n "$have" && "$(canon "$have")" == "$(canon "$want")" ]]; then
    log "policy $name: unchanged"
  else
    mcq admin policy create "$ALIAS" "$name" "$f" >/dev/null || die "cannot create policy $name"
    if [[ -n "$have" ]]; then changed "policy $name: updated"; else changed "policy $name: created"; fi
  fi
done

# --- users ---------------------------------------------------------------------------
mapfile -t users < <(list users)
for entry in "${users[@]}"; do
  read -r consumer policy extra <<<"$entry"
  [[ -n "$consumer" && -n "$policy" && -z "${extra:-}" ]] || die "users: expected \"<consumer> <policy>\", found \"$entry\""
  [[ -r "$BOOTSTRAP_DIR/policy.$policy.json" ]] || die "user $consumer: policy $policy is not in $BOOTSTRAP_DIR"
  ak="$(read_file "user.$consumer.access-key")"
  sk="$(read_file "user.$consumer.secret-key")"
  ((${#ak} >= 3)) || die "user $consumer: the access key must have at least 3 characters"
  ((${#sk} >= 8)) || die "user $consumer: the secret key must have at least 8 characters"
  [[ "$ak" != "$MINIO_ROOT_USER" ]] || die "user $consumer: the access key is the root user's"

  if uinfo="$(mcq admin user info "$ALIAS" "$ak" --json 2>/dev/null)" && [[ "$uinfo" =~ \"status\":\ *\"success\" ]]; then
    # No group memberships: a group's policies would add to the user's own (and mc
    # cannot show a grouped user its own info, which the key check below relies on).
    if [[ "$uinfo" == *'"memberOf":'* ]]; then
      rest="${uinfo#*\"memberOf\":}"
      while [[ "$rest" =~ \"name\":\ *\"([^\"]+)\" ]]; do
        group="${BASH_REMATCH[1]}"
        rest="${rest#*"${BASH_REMATCH[0]}"}"
        mcq admin group rm "$ALIAS" "$group" "$ak" >/dev/null || die "cannot remove user $consumer from group $group"
        changed "user $consumer: removed from group $group"
      done
    fi

    if [[ "$uinfo" =~ \"userStatus\":\ *\"disabled\" ]]; then
      mcq admin user enable "$ALIAS" "$ak" >/dev/null || die "cannot enable user $consumer"
      changed "user $consumer: enabled"
    fi

    # The user exists: is its secret key still the one from the Secret? A request
    # signed with it answers (any user may read its own user info, whatever its policy).
    set_alias probe "$ak" "$sk"
    if mcq admin user info probe "$ak" >/dev/null 2>&1; then
      log "user $consumer: exists, keys unchanged"
    else
      printf '%s\n%s\n' "$ak" "$sk" | mcq admin user add "$ALIAS" >/dev/null || die "cannot update user $consumer"
      changed "user $consumer: secret key updated"
    fi
    mcq alias remove probe >/dev/null
  else
    printf '%s\n%s\n' "$ak" "$sk" | mcq admin user add "$ALIAS" >/dev/null || die "cannot create user $consumer"
    changed "user $consumer: created"
    uinfo="$(mcq admin user info "$ALIAS" "$ak" --json)"
  fi

  # Exactly one policy: attach ours, detach any other.
  attached=""
  [[ "$uinfo" =~ \"policyName\":\ *\"([^\"]*)\" ]] && attached="${BASH_REMATCH[1]}"
  IFS=, read -r -a attached_list <<<"$attached"
  has=0
  for p in "${attached_list[@]}"; do
    [[ -n "$p" ]] || continue
    if [[ "$p" == "$policy" ]]; then
      has=1
    else
      mcq admin policy detach "$ALIAS" "$p" --user "$ak" >/dev/null || die "cannot detach policy $p from user $consumer"
      changed "user $consumer: detached foreign policy $p"
    fi
  done
  if ((has)); then
    log "user $consumer: policy $policy attached"
  else
    mcq admin policy attach "$ALIAS" "$policy" --user "$ak" >/dev/null || die "cannot attach policy $policy to user $consumer"
    changed "user $consumer: policy $policy attached"
  fi
done

log "done: $changes change(s)"
