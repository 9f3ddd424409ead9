// The core's secret store on iOS: seals the device's secret key with AES-GCM (CryptoKit) under a random 256-bit
// wrapping key kept in the Keychain as a generic password, readable after the first unlock (so the background
// refresh opens the client with the phone locked), on this device only (never in a backup restored elsewhere,
// never moved to a new phone) and never synchronized with iCloud Keychain. A store file that reaches another phone
// finds no wrapping key there: the core says `.DeviceKeyUnavailable` and leaves the file alone.
// errSecInteractionNotAllowed (a restart, before the first unlock) is `.Locked`: try later, never "no key".
import ClearchatFFI
import CryptoKit
import Foundation
import Security

final class KeychainSecretStore: SecretStore {
    /// The Keychain service and account the wrapping key is filed under.
    let service: String
    private let account = "device-key-wrapping"
    /// Seals and the first-use creation of the key, one at a time.
    private let lock = NSLock()

    init(service: String = "chat.clearchat.device") {
        self.service = service
    }

    /// `secret` as AES.GCM's combined box: nonce (12 bytes), ciphertext, tag (16 bytes).
    func seal(secret: Data) throws -> Data {
        let key = try lock.withLock { try wrappingKey(create: true) }
        do {
            guard let combined = try AES.GCM.seal(secret, using: key).combined else {
                throw SecretStoreError.Failed(reason: "AES.GCM gave no combined box")
            }
            return combined
        } catch let error as SecretStoreError {
            throw error
        } catch {
            throw SecretStoreError.Failed(reason: "seal: \(type(of: error))")
        }
    }

    func unseal(sealed: Data) throws -> Data {
        // Never a new key here: a seal made elsewhere must not open, and must not be mistaken for a new device.
        let key = try lock.withLock { try wrappingKey(create: false) }
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key)
        } catch {
            throw SecretStoreError.Failed(reason: "the seal does not open with this phone's key")
        }
    }

    /// The wrapping key from the Keychain; when there is none, a new random one saved first (if `create`).
    private func wrappingKey(create: Bool) throws -> SymmetricKey {
        var query = item()
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var found: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &found)
        switch status {
        case errSecSuccess:
            guard let data = found as? Data, data.count == 32 else {
                throw SecretStoreError.Failed(reason: "the wrapping key in the Keychain is damaged")
            }
            return SymmetricKey(data: data)
        case errSecItemNotFound where create:
            let key = SymmetricKey(size: .bits256)
            var add = item()
            add[kSecValueData as String] = key.withUnsafeBytes { Data($0) }
            add[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
            let added = SecItemAdd(add as CFDictionary, nil)
            guard added == errSecSuccess else { throw Self.error(added) }
            return key
        case errSecItemNotFound:
            throw SecretStoreError.Failed(reason: "this phone's Keychain holds no key for this store")
        default:
            throw Self.error(status)
        }
    }

    /// Deletes the wrapping key (tests; an app reset). Deleting one that is not there is no error.
    func deleteKey() throws {
        let status = SecItemDelete(item() as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else { throw Self.error(status) }
    }

    /// The item's identity: a generic password of this service and account, not synchronizable.
    private func item() -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecAttrSynchronizable as String: kCFBooleanFalse as Any,
        ]
    }

    /// errSecInteractionNotAllowed: the phone restarted and was not unlocked yet.
    private static func error(_ status: OSStatus) -> SecretStoreError {
        status == errSecInteractionNotAllowed ? .Locked : .Failed(reason: "Keychain status \(status)")
    }
}
