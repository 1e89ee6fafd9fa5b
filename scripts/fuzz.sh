#!/usr/bin/env bash
# Fuzzes every target of fuzz/ for a bounded time: scripts/fuzz.sh [SECONDS] (per target,
# default 60). Installs cargo-fuzz and the nightly toolchain if missing, builds the targets
# (optimised, with debug assertions), runs each from its committed seeds (fuzz/seeds/) and
# the corpus it grew before (fuzz/corpus/, not committed), and prints executions per second
# and coverage (cov: edges, ft: features) per target. Exits non-zero if any target crashed,
# hung or ran out of memory; the input that did it is in fuzz/artifacts/<target>/.
#
# Replay a crash: cd fuzz && cargo +nightly fuzz run -O -a <target> artifacts/<target>/<file>
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECONDS_PER_TARGET=${1:-60}
# FUZZ_TARGETS="a b" runs only those.
read -r -a TARGETS <<<"${FUZZ_TARGETS:-deflate_read extensions target_url proxy_answer server_hello client_read}"
started=$SECONDS

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || timeout 900 cargo install cargo-fuzz --locked
timeout 1800 cargo +nightly fuzz build -O -a

# One target: runs it, then writes its summary line to artifacts/<target>.summary and, when it
# failed, the end of its log after it.
fuzz_target() {
  local target=$1 log rc runs stats n s rate
  mkdir -p "corpus/$target" "artifacts/$target"
  local args=(-max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -malloc_limit_mb=512
              -timeout=20 -print_final_stats=1)
  [ -f "$target.dict" ] && args+=(-dict="$target.dict")
  # Its workers and the background thread outlive one input: not leaks.
  [ "$target" = client_read ] && args+=(-detect_leaks=0)
  log="artifacts/$target.log"
  set +e
  timeout $((SECONDS_PER_TARGET + 120)) cargo +nightly fuzz run -O -a "$target" \
    "corpus/$target" "seeds/$target" -- "${args[@]}" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -oE '^Done [0-9]+ runs in [0-9]+ second' "$log" | awk '{print $2 " " $5}' || true)
  stats=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' || true)
  if [ -n "$runs" ]; then
    read -r n s <<<"$runs"
    rate=$((n / (s > 0 ? s : 1)))
  else
    n="-" rate="-"
  fi
  {
    printf '%-14s %10s runs %7s exec/s  %-30s %s\n' "$target" "$n" "$rate" "$stats" \
      "$([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)")"
    if [ $rc -ne 0 ]; then
      echo "=== $target FAILED (exit $rc); the end of $log:"
      grep -vE '^#[0-9]+' "$log" | tail -n 40
    fi
  } >"artifacts/$target.summary"
  return $rc
}

# Two targets at a time (libFuzzer runs one input at a time, and the machine has two cores):
# each still gets its full time.
failed=0
pids=()
# An aborted run (CI's timeout, Ctrl-C) takes its fuzzers with it.
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
for target in "${TARGETS[@]}"; do
  fuzz_target "$target" &
  pids+=($!)
  if [ ${#pids[@]} -eq 2 ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[1]}")
  fi
done
for pid in "${pids[@]}"; do
  wait "$pid" || failed=1
done

printf '\n=== fuzz summary (%d s per target, two at a time, %d s in all)\n' "$SECONDS_PER_TARGET" \
  "$((SECONDS - started))"
for target in "${TARGETS[@]}"; do
  cat "artifacts/$target.summary"
done
exit $failed
