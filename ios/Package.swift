// swift-tools-version:5.9
// The Clearchat core for iOS: the Rust library as an XCFramework (built by scripts/build-ios.sh) and the
// UniFFI-generated Swift on top of it. See README.md in this directory.
import PackageDescription

let package = Package(
    name: "Clearchat",
    platforms: [.iOS(.v15)], // the XCFramework has iOS device and simulator slices only
    products: [
        .library(name: "Clearchat", targets: ["Clearchat"]),
    ],
    targets: [
        // Static libclearchat_ffi.a for iOS devices (arm64) and the simulator (arm64 + x86_64), with the
        // C header and the module map of the `ClearchatFFIFFI` C module that the Swift bindings import.
        .binaryTarget(name: "ClearchatFFI", path: "ClearchatFFI.xcframework"),
        // Sources/Clearchat/ClearchatFFI.swift, copied there by scripts/build-ios.sh (not kept in git).
        .target(
            name: "Clearchat",
            dependencies: ["ClearchatFFI"],
            path: "Sources/Clearchat"
            // No extra system frameworks: the Rust side needs only libSystem (randomness comes from
            // CCRandomGenerateBytes, sockets and threads from libc).
        ),
    ]
)
