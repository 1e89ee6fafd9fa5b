#!/usr/bin/env bash
# The TLS tests against the rustls backend: `cargo test` runs them with the default
# (native-tls); this runs the unit tests and the test files that connect over TLS again with
# `--no-default-features --features rustls`, checks that the library builds with the
# webpki-roots feature, and runs clippy on the rustls build. The test servers use OpenSSL
# in both cases.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
export CARGO_TERM_COLOR=never

# Every test file that connects over TLS.
tls_tests=()
for file in $(grep -l 'wss_url\|wss://\|websocket_client_connect_ssl\|min_tls_version' tests/*.rs); do
  tls_tests+=("$(basename "$file" .rs)")
done
test_args=()
for name in "${tls_tests[@]}"; do
  test_args+=(--test "$name")
done

echo "cargo check --lib --no-default-features --features webpki-roots"
timeout 900 cargo check --lib --no-default-features --features webpki-roots
# The rustls code is compiled out of the default build: its lints run here.
echo "cargo clippy --all-targets --no-default-features --features rustls -- -D warnings"
timeout 900 cargo clippy --all-targets --no-default-features --features rustls -- -D warnings

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo
echo "cargo test --no-default-features --features rustls --lib ${test_args[*]}"
status=0
timeout 1500 cargo test --no-default-features --features rustls --lib "${test_args[@]}" \
  >"$log" 2>&1 || status=$?
grep -E '^(test result|failures:|---- |thread .* panicked|error)' "$log" || true

elapsed=$(( $(date +%s) - started ))
passed=$(grep -o '[0-9]* passed' "$log" | awk '{s += $1} END {print s + 0}')
failed=$(grep -o '[0-9]* failed' "$log" | awk '{s += $1} END {print s + 0}')
if (( status != 0 )); then
  tail -n 60 "$log"
  echo "TLS tests under rustls: FAILED (exit $status; $passed passed, $failed failed) in ${elapsed}s" >&2
  exit 1
fi
echo "TLS tests under rustls: OK, $passed passed in ${#tls_tests[@]} test files and the unit tests, in ${elapsed}s"
