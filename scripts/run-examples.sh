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
examples=(quickstart sync_script async_echo chat gui_loop)
failed=()
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

build_args=()
for example in "${examples[@]}"; do build_args+=(--example "$example"); done
if ! cargo build --quiet "${build_args[@]}"; then
  echo "run-examples: the examples do not build" >&2
  exit 1
fi

# run NAME [STDIN]: runs one example with STDIN (or nothing) as its input; output goes to $out.
run() {
  local name="$1" input="${2-}"
  printf '\n--- %s\n' "$name"
  printf '%s' "$input" | timeout --kill-after=10 "$guard" cargo run --quiet --example "$name" >"$out" 2>&1
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

echo
if [ "${#failed[@]}" -ne 0 ]; then
  echo "run-examples: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "run-examples: all ${#examples[@]} examples passed"
