// Drives the app's view models of three devices (Amy's laptop and phone, Betty's laptop) against the real core:
// linking the phone, adding a buddy, a live conversation with delivery states, read markers and unread counts.
package chat.clearchat.app

import chat.clearchat.core.ClearchatClient
import chat.clearchat.core.InvitePurpose
import chat.clearchat.core.MessageState
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/** Waits (up to a deadline, never a fixed sleep) for a state that satisfies [ok]. */
suspend fun <T> StateFlow<T>.await(what: String, seconds: Long = 30, ok: (T) -> Boolean): T =
    try {
        withTimeout(seconds * 1000) { first(ok) }
    } catch (e: Exception) {
        throw AssertionError("timed out waiting for $what; last state: $value", e)
    }

class TwoPeopleTest {
    @TempDir
    lateinit var dir: Path
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val clients = mutableListOf<ClearchatClient>()

    private suspend fun open(name: String, sub: String): ClearchatClient =
        ClearchatClient.openLoopback(dir.resolve(sub).toString(), name).also { clients += it; it.start() }

    @AfterEach
    fun tearDown() {
        scope.cancel()
        runBlocking { clients.forEach { runCatching { it.stop() } } }
        clients.forEach { it.close() }
    }

    @Test
    fun linkAddBuddyAndChat() = runBlocking {
        // Amy's laptop exists already and shows a link code.
        val laptop = open("amy-laptop", "laptop")
        laptop.setPersonName("Amy")
        val linkCode = AddBuddyViewModel(laptop, scope, InvitePurpose.LINK)
        val linkInvite = linkCode.state.await("link code") { it.code != null }.code!!

        // Amy's phone, first run: device name, "link to my laptop", paste the code.
        val phoneOnboarding = OnboardingViewModel(scope, suggestedDeviceName = "") { name -> open(name, "phone") }
        phoneOnboarding.submitDeviceName()
        assertEquals("Enter a name.", phoneOnboarding.state.value.deviceNameError)
        phoneOnboarding.setDeviceName("Amy's phone")
        phoneOnboarding.submitDeviceName()
        phoneOnboarding.state.await("choice step") { it.step == OnboardingStep.CHOOSE }
        phoneOnboarding.chooseLink()
        val phoneRedeem = phoneOnboarding.redeem!!
        phoneRedeem.setInput(linkInvite.text.lowercase())
        phoneRedeem.submit()
        val done = phoneOnboarding.state.await("linked", 60) { it.step == OnboardingStep.DONE }
        assertEquals("Amy", done.linkedTo)
        val phone = phoneOnboarding.client!!
        linkCode.state.await("laptop sees the phone") { "Amy's phone" in it.joined }

        // Both of Amy's devices list each other.
        val phoneDevices = DevicesViewModel(phone, scope)
        phoneDevices.state.await("two devices on the phone") { it.devices.size == 2 }
        val laptopDevices = DevicesViewModel(laptop, scope).state.await("two devices on the laptop") { it.devices.size == 2 }
        assertEquals("amy-laptop", laptopDevices.devices.first().name)
        assertTrue(laptopDevices.devices.first().thisDevice)

        // Betty starts as a new person.
        val bettyOnboarding = OnboardingViewModel(scope, "betty-laptop") { name -> open(name, "betty") }
        bettyOnboarding.submitDeviceName()
        bettyOnboarding.state.await("betty choice") { it.step == OnboardingStep.CHOOSE }
        bettyOnboarding.chooseNewPerson()
        bettyOnboarding.setPersonName("Betty")
        bettyOnboarding.submitPersonName()
        bettyOnboarding.state.await("betty done") { it.step == OnboardingStep.DONE }
        val betty = bettyOnboarding.client!!

        // Amy shows her buddy code on the phone; Betty pastes it.
        val addBuddy = AddBuddyViewModel(phone, scope)
        val code = addBuddy.state.await("buddy code") { it.code != null }.code!!
        assertTrue(code.uri.startsWith("CLEARCHAT:"))
        assertTrue(code.qr.width >= 21)
        assertTrue(code.text in code.shareText)
        val bettyRedeem = RedeemViewModel(betty, scope)
        bettyRedeem.setInput(code.text)
        bettyRedeem.submit()
        val redeemed = bettyRedeem.state.await("betty redeemed", 60) { it.result != null || it.error != null }
        assertNull(redeemed.error)
        val added = redeemed.result as RedeemResult.BuddyAdded
        assertEquals("Amy", added.name)
        addBuddy.state.await("phone sees Betty join") { "Betty" in it.joined }

        // Buddy lists on all three devices.
        val phoneBuddies = BuddiesViewModel(phone, scope)
        val laptopBuddies = BuddiesViewModel(laptop, scope)
        val bettyBuddies = BuddiesViewModel(betty, scope)
        val bettyRow = phoneBuddies.state.await("Betty on the phone") { s -> s.buddies.any { it.name == "Betty" } }
            .buddies.first { it.name == "Betty" }
        laptopBuddies.state.await("Betty on the laptop", 60) { s -> s.buddies.any { it.name == "Betty" } }
        val amyRow = bettyBuddies.state.await("Amy at Betty's") { s -> s.buddies.any { it.name == "Amy" } }
            .buddies.first { it.name == "Amy" }
        assertEquals(added.buddyId, amyRow.id)

        // Amy writes from her phone; Betty's conversation is open but not on screen.
        val amyChat = ConversationViewModel(phone, scope, bettyRow.id)
        val bettyChat = ConversationViewModel(betty, scope, amyRow.id)
        amyChat.state.await("Amy's chat loaded") { !it.loading && it.buddyName == "Betty" }
        amyChat.send()
        assertEquals("Write something first.", amyChat.state.value.draftError)
        amyChat.setDraft("Hi Betty! Lunch tomorrow?")
        amyChat.send()
        val sent = amyChat.state.await("my message listed") { s -> s.messages.any { it.fromMe } && s.draft.isEmpty() }
        val mine = sent.messages.first { it.fromMe }
        assertEquals("Hi Betty! Lunch tomorrow?", mine.text)

        bettyChat.state.await("message arrives at Betty") { s -> s.messages.any { it.id == mine.id && !it.fromMe } }
        bettyBuddies.state.await("unread count 1 at Betty") { s -> s.buddies.any { it.id == amyRow.id && it.unread == 1 } }
        val bettyRowNow = bettyBuddies.state.value.buddies.first { it.id == amyRow.id }
        assertEquals("Hi Betty! Lunch tomorrow?", bettyRowNow.lastText)
        assertEquals(false, bettyRowNow.lastFromMe)
        amyChat.state.await("delivered") { s ->
            s.messages.first { it.id == mine.id }.state.let { it == MessageState.DELIVERED || it == MessageState.READ }
        }
        // Amy's laptop shows the message she wrote on her phone.
        ConversationViewModel(laptop, scope, bettyRow.id).state.await("laptop has Amy's message", 60) { s ->
            s.messages.any { it.id == mine.id && it.fromMe }
        }

        // Betty opens the conversation: it is marked read, Amy sees the read marker.
        bettyChat.visible = true
        bettyBuddies.state.await("unread count 0 at Betty") { s -> s.buddies.any { it.id == amyRow.id && it.unread == 0 } }
        val read = amyChat.state.await("read marker at Amy") { it.readMarker == mine.id }
        assertEquals("Read", read.messages.first { it.id == mine.id }.stateLabel)

        // Betty answers; it appears live at Amy's, who has the conversation on screen, so it counts as read.
        amyChat.visible = true
        bettyChat.setDraft("Yes! 12:30?")
        bettyChat.send()
        amyChat.state.await("answer at Amy") { s -> s.messages.any { !it.fromMe && it.text == "Yes! 12:30?" } }
        phoneBuddies.state.await("nothing unread on the phone") { s ->
            s.buddies.any { it.id == bettyRow.id && it.unread == 0 && it.lastText == "Yes! 12:30?" }
        }
        Unit
    }
}
