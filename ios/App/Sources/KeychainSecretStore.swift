// Device secrets in the Keychain: readable after the first unlock (so the background refresh works with the phone
// locked), on this device only (never in a backup restored elsewhere, never moved to a new phone), never synced
// with iCloud Keychain. Ready for the core's foreign secret-store trait; nothing calls it until then.
import ClearchatKit
import Foundation
import Security

struct KeychainSecretStore: SecretStore {
    /// The Keychain service the secrets are filed under.
    let service: String

    init(service: String = "chat.clearchat.device") {
        self.service = service
    }

    func load(_ name: String) throws(SecretStoreError) -> Data? {
        var query = item(name)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var found: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &found)
        switch status {
        case errSecSuccess: return found as? Data
        case errSecItemNotFound: return nil
        default: throw Self.error(status)
        }
    }

    func save(_ secret: Data, as name: String) throws(SecretStoreError) {
        let values: [String: Any] = [
            kSecValueData as String: secret,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
        ]
        var status = SecItemUpdate(item(name) as CFDictionary, values as CFDictionary)
        if status == errSecItemNotFound {
            status = SecItemAdd(item(name).merging(values) { $1 } as CFDictionary, nil)
        }
        guard status == errSecSuccess else { throw Self.error(status) }
    }

    func delete(_ name: String) throws(SecretStoreError) {
        let status = SecItemDelete(item(name) as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else { throw Self.error(status) }
    }

    /// The item's identity: a generic password of this service, named `name`, not synchronizable.
    private func item(_ name: String) -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: name,
            kSecAttrSynchronizable as String: kCFBooleanFalse as Any,
        ]
    }

    /// errSecInteractionNotAllowed: the phone restarted and was not unlocked yet.
    private static func error(_ status: OSStatus) -> SecretStoreError {
        status == errSecInteractionNotAllowed ? .locked : .failed(status: status)
    }
}
