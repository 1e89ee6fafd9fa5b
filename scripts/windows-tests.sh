#!/usr/bin/env bash
# The unit and integration tests for Windows, cross-built here and run under Wine.
#
# Installs what it needs (idempotently): the MinGW-w64 linker and Wine 8 (apt), the Rust target
# x86_64-pc-windows-gnu. Builds the ProcessPrng shim that Wine 8 lacks
# (scripts/windows/bcryptprimitives.c), cross-builds every test program, runs each under Wine in
# a fresh prefix under target/, and prints per program and in total: tests run, passed, failed,
# ignored, and those that Linux runs but Windows does not build (gated with cfg), beside Linux's
# count when Linux's test programs are built. Exits non-zero on any failure or timeout.
#
# Usage: bash scripts/windows-tests.sh [FILTER...]   (FILTERs go to every test program)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
started=$(date +%s)
target=x86_64-pc-windows-gnu
wine=/usr/lib/wine/wine64
per_program_timeout=600

if ! command -v x86_64-w64-mingw32-gcc >/dev/null || [ ! -x "$wine" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-mingw-w64-x86-64 wine64 >/dev/null
fi
rustup target list --installed | grep -qx "$target" || rustup target add "$target"

work=target/wine
mkdir -p "$work"
shim="$work/bcryptprimitives.dll"
if [ ! -f "$shim" ] || [ scripts/windows/bcryptprimitives.c -nt "$shim" ]; then
  x86_64-w64-mingw32-gcc -shared -O2 -o "$shim" scripts/windows/bcryptprimitives.c -ladvapi32
fi

echo "building the tests for $target"
timeout 1800 cargo test --target "$target" --no-run --message-format=json \
  > "$work/build.json" 2> "$work/build.log" || { cat "$work/build.log"; exit 1; }
# Each test program once: lib unit tests, then the integration tests.
mapfile -t programs < <(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("profile", {}).get("test") and m.get("executable"):
        print(m["target"]["name"] + " " + m["executable"])
' "$work/build.json" | sort -u)

# How many tests Linux runs (not ignored) in the same program, if cargo test built it already
# (as CI does first).
linux_count() {
  local name="$1" exe
  exe=$(find target/debug/deps -maxdepth 1 -type f -executable -name "${name//-/_}-*" \
    ! -name '*.d' -printf '%T@ %p\n' 2>/dev/null | sort -rn | head -n 1 | cut -d' ' -f2)
  [ -n "$exe" ] || { echo "?"; return; }
  local all ignored
  all=$("$exe" --list --format=terse 2>/dev/null | grep -c ': test$' || true)
  ignored=$("$exe" --list --ignored --format=terse 2>/dev/null | grep -c ': test$' || true)
  echo $((all - ignored))
}

export WINEPREFIX="$PWD/$work/prefix" WINEDEBUG=-all
rm -rf "$WINEPREFIX"
mkdir -p "$WINEPREFIX"
timeout 300 "$wine" wineboot -i >/dev/null 2>&1 || true

printf '\n%-20s %5s %6s %6s %7s %6s %6s\n' program run passed failed ignored gated linux
total_run=0 total_passed=0 total_failed=0 total_ignored=0 total_gated=0 total_linux=0
passed_beside_linux=0
failures=()
for entry in "${programs[@]}"; do
  name=${entry%% *} exe=${entry#* }
  cp "$shim" "$(dirname "$exe")/"
  log="$work/$name.log"
  status=0
  timeout "$per_program_timeout" "$wine" "$exe" --test-threads=2 "$@" > "$log" 2>&1 || status=$?
  result=$(grep '^test result:' "$log" | tail -n 1 || true)
  passed=$(sed -n 's/.* \([0-9]*\) passed.*/\1/p' <<<"$result")
  failed=$(sed -n 's/.* \([0-9]*\) failed.*/\1/p' <<<"$result")
  ignored=$(sed -n 's/.* \([0-9]*\) ignored.*/\1/p' <<<"$result")
  if [ -z "$result" ] || [ "$status" -ne 0 ]; then
    [ "$status" -eq 124 ] && reason="timed out after ${per_program_timeout}s" || reason="exit $status"
    failures+=("$name ($reason): $log")
  fi
  passed=${passed:-0} failed=${failed:-0} ignored=${ignored:-0}
  linux=$(linux_count "$name")
  gated="?"
  if [ "$linux" != "?" ]; then
    gated=$((linux - passed - failed))
    total_linux=$((total_linux + linux))
    total_gated=$((total_gated + gated))
    passed_beside_linux=$((passed_beside_linux + passed))
  fi
  printf '%-20s %5d %6d %6d %7d %6s %6s\n' "$name" $((passed + failed)) "$passed" "$failed" \
    "$ignored" "$gated" "$linux"
  total_run=$((total_run + passed + failed))
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  total_ignored=$((total_ignored + ignored))
done
printf '%-20s %5d %6d %6d %7d %6d %6d\n' total "$total_run" "$total_passed" "$total_failed" \
  "$total_ignored" "$total_gated" "$total_linux"
if [ "$total_linux" -gt 0 ]; then
  echo "Wine passes $passed_beside_linux of the $total_linux tests Linux runs" \
    "($((100 * passed_beside_linux / total_linux))%); gated: not built, or ignored, on Windows"
fi
echo "windows-tests: $(( $(date +%s) - started ))s"
echo "Wine: $total_passed passed, $total_failed failed, $total_ignored skipped"
if [ "${#failures[@]}" -gt 0 ]; then
  printf 'FAILED: %s\n' "${failures[@]}"
  for entry in "${failures[@]}"; do
    log=${entry##*: }
    grep -E -A8 '^---- |^failures:' "$log" | head -n 60 || tail -n 30 "$log"
  done
  exit 1
fi
