#!/usr/bin/env bash
# The library builds on its declared minimum Rust version (rust-version in Cargo.toml), with
# the dependency versions a user on that Rust gets: Cargo's MSRV-aware resolver
# (CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback) picks, for each dependency, the newest
# version that supports it. The committed Cargo.lock pins newer versions (it needs Rust 1.88),
# so the check resolves its own lock file in a copy of the manifest and sources, and leaves
# the repository's Cargo.lock untouched.
#
# Checked: `cargo check --lib` with the default features (native-tls), and with rustls alone
# (`--no-default-features --features webpki-roots`, which enables rustls). Installs the
# toolchain with rustup when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
started=$(date +%s)
export CARGO_TERM_COLOR=never

msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
if [[ -z "$msrv" ]]; then
  echo "FAIL: no rust-version in Cargo.toml" >&2
  exit 1
fi
if ! rustup run "$msrv" rustc --version >/dev/null 2>&1; then
  timeout 600 rustup toolchain install "$msrv" --profile minimal
fi
echo "toolchain: $(rustup run "$msrv" rustc --version)"

lock_before=$(sha256sum Cargo.lock)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The workspace: the library and the bench member its manifest names (desktop/ is excluded).
cp Cargo.toml "$work/"
cp -r src "$work/src"
mkdir -p "$work/bench"
cp -r bench/Cargo.toml bench/src "$work/bench/"

cd "$work"
echo
echo "resolving dependencies for Rust $msrv (the versions that differ from the newest are listed)"
CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback timeout 300 cargo "+$msrv" generate-lockfile

# Kept between runs, apart from the main target directory: another toolchain's artifacts.
export CARGO_TARGET_DIR="$repo/target/msrv"
checks=("--lib")
if grep -q '^webpki-roots *=' Cargo.toml; then
  checks+=("--lib --no-default-features --features webpki-roots")
elif grep -q '^rustls *=' Cargo.toml; then
  checks+=("--lib --no-default-features --features rustls")
fi
failures=0
log="$work/check.log"
for args in "${checks[@]}"; do
  echo
  echo "cargo +$msrv check --locked $args"
  status=0
  # shellcheck disable=SC2086 # the arguments are words on purpose
  timeout 900 cargo "+$msrv" check --locked $args >"$log" 2>&1 || status=$?
  grep -v '^ *\(Compiling\|Checking\|Downloaded\|Downloading\) ' "$log" || true
  if (( status != 0 )); then
    echo "FAIL: the library does not build on Rust $msrv with $args" >&2
    failures=$((failures + 1))
  fi
done

cd "$repo"
if [[ "$(sha256sum Cargo.lock)" != "$lock_before" ]]; then
  echo "FAIL: the check changed the repository's Cargo.lock" >&2
  failures=$((failures + 1))
fi
elapsed=$(( $(date +%s) - started ))
if (( failures > 0 )); then
  echo "MSRV check: $failures failure(s) on Rust $msrv, in ${elapsed}s" >&2
  exit 1
fi
echo "MSRV check: the library builds on Rust $msrv (${#checks[@]} configuration(s)), in ${elapsed}s"
