// The AndroidKeyStore key that seals this device's secret key in the store (through the shared KeystoreSecretStore):
// AES-256-GCM, made on first use inside the phone's keystore (TEE or secure element), never exportable, never in a
// backup or a device-to-device transfer. A store file copied to another phone therefore does not open there; the core
// reports ClearchatException.DeviceKeyUnavailable and leaves the file alone.
//
// Not bound to the lock screen (no setUnlockedDeviceRequired, no user authentication): the key is used once, when the
// process opens the client, and Android may start that process while the phone is locked (SyncService restarted
// after the system reclaimed it, a message notification's reply action). A bound key would then refuse to unseal and
// background sync would stop until the next unlock, while the unsealed key sits in the process's memory from then
// on anyway. What guards the sealed key at rest is the keystore itself: only this app's uid on this phone can use it.
package chat.clearchat.android

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import chat.clearchat.core.KeystoreSecretStore
import java.security.KeyStore
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey

object DeviceKey {
    private const val PROVIDER = "AndroidKeyStore"
    private const val ALIAS = "clearchat-device-key"

    /** The secret store the app opens its client through. */
    fun secretStore(): KeystoreSecretStore = KeystoreSecretStore(key = ::key)

    /** The wrapping key: the one in the keystore, or a new one on first use (a new device, or a lost key). */
    @Synchronized
    private fun key(): SecretKey {
        val keyStore = KeyStore.getInstance(PROVIDER).apply { load(null) }
        (keyStore.getKey(ALIAS, null) as? SecretKey)?.let { return it }
        val spec = KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(256)
            .setRandomizedEncryptionRequired(true) // the keystore draws every IV; KeystoreSecretStore keeps its own
            .build()
        return KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, PROVIDER).apply { init(spec) }.generateKey()
    }
}
