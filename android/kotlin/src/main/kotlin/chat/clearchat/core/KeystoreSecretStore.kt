// The phone's keystore as the core's SecretStore: seals the device's secret key with AES-256-GCM (javax.crypto)
// under a key it is given and never sees the bytes of. On Android that key lives in the AndroidKeyStore (the app
// supplies it, see android/app's DeviceKey), so a store file copied to another phone does not open there: the core
// says so with ClearchatException.DeviceKeyUnavailable and leaves the file as it is. On the JVM (tests) any AES key.
package chat.clearchat.core

import javax.crypto.Cipher
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * Sealed form: the 12-byte IV, then the ciphertext with its 16-byte tag. The IV is the cipher's own (random for
 * every seal: the AndroidKeyStore does not accept one from the caller, and the JDK's provider draws one too).
 * [key] is asked for on every call, so a key the platform cannot give (missing, invalidated) is a failure of that
 * call. [isLocked] tells the platform's "not now, the phone is locked" exceptions apart (they become
 * [SecretStoreException.Locked], which means "try later", never "no key"). Messages never carry key material.
 */
class KeystoreSecretStore(
    private val key: () -> SecretKey,
    private val isLocked: (Exception) -> Boolean = { false },
) : SecretStore {
    override fun seal(secret: ByteArray): ByteArray = guarded("seal") {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, key())
        val iv = cipher.iv
        if (iv == null || iv.size != IV_BYTES) throw SecretStoreException.Failed("the cipher gave no 12-byte IV")
        iv + cipher.doFinal(secret)
    }

    override fun unseal(sealed: ByteArray): ByteArray = guarded("unseal") {
        if (sealed.size <= IV_BYTES + TAG_BYTES) throw SecretStoreException.Failed("the sealed key is too short")
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, key(), GCMParameterSpec(TAG_BYTES * 8, sealed, 0, IV_BYTES))
        cipher.doFinal(sealed, IV_BYTES, sealed.size - IV_BYTES)
    }

    /** Every failure as the declared error: the class of a platform exception says what failed, not its data. */
    private inline fun guarded(what: String, block: () -> ByteArray): ByteArray =
        try {
            block()
        } catch (e: SecretStoreException) {
            throw e
        } catch (e: Exception) {
            if (isLocked(e)) throw SecretStoreException.Locked()
            throw SecretStoreException.Failed("$what: ${e.javaClass.simpleName}")
        }

    private companion object {
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val IV_BYTES = 12
        const val TAG_BYTES = 16
    }
}
