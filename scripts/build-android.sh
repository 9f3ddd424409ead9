#!/usr/bin/env bash
# Build libclearchat_ffi.so for Android (arm64-v8a, armeabi-v7a, x86_64) into android/app/src/main/jniLibs,
# and the Kotlin bindings into android/kotlin/target/generated-sources/uniffi.
#
# Needs (not on the project's CI machine, which has no NDK; see android/README.md "Native library and bindings"):
#   - Rust (the workspace's toolchain) with the Android targets:
#       rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
#   - cargo-ndk 3.x or newer:      cargo install cargo-ndk --locked
#   - the Android NDK, r27 or newer (r27c = 27.2.12479018), found through ANDROID_NDK_HOME
#     (or ANDROID_HOME/ndk/<version>, which cargo-ndk also searches).
#
# Usage: scripts/build-android.sh [--debug]     (release by default; works from any directory)
# Env:   ANDROID_API (default 26, the app's minSdk), ABIS (default "arm64-v8a armeabi-v7a x86_64"),
#        JNILIBS and KOTLIN_OUT (output dirs; the Gradle build points them into android/app/build/generated).
# The Gradle build runs this script before compiling (task :app:rustAndroid), so `./gradlew assembleDebug` is enough.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PROFILE=release
[ "${1:-}" = "--debug" ] && PROFILE=dev
API="${ANDROID_API:-26}"
ABIS=(${ABIS:-arm64-v8a armeabi-v7a x86_64})
JNILIBS="${JNILIBS:-android/app/src/main/jniLibs}"
KOTLIN_OUT="${KOTLIN_OUT:-android/kotlin/target/generated-sources/uniffi}"

command -v cargo-ndk >/dev/null || { echo "cargo-ndk missing: cargo install cargo-ndk --locked" >&2; exit 1; }
if [ -z "${ANDROID_NDK_HOME:-}" ] && [ -n "${ANDROID_HOME:-}" ] && [ -d "$ANDROID_HOME/ndk" ]; then
    ANDROID_NDK_HOME="$(ls -d "$ANDROID_HOME"/ndk/* | sort -V | tail -1)"
    export ANDROID_NDK_HOME
fi
[ -n "${ANDROID_NDK_HOME:-}" ] || { echo "set ANDROID_NDK_HOME to the NDK (r27 or newer)" >&2; exit 1; }

# Flags for the Android targets only (never the host's build scripts or proc-macros):
#  - 16 KB page alignment of the ELF LOAD segments, required on Android 15+ devices with 16 KB pages
#    (Google Play requires it for apps targeting Android 15 from Nov 2025). NDK r28+ does it by default;
#    r27 and older need the flag. It is harmless on 4 KB-page devices.
#  - the `mobile` profile (root Cargo.toml: release with LTO, one codegen unit, size-optimized) stripped of
#    symbols (Cargo's profile env override).
PAGE="-C link-arg=-Wl,-z,max-page-size=16384"
for triple in AARCH64_LINUX_ANDROID ARMV7_LINUX_ANDROIDEABI X86_64_LINUX_ANDROID; do
    export "CARGO_TARGET_${triple}_RUSTFLAGS=$PAGE"
done
export CARGO_PROFILE_MOBILE_STRIP=symbols

targets=()
for abi in "${ABIS[@]}"; do targets+=(-t "$abi"); done
echo "==> cargo ndk ${ABIS[*]} (API $API, profile $PROFILE) -> $JNILIBS"
rm -rf "$JNILIBS"
if [ "$PROFILE" = release ]; then
    cargo ndk "${targets[@]}" --platform "$API" -o "$JNILIBS" build --profile mobile -p clearchat-ffi
else
    cargo ndk "${targets[@]}" --platform "$API" -o "$JNILIBS" build -p clearchat-ffi
fi

# Strip again with the NDK's llvm-strip (drops .comment and the like), then check every LOAD segment is
# aligned to 16 KB (0x4000) or more.
NDK_BIN="$(ls -d "$ANDROID_NDK_HOME"/toolchains/llvm/prebuilt/*/bin | head -1)"
for abi in "${ABIS[@]}"; do
    so="$JNILIBS/$abi/libclearchat_ffi.so"
    test -f "$so"
    [ "$PROFILE" = release ] && "$NDK_BIN/llvm-strip" --strip-unneeded "$so"
    for align in $("$NDK_BIN/llvm-readelf" -lW "$so" | awk '$1 == "LOAD" { print $NF }'); do
        if [ $((align)) -lt 16384 ]; then
            echo "$so: a LOAD segment is aligned to $align, not 16 KB" >&2
            exit 1
        fi
    done
    printf '  %-12s %10d bytes, LOAD align >= 0x4000\n' "$abi" "$(stat -c %s "$so" 2>/dev/null || stat -f %z "$so")"
done

# Bindings: generated from the host build of the same crate (UniFFI reads its metadata from the library;
# the stripped Android libraries no longer carry it). The generated Kotlin is the same for every platform.
echo "==> host build + uniffi-bindgen generate (kotlin) -> $KOTLIN_OUT"
cargo build --release -p clearchat-ffi
case "$(uname -s)" in
    Darwin) HOST_LIB=target/release/libclearchat_ffi.dylib ;;
    *) HOST_LIB=target/release/libclearchat_ffi.so ;;
esac
rm -rf "$KOTLIN_OUT"
cargo run --release -q -p uniffi-bindgen -- generate "$HOST_LIB" --language kotlin --out-dir "$KOTLIN_OUT" --no-format
test -f "$KOTLIN_OUT/chat/clearchat/core/clearchat.kt"
echo "done: $JNILIBS/<abi>/libclearchat_ffi.so and $KOTLIN_OUT"
