#!/usr/bin/env bash
# Benchmarks of issue 7: named-websocket against raw tungstenite, side by side in one run.
#
#   scripts/bench.sh [--quick] [--rounds R] [--pins "unpinned same split"] [--no-scale]
#                    [--scale-sockets N] [--no-docs]
#
# Builds in release mode, starts the loopback bench_server, runs every workload with
# raw_client (raw tungstenite) and bench_client (ours, each mode it has) interleaved
# (A B A B ...), R rounds (3), unpinned and pinned with taskset (server and client on one CPU;
# on different CPUs), reruns a workload whose rounds differ by more than 25 %, then runs the
# scale test (10,000 sockets, raising the open-files limit), and writes docs/benchmarks.md and
# docs/benchmarks.svg with the median of the rounds and the ratios ours / raw.
#
# Then the mixed desktop workload (100 asynchronous sockets fed every 10 ms while the main thread
# runs 16 ms frames: latency from the server's send to the frame, CPU), against raw tungstenite
# threads and a channel.
#
# Then the compressed workload: a stream of JSON ticker texts (1-4 KiB) to a Node `ws` sink that
# accepts permessage-deflate, from raw tungstenite (no compression), from ours with and without
# compression, and from a Node `ws` client with compression (bench/node, installed here from
# npm): messages/s and bytes on the wire per message.
#
# --quick: tiny N, one round, no rerun, no docs (a smoke test: checks every workload works).
# Everything stays on 127.0.0.1; every server started here stops with the script (and by
# itself after an hour at most).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/first-line.sh
source scripts/first-line.sh

ROUNDS=3
PINS="unpinned same split"
QUICK=0
SCALE=1
SCALE_SOCKETS=10000
DOCS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; ROUNDS=1; DOCS=0; SCALE_SOCKETS=200 ;;
    --rounds) ROUNDS="$2"; shift ;;
    --pins) PINS="$2"; shift ;;
    --no-scale) SCALE=0 ;;
    --scale-sockets) SCALE_SOCKETS="$2"; shift ;;
    --no-docs) DOCS=0 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

# workload, server path, N, SIZE: each run takes about half a second to a second.
WORKLOADS=(
  "pingpong /echo 20000 32"
  "stream /sink 200000 64"
  "bulk /echo 4000 65536"
  "bulk /echo 200 1048576"
  "down /source 2000000 64"
  "down /source 1000000 1024"
  "down /source 100000 16384"
  "connect /echo 2000 0"
)
# Over TLS (bench_server --tls): a connect pays the TLS handshake; raw tungstenite builds its
# connector once.
TLS_WORKLOADS=("connect /echo 500 0")
if [ "$QUICK" = 1 ]; then
  TLS_WORKLOADS=("connect /echo 10 0")
  WORKLOADS=(
    "pingpong /echo 200 32"
    "stream /sink 2000 64"
    "bulk /echo 20 65536"
    "bulk /echo 4 1048576"
    "down /source 2000 64"
    "down /source 2000 1024"
    "down /source 200 16384"
    "connect /echo 20 0"
  )
fi

OUT=target/bench
mkdir -p "$OUT" docs
RESULTS="$OUT/results.tsv"
SCALE_RESULTS="$OUT/scale.tsv"
META="$OUT/meta.env"
: >"$RESULTS"
: >"$SCALE_RESULTS"
: >"$META"

step() { printf '\n=== %s\n' "$*" >&2; }

step "build (release)"
cargo build --release --quiet -p named-websocket-bench --bins
cargo build --release --quiet --example bench_client
BIN=target/release
SERVER=$BIN/bench_server
RAW=$BIN/raw_client
OURS=$BIN/examples/bench_client
SCALE_BIN=$BIN/scale

SERVER_PID=""
SERVER_URL=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
trap stop_server EXIT

# start_server PREFIX... : starts bench_server (under the given taskset prefix, if any), with
# the arguments in SERVER_ARGS (--tls FILE for the wss:// rows).
SERVER_ARGS=()
start_server() {
  local out="$OUT/server.out"
  : >"$out"
  "$@" "$SERVER" 0 --lifetime 3600 "${SERVER_ARGS[@]}" >"$out" 2>>"$OUT/server.err" &
  SERVER_PID=$!
  SERVER_URL=$(first_line "$out" "bench.sh: bench_server")
}

# The taskset prefixes of each pinning, for the server and the client.
NCPU=$(nproc)
server_pin() { case "$1" in same|split) echo "taskset -c 0" ;; *) echo "" ;; esac; }
client_pin() { case "$1" in same) echo "taskset -c 0" ;; split) echo "taskset -c 1" ;; *) echo "" ;; esac; }

# Which modes bench_client has: async exits with status 2 while it is not implemented.
MODES="sync"
ASYNC_NOTE="not implemented yet (bench_client --mode async exits with status 2): no async rows"
step "checking the modes of bench_client"
start_server
set +e
"$OURS" "$SERVER_URL/echo" pingpong 1 1 --mode async >/dev/null 2>"$OUT/async.err"
status=$?
set -e
stop_server
if [ "$status" = 0 ]; then
  MODES="sync async"
  ASYNC_NOTE="measured"
