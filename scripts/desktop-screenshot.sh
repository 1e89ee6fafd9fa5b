#!/usr/bin/env bash
# Remakes docs/images/desktop.png: runs the desktop client (desktop/) in its demo mode on a
# virtual X server (it connects to its own loopback echo server, sends a few messages through
# its input line and Send button, starts typing one more, then holds) and photographs its
# window.
#
#   bash scripts/desktop-screenshot.sh [output.png]
#
# Installs Xvfb, the X11/OpenGL libraries, ImageMagick (import) and x11-utils (xwininfo) first
# when missing (scripts/desktop-packages.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

output="${1:-docs/images/desktop.png}"
title="named-websocket desktop"

bash scripts/desktop-packages.sh imagemagick x11-utils
cargo build --locked --manifest-path desktop/Cargo.toml
app="${CARGO_TARGET_DIR:-desktop/target}/debug/named-websocket-desktop"

tmp="$(mktemp -d)"
xvfb_pid=""
app_pid=""
cleanup() {
  for pid in "$app_pid" "$xvfb_pid"; do
    if [ -n "$pid" ]; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

# shellcheck source=scripts/xvfb.sh
source scripts/xvfb.sh
start_xvfb desktop-screenshot "$tmp"

"$app" --demo >"$tmp/app.log" 2>&1 &
app_pid=$!
# The app prints "demo: ready" once the demo is through and the window shows it.
for _ in $(seq 600); do
  grep -q '^demo: ready' "$tmp/app.log" && break
  kill -0 "$app_pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q '^demo: ready' "$tmp/app.log"; then
  echo "desktop-screenshot: the demo did not get ready" >&2
  cat "$tmp/app.log" >&2
  exit 1
fi

window="$(xwininfo -name "$title" | awk '/Window id:/ { print $4 }')"
mkdir -p "$(dirname "$output")"
# The window alone (no window manager, so no decorations), without metadata that would
# change the file at every run.
import -window "$window" -strip "$output"
identify "$output"
