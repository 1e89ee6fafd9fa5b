#!/usr/bin/env bash
# The loom models of the synchronisation protocols (loom/tests/*.rs, a crate of its own): each explored with
# loom, then each with its old defect put back (LOOM_MUTANT), which must make it fail, so a
# model that stopped catching anything fails CI too. Prints the time and outcome of each.
set -euo pipefail
cd "$(dirname "$0")/../loom"
export RUSTFLAGS="--cfg loom"
# Exhaustive within this many preemptions per execution (loom's bound); 3 covers the
# interleavings of each model's two or three threads that the defects below need.
export LOOM_MAX_PREEMPTIONS=${LOOM_MAX_PREEMPTIONS:-3}
MODELS=(loom_handover loom_background loom_close)
# model:test:mutant, one line per old defect each model must catch.
MUTANTS=(
  "loom_handover:every_event_reaches_a_loop_that_dispatches_only_when_woken:no_owed_wake"
  "loom_handover:close_ends_a_worker_waiting_for_room:close_without_lock"
  "loom_background:queued_output_is_never_forgotten:flushes_forgotten_despite_requests"
  "loom_background:a_due_close_is_cut_once:closes_kept_while_requests_come"
  "loom_background:a_due_close_is_cut_once:calls_before_cuts"
  "loom_close:one_final_close_that_says_whether_the_peer_answered:close_code_from_the_timer"
)
started=$SECONDS
args=()
for model in "${MODELS[@]}"; do args+=(--test "$model"); done
mkdir -p target
timeout 900 cargo test --release "${args[@]}" --no-run
for model in "${MODELS[@]}"; do
  t=$SECONDS
  timeout 600 cargo test --release --test "$model" -- --test-threads=1
  echo "loom: $model passed in $((SECONDS - t)) s"
done
failed=0
for line in "${MUTANTS[@]}"; do
  IFS=: read -r model test mutant <<<"$line"
  t=$SECONDS
  if LOOM_MUTANT=$mutant timeout 600 cargo test --release --test "$model" -- --exact "$test" \
      >"target/$mutant.log" 2>&1; then
    echo "loom: $model::$test did NOT catch the defect $mutant"
    failed=1
  else
    echo "loom: $model::$test catches $mutant ($((SECONDS - t)) s): $(grep -m1 -E 'panicked|deadlock' "target/$mutant.log" | cut -c1-150)"
  fi
done
echo "loom: done in $((SECONDS - started)) s"
exit $failed
