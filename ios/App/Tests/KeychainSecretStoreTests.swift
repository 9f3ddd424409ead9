// KeychainSecretStore on a simulator or device (the Keychain and CryptoKit exist only there): seals and unseals,
// every seal with a fresh nonce, a changed byte or another service's key refused, no key made by an unseal, and
// the wrapping key stored this-device-only after the first unlock, never synced. The same store under the real
// library: a device opened through it reopens as itself, and without the key it gets the typed error.
import ClearchatFFI
import ClearchatKit
import Security
import XCTest
@testable import Clearchat

final class KeychainSecretStoreTests: XCTestCase {
    private let store = KeychainSecretStore(service: "chat.clearchat.tests.\(UUID().uuidString)")

    override func tearDown() {
        try? store.deleteKey()
    }

    func testSealUnsealFreshNonceTamperRefused() throws {
        let secret = Data((0..<32).map { UInt8($0) })
        let a = try store.seal(secret: secret)
        let b = try store.seal(secret: secret)
        XCTAssertEqual(a.count, 12 + 32 + 16)
        XCTAssertNotEqual(a, b, "a fresh nonce every seal")
        XCTAssertEqual(try store.unseal(sealed: a), secret)
        var changed = a
        changed[20] ^= 1
        XCTAssertThrowsError(try store.unseal(sealed: changed))
        let elsewhere = KeychainSecretStore(service: "chat.clearchat.tests.\(UUID().uuidString)")
        XCTAssertThrowsError(try elsewhere.unseal(sealed: a)) { error in
            guard case SecretStoreError.Failed = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try elsewhere.unseal(sealed: a), "an unseal makes no key")
    }

    func testWrappingKeyThisDeviceOnlyAfterFirstUnlockAndNotSynced() throws {
        _ = try store.seal(secret: Data(repeating: 7, count: 32))
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: store.service,
            kSecReturnAttributes as String: true,
            kSecMatchLimit as String: kSecMatchLimitOne,
        ]
        var found: CFTypeRef?
        XCTAssertEqual(SecItemCopyMatching(query as CFDictionary, &found), errSecSuccess)
        let attributes = try XCTUnwrap(found as? [String: Any])
        XCTAssertEqual(attributes[kSecAttrAccessible as String] as? String,
                       kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly as String)
        XCTAssertNotEqual(attributes[kSecAttrSynchronizable as String] as? Bool, true)
    }

    func testADeviceOpenedThroughTheKeychainReopensAsItselfAndNotWithoutItsKey() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keychain-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let id = try Clearchat.openLoopback(dataDir: dir.path, deviceName: "phone", secretStore: store).me().deviceId
        XCTAssertEqual(try Clearchat.openLoopback(dataDir: dir.path, deviceName: "phone", secretStore: store).me().deviceId, id)
        let elsewhere = KeychainSecretStore(service: "chat.clearchat.tests.\(UUID().uuidString)")
        XCTAssertThrowsError(try Clearchat.openLoopback(dataDir: dir.path, deviceName: "phone", secretStore: elsewhere)) {
            guard case CoreError.core(.DeviceKeyUnavailable) = $0 else { return XCTFail("\($0)") }
        }
    }
}
