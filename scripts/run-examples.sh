#!/usr/bin/env bash
# Runs every user-facing example against the loopback server it starts itself, each under a
# hang guard, checks its exit code and, for the ones whose output matters, what it printed.
# Runs them all, then exits non-zero if any failed.
#
#   bash scripts/run-examples.sh
#
# HANG_GUARD (seconds, default 120) bounds each run; cargo builds first, outside the guard.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

guard="${HANG_GUARD:-120}"
examples=(quickstart sync_script async_echo chat gui_loop echo_server)
failed=()
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

build_args=()
for example in "${examples[@]}"; do build_args+=(--example "$example"); done
if ! cargo build --quiet "${build_args[@]}"; then
  echo "run-examples: the examples do not build" >&2
  exit 1
fi

# run NAME [STDIN [ARGS...]]: runs one example with STDIN (or nothing) as its input and ARGS
# as its cargo run arguments (e.g. `-- URL`); output goes to $out.
run() {
  local name="$1" input="${2-}"
  shift 2 2>/dev/null || shift
  printf '\n--- %s\n' "$name"
  printf '%s' "$input" | timeout --kill-after=10 "$guard" cargo run --quiet --example "$name" "$@" >"$out" 2>&1
  local rc=$?
  cat "$out"
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "run-examples: $name hung (killed after ${guard}s)" >&2
    return 1
  elif [ "$rc" -ne 0 ]; then
    echo "run-examples: $name exited with $rc" >&2
    return 1
  fi
}

# expect NAME LINE...: each LINE must be a whole line of the last run's output.
expect() {
  local name="$1" line
  shift
  for line in "$@"; do
    if ! grep -qxF -- "$line" "$out"; then
      echo "run-examples: $name did not print: $line" >&2
      return 1
    fi
  done
}

run quickstart || failed+=(quickstart)

run sync_script &&
  expect sync_script '< first line' '< third line' 'closed; socket_exist = false' ||
  failed+=(sync_script)

run async_echo || failed+=(async_echo)

# The interactive example, driven through its stdin: /quit, then the end of input.
run chat $'hello\nworld\n/quit\nnot sent after quit\n' &&
  expect chat '< guest1: hello' '< guest1: world' '* bye' &&
  ! grep -q 'not sent after quit' "$out" ||
  failed+=("chat (/quit)")
run chat $'only a line, then the end of input\n' &&
  expect chat '< guest1: only a line, then the end of input' '* bye' ||
  failed+=("chat (end of input)")

run gui_loop &&
  expect gui_loop '[callback on main] received "click #3"' \
    '[main] loop over; socket_exist("gui") = false' ||
  failed+=(gui_loop)

# echo_server runs until Ctrl-C; with --once it exits when its first connection ends. Started
# in the background, it prints its URL on its first line (read through a FIFO: no polling);
# quickstart connects to that URL, and the server must then exit by itself, with code 0.
run_echo_server() {
  printf '\n--- %s\n' "echo_server --once, with quickstart as its client"
  local dir fifo server_out server fd first url rc=1
  dir="$(mktemp -d)" || return 1
  fifo="$dir/fifo"
  server_out="$dir/server"
  mkfifo "$fifo" || return 1
  timeout --kill-after=10 "$guard" cargo run --quiet --example echo_server -- --once \
    </dev/null >"$fifo" 2>&1 &
  server=$!
  exec {fd}<"$fifo"
  if ! IFS= read -r -t "$guard" -u "$fd" first; then
    echo "run-examples: echo_server printed no URL" >&2
    exec {fd}<&-
    kill "$server" 2>/dev/null
    wait "$server"
    return 1
  fi
  # The rest of its output, kept until the server exits and closes the FIFO.
  printf '%s\n' "$first" >"$server_out"
  cat <&"$fd" >>"$server_out" &
  local drain=$!
  exec {fd}<&-
  if [[ "$first" =~ (ws://[^[:space:]]+) ]]; then
    url="${BASH_REMATCH[1]}"
    run quickstart "" -- "$url" &&
      expect quickstart '< text "Hello, world!"' '< binary [ca, fe]' \
        'closed; socket_exist("quickstart") = false'
    rc=$?
  else
    echo "run-examples: echo_server's first line has no ws:// URL: $first" >&2
  fi
  # A client that failed may never have connected: then the server would wait for the guard.
  [ "$rc" -eq 0 ] || kill "$server" 2>/dev/null
  wait "$server"
  local server_rc=$?
  wait "$drain"
  local server_log
  server_log="$(cat "$server_out")"
  rm -rf "$dir"
  printf '[echo_server]\n%s\n' "$server_log"
  [ "$rc" -eq 0 ] || return 1
  if [ "$server_rc" -eq 124 ] || [ "$server_rc" -eq 137 ]; then
    echo "run-examples: echo_server --once did not exit (killed after ${guard}s)" >&2
    return 1
  elif [ "$server_rc" -ne 0 ]; then
    echo "run-examples: echo_server --once exited with $server_rc" >&2
    return 1
  fi
  if ! grep -qE '^\[127\.0\.0\.1:[0-9]+\] closed cleanly after 3 message\(s\)$' <<<"$server_log"; then
    echo "run-examples: echo_server did not report a clean close after 3 messages" >&2
    return 1
  fi
}
run_echo_server || failed+=(echo_server)

echo
if [ "${#failed[@]}" -ne 0 ]; then
  echo "run-examples: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "run-examples: all ${#examples[@]} examples passed"
