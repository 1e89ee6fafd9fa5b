#!/usr/bin/env bash
# Runs the Autobahn TestSuite's fuzzing server against examples/autobahn_client.rs and checks
# the report.
#
#   bash scripts/autobahn.sh [MODE...]      # modes: sync (the default), async,
#                                           # sync-deflate, async-deflate
#
# The plain modes run every case but 12.* and 13.* (permessage-deflate, which they do not
# offer); the -deflate modes offer permessage-deflate on every connection and run only 12.*
# and 13.* (the server declines the offer in the other cases, which the plain modes cover).
#
# Sets the suite up once (Python 2.7 virtualenv with autobahntestsuite, under $AUTOBAHN_HOME,
# default ~/.cache/named-websocket-autobahn), starts `wstest -m fuzzingserver` on 127.0.0.1 on
# a free port, runs the client once per mode (agent named-websocket-MODE), stops the server,
# prints the counts per `behavior` and `behaviorClose` for each mode, and exits non-zero when
# a case FAILED (or any behavior other than OK, NON-STRICT, INFORMATIONAL), a case is missing
# from the report, a `behaviorClose` is not OK or INFORMATIONAL, more than
# $AUTOBAHN_MAX_NON_STRICT (2) cases are NON-STRICT, or the client itself failed.
#
# Environment:
#   AUTOBAHN_HOME            where the virtualenv lives (kept between runs)
#   AUTOBAHN_PYTHON2         a Python 2.7 interpreter (default: pyenv's 2.7.18, or python2.7)
#   AUTOBAHN_PORT            the server's port (default: a free one)
#   AUTOBAHN_OUT             where the spec, logs and reports go (default: target/autobahn)
#                            (the reports: $AUTOBAHN_OUT/reports/index.html and index.json)
#   AUTOBAHN_MAX_NON_STRICT  how many NON-STRICT cases are accepted (default: 2)
#   AUTOBAHN_CARGO_PROFILE   the cargo profile of the client (default: release; dev reuses
#                            what `cargo test` built)
#   AUTOBAHN_SETUP_ONLY      1: install the suite and build the client, then stop; lets two
#                            runs with their own AUTOBAHN_OUT go side by side afterwards
#                            without racing on the install
#
# Non-interactive; reaches only PyPI (first run) and crates.io (cargo).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SUITE_VERSION=25.10.1
AUTOBAHN_HOME=${AUTOBAHN_HOME:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/named-websocket-autobahn}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
OUT=${AUTOBAHN_OUT:-$TARGET_DIR/autobahn}
# Absolute: the server is started from inside it.
case $OUT in /*) ;; *) OUT=$ROOT/$OUT ;; esac
MAX_NON_STRICT=${AUTOBAHN_MAX_NON_STRICT:-2}
export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONWARNINGS=ignore

log() { printf '[autobahn] %s\n' "$*"; }
die() { printf '[autobahn] error: %s\n' "$*" >&2; exit 1; }

modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(sync)
for mode in "${modes[@]}"; do
  case $mode in
    sync | async | sync-deflate | async-deflate) ;;
    *) die "unknown mode '$mode' (expected sync, async, sync-deflate or async-deflate)" ;;
  esac
done
command -v python3 >/dev/null || die "python3 is needed to read the report"

# --- the suite: Python 2.7, virtualenv, autobahntestsuite ---------------------------------

is_python27() { [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (2, 7))' 2>/dev/null; }

find_python2() {
  local candidate
  for candidate in "${AUTOBAHN_PYTHON2:-}" \
    "$(pyenv prefix 2.7.18 2>/dev/null)/bin/python" \
    "$(command -v python2.7 || true)" "$(command -v python2 || true)"; do
    if is_python27 "$candidate"; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

VENV=$AUTOBAHN_HOME/venv-$SUITE_VERSION
if [ ! -f "$VENV/.installed" ]; then
  PY2=$(find_python2) || die "no Python 2.7 found (set AUTOBAHN_PYTHON2, or install 2.7.18 with pyenv)"
  log "installing autobahntestsuite $SUITE_VERSION into $VENV (Python 2.7: $PY2)"
  if ! "$PY2" -m virtualenv --version >/dev/null 2>&1; then
    "$PY2" -m pip install -q 'virtualenv<20.16'
  fi
  rm -rf "$VENV"
  mkdir -p "$AUTOBAHN_HOME"
  "$PY2" -m virtualenv -q "$VENV"
  "$VENV/bin/pip" install -q "autobahntestsuite==$SUITE_VERSION"
  "$VENV/bin/python" -c 'import autobahntestsuite.fuzzing' # fails here, not later, if broken
  touch "$VENV/.installed"
else
  log "using autobahntestsuite $SUITE_VERSION from $VENV"
fi

# --- the client ----------------------------------------------------------------------------

PROFILE=${AUTOBAHN_CARGO_PROFILE:-release}
case $PROFILE in
  dev) PROFILE_DIR=debug ;;
  *) PROFILE_DIR=$PROFILE ;;
esac
log "building examples/autobahn_client.rs (profile $PROFILE)"
cargo build --quiet --profile "$PROFILE" --example autobahn_client
CLIENT=$TARGET_DIR/$PROFILE_DIR/examples/autobahn_client
if [ "${AUTOBAHN_SETUP_ONLY:-0}" = 1 ]; then
  log "set up; not running (AUTOBAHN_SETUP_ONLY=1)"
  exit 0
fi

# --- the server ----------------------------------------------------------------------------

PORT=${AUTOBAHN_PORT:-$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')}
URL=ws://127.0.0.1:$PORT

# The cases each agent skips (matched by the server and by the verdict below with fnmatch).
PLAIN_SKIPS='["12.*", "13.*"]'
DEFLATE_SKIPS='["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "9.*", "10.*"]'
agent_exclusions() {
  local mode sep=''
  printf '{'
  for mode in sync async sync-deflate async-deflate; do
    case $mode in
      *-deflate) printf '%s"named-websocket-%s": %s' "$sep" "$mode" "$DEFLATE_SKIPS" ;;
      *) printf '%s"named-websocket-%s": %s' "$sep" "$mode" "$PLAIN_SKIPS" ;;
    esac
    sep=', '
  done
  printf '}'
}

rm -rf "$OUT"
mkdir -p "$OUT/reports"
cat >"$OUT/spec.json" <<EOF
{
  "url": "$URL",
  "outdir": "$OUT/reports",
  "cases": ["*"],
  "exclude-cases": [],
  "exclude-agent-cases": $(agent_exclusions)
}
EOF

# wstest_loopback.py is wstest with its listener bound to 127.0.0.1 (stock wstest binds all
# interfaces); -u 0 turns its extra web server off.
log "starting the fuzzing server on $URL (log: $OUT/wstest.log)"
(cd "$OUT" && exec "$VENV/bin/python" -u "$ROOT/scripts/wstest_loopback.py" \
  -m fuzzingserver -s "$OUT/spec.json" -u 0 </dev/null >"$OUT/wstest.log" 2>&1) &
SERVER_PID=$!
stop_server() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_open() { python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()' "$PORT" 2>/dev/null; }

tries=0
until port_open; do
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/wstest.log" >&2; die "the fuzzing server exited"; }
  tries=$((tries + 1))
  [ "$tries" -le 150 ] || { cat "$OUT/wstest.log" >&2; die "the fuzzing server did not listen within 30 s"; }
  sleep 0.2
done

# --- the runs ------------------------------------------------------------------------------

client_failed=()
for mode in "${modes[@]}"; do
  agent=named-websocket-$mode
  log "running mode $mode as agent $agent (log: $OUT/client-$mode.log)"
  started=$SECONDS
  status=0
  AUTOBAHN_URL=$URL AUTOBAHN_AGENT=$agent "$CLIENT" --mode "$mode" </dev/null \
    >"$OUT/client-$mode.log" 2>&1 || status=$?
  tail -n 1 "$OUT/client-$mode.log"
  log "mode $mode: client exited with $status after $((SECONDS - started)) s"
  [ "$status" -eq 0 ] || client_failed+=("$mode")
done

stop_server
trap - EXIT INT TERM

# --- the verdict ---------------------------------------------------------------------------

verdict=0
python3 - "$OUT" "$MAX_NON_STRICT" "${modes[@]}" <<'EOF' || verdict=1
import collections, fnmatch, json, os, re, sys

out, max_non_strict, modes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

# The server's own list of cases, as it printed it at start ("Cases = ['1.1.1', ...]").
with open(os.path.join(out, "wstest.log")) as f:
    line = next((l for l in f if l.startswith("Cases = ")), None)
if line is None:
    sys.exit("[autobahn] the server log has no case list")
all_cases = re.findall(r"'([0-9.]+)'", line)
with open(os.path.join(out, "spec.json")) as f:
    skips = json.load(f)["exclude-agent-cases"]

try:
    with open(os.path.join(out, "reports", "index.json")) as f:
        index = json.load(f)
except (OSError, ValueError) as e:
    sys.exit("[autobahn] no usable report: %s" % e)


def case_key(case):
    return [int(part) for part in case.split(".")]


def counts(values):
    return ", ".join("%s %d" % kv for kv in sorted(collections.Counter(values).items()))


ok = True
for mode in modes:
    agent = "named-websocket-" + mode
    cases = index.get(agent, {})
    expected = [c for c in all_cases if not any(fnmatch.fnmatch(c, p) for p in skips.get(agent, []))]
    problems = []
    missing = sorted(set(expected) - set(cases), key=case_key)
    if missing:
        problems.append("%d case(s) missing from the report: %s" % (len(missing), " ".join(missing[:20])))
    non_strict = 0
    notes = []
    for case in sorted(cases, key=case_key):
        result = cases[case]
        behavior, close = result["behavior"], result["behaviorClose"]
        if behavior == "NON-STRICT":
            non_strict += 1
        if behavior not in ("OK", "NON-STRICT", "INFORMATIONAL"):
            problems.append("case %s: behavior %s" % (case, behavior))
        if close not in ("OK", "INFORMATIONAL"):
            problems.append("case %s: behaviorClose %s" % (case, close))
        if behavior != "OK" or close != "OK":
            notes.append("  %-8s behavior %-13s behaviorClose %-13s (report: %s)"
                         % (case, behavior, close, result.get("reportfile")))
    if non_strict > max_non_strict:
        problems.append("%d NON-STRICT cases, at most %d accepted" % (non_strict, max_non_strict))
    print("%s: %d/%d cases; behavior: %s; behaviorClose: %s"
          % (agent, len(cases), len(expected), counts(r["behavior"] for r in cases.values()) or "none",
             counts(r["behaviorClose"] for r in cases.values()) or "none"))
    for note in notes:
        print(note)
    for problem in problems:
        print("  PROBLEM: " + problem)
    ok = ok and not problems
sys.exit(0 if ok else 1)
EOF

log "reports: $OUT/reports/index.html"
if [ ${#client_failed[@]} -gt 0 ]; then
  log "the client failed in mode(s): ${client_failed[*]} (see $OUT/client-MODE.log)"
  verdict=1
fi
if [ "$verdict" -ne 0 ]; then
  log "FAILED"
  exit 1
fi
log "passed"
