#!/usr/bin/env bash
# Installs (once) checkov, an independent judge of Kubernetes manifests, from PyPI into
# a virtual environment in the tool cache:
#
#   ${BLACKLAKE_TOOLS_CACHE:-~/.cache/blacklake-tools}/checkov-<version>/bin/checkov
#
# Idempotent: an environment whose checkov reports the pinned version is kept.
# stdout: the bin dir of checkov, nothing else. Everything else goes to stderr.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../engine/lib.sh
source "$HERE/../engine/lib.sh"

VERSION="${BL_CHECKOV_VERSION:-3.3.30}"
log() { printf '[install-checkov %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

venv="$(bl_tool_dir checkov "$VERSION")"
if [[ -x "$venv/bin/checkov" ]] && [[ "$("$venv/bin/checkov" --version 2>/dev/null)" == "$VERSION" ]]; then
  log "checkov $VERSION: cached"
  echo "$venv/bin"
  exit 0
fi
log "checkov $VERSION: installing from PyPI into $venv"
t0=$SECONDS
# In place (a venv's scripts name its own path); an interrupted install fails the version
# check above next time and is made again.
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$VERSION" >&2
mkdir -p "$BL_CACHE/logs"
printf '%s\t%s\t%ss\t%s\n' checkov "$VERSION" "$((SECONDS - t0))" "$(date -u +%FT%TZ)" >>"$BL_CACHE/logs/timings.tsv"
log "checkov $VERSION: installed in $((SECONDS - t0))s"
echo "$venv/bin"
