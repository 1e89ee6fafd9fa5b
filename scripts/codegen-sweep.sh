#!/usr/bin/env bash
# Is a change in blocking `down` of 64-byte messages our code, or where rustc placed
# tungstenite's frame reader? Builds our bench_client at HEAD and at BASE (a commit), and raw
# tungstenite's raw_client, at several codegen-unit counts, runs `down /source 2000000 64`
# with all of them interleaved against one bench_server, and prints the median messages/s of
# each build and HEAD / BASE per count. Code that got slower is slower at every count; a
# change seen at one count only is placement (docs/performance.md, "Measuring caveats").
#
#   bash scripts/codegen-sweep.sh BASE [--units "1 8 16 32"] [--rounds 5]
#
# About ten minutes on 2 vCPUs (most of it building). Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/first-line.sh
source scripts/first-line.sh

BASE="${1:?usage: codegen-sweep.sh BASE [--units LIST] [--rounds N]}"
shift
UNITS="1 8 16 32"
ROUNDS=5
while [ $# -gt 0 ]; do
  case "$1" in
    --units) UNITS="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    *) echo "codegen-sweep.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

OUT=target/codegen-sweep
BASE_TREE="$OUT/base-tree"
mkdir -p "$OUT"
git worktree remove --force "$BASE_TREE" 2>/dev/null || true
git worktree add --force --detach "$BASE_TREE" "$BASE" >/dev/null
trap 'git worktree remove --force "$BASE_TREE" 2>/dev/null || true; stop_server' EXIT

# build TREE TARGET UNITS WHAT...: a release build with that many codegen units.
build() {
  local tree="$1" target="$2" units="$3"
  shift 3
  (cd "$tree" && CARGO_PROFILE_RELEASE_CODEGEN_UNITS="$units" CARGO_TARGET_DIR="$target" \
    cargo build --release --quiet "$@")
}
HERE=$(pwd)
for units in $UNITS; do
  echo "building with $units codegen units" >&2
  build . "$HERE/$OUT/head-$units" "$units" --example bench_client -p named-websocket
  build . "$HERE/$OUT/head-$units" "$units" -p named-websocket-bench --bin raw_client --bin bench_server
  build "$BASE_TREE" "$HERE/$OUT/base-$units" "$units" --example bench_client -p named-websocket
done

SERVER_PID=""
stop_server() { [ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null || true; }
"$OUT/head-${UNITS%% *}/release/bench_server" 0 --lifetime 3600 >"$OUT/server.out" 2>/dev/null &
SERVER_PID=$!
URL=$(first_line "$OUT/server.out" "codegen-sweep.sh: bench_server")

RESULTS="$OUT/results.txt"
: >"$RESULTS"
rate() { "$@" "$URL/source" down 2000000 64 | grep -o '"msgs_s":[0-9.]*' | cut -d: -f2; }
for round in $(seq "$ROUNDS"); do
  echo "round $round of $ROUNDS" >&2
  for units in $UNITS; do
    echo "base $units $(rate "$OUT/base-$units/release/examples/bench_client")" >>"$RESULTS"
    echo "head $units $(rate "$OUT/head-$units/release/examples/bench_client")" >>"$RESULTS"
    echo "raw $units $(rate "$OUT/head-$units/release/raw_client")" >>"$RESULTS"
  done
done

python3 - "$RESULTS" "$BASE" <<'EOF'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    build, units, rate = line.split()
    runs[(build, int(units))].append(float(rate))
print(f"blocking down, 64 B, median of {len(next(iter(runs.values())))} rounds (million messages/s)")
print(f"{'units':>5} {'raw':>6} {'base':>6} {'HEAD':>6} {'HEAD/base':>9} {'base/raw':>8} {'HEAD/raw':>8}")
for units in sorted({u for _, u in runs}):
    raw, base, head = (statistics.median(runs[(b, units)]) / 1e6 for b in ("raw", "base", "head"))
    print(f"{units:>5} {raw:6.2f} {base:6.2f} {head:6.2f} {head / base:9.2f} {base / raw:8.2f} {head / raw:8.2f}")
print(f"base = {sys.argv[2]}")
EOF
