// The device key sealed by a secret store (the generated SecretStore protocol), against the real library: the
// device reopens as itself, its secret is nowhere in the store's files, another key (another phone) gets the typed
// error and leaves the store openable by the right one, and whatever the store throws becomes a typed error. The
// store here transforms the bytes for real (XOR with a random pad, tagged with its key's id): CryptoKit, which the
// app's KeychainSecretStore uses, is not on Linux.
import ClearchatFFI
import ClearchatKit
import Foundation
import XCTest

/// A keystore with a random key of its own; remembers every secret that goes through it.
final class PadStore: SecretStore, @unchecked Sendable {
    private let pad: [UInt8] = (0..<32).map { _ in UInt8.random(in: 0...255) }
    private let lock = NSLock()
    private var seen: [Data] = []
    var locked = false

    var secrets: [Data] { lock.withLock { seen } }

    func seal(secret: Data) throws -> Data {
        if lock.withLock({ locked }) { throw SecretStoreError.Locked }
        lock.withLock { seen.append(secret) }
        return Data(pad.prefix(4)) + Data(secret.enumerated().map { $0.element ^ pad[$0.offset % 32] })
    }

    func unseal(sealed: Data) throws -> Data {
        if lock.withLock({ locked }) { throw SecretStoreError.Locked }
        guard sealed.count > 4, Array(sealed.prefix(4)) == Array(pad.prefix(4)) else {
            throw SecretStoreError.Failed(reason: "sealed with another key")
        }
        let secret = Data(sealed.dropFirst(4).enumerated().map { $0.element ^ pad[$0.offset % 32] })
        lock.withLock { seen.append(secret) }
        return secret
    }
}

/// Throws what no SecretStore declares (a bug, or a platform error let through).
final class ThrowingStore: SecretStore {
    struct Broken: Error {}
    func seal(secret: Data) throws -> Data { throw Broken() }
    func unseal(sealed: Data) throws -> Data { throw Broken() }
}

final class SecretStoreTests: CoreTestCase, @unchecked Sendable {
    private func open(_ dir: URL, _ store: SecretStore) throws(CoreError) -> Clearchat {
        try Clearchat.openLoopback(dataDir: dir.path, deviceName: "phone", secretStore: store)
    }

    /// The store's files as they are on disk: the database and its write-ahead log.
    private func files(_ dir: URL) -> Data {
        ["clearchat.db", "clearchat.db-wal"].reduce(into: Data()) { all, name in
            if let data = FileManager.default.contents(atPath: dir.appendingPathComponent(name).path) { all += data }
        }
    }

    private func database(_ dir: URL) -> Data? {
        FileManager.default.contents(atPath: dir.appendingPathComponent("clearchat.db").path)
    }

    private func assertKind(_ error: CoreError?, _ kind: String, file: StaticString = #filePath, line: UInt = #line) {
        guard case .core(let e)? = error else { return XCTFail("not a core error: \(String(describing: error))", file: file, line: line) }
        XCTAssertTrue("\(e)".hasPrefix(kind), "\(e)", file: file, line: line)
    }

    private func openError(_ dir: URL, _ store: SecretStore) -> CoreError? {
        do { _ = try open(dir, store); return nil } catch { return error }
    }

    @MainActor func testADeviceOpenedThroughTheStoreReopensAsItselfAndItsKeyIsNowhereInTheFiles() async throws {
        let dir = try h.tempDir("sealed")
        let store = PadStore()
        var id = ""
        do {
            let chat = try open(dir, store)
            try await chat.setPersonName("Amy")
            id = try chat.me().deviceId
            XCTAssertEqual(store.secrets.count, 1)
            XCTAssertEqual(store.secrets[0].count, 32)
            XCTAssertNil(files(dir).range(of: store.secrets[0]), "the key in the clear while open")
        }
        XCTAssertNil(files(dir).range(of: store.secrets[0]), "the key in the clear after close")
        let again = try open(dir, store)
        XCTAssertEqual(try again.me().deviceId, id)
        XCTAssertEqual(try again.me().personName, "Amy")
        XCTAssertEqual(store.secrets[1], store.secrets[0], "unsealed what was sealed")
    }

    @MainActor func testAnotherPhonesKeyGetsTheTypedErrorAndTheStoreStillOpensWithTheRightOne() async throws {
        let dir = try h.tempDir("copied")
        let mine = PadStore()
        let id = try open(dir, mine).me().deviceId
        let before = database(dir)

        let elsewhere = openError(dir, PadStore())
        assertKind(elsewhere, "DeviceKeyUnavailable")
        if case .core(.DeviceKeyUnavailable(_, let description))? = elsewhere {
            XCTAssertTrue(description.contains("copied from another device"), description)
        }
        XCTAssertEqual(Messages.explain(elsewhere!), UiText.errKeyElsewhere.say())
        // Opened without a keystore (as on a laptop): the same, and no new device is made over the store.
        do {
            _ = try Clearchat.openLoopback(dataDir: dir.path, deviceName: "phone")
            XCTFail("opened without its keystore")
        } catch {
            assertKind(error, "DeviceKeyUnavailable")
        }
        XCTAssertEqual(database(dir), before, "the store is unchanged")

        XCTAssertEqual(try open(dir, mine).me().deviceId, id)
    }

    @MainActor func testAnErrorThrownByTheStoreBecomesTheTypedError() async throws {
        let dir = try h.tempDir("throwing")
        // Making a device: the key cannot be sealed, so there is no device.
        let notMade = openError(dir, ThrowingStore())
        assertKind(notMade, "Storage")
        if case .core(.Storage(let reason, _))? = notMade { XCTAssertTrue(reason.contains("Broken"), reason) }

        let store = PadStore()
        let id = try open(dir, store).me().deviceId
        assertKind(openError(dir, ThrowingStore()), "DeviceKeyUnavailable")
        store.locked = true
        let locked = openError(dir, store)
        assertKind(locked, "KeystoreLocked")
        XCTAssertEqual(Messages.explain(locked!), UiText.errLocked.say())
        store.locked = false
        XCTAssertEqual(try open(dir, store).me().deviceId, id)
    }
}
