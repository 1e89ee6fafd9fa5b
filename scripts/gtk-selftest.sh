#!/usr/bin/env bash
# Builds the GTK 4 example (gtk-example/), lints it, and runs its self-test in a real window on
# a virtual X server, twice: once clicking Connect, once with the socket opened before the
# window exists (before app.run(), the case that glib::MainContext::invoke gets wrong). Each run
# sends N messages one by one through the input line and Send, waits until each echo from the
# app's own loopback server is in the log, clicks Disconnect and checks that the status says
# closed with code 1000. Exits non-zero on the first failure.
#
#   bash scripts/gtk-selftest.sh [--screenshot [output.png]] [N]     N messages, default 20
#
# --screenshot also remakes docs/images/gtk.png (or output.png): the app's demo mode, whose
# window is photographed with ImageMagick's import.
#
# Installs from Debian, when missing: libgtk-4-dev (GTK 4.8 on Debian 12) and Xvfb, plus
# ImageMagick and x11-utils for --screenshot. GTK_DEADLINE (seconds, default 120) bounds each
# self-test from inside; HANG_GUARD (seconds, default 300) kills the app if it hangs all the
# same; BUILD_GUARD (seconds, default 1800) bounds the build and the lints.
set -euo pipefail
cd "$(dirname "$0")/.."

screenshot=""
messages=20
while [ $# -gt 0 ]; do
  case "$1" in
    --screenshot)
      screenshot="docs/images/gtk.png"
      if [ $# -gt 1 ] && [[ "$2" == *.png ]]; then
        screenshot="$2"
        shift
      fi
      ;;
    [0-9]*) messages="$1" ;;
    *)
      echo "usage: bash scripts/gtk-selftest.sh [--screenshot [output.png]] [N]" >&2
      exit 2
      ;;
  esac
  shift
done
deadline="${GTK_DEADLINE:-120}"
guard="${HANG_GUARD:-300}"
build_guard="${BUILD_GUARD:-1800}"
manifest=gtk-example/Cargo.toml
begun=$SECONDS

extra=()
[ -n "$screenshot" ] && extra=(imagemagick x11-utils)
bash scripts/desktop-packages.sh libgtk-4-dev "${extra[@]}"

started=$SECONDS
timeout "$build_guard" cargo build --locked --manifest-path "$manifest"
echo "gtk-selftest: build took $((SECONDS - started)) s"
started=$SECONDS
cargo fmt --manifest-path "$manifest" --check
timeout "$build_guard" cargo clippy --locked --manifest-path "$manifest" --all-targets -- -D warnings
echo "gtk-selftest: fmt and clippy took $((SECONDS - started)) s"
app="${CARGO_TARGET_DIR:-gtk-example/target}/debug/named-websocket-gtk"

# shellcheck source=scripts/xvfb.sh
source scripts/xvfb.sh
xvfb_session gtk-selftest
# X11 only (no Wayland compositor here), and no accessibility bus to look for.
export GDK_BACKEND=x11 NO_AT_BRIDGE=1 GTK_A11Y=none
echo "gtk-selftest: Xvfb on $DISPLAY; $messages messages, deadline ${deadline} s"

for how in click --connect; do
  args=(--self-test "$messages" --deadline "$deadline")
  [ "$how" = --connect ] && args+=(--connect)
  started=$SECONDS
  status=0
  timeout --kill-after=10 "$guard" "$app" "${args[@]}" || status=$?
  echo "gtk-selftest: the self-test (${how#--}) took $((SECONDS - started)) s, exit status $status"
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "gtk-selftest: the app hung past the ${guard} s guard" >&2
  fi
  [ "$status" -eq 0 ] || exit "$status"
done

if [ -n "$screenshot" ]; then
  photograph_demo gtk-selftest "named-websocket GTK 4" "$screenshot" "$app"
fi
echo "gtk-selftest: passed in $((SECONDS - begun)) s"
