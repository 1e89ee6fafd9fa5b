#!/usr/bin/env bash
# Installs the independent WebSocket servers of tests/interop.rs and runs those tests. They
# are #[ignore]d under a plain `cargo test` (which cannot install their peers); this script runs
# them with --include-ignored, and a missing peer fails them.
#
#   bash scripts/interop.sh [extra cargo test arguments, e.g. echo or -- --nocapture]
#
# - Python `websockets` (scripts/interop-servers/requirements.txt) into a virtualenv under
#   $INTEROP_HOME (default ~/.cache/named-websocket-interop), with python3 from PATH (or
#   $INTEROP_PYTHON3);
# - Node `ws` (scripts/interop-servers/package.json) into scripts/interop-servers/node_modules,
#   with node and npm from PATH; installed from Debian (nodejs, npm) when missing.
# Both steps are skipped when already done. Non-interactive; reaches only PyPI, npm, Debian and
# crates.io.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SERVERS=$ROOT/scripts/interop-servers
INTEROP_HOME=${INTEROP_HOME:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/named-websocket-interop}
export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 npm_config_yes=true

log() { printf '[interop] %s\n' "$*"; }
die() { printf '[interop] error: %s\n' "$*" >&2; exit 1; }

# --- Python websockets ---------------------------------------------------------------------

PYTHON3=${INTEROP_PYTHON3:-python3}
command -v "$PYTHON3" >/dev/null || die "$PYTHON3 not found"
VENV=$INTEROP_HOME/venv
STAMP=$VENV/.requirements
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && cmp -s "$STAMP" "$SERVERS/requirements.txt" &&
  "$VENV/bin/python" -c 'import websockets.asyncio.server' 2>/dev/null; then
  log "using $VENV ($("$VENV/bin/python" -c 'import websockets; print("websockets", websockets.__version__)'))"
else
  log "installing websockets into $VENV"
  rm -rf "$VENV"
  mkdir -p "$INTEROP_HOME"
  "$PYTHON3" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q -r "$SERVERS/requirements.txt"
  "$VENV/bin/python" -c 'import websockets.asyncio.server'
  cp "$SERVERS/requirements.txt" "$STAMP"
fi

# --- Node ws -------------------------------------------------------------------------------

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  log "installing node and npm from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi
wanted=$(node -p 'require(process.argv[1]).dependencies.ws' "$SERVERS/package.json")
installed=$(node -p 'try { require(process.argv[1]).version } catch (e) { "" }' \
  "$SERVERS/node_modules/ws/package.json")
if [ "$installed" = "$wanted" ]; then
  log "using ws $installed in $SERVERS/node_modules"
else
  log "installing ws $wanted into $SERVERS/node_modules (node $(node --version))"
  (cd "$SERVERS" && npm install --no-audit --no-fund --no-package-lock --loglevel=error </dev/null)
fi

# --- the tests -----------------------------------------------------------------------------

# --include-ignored goes after the harness's "--", which the caller's arguments may hold already.
args=("$@")
separator=no
for arg in "$@"; do
  if [ "$arg" = "--" ]; then separator=yes; fi
done
if [ "$separator" = yes ]; then args+=(--include-ignored); else args+=(-- --include-ignored); fi
log "cargo test --test interop ${args[*]}"
NAMED_WEBSOCKET_PYTHON=$VENV/bin/python cargo test --test interop "${args[@]}" </dev/null
