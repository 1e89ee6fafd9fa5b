# Sourced by the desktop scripts: start_xvfb NAME TMPDIR starts Xvfb on a free display, sets
# xvfb_pid (for the caller's cleanup), DISPLAY and LIBGL_ALWAYS_SOFTWARE, or exits 1 with
# Xvfb's log when it does not come up within 10 s.
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
