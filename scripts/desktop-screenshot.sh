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

# shellcheck source=scripts/xvfb.sh
source scripts/xvfb.sh
xvfb_session desktop-screenshot
photograph_demo desktop-screenshot "$title" "$output" "$app"
