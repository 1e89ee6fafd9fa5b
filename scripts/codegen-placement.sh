#!/usr/bin/env bash
# Where rustc places tungstenite's read path when it compiles this crate in release mode (16
# codegen units, the profile a dependency gets): the message reader (WebSocketContext), the
# frame reader (FrameCodec), the header parser (FrameHeader::parse_internal) and
# check_connection_reset. One calls the next inline only when both land in the same codegen
# unit; when they do not, blocking downstream of small messages loses 20-30%. The unit names
# are numbers: compare which items share one. scripts/codegen-sweep.sh measures the effect.
# See docs/performance.md, "Measuring caveats".
#
#   bash scripts/codegen-placement.sh
#
# Uses -Zprint-mono-items through RUSTC_BOOTSTRAP (a diagnostic only; nothing is shipped so).
set -euo pipefail
cd "$(dirname "$0")/.."
touch src/lib.rs
RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=target/codegen-placement \
  cargo rustc --quiet --release --lib -- -Zprint-mono-items=yes 2>/dev/null |
  grep MONO_ITEM |
  grep -E "(FrameCodec|WebSocketContext)::(read|read_frame|read_message_frame|buffer_frame)::<|FrameHeader::parse_internal|check_connection_reset" |
  sed -E 's/^MONO_ITEM fn //; s/named_websocket\.[0-9a-f]+-//'
