// KeychainSecretStore on a simulator or device (the Keychain exists only there): saved, read back, replaced,
// deleted, kept apart by name and by service, and stored this-device-only after the first unlock, never synced.
import Security
import XCTest
@testable import Clearchat

final class KeychainSecretStoreTests: XCTestCase {
    private let store = KeychainSecretStore(service: "chat.clearchat.tests.\(UUID().uuidString)")

    override func tearDown() {
        try? store.delete("device")
        try? store.delete("other")
    }

    func testSaveLoadReplaceDelete() throws {
        XCTAssertNil(try store.load("device"))
        try store.save(Data([1, 2, 3]), as: "device")
        XCTAssertEqual(try store.load("device"), Data([1, 2, 3]))
        try store.save(Data([4, 5]), as: "device")
        XCTAssertEqual(try store.load("device"), Data([4, 5]), "replaced, not added twice")
        try store.save(Data([9]), as: "other")
        XCTAssertEqual(try store.load("device"), Data([4, 5]))
        XCTAssertNil(try KeychainSecretStore(service: "chat.clearchat.tests.elsewhere").load("device"))
        try store.delete("device")
        XCTAssertNil(try store.load("device"))
        try store.delete("device") // deleting what is not there is no error
        XCTAssertEqual(try store.load("other"), Data([9]))
    }

    func testStoredThisDeviceOnlyAfterFirstUnlockAndNotSynced() throws {
        try store.save(Data([7]), as: "device")
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: store.service,
            kSecAttrAccount as String: "device",
            kSecReturnAttributes as String: true,
            kSecMatchLimit as String: kSecMatchLimitOne,
        ]
        var found: CFTypeRef?
        XCTAssertEqual(SecItemCopyMatching(query as CFDictionary, &found), errSecSuccess)
        let attributes = try XCTUnwrap(found as? [String: Any])
        XCTAssertEqual(attributes[kSecAttrAccessible as String] as? String, kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly as String)
        XCTAssertNotEqual(attributes[kSecAttrSynchronizable as String] as? Bool, true)
    }
}
