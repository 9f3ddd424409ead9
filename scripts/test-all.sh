#!/usr/bin/env bash
# Every test of the project, as README.md and CI run it: format, lints, Rust unit/property/scenario/process
# tests, the Kotlin bindings and app layer on the JVM against the real library, and the quick benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test"
cargo test --workspace --no-fail-fast
echo "== Kotlin on the JVM (bindings, adapters, view models) against the real library"
scripts/kotlin-test.sh
echo "== quick benchmarks (figures only, no thresholds)"
cargo run --release -q -p clearchat-bench -- --quick