elif [ "$status" != 2 ]; then
  echo "bench.sh: bench_client --mode async failed (status $status):" >&2
  cat "$OUT/async.err" >&2
  exit 1
fi
echo "modes: $MODES (async: $ASYNC_NOTE)" >&2

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN { exit !(l > 0.5) }'; then
  echo "bench.sh: warning: load average $LOAD; other work on this machine disturbs the figures" >&2
fi

# run_rounds PIN WORKLOAD PATH N SIZE FILE: R interleaved rounds, raw then ours in each mode.
run_rounds() {
  local pin=$1 workload=$2 path=$3 n=$4 size=$5 file=$6 round mode line
  local cpin
  cpin=$(client_pin "$pin")
  : >"$file"
  for round in $(seq "$ROUNDS"); do
    line=$($cpin "$RAW" "$SERVER_URL$path" "$workload" "$n" "$size")
    printf '%s\t%s\t%s\n' "$pin" "$round" "$line" >>"$file"
    for mode in $MODES; do
      line=$($cpin "$OURS" "$SERVER_URL$path" "$workload" "$n" "$size" --mode "$mode")
      printf '%s\t%s\t%s\n' "$pin" "$round" "$line" >>"$file"
    done
  done
}

# run_workloads PIN LABEL SPEC...: each workload's rounds, run again (up to three times) while
# they differ by more than 25 %, then added to the results.
run_workloads() {
  local pin=$1 label=$2 spec workload path n size attempt rounds="$OUT/rounds.tsv"
  shift 2
  for spec in "$@"; do
    read -r workload path n size <<<"$spec"
    for attempt in 1 2 3; do
      run_rounds "$pin" "$workload" "$path" "$n" "$size" "$rounds"
      if [ "$QUICK" = 1 ] || python3 scripts/bench_report.py spread "$rounds"; then
        break
      fi
      echo "bench.sh: $pin $workload$label: rounds disturbed (attempt $attempt), running them again" >&2
    done
    cat "$rounds" >>"$RESULTS"
    cut -f3 "$rounds" >&2
  done
}

for pin in $PINS; do
  if [ "$pin" != unpinned ] && { [ "$NCPU" -lt 2 ] || ! command -v taskset >/dev/null; }; then
    echo "bench.sh: skipping pinning '$pin': needs taskset and 2 CPUs" >&2
    continue
  fi
  step "pinning: $pin"
  # shellcheck disable=SC2046
  start_server $(server_pin "$pin")
  run_workloads "$pin" "" "${WORKLOADS[@]}"
  stop_server
  SERVER_ARGS=(--tls "$OUT/bench-cert.pem")
  # shellcheck disable=SC2046
  start_server $(server_pin "$pin")
  SERVER_ARGS=()
  export BENCH_ROOT_CERT="$OUT/bench-cert.pem"
  run_workloads "$pin" " wss" "${TLS_WORKLOADS[@]}"
  stop_server
done

# The compressed JSON stream: every client against one Node ws sink, R interleaved rounds.
COMPRESSED="$OUT/compressed.tsv"
: >"$COMPRESSED"
JSON_N=20000
[ "$QUICK" = 1 ] && JSON_N=200
JSON_SIZE=4096
NODE_DIR=bench/node
step "compressed JSON stream: $JSON_N texts of 1-4 KiB"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "bench.sh: installing node and npm from Debian" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi
wanted=$(node -p 'require(process.argv[1]).dependencies.ws' "$PWD/$NODE_DIR/package.json")
installed=$(node -p 'try { require(process.argv[1]).version } catch (e) { "" }' \
  "$PWD/$NODE_DIR/node_modules/ws/package.json")
if [ "$installed" != "$wanted" ]; then
  echo "bench.sh: installing ws $wanted into $NODE_DIR/node_modules" >&2
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --no-package-lock --loglevel=error </dev/null)
fi
"$RAW" --print-json-messages "$JSON_SIZE" >"$OUT/json-messages.txt"
node "$NODE_DIR/json_sink.js" >"$OUT/json_sink.out" 2>>"$OUT/server.err" &
SINK_PID=$!
SINK_URL=$(first_line "$OUT/json_sink.out" "bench.sh: the Node sink")
json_run() { # LABEL COMMAND...
  local label=$1 line
  shift
  line=$("$@")
  printf '%s\t%s\t%s\n' "$label" "$round" "$line" >>"$COMPRESSED"
  echo "$line" >&2
}
for round in $(seq "$ROUNDS"); do
  json_run "raw tungstenite, no compression" "$RAW" "$SINK_URL/sink" json "$JSON_N" "$JSON_SIZE"
  json_run "named-websocket sync, no compression" "$OURS" "$SINK_URL/sink" json "$JSON_N" "$JSON_SIZE"
  for mode in $MODES; do
    json_run "named-websocket $mode, compression" \
      "$OURS" "$SINK_URL/sink" json "$JSON_N" "$JSON_SIZE" --mode "$mode" --compress
  done
  json_run "Node ws, compression" \
    node "$NODE_DIR/json_client.js" "$SINK_URL/sink" "$JSON_N" "$JSON_SIZE" "$OUT/json-messages.txt"
