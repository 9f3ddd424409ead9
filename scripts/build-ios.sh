#!/usr/bin/env bash
# Build the iOS app's parts on a Mac: ios/ClearchatFFI.xcframework (the Rust core as static libclearchat_ffi.a for
# iOS devices, the iOS simulator and macOS, each slice with the UniFFI C header and module map, C module
# ClearchatFFIFFI) and the Swift bindings in ios/Sources/ClearchatFFI/; then, as asked, the Xcode project of the
# SwiftUI app (XcodeGen, from ios/App/project.yml), the app for the simulator, and the tests.
#
# Runs on macOS with Xcode (xcodebuild, lipo), rustup and, for the project, XcodeGen; see ios/README.md for the
# versions. On Linux, scripts/swift-test.sh builds and tests ClearchatKit against libclearchat_ffi.so instead.
#
# Usage: scripts/build-ios.sh [STEP]      (works from any directory)
#   framework  (the default) the XCFramework and the bindings
#   project    framework, then `xcodegen generate` -> ios/App/Clearchat.xcodeproj
#   app        project, then the app built for the iOS simulator (Debug)
#   test       project (its library with the `testing` feature), then ClearchatKit's XCTests on this Mac
#              (`swift test`, the macOS slice) and in the simulator, and the app's tests (the Keychain) in the
#              simulator
# Env:   IPHONEOS_DEPLOYMENT_TARGET (default 17.0), MACOSX_DEPLOYMENT_TARGET (default 14.0): keep them equal to
#        Package.swift's platforms (@Observable needs iOS 17 and macOS 14).
#        SIMULATOR: the simulator device the tests run on (default "iPhone 17"; `xcrun simctl list devices`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

STEP="${1:-framework}"
case "$STEP" in framework | project | app | test) ;; *) echo "unknown step $STEP (framework, project, app, test)" >&2; exit 2 ;; esac
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

# ClearchatKit's tests call entry points that only a library built with the `testing` feature has (an invite with
# a chosen lifetime); the framework of every other step leaves them out.
FEATURES=""
[ "$STEP" = test ] && FEATURES=testing

rustup target add "$DEVICE" "${SIMS[@]}" "${MACS[@]}"
for t in "$DEVICE" "${SIMS[@]}" "${MACS[@]}"; do
    echo "==> cargo build --profile mobile -p clearchat-ffi --target $t --features '$FEATURES'"
    cargo build --profile mobile -p clearchat-ffi --target "$t" --features "$FEATURES"
done

rm -rf "$WORK"
mkdir -p "$WORK/sim" "$WORK/macos"
echo "==> lipo: one simulator library (arm64 + x86_64), one macOS library (arm64 + x86_64)"
lipo -create $(for t in "${SIMS[@]}"; do echo "target/$t/mobile/$LIB"; done) -output "$WORK/sim/$LIB"
lipo -create $(for t in "${MACS[@]}"; do echo "target/$t/mobile/$LIB"; done) -output "$WORK/macos/$LIB"

# Bindings from a host build (UniFFI reads its metadata from the library): ClearchatFFI.swift,
# ClearchatFFIFFI.h and ClearchatFFIFFI.modulemap.
echo "==> uniffi-bindgen generate (swift)"
cargo build --release -p clearchat-ffi --features "$FEATURES"
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
    -library "target/$DEVICE/mobile/$LIB" -headers "$HEADERS" \
    -library "$WORK/sim/$LIB" -headers "$HEADERS" \
    -library "$WORK/macos/$LIB" -headers "$HEADERS" \
    -output "$OUT"

mkdir -p ios/Sources/ClearchatFFI
cp "$WORK/swift/ClearchatFFI.swift" ios/Sources/ClearchatFFI/ClearchatFFI.swift
echo "done: $OUT and ios/Sources/ClearchatFFI/ClearchatFFI.swift"
[ "$STEP" = framework ] && exit 0

# ---- the app's Xcode project ----
XCODEGEN_VERSION=2.45.4 # also project.yml's minimumXcodeGenVersion
command -v xcodegen >/dev/null || { echo "xcodegen missing: brew install xcodegen (or mint install yonaskolb/XcodeGen@$XCODEGEN_VERSION)" >&2; exit 1; }
echo "==> xcodegen generate ($(xcodegen --version)) -> ios/App/Clearchat.xcodeproj"
(cd ios/App && xcodegen generate)
PROJECT=ios/App/Clearchat.xcodeproj
SIMULATOR="${SIMULATOR:-iPhone 17}"

case "$STEP" in
    app)
        echo "==> xcodebuild build (the app, iOS simulator, Debug)"
        xcodebuild -project "$PROJECT" -scheme Clearchat -configuration Debug \
            -destination "generic/platform=iOS Simulator" -derivedDataPath ios/App/build build
        echo "done: ios/App/build/Build/Products/Debug-iphonesimulator/Clearchat.app"
        ;;
    test)
        echo "==> swift test (ClearchatKit on this Mac)"
        (cd ios && swift test)
        echo "==> xcodebuild test (ClearchatKit in the simulator: $SIMULATOR)"
        (cd ios && xcodebuild -scheme ClearchatKit-Package -destination "platform=iOS Simulator,name=$SIMULATOR" test)
        echo "==> xcodebuild test (the app's tests in the simulator: $SIMULATOR)"
        xcodebuild -project "$PROJECT" -scheme Clearchat -destination "platform=iOS Simulator,name=$SIMULATOR" \
            -derivedDataPath ios/App/build test
        ;;
esac
