#!/usr/bin/env bash
# Builds the desktop client (desktop/) and runs its self-test in a real window on a virtual X
# server: the app clicks Connect, sends N messages one by one through its input line and Send
# button, waits until each echo from its own loopback server is in the log, clicks Disconnect
# and checks that the status says closed with code 1000; then connects again, has the server
# drop the connection and stall the next attempts, clicks Disconnect while the window says
# "reconnecting" and checks that it ends "closed with code 1000" too; then types a URL where
# nothing listens into the URL field, clicks Connect, clicks Cancel while the window says it
# tries again, connects once more and lets it give up, checking each time that the refusal is
# one line of the log; every character the window drew must be in its fonts. The app runs
# with RUST_LOG=named_websocket=debug, and the library's log lines must reach its standard
# error. Exits with the self-test's status.
#
#   bash scripts/desktop-selftest.sh [N]          # N messages, default 20
#
# Installs Xvfb and the X11/OpenGL libraries first when missing (scripts/desktop-packages.sh).
# DESKTOP_DEADLINE (seconds, default 120) bounds the self-test from inside; HANG_GUARD
# (seconds, default 300) kills the app if it hangs all the same. The build runs outside both.
set -euo pipefail
cd "$(dirname "$0")/.."

messages="${1:-20}"
deadline="${DESKTOP_DEADLINE:-120}"
guard="${HANG_GUARD:-300}"

bash scripts/desktop-packages.sh

started=$SECONDS
cargo build --locked --manifest-path desktop/Cargo.toml
echo "desktop-selftest: build took $((SECONDS - started)) s"
app="${CARGO_TARGET_DIR:-desktop/target}/debug/named-websocket-desktop"

# shellcheck source=scripts/xvfb.sh
source scripts/xvfb.sh
xvfb_session desktop-selftest
echo "desktop-selftest: Xvfb on $DISPLAY; $messages messages, deadline ${deadline} s"

started=$SECONDS
status=0
RUST_LOG=named_websocket=debug timeout --kill-after=10 "$guard" \
  "$app" --self-test "$messages" --deadline "$deadline" 2>"$tmp/stderr" || status=$?
echo "desktop-selftest: the self-test took $((SECONDS - started)) s, exit status $status"
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "desktop-selftest: the app hung past the ${guard} s guard" >&2
fi
# The library's lines, not winit's or egui's, are what RUST_LOG is for here.
grep -v 'named_websocket' "$tmp/stderr" >&2 || true
lines=$(grep -c 'named_websocket.*connecting to ws://' "$tmp/stderr" || true)
if [ "$lines" -eq 0 ]; then
  echo "desktop-selftest: RUST_LOG=named_websocket=debug printed no connect line of the library" >&2
  [ "$status" -ne 0 ] || status=1
else
  echo "desktop-selftest: RUST_LOG works: $lines connect lines of the library on standard error"
fi
exit "$status"
