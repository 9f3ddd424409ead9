#!/usr/bin/env bash
# Every test of the project, as README.md and CI run it: format, lints, Rust unit/property/scenario/process
# tests, the Kotlin bindings and app layer on the JVM and ClearchatKit (Swift, XCTest) against the real
# library, and the quick benchmarks.
# Ends with one line adding up every test that ran.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test"
# The process tests run the clearchat binary itself; integration tests of another package do not build it.
cargo build -p clearchat
cargo test --workspace --no-fail-fast 2>&1 | tee target/cargo-test.log
echo "== Kotlin on the JVM (bindings, adapters, view models) against the real library"
scripts/kotlin-test.sh 2>&1 | tee target/kotlin-test.log
echo "== Swift: ClearchatKit (bindings, adapters, models) with XCTest against the real library"
scripts/swift-test.sh 2>&1 | tee target/swift-test.log
echo "== quick benchmarks (figures only, no thresholds)"
cargo run --release -q -p clearchat-bench -- --quick

read -r rust_passed rust_failed < <(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' \
    target/cargo-test.log)
read -r kt_run kt_failed kt_skipped < <(sed -n 's/.*Tests run: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\), Skipped: \([0-9]*\).*/\1 \2 \3 \4/p' \
    target/kotlin-test.log | tail -n 1 | awk '{ print $1, $2 + $3, $4 }')
read -r swift_passed swift_failed < <(sed -n 's/^swift: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
    target/swift-test.log | tail -n 1)
echo "rust: $rust_passed passed, $rust_failed failed"
echo "kotlin: $((kt_run - kt_failed - kt_skipped)) passed, $kt_failed failed"
echo "swift: $swift_passed passed, $swift_failed failed"
echo "tests: $((rust_passed + kt_run - kt_failed - kt_skipped + swift_passed)) passed," \
    "$((rust_failed + kt_failed + swift_failed)) failed"
