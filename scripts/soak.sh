#!/usr/bin/env bash
# The chaos soak (tests/soak.rs): many sockets through a fault-injecting relay for a bounded
# time. scripts/soak.sh [SECONDS] (default 110; SOAK_SOCKETS and SOAK_SEED as the test says).
# Prints the soak's figures and its seed; exits non-zero if an assertion failed.
set -euo pipefail
cd "$(dirname "$0")/.."
export SOAK_SECONDS=${1:-${SOAK_SECONDS:-110}}
started=$SECONDS
timeout 600 cargo test --test soak --no-run
# The timeout: the soak's own bound, the closing, and a margin: past it, something hangs.
# Two malloc arenas keep the RSS figures it prints from swinging with glibc's per-thread
# arenas; what it asserts is the heap in use, counted by its own allocator.
MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2} timeout $((SOAK_SECONDS + 180)) cargo test --test soak -- --ignored --nocapture
echo "soak: done in $((SECONDS - started)) s (build included)"
