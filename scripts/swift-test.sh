#!/usr/bin/env bash
# Build ClearchatKit (ios/) against a freshly built libclearchat_ffi.so and run its XCTest suite, on Linux, with
# the Swift toolchain of scripts/swift-root.sh (set up on first use). Ends with "swift: N passed, M failed".
#
# Usage (as root; works from any directory): scripts/swift-test.sh [ARGS for swift test, e.g. --filter Invite]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

LIB_DIR="$ROOT/target/release"
GEN="target/swift-bindings" # this script's own: kotlin-test.sh regenerates target/generated-swift
FFI_SWIFT="ios/Sources/ClearchatFFI"
FFI_C="ios/Sources/ClearchatFFIFFI"

scripts/swift-root.sh >/dev/null

echo "==> cargo build --release -p clearchat-ffi --features testing"
# The `testing` feature adds the entry points only tests use (an invite with a chosen lifetime).
cargo build --release -p clearchat-ffi --features testing

echo "==> uniffi-bindgen generate (swift) -> $FFI_SWIFT, $FFI_C"
rm -rf "$GEN"
cargo run --release -q -p uniffi-bindgen -- \
    generate "$LIB_DIR/libclearchat_ffi.so" --language swift --out-dir "$GEN" --no-format
mkdir -p "$FFI_SWIFT" "$FFI_C"
cp "$GEN/ClearchatFFI.swift" "$FFI_SWIFT/"
cp "$GEN/ClearchatFFIFFI.h" "$FFI_C/"
# SwiftPM's system-library form of the generated module map: named module.modulemap, linking the cdylib,
# without the generated one's `use "Darwin"` (Linux has no Darwin module).
cat >"$FFI_C/module.modulemap" <<'EOF'
module ClearchatFFIFFI {
    header "ClearchatFFIFFI.h"
    link "clearchat_ffi"
    export *
}
EOF

echo "==> swift test (ios/, in $(scripts/swift-root.sh))"
# Debug build: the Swift side is thin, the library underneath is the release build. The library's directory
# is both searched at link time and recorded as the test binary's rpath (the same path inside the root).
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
# The root's environment is empty but for this: CLEARCHAT_WRITE_CATALOG=1 makes AppResourcesTests rewrite the app's
# String Catalog from UiText (see that test).
passenv=(env "CLEARCHAT_WRITE_CATALOG=${CLEARCHAT_WRITE_CATALOG:-}")
scripts/swift-root.sh run "${passenv[@]}" swift test --package-path ios --scratch-path target/swift --disable-swift-testing \
    -Xlinker -L"$LIB_DIR" -Xlinker -rpath -Xlinker "$LIB_DIR" "$@" 2>&1 | tee "$log" || status=$?

# XCTest's own summary of the whole run ('All tests', or 'Selected tests' with --filter): "Executed N tests, with
# M failures (U unexpected) in ...".
summary="$(grep -A1 -E "^Test Suite '(All|Selected) tests'" "$log" |
    sed -n 's/.*Executed \([0-9]*\) tests\{0,1\}, with \([0-9]*\) failures\{0,1\}.*/\1 \2/p' | tail -n 1 || true)"
if [ -n "$summary" ]; then
    read -r run failed <<<"$summary"
    # A test with several failed assertions counts once.
    failed_tests="$(grep -c "^Test Case '.*' failed" "$log" || true)"
    echo "swift: $((run - failed_tests)) passed, $failed_tests failed"
    [ "$failed" -eq 0 ] || [ "$status" -ne 0 ] || status=1
else
    echo "swift: no XCTest summary (the build failed?)" >&2
    echo "swift: 0 passed, 1 failed"
    [ "$status" -ne 0 ] || status=1
fi
exit "$status"
