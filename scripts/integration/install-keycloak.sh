#!/usr/bin/env bash
# Installs the Keycloak server distribution the integration tier runs
# (test/integration/keycloak.test.ts): org.keycloak:keycloak-quarkus-dist from Maven
# Central, resolved through mvn (so ~/.m2 and any mirror in settings.xml are used, and
# a download is checked against Central's checksums), unpacked into
#   ${BLACKLAKE_TOOLS_CACHE:-$HOME/.cache/blacklake-tools}/keycloak-<version>/
#
# Idempotent: an existing, complete install is left alone. Concurrent runs serialise on
# a lock file; the unpacked tree is moved into place only once complete, so a killed run
# never leaves a half-installed directory behind that a later run would trust.
#
# Needs: bash, mvn, unzip (or a JDK's `jar`), and Java 17+ to run Keycloak afterwards.
# Treat the install dir as read-only: the tests run Keycloak from a copy of it.
#
# stdout: the install directory, nothing else. Everything else goes to stderr.
set -euo pipefail

KEYCLOAK_VERSION="${KEYCLOAK_VERSION:-26.2.5}"
ARTIFACT="org.keycloak:keycloak-quarkus-dist:${KEYCLOAK_VERSION}:zip"
CACHE="${BLACKLAKE_TOOLS_CACHE:-$HOME/.cache/blacklake-tools}"
DEST="$CACHE/keycloak-${KEYCLOAK_VERSION}"
MARKER="$DEST/.blacklake-installed"

log() { echo "install-keycloak: $*" >&2; }

complete() { [[ -f "$MARKER" && -x "$DEST/bin/kc.sh" && -f "$DEST/lib/quarkus-run.jar" ]]; }

if complete; then
  log "Keycloak ${KEYCLOAK_VERSION} is already installed in $DEST"
  echo "$DEST"
  exit 0
fi

command -v mvn >/dev/null 2>&1 || { log "mvn is not on PATH (apt-get install maven)"; exit 1; }
command -v java >/dev/null 2>&1 || log "warning: java is not on PATH; Keycloak ${KEYCLOAK_VERSION} needs Java 17 or later to run"

mkdir -p "$CACHE"
exec 9>"$CACHE/.keycloak-${KEYCLOAK_VERSION}.lock"
flock 9
# Another run may have finished while we waited for the lock.
if complete; then
  log "Keycloak ${KEYCLOAK_VERSION} was installed by a concurrent run"
  echo "$DEST"
  exit 0
fi

WORK="$(mktemp -d "$CACHE/.keycloak-${KEYCLOAK_VERSION}.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# dependency:copy resolves the artifact (from the local repository when it is there,
# otherwise downloading it with strict checksum checking) and copies it out. Offline
# first, so that a machine without network access but with a warm ~/.m2 works.
fetch() {
  mvn -B -q -Dstyle.color=never "$@" dependency:copy \
    -Dartifact="$ARTIFACT" -DoutputDirectory="$WORK" -Dmdep.overWriteReleases=true >&2
}
if ! (cd "$WORK" && fetch -o) 2>/dev/null; then
  log "downloading $ARTIFACT from Maven Central"
  (cd "$WORK" && fetch --strict-checksums)
fi
ZIP="$WORK/keycloak-quarkus-dist-${KEYCLOAK_VERSION}.zip"
[[ -s "$ZIP" ]] || { log "mvn did not produce $ZIP"; exit 1; }

log "unpacking $(basename "$ZIP")"
mkdir "$WORK/unpack"
if command -v unzip >/dev/null 2>&1; then
  unzip -q "$ZIP" -d "$WORK/unpack"
else
  (cd "$WORK/unpack" && jar xf "$ZIP")
fi
TREE="$WORK/unpack/keycloak-${KEYCLOAK_VERSION}"
[[ -f "$TREE/bin/kc.sh" && -f "$TREE/lib/quarkus-run.jar" ]] || { log "the archive does not hold keycloak-${KEYCLOAK_VERSION}/bin/kc.sh"; exit 1; }
chmod +x "$TREE"/bin/*.sh
echo "$ARTIFACT $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$TREE/.blacklake-installed"

rm -rf "$DEST" # an incomplete install from an older version of this script
mv "$TREE" "$DEST"
log "installed Keycloak ${KEYCLOAK_VERSION} in $DEST"
echo "$DEST"
