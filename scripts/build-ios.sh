#!/usr/bin/env bash
# Build ios/ClearchatFFI.xcframework, the Rust core (static libclearchat_ffi.a) for iOS devices, the iOS
# simulator and macOS, each slice with the UniFFI C header and module map (C module ClearchatFFIFFI), and
# generate the Swift bindings into ios/Sources/ClearchatFFI/. ios/Package.swift then builds ClearchatKit on them:
# for an iOS app, and for `swift test` on the Mac itself (the macOS slice).
#
# Runs on macOS with Xcode (xcodebuild, lipo) and rustup; see ios/README.md for the versions. On Linux,
# scripts/swift-test.sh builds and tests the same package against libclearchat_ffi.so instead.
#
# Usage: scripts/build-ios.sh      (works from any directory)
# Env:   IPHONEOS_DEPLOYMENT_TARGET (default 17.0), MACOSX_DEPLOYMENT_TARGET (default 14.0): keep them equal to
#        Package.swift's platforms (@Observable needs iOS 17 and macOS 14).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

[ "$(uname -s)" = Darwin ] || { echo "build-ios.sh needs macOS with Xcode" >&2; exit 1; }
command -v xcodebuild >/dev/null || { echo "xcodebuild missing: install Xcode and run xcode-select" >&2; exit 1; }

export IPHONEOS_DEPLOYMENT_TARGET="${IPHONEOS_DEPLOYMENT_TARGET:-17.0}"
export MACOSX_DEPLOYMENT_TARGET="${MACOSX_DEPLOYMENT_TARGET:-14.0}"
# Stripping the static libraries' objects is the app's link step's job (Xcode strips the app binary); debug
# info is not needed in the archives.
export CARGO_PROFILE_RELEASE_DEBUG=false
DEVICE=aarch64-apple-ios
SIMS=(aarch64-apple-ios-sim x86_64-apple-ios)
MACS=(aarch64-apple-darwin x86_64-apple-darwin)
LIB=libclearchat_ffi.a
OUT="ios/ClearchatFFI.xcframework"
WORK="target/ios"

rustup target add "$DEVICE" "${SIMS[@]}" "${MACS[@]}"
for t in "$DEVICE" "${SIMS[@]}" "${MACS[@]}"; do
    echo "==> cargo build --release -p clearchat-ffi --target $t"
    cargo build --release -p clearchat-ffi --target "$t"
done

rm -rf "$WORK"
mkdir -p "$WORK/sim" "$WORK/macos"
echo "==> lipo: one simulator library (arm64 + x86_64), one macOS library (arm64 + x86_64)"
lipo -create $(for t in "${SIMS[@]}"; do echo "target/$t/release/$LIB"; done) -output "$WORK/sim/$LIB"
lipo -create $(for t in "${MACS[@]}"; do echo "target/$t/release/$LIB"; done) -output "$WORK/macos/$LIB"

# Bindings from a host build (UniFFI reads its metadata from the library): ClearchatFFI.swift,
# ClearchatFFIFFI.h and ClearchatFFIFFI.modulemap.
echo "==> uniffi-bindgen generate (swift)"
cargo build --release -p clearchat-ffi
cargo run --release -q -p uniffi-bindgen -- \
    generate target/release/libclearchat_ffi.dylib --language swift --out-dir "$WORK/swift" --no-format

# Headers in a subdirectory named after the C module, the module map renamed module.modulemap, so it does not
# collide with other XCFrameworks' module maps in an app's build directory.
HEADERS="$WORK/headers"
mkdir -p "$HEADERS/ClearchatFFIFFI"
cp "$WORK/swift/ClearchatFFIFFI.h" "$HEADERS/ClearchatFFIFFI/"
cp "$WORK/swift/ClearchatFFIFFI.modulemap" "$HEADERS/ClearchatFFIFFI/module.modulemap"

echo "==> xcodebuild -create-xcframework -> $OUT"
rm -rf "$OUT"
xcodebuild -create-xcframework \
    -library "target/$DEVICE/release/$LIB" -headers "$HEADERS" \
    -library "$WORK/sim/$LIB" -headers "$HEADERS" \
    -library "$WORK/macos/$LIB" -headers "$HEADERS" \
    -output "$OUT"

mkdir -p ios/Sources/ClearchatFFI
cp "$WORK/swift/ClearchatFFI.swift" ios/Sources/ClearchatFFI/ClearchatFFI.swift
echo "done: $OUT and ios/Sources/ClearchatFFI/ClearchatFFI.swift; see ios/README.md to test and use them"
