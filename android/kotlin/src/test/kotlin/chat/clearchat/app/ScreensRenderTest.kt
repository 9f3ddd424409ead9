// Renders every screen with real core data to PNG (Compose desktop + Skia), into target/screens/, so a person can
// look at them: onboarding's steps, buddies, conversation (with an older page, states, a failed send), add buddy,
// the scanner's paste fallback with a real error, my devices with the unlink confirmation.
package chat.clearchat.app

import chat.clearchat.app.ui.AddBuddyScreen
import chat.clearchat.app.ui.BuddiesScreen
import chat.clearchat.app.ui.ConversationScreen
import chat.clearchat.app.ui.DevicesContent
import chat.clearchat.app.ui.OnboardingContent
import chat.clearchat.app.ui.PasteCodeContent
import chat.clearchat.core.ClearchatClient
import chat.clearchat.core.MessageState
import androidx.compose.runtime.Composable
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import com.google.zxing.BinaryBitmap
import com.google.zxing.DecodeHintType
import com.google.zxing.RGBLuminanceSource
import com.google.zxing.common.HybridBinarizer
import com.google.zxing.qrcode.QRCodeReader
import org.junit.jupiter.api.Assertions.assertEquals
import javax.imageio.ImageIO
import java.nio.file.Path
import java.time.ZoneOffset

class ScreensRenderTest {
    @TempDir
    lateinit var dir: Path
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val clients = mutableListOf<ClearchatClient>()

    @AfterEach
    fun tearDown() {
        scope.cancel()
        clients.forEach { it.close() }
    }

    private suspend fun person(name: String): ClearchatClient =
        ClearchatClient.openLoopback(dir.resolve(name).toString(), "$name-phone").also {
            clients += it
            it.start()
            it.setPersonName(name)
        }

    private fun png(name: String, content: @Composable () -> Unit): Path = Renders.png(name, content = content)

