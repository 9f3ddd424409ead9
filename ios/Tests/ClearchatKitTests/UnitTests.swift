// The parts that need no running client: the library's version, input validation, the plain-words sentences
// (the same as the Kotlin layer's), and the QR grid's shape.
import ClearchatFFI
import Foundation
import XCTest
@testable import ClearchatKit

/// The repository root, from this file's path (ios/Tests/ClearchatKitTests/).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

final class UnitTests: XCTestCase {
    func testTheLoadedLibraryIsTheWorkspaceVersion() throws {
        let manifest = try String(contentsOf: repositoryRoot.appendingPathComponent("Cargo.toml"), encoding: .utf8)
        let section = try XCTUnwrap(manifest.components(separatedBy: "[workspace.package]").dropFirst().first)
        let line = try XCTUnwrap(section.split(separator: "\n").first { $0.hasPrefix("version") })
        XCTAssertEqual("version = \"\(Clearchat.coreVersion)\"", String(line))
    }

    func testNames() {
        XCTAssertEqual(Validation.name(""), "Enter a name.")
        XCTAssertEqual(Validation.name("   \n"), "Enter a name.")
        XCTAssertNil(Validation.name("  Amy's phone  "))
        XCTAssertNil(Validation.name(String(repeating: "a", count: 64)))
        XCTAssertEqual(Validation.name(String(repeating: "a", count: 65)),
                       "That name is too long. Keep it under 64 letters.")
        // Bytes, not characters: 22 three-byte letters are 66 bytes.
        XCTAssertEqual(Validation.name(String(repeating: "€", count: 22)),
                       "That name is too long. Keep it under 64 letters.")
        XCTAssertNil(Validation.name(String(repeating: "€", count: 21)))
        XCTAssertEqual(Validation.name("Amy\u{7}"), "A name can't contain special control characters.")
        XCTAssertEqual(Validation.name("A\u{0}my"), "A name can't contain special control characters.")
    }

    func testDraftsAndCodes() {
        XCTAssertEqual(Validation.message(" \n\t"), "Write something first.")
        XCTAssertNil(Validation.message("hi"))
        XCTAssertNil(Validation.message(String(repeating: "x", count: 16 * 1024)))
        XCTAssertEqual(Validation.message(String(repeating: "x", count: 16 * 1024 + 1)),
                       "This message is too long. Split it into shorter ones.")
        XCTAssertEqual(Validation.code("  "), "Paste or scan a code first.")
        XCTAssertNil(Validation.code("anything: the core checks it"))
    }

    /// Every sentence, for every error the core can give, is the Kotlin layer's (android/kotlin's Messages.kt
    /// and Validation.kt): what is not interpolated must appear there word for word.
    func testSentencesAreTheKotlinLayers() throws {
        let kotlinDir = repositoryRoot.appendingPathComponent("android/kotlin/src/main/kotlin")
        let kotlin = try FileManager.default.subpathsOfDirectory(atPath: kotlinDir.path)
            .filter { $0.hasSuffix(".kt") }
            .map { try String(contentsOf: kotlinDir.appendingPathComponent($0), encoding: .utf8) }
            .joined(separator: "\n")
        XCTAssertFalse(kotlin.isEmpty)
        let d = "description"
        let cases: [(ClearchatError, String)] = [
            (.InvalidCode(reason: "bad checksum", description: d),
             "This code can't be read (bad checksum). Check that you copied all of it, or scan it again."),
            (.InviteExpired(description: d), "This code has expired. Ask for a new one."),
            (.InviteAlreadyUsed(description: d), "This code was already used. Ask for a new one."),
            (.OwnInvite(description: d), "This is your own code. Show it to the other person instead."),
            (.AlreadyBuddies(name: "Amy", description: d), "You and Amy are already buddies."),
            (.AlreadyBuddies(name: " ", description: d), "You are already buddies."),
            (.AlreadyLinked(description: d), "This device is already linked to that person."),
            (.NotNew(description: d),
             "This device already has buddies or other devices, so it can't be linked now. Only a new device can be linked."),
            (.InviterUnreachable(reason: "timeout", description: d),
             "Couldn't reach the device that made this code. Check that it is on and online, then try again."),
            (.Refused(reason: "r", description: d), "The other device turned this code down. Ask for a new one."),
            (.UnknownBuddy(buddy: "b", description: d), "This buddy is no longer in your list."),
            (.UnknownDevice(device: "d", description: d), "This device is no longer in your list."),
            (.UnknownMessage(id: "m", description: d), "That message is gone."),
            (.InvalidMessage(max: 16384, description: d), "A message can't be empty or longer than 16384 bytes."),
            (.InvalidName(reason: "r", description: d), "A name has 1 to 64 characters."),
            (.Revoked(description: d), "This device was unlinked. Link it again to keep using it."),
            (.Closed(description: d), "Clearchat is shutting down. Open it again."),
            (.Storage(reason: "disk full", description: d), "Couldn't save on this device. Check that there is free space."),
            (.DeviceKeyUnavailable(reason: "r", description: d),
             "This is another phone's data: its key stays on that phone. Remove Clearchat's data here, then link this phone anew."),
            (.KeystoreLocked(description: d), "Unlock your phone to open Clearchat."),
            (.Network(reason: "n", description: d), "No connection right now. Try again in a moment."),
        ]
        for (error, sentence) in cases {
            XCTAssertEqual(Messages.explain(error), sentence)
            XCTAssertEqual(Messages.explain(CoreError.core(error)), sentence)
            for part in fixedParts(of: sentence, around: ["bad checksum", "Amy", "16384", "64"]) {
                XCTAssertTrue(kotlin.contains(part), "not in the Kotlin layer: \"\(part)\"")
            }
        }
        XCTAssertEqual(Messages.explain(CoreError.bindings("rust panic")), "Something went wrong. Try again.")
        XCTAssertTrue(kotlin.contains("Something went wrong. Try again."))
        for sentence in ["Enter a name.", "That name is too long. Keep it under ", "Write something first.",
                         "Paste or scan a code first.", "A name can't contain special control characters."] {
            XCTAssertTrue(kotlin.contains(sentence), sentence)
        }
    }

    /// The pieces of `sentence` between the sample `values` put into it.
    private func fixedParts(of sentence: String, around values: [String]) -> [String] {
        values.reduce([sentence]) { parts, value in parts.flatMap { $0.components(separatedBy: value) } }
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " ()")) }
            .filter { !$0.isEmpty }
    }

    func testGridShape() throws {
        // 21 x 21 with a dark diagonal: rows are rows, columns are columns.
        let w = 21
        let grid = try XCTUnwrap(QrGrid(width: w, modules: (0..<w * w).map { $0 / w == $0 % w || $0 == 1 }))
        XCTAssertTrue(grid[1, 0]) // x = 1, y = 0: the one extra module, on the first row
        XCTAssertFalse(grid[0, 1])
        XCTAssertEqual(grid.darkRuns[0], [0..<2])
        XCTAssertEqual(grid.darkRuns[5], [5..<6])
        XCTAssertEqual(grid.darkRuns.map { $0.map(\.count).reduce(0, +) }.reduce(0, +), w + 1)
        XCTAssertNil(QrGrid(width: 21, modules: Array(repeating: true, count: 20 * 21)))
        XCTAssertNil(QrGrid(width: 0, modules: []))
    }
}
