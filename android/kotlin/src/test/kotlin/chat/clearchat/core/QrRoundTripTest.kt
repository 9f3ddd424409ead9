// The invite's QR modules, drawn to an image the way a shell would draw them, decode (ZXing) to the invite URI,
// and that text redeems on the other client.
package chat.clearchat.core

import com.google.zxing.BinaryBitmap
import com.google.zxing.DecodeHintType
import com.google.zxing.RGBLuminanceSource
import com.google.zxing.common.HybridBinarizer
import com.google.zxing.qrcode.QRCodeReader
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.awt.Color
import java.awt.image.BufferedImage

/** Draws [qr] with a 4-module quiet zone, [scale] pixels per module, dark on white. */
fun QrCode.toImage(scale: Int = 8, quiet: Int = 4): BufferedImage {
    val w = width.toInt()
    require(modules.size == w * w) { "modules ${modules.size} != $w*$w" }
    val side = (w + 2 * quiet) * scale
    val img = BufferedImage(side, side, BufferedImage.TYPE_INT_RGB)
    val g = img.createGraphics()
    g.color = Color.WHITE
    g.fillRect(0, 0, side, side)
    g.color = Color.BLACK
    for (y in 0 until w) for (x in 0 until w) {
        if (modules[y * w + x]) g.fillRect((x + quiet) * scale, (y + quiet) * scale, scale, scale)
    }
    g.dispose()
    return img
}

/** Decodes a QR code from [img] with ZXing core (no javase artifact needed: RGBLuminanceSource). */
fun decodeQr(img: BufferedImage): String {
    val px = img.getRGB(0, 0, img.width, img.height, null, 0, img.width)
    val bitmap = BinaryBitmap(HybridBinarizer(RGBLuminanceSource(img.width, img.height, px)))
    return QRCodeReader().decode(bitmap, mapOf(DecodeHintType.TRY_HARDER to true)).text
}

class QrRoundTripTest {
    private val h = Harness()

    @AfterEach
    fun tearDown() = h.close()

    @Test
    fun drawnModulesDecodeToTheUriWhichRedeems() = runBlocking {
        val amy = h.open("amy")
        amy.setPersonName("Amy")
        val betty = h.open("betty")
        betty.setPersonName("Betty")
        val invite = amy.createBuddyInvite("scanned")
        assertTrue(invite.qr.width >= 21u && (invite.qr.width.toInt() - 17) % 4 == 0, "QR width ${invite.qr.width}")

        val img = invite.qr.toImage()
        assertEquals((invite.qr.width.toInt() + 8) * 8, img.width)
        val text = decodeQr(img)
        assertEquals(invite.uri, text)

        val bettyEvents = Recorder(betty, h.scope).also { it.ready() }
        val redeemed = betty.redeem(text) as Redeemed.Buddy
        assertEquals("Amy", redeemed.name)
        // redeem() returns once Amy accepted; Amy lists as a buddy when the buddy space has synced.
        bettyEvents.await("Amy added at Betty's") { ev ->
            ev.any { it is Event.BuddyAdded && it.buddyId == redeemed.buddyId && it.name == "Amy" }
        }
        val buddies = betty.buddies()
        assertTrue(buddies.any { it.id == redeemed.buddyId && it.name == "Amy" }, "$redeemed / $buddies")
    }

    @Test
    fun linkInviteQrDecodesToo() = runBlocking {
        val amy = h.open("amy", start = false)
        amy.setPersonName("Amy")
        val link = amy.createLinkInvite()
        assertEquals(link.uri, decodeQr(link.qr.toImage(scale = 4)))
    }
}