    @Test
    fun renderScreensWithRealData() = runBlocking {
        val amy = person("Amy")
        val betty = person("Betty")
        val carol = person("Carol")

        val amyAdd = AddBuddyViewModel(amy, scope, label = "friends")
        val code = amyAdd.state.await("Amy's code") { it.code != null }.code!!
        for (who in listOf(betty, carol)) {
            val r = RedeemViewModel(who, scope, initialCode = if (who === betty) code.uri else null)
            if (who === carol) r.scanned(AddBuddyViewModel(amy, scope).state.await("2nd code") { it.code != null }.code!!.text)
            r.state.await("redeem", 60) { it.result != null || it.error != null }.also { assertTrue(it.error == null, it.error) }
        }
        val amyBuddies = BuddiesViewModel(amy, scope)
        val rows = amyBuddies.state.await("two buddies") { it.buddies.size == 2 }.buddies
        val bettyId = rows.first { it.name == "Betty" }.id
        val amyIdAtBetty = BuddiesViewModel(betty, scope).state.await("Amy at Betty") { it.buddies.size == 1 }.buddies[0].id

        val amyChat = ConversationViewModel(amy, scope, bettyId)
        val bettyChat = ConversationViewModel(betty, scope, amyIdAtBetty)
        amyChat.state.await("loaded") { !it.loading }
        amyChat.setDraft("Hi Betty! Lunch tomorrow?"); amyChat.send()
        bettyChat.state.await("at Betty") { it.messages.size == 1 }
        bettyChat.visible = true
        amyChat.state.await("read") { it.readMarker != null }
        bettyChat.setDraft("Yes! 12:30 at the usual place?"); bettyChat.send()
        amyChat.state.await("answer") { it.messages.size == 2 }
        amyChat.setDraft("Perfect, see you there"); amyChat.send()
        amyChat.state.await("third") { s -> s.messages.size == 3 && s.messages.last().state != MessageState.PENDING }
        amyChat.setDraft("Bring the photos")

        val buddies = amyBuddies.state.await("Betty's answer in the list") { s -> s.buddies.any { it.unread > 0 || it.lastFromMe } }
        val utc = ZoneOffset.UTC
        png("buddies") { BuddiesScreen(buddies, zone = utc) }
        png("conversation") { ConversationScreen(amyChat.state.value, zone = utc) }
        Renders.png("conversation-dark", dark = true) { ConversationScreen(amyChat.state.value, zone = utc) }
        val qrPng = png("add-buddy") { AddBuddyScreen(amyAdd.state.value) }
        // A scanner reads the drawn QR code back as the invite URI.
        val img = ImageIO.read(qrPng.toFile())
        val pixels = img.getRGB(0, 0, img.width, img.height, null, 0, img.width)
        val bitmap = BinaryBitmap(HybridBinarizer(RGBLuminanceSource(img.width, img.height, pixels)))
        val decoded = QRCodeReader().decode(bitmap, mapOf(DecodeHintType.TRY_HARDER to true)).text
        assertEquals(amyAdd.state.value.code!!.uri, decoded)

        // A conversation longer than its window: the newest at the bottom, "Earlier messages" above, a failed send.
        repeat(8) { bettyChat.setDraft("Photo $it is coming"); bettyChat.send(); bettyChat.state.await("sent $it") { s -> !s.sending } }
        amyChat.state.await("the photos at Amy's", 60) { s -> s.messages.size == 11 }
        val paged = ConversationViewModel(amy, scope, bettyId, pageSize = 6u)
        paged.state.await("a window of 6 with older ones", 60) { s -> s.messages.size == 6 && s.hasOlder && s.messages.last().text == "Photo 7 is coming" }
        paged.loadOlder()
        // 11 in all: the older page holds the 5 before the window, and nothing older remains.
        paged.state.await("an older page in", 60) { s -> s.messages.size == 11 && !s.loadingOlder && !s.hasOlder }
        png("conversation-paged") { ConversationScreen(paged.state.value, zone = utc) }

        // A send that fails (Carol removed Amy meanwhile): kept as "Not sent" with Retry; a retry fails the same way.
        val amyAtCarol = BuddiesViewModel(carol, scope).state.await("Amy at Carol") { it.buddies.size == 1 }.buddies[0].id
        val carolChat = ConversationViewModel(carol, scope, amyAtCarol)
        carolChat.state.await("loaded") { !it.loading }
        carol.removeBuddy(amyAtCarol)
        carolChat.setDraft("Are you there?"); carolChat.send()
        val failed = carolChat.state.await("not sent", 60) { it.failed != null && !it.sending }
        assertEquals("Are you there?", failed.failed)
        png("conversation-failed") { ConversationScreen(failed, zone = utc) }
        carolChat.retry()
        carolChat.state.await("retried, not sent again", 60) { !it.sending && it.failed == "Are you there?" }

        // The scanner's fallback, after a mangled code: the core's typed error in plain words.
        val scan = RedeemViewModel(carol, scope)
        scan.setInput("CLEARCHAT:not-a-code"); scan.submit()
        val refused = scan.state.await("the mangled code refused", 60) { it.error != null }
        png("scan-fallback") { PasteCodeContent(refused, "Scan a code", camera = { androidx.compose.material3.Text("No camera here: paste the code below instead.") }) }

        // My devices: Amy links a tablet; the list shows both, then asks before unlinking it.
        val tablet = ClearchatClient.openLoopback(dir.resolve("Amy-tablet").toString(), "Amy tablet").also { clients += it }
        tablet.redeem(amy.createLinkInvite().code)
        val devices = DevicesViewModel(amy, scope)
        val two = devices.state.await("two devices", 60) { it.devices.size == 2 }
        png("devices") { DevicesContent(two) }
        devices.askUnlink(two.devices.first { !it.thisDevice }.id)
        png("devices-unlink") { DevicesContent(devices.state.value) }

        // Onboarding on a new device: its name, then the choice, then the person's name.
        val onboarding = OnboardingViewModel(scope, suggestedDeviceName = "Dan phone") { name ->
            ClearchatClient.openLoopback(dir.resolve("Dan").toString(), name).also { clients += it; it.start() }
        }
        png("onboarding-device") { OnboardingContent(onboarding.state.value) }
        onboarding.submitDeviceName()
        val choose = onboarding.state.await("the choice", 60) { it.step == OnboardingStep.CHOOSE }
        png("onboarding-choose") { OnboardingContent(choose) }
        onboarding.chooseNewPerson()
        onboarding.setPersonName("Dan")
        png("onboarding-name") { OnboardingContent(onboarding.state.value) }
        Unit
    }
}
