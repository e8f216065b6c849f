#!/usr/bin/env bash
# Installs (once) two independent judges of AWS IAM policy documents, cloudsplaining and
# parliament, from PyPI into one virtual environment in the tool cache, keyed by both
# versions:
#
#   ${BLACKLAKE_TOOLS_CACHE:-~/.cache/blacklake-tools}/iam-judges-cloudsplaining-<version>-parliament-<version>/bin/{cloudsplaining,parliament,python}
#
# Idempotent: an environment whose cloudsplaining and parliament report the pinned
# versions is kept.
# stdout: the venv's bin dir, nothing else. Everything else goes to stderr.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../engine/lib.sh
source "$HERE/../engine/lib.sh"

CLOUDSPLAINING_VERSION="${BL_CLOUDSPLAINING_VERSION:-0.9.1}"
PARLIAMENT_VERSION="${BL_PARLIAMENT_VERSION:-1.6.4}"
VERSION="cloudsplaining-$CLOUDSPLAINING_VERSION-parliament-$PARLIAMENT_VERSION"
log() { printf '[install-iam-judges %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# Both CLIs report their versions (`cloudsplaining, version X`, `parliament X`): each output
# is captured first, then compared whole (no `| grep -q` under pipefail, see bl_prints).
installed() {
  [[ -x "$venv/bin/cloudsplaining" && -x "$venv/bin/parliament" ]] &&
    [[ "$("$venv/bin/cloudsplaining" --version 2>/dev/null)" == "cloudsplaining, version $CLOUDSPLAINING_VERSION" ]] &&
    [[ "$("$venv/bin/parliament" --version 2>/dev/null)" == "parliament $PARLIAMENT_VERSION" ]]
}

venv="$(bl_tool_dir iam-judges "$VERSION")"
if installed; then
  log "$VERSION: cached"
  echo "$venv/bin"
  exit 0
fi
log "$VERSION: installing from PyPI into $venv"
t0=$SECONDS
# In place (a venv's scripts name its own path); an interrupted install fails the version
# check above next time and is made again.
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "cloudsplaining==$CLOUDSPLAINING_VERSION" "parliament==$PARLIAMENT_VERSION" >&2
installed || { log "$VERSION: installed, but the versions do not match"; exit 1; }
mkdir -p "$BL_CACHE/logs"
printf '%s\t%s\t%ss\t%s\n' iam-judges "$VERSION" "$((SECONDS - t0))" "$(date -u +%FT%TZ)" >>"$BL_CACHE/logs/timings.tsv"
log "$VERSION: installed in $((SECONDS - t0))s"
echo "$venv/bin"
