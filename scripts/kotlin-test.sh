#!/usr/bin/env bash
# Build the FFI cdylib, generate Kotlin (and Swift) bindings with UniFFI, then
# compile and run the Kotlin JVM tests against the native library via JNA.
# Works from any directory.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

LIB="target/release/libclearchat_ffi.so"
KOTLIN_OUT="android/kotlin/target/generated-sources/uniffi"
SWIFT_OUT="target/generated-swift"

echo "==> cargo build --release -p clearchat-ffi --features testing"
# The `testing` feature adds the entry points only tests use (an invite with a chosen lifetime).
cargo build --release -p clearchat-ffi --features testing

# uniffi >= 0.32 picks up uniffi/uniffi.toml automatically (crate root, via
# cargo metadata); its --config flag now expects a *global* config file with
# [defaults]/[crates.<name>] sections, so we do not pass it.
rm -rf "$KOTLIN_OUT" "$SWIFT_OUT"
echo "==> uniffi-bindgen generate (kotlin) -> $KOTLIN_OUT"
cargo run --release -q -p uniffi-bindgen -- \
    generate "$LIB" --language kotlin --out-dir "$KOTLIN_OUT" --no-format
echo "==> uniffi-bindgen generate (swift) -> $SWIFT_OUT"
cargo run --release -q -p uniffi-bindgen -- \
    generate "$LIB" --language swift --out-dir "$SWIFT_OUT" --no-format
test -f "$KOTLIN_OUT/chat/clearchat/core/clearchat.kt"
test -f "$SWIFT_OUT/ClearchatFFI.swift"

echo "==> mvn test (android/kotlin)"
rm -rf android/kotlin/target/surefire-reports  # no stale reports in the summary below
status=0
mvn -B -q -Dstyle.color=never -f android/kotlin/pom.xml test -Dnative.dir="$ROOT/target/release" || status=$?

# Surefire summary (mvn -q hides it): add up the XML reports.
reports=(android/kotlin/target/surefire-reports/TEST-*.xml)
if [ -e "${reports[0]}" ]; then
    tests=0 failures=0 errors=0 skipped=0
    for r in "${reports[@]}"; do
        line="$(grep -m1 '<testsuite' "$r")"
        get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$line"; }
        tests=$((tests + $(get tests)))
        failures=$((failures + $(get failures)))
        errors=$((errors + $(get errors)))
        skipped=$((skipped + $(get skipped)))
    done
    echo "Tests run: $tests, Failures: $failures, Errors: $errors, Skipped: $skipped"
else
    echo "no Surefire reports found" >&2
    [ "$status" -ne 0 ] || status=1
fi
exit "$status"