done
kill "$SINK_PID" 2>/dev/null || true
wait "$SINK_PID" 2>/dev/null || true

# The mixed desktop workload: asynchronous sockets fed every 10 ms, a 16 ms frame loop; ours
# and raw tungstenite (threads and a channel) interleaved, unpinned.
DESKTOP="$OUT/desktop.tsv"
: >"$DESKTOP"
DESKTOP_ARGS=(--sockets 100 --secs 5)
[ "$QUICK" = 1 ] && DESKTOP_ARGS=(--sockets 20 --secs 1)
step "mixed desktop workload: ${DESKTOP_ARGS[*]}"
start_server
for round in $(seq "$ROUNDS"); do
  for flag in "" --raw; do
    # shellcheck disable=SC2086
    line=$("$BIN/desktop" "$SERVER_URL" "${DESKTOP_ARGS[@]}" $flag)
    printf 'desktop\t%s\t%s\n' "$round" "$line" >>"$DESKTOP"
    echo "$line" >&2
  done
done
stop_server

# The scale test: N named sockets in one process, against one server with N connections.
SCALE_NOTICE=""
SCALE_LIMITS=""
if [ "$SCALE" = 1 ]; then
  step "scale: $SCALE_SOCKETS sockets"
  hard=$(ulimit -Hn)
  [ "$hard" = unlimited ] && hard=1048576
  ulimit -n "$hard"
  threads_max=$(cat /proc/sys/kernel/threads-max)
  max_maps=$(cat /proc/sys/vm/max_map_count)
  nproc_limit=$(ulimit -u)
  SCALE_LIMITS="open files $(ulimit -n) (hard $hard); max user processes $nproc_limit; kernel threads-max $threads_max; vm.max_map_count $max_maps"
  echo "$SCALE_LIMITS" >&2
  # Ours holds 1 descriptor per socket (the engine and the poller share it); the server,
  # another process, one per connection, plus a thread with 64 KiB of stack.
  sockets=$SCALE_SOCKETS
  fit=$((hard - 100))
  if [ "$fit" -lt "$sockets" ]; then
    SCALE_NOTICE="the open-files hard limit is $hard (below the $((SCALE_SOCKETS + 100)) that $SCALE_SOCKETS named sockets need, and it cannot be raised here): scaled down to $fit sockets."
    sockets=$fit
  fi
  if [ "$nproc_limit" != unlimited ] && [ "$((nproc_limit - 500))" -lt "$sockets" ] && [ "$(id -u)" != 0 ]; then
    SCALE_NOTICE="$SCALE_NOTICE max user processes is $nproc_limit: the server's thread per connection cannot exceed it; scaled down."
    sockets=$((nproc_limit - 500))
  fi
  if [ "$((threads_max / 2))" -lt "$sockets" ] || [ "$((max_maps / 3))" -lt "$sockets" ]; then
    SCALE_NOTICE="$SCALE_NOTICE threads-max $threads_max / max_map_count $max_maps are too low for $sockets server threads: scaled down."
    sockets=$(( threads_max / 2 < max_maps / 3 ? threads_max / 2 : max_maps / 3 ))
  fi
  [ -n "$SCALE_NOTICE" ] && echo "bench.sh: notice: $SCALE_NOTICE" >&2
  for client in ours async raw; do
    start_server
    flag=""
    [ "$client" = raw ] && flag="--raw"
    [ "$client" = async ] && flag="--async"
    # shellcheck disable=SC2086
    # --trim last: what glibc gives back once asked (after every other figure is taken).
    line=$("$SCALE_BIN" "$SERVER_URL/echo" "$sockets" $flag --trim)
    printf '%s\t%s\n' "$client" "$line" >>"$SCALE_RESULTS"
    echo "$line" >&2
    stop_server
  done
fi

{
  echo "ROUNDS=$ROUNDS"
  echo "MACHINE=$NCPU vCPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r)"
  echo "RUSTC=$(rustc --version)"
  echo "COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (with uncommitted changes in src/)')"
  echo "DATE=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "LOAD=$LOAD"
  echo "ASYNC=$ASYNC_NOTE"
  echo "SCALE_NOTICE=$SCALE_NOTICE"
  echo "SCALE_LIMITS=$SCALE_LIMITS"
} >"$META"

step "report"
if [ "$DOCS" = 1 ]; then
  python3 scripts/bench_report.py report "$RESULTS" "$SCALE_RESULTS" "$META" \
    docs/benchmarks.md docs/benchmarks.svg
  echo "wrote docs/benchmarks.md and docs/benchmarks.svg" >&2
else
  python3 scripts/bench_report.py report "$RESULTS" "$SCALE_RESULTS" "$META" \
    "$OUT/benchmarks.md" "$OUT/benchmarks.svg"
  echo "wrote $OUT/benchmarks.md and $OUT/benchmarks.svg (docs/ untouched)" >&2
fi
