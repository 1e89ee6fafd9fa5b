#!/usr/bin/env bash
# Type-checks the platforms CI cannot run: macOS (aarch64-apple-darwin) and 32-bit Windows
# (i686-pc-windows-gnu), every target; lints for Windows (x86_64-pc-windows-gnu, clippy with
# warnings as errors); cross-builds the desktop app (desktop/, its own workspace) for Windows.
#
# Installs what it needs (idempotently): the Rust targets, the MinGW-w64 linkers and clang
# (apt). ring, a test-only dependency, compiles C for each target: MinGW's gcc for Windows,
# clang with the stand-in headers of scripts/apple-headers/ for macOS (checked, never linked).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
started=$(date +%s)

missing=()
command -v x86_64-w64-mingw32-gcc >/dev/null || missing+=(gcc-mingw-w64-x86-64)
command -v i686-w64-mingw32-gcc >/dev/null || missing+=(gcc-mingw-w64-i686)
command -v clang >/dev/null || missing+=(clang)
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
for target in aarch64-apple-darwin i686-pc-windows-gnu x86_64-pc-windows-gnu; do
  rustup target list --installed | grep -qx "$target" || rustup target add "$target"
done

step() {
  local began=$SECONDS
  printf '\n=== %s\n' "$1"
  shift
  timeout 1200 "$@"
  echo "($((SECONDS - began))s)"
}

export CC_aarch64_apple_darwin=clang
export CFLAGS_aarch64_apple_darwin="-ffreestanding -nostdlibinc -I$PWD/scripts/apple-headers"
step "macOS: cargo check --all-targets --target aarch64-apple-darwin" \
  cargo check --all-targets --target aarch64-apple-darwin
step "32-bit Windows: cargo check --all-targets --target i686-pc-windows-gnu" \
  cargo check --all-targets --target i686-pc-windows-gnu
step "Windows: cargo clippy --all-targets --target x86_64-pc-windows-gnu -- -D warnings" \
  cargo clippy --all-targets --target x86_64-pc-windows-gnu -- -D warnings
step "desktop app for Windows: cargo build --target x86_64-pc-windows-gnu (desktop/)" \
  bash -c 'cd desktop && cargo build --locked --target x86_64-pc-windows-gnu'
echo "platform-checks: $(( $(date +%s) - started ))s, all passed"
