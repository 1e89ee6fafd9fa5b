# Sourced by the desktop scripts (desktop-selftest, desktop-screenshot, gtk-selftest):
#
#   xvfb_session NAME     makes a scratch directory ($tmp) and starts Xvfb on a free display
#                         (DISPLAY, LIBGL_ALWAYS_SOFTWARE); on exit, the app started in the
#                         background ($app_pid, if any) and Xvfb are stopped and $tmp removed.
#   photograph_demo NAME TITLE OUTPUT APP [ARGS...]
#                         runs `APP --demo ARGS...` in the background, waits for its line
#                         "demo: ready" (60 s at most), and saves the window titled TITLE to
#                         the PNG OUTPUT.
#
# NAME prefixes the messages. Either exits 1, saying why, when something does not come up.

xvfb_session() {
  tmp="$(mktemp -d)"
  xvfb_pid=""
  app_pid=""
  trap stop_xvfb_session EXIT
  start_xvfb "$1" "$tmp"
}

stop_xvfb_session() {
  local pid
  for pid in "$app_pid" "$xvfb_pid"; do
    if [ -n "$pid" ]; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
}

photograph_demo() {
  local name="$1" title="$2" output="$3" app="$4" window
  shift 4
  "$app" --demo "$@" >"$tmp/app.log" 2>&1 &
  app_pid=$!
  # The app prints "demo: ready" once the demo is through and the window shows it.
  for _ in $(seq 600); do
    grep -q '^demo: ready' "$tmp/app.log" && break
    kill -0 "$app_pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q '^demo: ready' "$tmp/app.log"; then
    echo "$name: the demo did not get ready" >&2
    cat "$tmp/app.log" >&2
    exit 1
  fi
  window="$(xwininfo -name "$title" | awk '/Window id:/ { print $4 }')"
  mkdir -p "$(dirname "$output")"
  # The window alone (no window manager, so no decorations), without metadata that would
  # change the file at every run.
  import -window "$window" -strip "$output"
  identify "$output"
}

# start_xvfb NAME TMPDIR: starts Xvfb on a free display, sets xvfb_pid, DISPLAY and
# LIBGL_ALWAYS_SOFTWARE, or exits 1 with Xvfb's log when it does not come up within 10 s.
start_xvfb() {
  local name="$1" tmp="$2"
  # -displayfd: Xvfb picks a free display itself and writes its number once it accepts
  # clients, so runs beside other X servers on this machine do not collide.
  Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp 3>"$tmp/display" 2>"$tmp/xvfb.log" &
  xvfb_pid=$!
  for _ in $(seq 100); do
    [ -s "$tmp/display" ] && break
    kill -0 "$xvfb_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ ! -s "$tmp/display" ]; then
    echo "$name: Xvfb did not start" >&2
    cat "$tmp/xvfb.log" >&2
    exit 1
  fi
  export DISPLAY=":$(head -n 1 "$tmp/display")"
  # No GPU here: Mesa's llvmpipe renders, whatever the machine has.
  export LIBGL_ALWAYS_SOFTWARE=1
}
