#!/usr/bin/env bash
# Build ios/ClearchatFFI.xcframework (static libclearchat_ffi.a for devices and for the simulator, with the
# UniFFI C header and module map) and copy the generated Swift bindings to ios/Sources/Clearchat/, which
# ios/Package.swift turns into the `Clearchat` Swift package.
#
# Runs on macOS with Xcode 15 or newer (xcodebuild, lipo) and rustup; see ios/README.md. It cannot run on the
# project's Linux CI machine, which only generates the Swift bindings (scripts/kotlin-test.sh) so generation
# never breaks.
#
# Usage: scripts/build-ios.sh      (works from any directory)
# Env:   IPHONEOS_DEPLOYMENT_TARGET (default 15.0, must match Package.swift's platforms).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

[ "$(uname -s)" = Darwin ] || { echo "build-ios.sh needs macOS with Xcode" >&2; exit 1; }
command -v xcodebuild >/dev/null || { echo "xcodebuild missing: install Xcode 15+ and run xcode-select" >&2; exit 1; }

export IPHONEOS_DEPLOYMENT_TARGET="${IPHONEOS_DEPLOYMENT_TARGET:-15.0}"
# Symbols out of the static libraries' objects is the app's link step's job (Xcode strips the app binary);
# debug info is not needed in release archives shipped in the package.
export CARGO_PROFILE_RELEASE_DEBUG=false
DEVICE=aarch64-apple-ios
SIMS=(aarch64-apple-ios-sim x86_64-apple-ios)
LIB=libclearchat_ffi.a
OUT="ios/ClearchatFFI.xcframework"
WORK="target/ios"

rustup target add "$DEVICE" "${SIMS[@]}"

for t in "$DEVICE" "${SIMS[@]}"; do
    echo "==> cargo build --release -p clearchat-ffi --target $t"
    cargo build --release -p clearchat-ffi --target "$t"
done

echo "==> lipo the simulator slices (arm64 + x86_64)"
rm -rf "$WORK"
mkdir -p "$WORK/sim"
lipo -create $(for t in "${SIMS[@]}"; do echo "target/$t/release/$LIB"; done) -output "$WORK/sim/$LIB"

# Bindings from the host build (UniFFI reads its metadata from the library): ClearchatFFI.swift,
# ClearchatFFIFFI.h and ClearchatFFIFFI.modulemap.
echo "==> uniffi-bindgen generate (swift)"
cargo build --release -p clearchat-ffi
cargo run --release -q -p uniffi-bindgen -- \
    generate target/release/libclearchat_ffi.dylib --language swift --out-dir "$WORK/swift" --no-format

# Headers: in a subdirectory named after the C module, with the module map renamed module.modulemap, so it
# does not collide with other XCFrameworks' module maps in the app's build directory.
HEADERS="$WORK/headers"
mkdir -p "$HEADERS/ClearchatFFIFFI"
cp "$WORK/swift/ClearchatFFIFFI.h" "$HEADERS/ClearchatFFIFFI/"
cp "$WORK/swift/ClearchatFFIFFI.modulemap" "$HEADERS/ClearchatFFIFFI/module.modulemap"

echo "==> xcodebuild -create-xcframework -> $OUT"
rm -rf "$OUT"
xcodebuild -create-xcframework \
    -library "target/$DEVICE/release/$LIB" -headers "$HEADERS" \
    -library "$WORK/sim/$LIB" -headers "$HEADERS" \
    -output "$OUT"

mkdir -p ios/Sources/Clearchat
cp "$WORK/swift/ClearchatFFI.swift" ios/Sources/Clearchat/ClearchatFFI.swift
echo "done: $OUT and ios/Sources/Clearchat/ClearchatFFI.swift; open ios/Package.swift in Xcode, or see ios/README.md"
