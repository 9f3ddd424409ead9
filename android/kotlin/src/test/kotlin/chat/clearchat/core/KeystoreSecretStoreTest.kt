// The device key sealed by KeystoreSecretStore, against the real library: the device reopens as itself, its secret
// is nowhere in the store's files, another key (another phone) gets the typed error and leaves the store openable
// by the right one, and whatever the store throws becomes a typed error, never a crash.
package chat.clearchat.core

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files
import java.nio.file.Path
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey

class KeystoreSecretStoreTest {
    private val harness = Harness()

    @AfterEach
    fun tearDown() = harness.close()

    private fun aesKey(): SecretKey = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()

    /** Remembers every secret that goes through [inner], so the test can look for it in the files. */
    private class Capturing(private val inner: SecretStore) : SecretStore {
        val secrets = mutableListOf<ByteArray>()
        override fun seal(secret: ByteArray): ByteArray = inner.seal(secret).also { secrets += secret.copyOf() }
        override fun unseal(sealed: ByteArray): ByteArray = inner.unseal(sealed).also { secrets += it.copyOf() }
    }

    /** Throws what no SecretStore declares (a bug, or a platform exception let through). */
    private class Throwing : SecretStore {
        override fun seal(secret: ByteArray): ByteArray = throw IllegalStateException("keystore service died")
        override fun unseal(sealed: ByteArray): ByteArray = throw IllegalStateException("keystore service died")
    }

    private fun open(dir: Path, store: SecretStore): ClearchatClient =
        ClearchatClient.openLoopbackWithSecretStore(dir.toString(), "phone", store)

    /** The store's files as they are on disk: the database and its write-ahead log. */
    private fun files(dir: Path): ByteArray =
        listOf("clearchat.db", "clearchat.db-wal").map { dir.resolve(it) }.filter { Files.exists(it) }
            .fold(ByteArray(0)) { all, f -> all + Files.readAllBytes(f) }

    private fun ByteArray.contains(needle: ByteArray): Boolean =
        (0..size - needle.size).any { at -> needle.indices.all { this[at + it] == needle[it] } }

    @Test
    fun `a device opened through the keystore reopens as itself and its key is nowhere in the files`() {
        val dir = harness.tempDir("sealed")
        val key = aesKey()
        val store = Capturing(KeystoreSecretStore({ key }))
        val id = open(dir, store).use { client ->
            runBlocking { client.setPersonName("Amy") }
            assertEquals(1, store.secrets.size)
            assertEquals(32, store.secrets[0].size)
            assertFalse(files(dir).contains(store.secrets[0]), "the key in the clear while open")
            client.me().deviceId
        }
        assertFalse(files(dir).contains(store.secrets[0]), "the key in the clear after close")
        open(dir, store).use { again ->
            assertEquals(id, again.me().deviceId)
            assertEquals("Amy", again.me().personName)
        }
        assertArrayEquals(store.secrets[0], store.secrets[1], "unsealed what was sealed")
    }

    @Test
    fun `another phone's key gets the typed error and the store still opens with the right one`() {
        val dir = harness.tempDir("copied")
        val mine = aesKey()
        val id = open(dir, KeystoreSecretStore({ mine })).use { it.me().deviceId }
        val before = Files.readAllBytes(dir.resolve("clearchat.db"))

        val elsewhere = assertThrows<ClearchatException.DeviceKeyUnavailable> {
            open(dir, KeystoreSecretStore({ aesKey() }))
        }
        assertTrue(elsewhere.description.contains("copied from another device"), elsewhere.description)
        // Opened without a keystore (as on a laptop): the same, and no new device is made over the store.
        assertThrows<ClearchatException.DeviceKeyUnavailable> {
            ClearchatClient.openLoopback(dir.toString(), "phone")
        }
        assertArrayEquals(before, Files.readAllBytes(dir.resolve("clearchat.db")), "the store is unchanged")

        open(dir, KeystoreSecretStore({ mine })).use { assertEquals(id, it.me().deviceId) }
    }

    @Test
    fun `an exception thrown by the store becomes the typed error`() {
        val dir = harness.tempDir("throwing")
        // Making a device: the key cannot be sealed, so there is no device (and nothing half-made).
        val notMade = assertThrows<ClearchatException.Storage> { open(dir, Throwing()) }
        assertTrue(notMade.reason.contains("IllegalStateException"), notMade.reason)

        val key = aesKey()
        val id = open(dir, KeystoreSecretStore({ key })).use { it.me().deviceId }
        assertThrows<ClearchatException.DeviceKeyUnavailable> { open(dir, Throwing()) }
        // The platform's key lookup failing, and its "the phone is locked" told apart.
        assertThrows<ClearchatException.DeviceKeyUnavailable> {
            open(dir, KeystoreSecretStore({ throw java.security.KeyStoreException("no such key") }))
        }
        val locked = KeystoreSecretStore({ throw IllegalStateException("locked") }, isLocked = { true })
        assertThrows<ClearchatException.KeystoreLocked> { open(dir, locked) }

        open(dir, KeystoreSecretStore({ key })).use { assertEquals(id, it.me().deviceId) }
    }

    @Test
    fun `the seal is AES-GCM with a fresh IV and refuses a changed byte`() {
        val key = aesKey()
        val store = KeystoreSecretStore({ key })
        val secret = ByteArray(32) { it.toByte() }
        val a = store.seal(secret)
        val b = store.seal(secret)
        assertEquals(12 + 32 + 16, a.size)
        assertFalse(a.contentEquals(b), "a fresh IV for every seal")
        assertArrayEquals(secret, store.unseal(a))
        val changed = a.copyOf().also { it[20] = (it[20].toInt() xor 1).toByte() }
        assertThrows<SecretStoreException.Failed> { store.unseal(changed) }
        assertThrows<SecretStoreException.Failed> { store.unseal(a.copyOf(20)) }
    }
}
