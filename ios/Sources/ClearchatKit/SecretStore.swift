// Where the platform keeps a device secret outside the store file: on iOS the Keychain (the app's
// KeychainSecretStore: this device only, after the first unlock, never synchronized). The core keeps the device
// key in its store today; it will ask the shell for it through a foreign secret-store trait (the hostile-peers
// issue), and this protocol is the shape that trait's Swift side takes: named secrets, read, written, deleted.
// Until then nothing calls it (see ios/README.md).
import Foundation

public protocol SecretStore: Sendable {
    /// The secret saved under `name`, or nil when there is none.
    func load(_ name: String) throws(SecretStoreError) -> Data?
    /// Saves `secret` under `name`, replacing what was there.
    func save(_ secret: Data, as name: String) throws(SecretStoreError)
    /// Deletes the secret under `name`; deleting one that is not there is no error.
    func delete(_ name: String) throws(SecretStoreError)
}

public enum SecretStoreError: Error, Equatable, Sendable {
    /// The secret cannot be read now (on iOS: the phone restarted and was not unlocked yet). Try again later;
    /// never treat it as "no secret", which would make a new device.
    case locked
    /// The platform refused, with its status code (on iOS an `OSStatus`).
    case failed(status: Int32)
}
