#!/usr/bin/env bash
# The package crates.io would get: builds it (cargo package verifies that the packaged crate
# compiles on its own), lists it, checks that it holds the licenses, the changelog and the docs
# the crate includes, and not the benchmarks, the desktop app, scripts or tests; checks its
# size; then runs `cargo publish --dry-run`, which needs no crates.io login.
#
# On a clean clone (CI) no flag is needed. With edits not yet committed, set
# PACKAGE_CHECK_ALLOW_DIRTY=1 to package the working tree as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
export CARGO_TERM_COLOR=never

# Compressed size of the .crate; 216 KiB at 0.1.0 (84 files). crates.io refuses more than 10 MiB.
max_kib=400

dirty=()
if [[ "${PACKAGE_CHECK_ALLOW_DIRTY:-}" == 1 ]]; then
  dirty=(--allow-dirty)
fi

metadata=$(cargo metadata --format-version 1 --no-deps)
read -r name version target_dir < <(python3 -c '
import json, sys
m = json.load(sys.stdin)
p = next(p for p in m["packages"] if p["name"] == "named-websocket")
print(p["name"], p["version"], m["target_directory"])
' <<<"$metadata")
crate="$target_dir/package/$name-$version.crate"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "cargo package ${dirty[*]}"
if ! timeout 900 cargo package "${dirty[@]}" >"$log" 2>&1; then
  cat "$log"
  echo "FAIL: cargo package failed" >&2
  exit 1
fi
# The tests and examples stay out of the package on purpose: one line instead of one per file.
grep -v '^warning: ignoring \(test\|example\) ' "$log" | grep -v '^ *Compiling ' || true
ignored=$(grep -c '^warning: ignoring \(test\|example\) ' "$log" || true)
echo "($ignored tests and examples left out of the package, as intended)"

contents=$(tar -tzf "$crate" | sed "s|^$name-$version/||" | sort)
echo
echo "package contents ($(wc -l <<<"$contents") files):"
sed 's/^/  /' <<<"$contents"

failures=0
must_hold=(Cargo.toml README.md CHANGELOG.md LICENSE-MIT LICENSE-APACHE src/lib.rs)
# Every file src/lib.rs includes (the doctests of README.md and docs/*.md).
while IFS= read -r included; do
  must_hold+=("$included")
done < <(grep -o 'include_str!("\.\./[^"]*")' src/lib.rs | sed 's|include_str!("\.\./||; s|")$||')
for file in "${must_hold[@]}"; do
  if ! grep -qxF "$file" <<<"$contents"; then
    echo "FAIL: the package lacks $file" >&2
    failures=$((failures + 1))
  fi
done
for prefix in bench/ desktop/ scripts/ tests/ examples/ docs/images/ .ci/; do
  if grep -q "^$prefix" <<<"$contents"; then
    echo "FAIL: the package holds $prefix:" >&2
    grep "^$prefix" <<<"$contents" | sed 's/^/  /' >&2
    failures=$((failures + 1))
  fi
done

bytes=$(stat -c %s "$crate")
kib=$(( (bytes + 1023) / 1024 ))
echo
echo "package size: $kib KiB compressed ($bytes bytes, $crate); bound $max_kib KiB"
if (( kib > max_kib )); then
  echo "FAIL: the package is $kib KiB, over the bound of $max_kib KiB: what was added?" >&2
  failures=$((failures + 1))
fi

# The package was verified above: the dry run checks what crates.io would check, without
# building again and without uploading.
echo
echo "cargo publish --dry-run --no-verify ${dirty[*]}"
if ! timeout 300 cargo publish --dry-run --no-verify "${dirty[@]}" >"$log" 2>&1; then
  grep -v '^warning: ignoring \(test\|example\) ' "$log"
  echo "FAIL: cargo publish --dry-run failed" >&2
  failures=$((failures + 1))
else
  grep -v '^warning: ignoring \(test\|example\) ' "$log"
fi

elapsed=$(( $(date +%s) - started ))
if (( failures > 0 )); then
  echo "package check: $failures failure(s) in ${elapsed}s" >&2
  exit 1
fi
echo "package check: OK, $(wc -l <<<"$contents") files, $kib KiB, in ${elapsed}s"
