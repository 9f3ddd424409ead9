// The notification feed against the real core: Amy's messages notify Betty's phone, reading on Betty's laptop (another
// of her devices) takes the notification off the phone, and the conversation open in the foreground is not notified
// (the core decides; the feed tells it what is on screen).
package chat.clearchat.app.notify

import chat.clearchat.app.await
import chat.clearchat.core.ClearchatClient
import chat.clearchat.core.Harness
import chat.clearchat.core.Redeemed
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class NotificationFeedTest {
    private val h = Harness()

    @AfterEach
    fun tearDown() = h.close()

    private suspend fun buddyId(c: ClearchatClient, name: String): String {
        val deadline = System.nanoTime() + 60_000_000_000
        while (System.nanoTime() < deadline) {
            c.buddies().firstOrNull { it.name == name }?.let { return it.id }
            delay(20)
        }
        throw AssertionError("$name never became a buddy")
    }

    @Test
    fun readOnAnotherOfMyDevicesCancelsTheNotification() = runBlocking {
        val laptop = h.open("betty-laptop").also { it.setPersonName("Betty") }
        val phone = h.open("betty-phone")
        assertTrue(phone.redeem(laptop.createLinkInvite().uri) is Redeemed.Linked)
        val amy = h.open("amy").also { it.setPersonName("Amy") }
        amy.redeem(laptop.createBuddyInvite("").uri)
        val bettyAtAmy = buddyId(amy, "Betty")
        val amyAtPhone = buddyId(phone, "Amy")
        val amyAtLaptop = buddyId(laptop, "Amy")

        val rendered = MutableStateFlow<List<NotificationChange>>(emptyList())
        val subscribed = CompletableDeferred<Unit>()
        val feed = NotificationFeed(phone, h.scope, onSubscribed = { subscribed.complete(Unit) }) { changes ->
            rendered.update { it + changes }
        }
        withTimeout(10_000) { subscribed.await() }
        feed.setForeground(false)

        amy.send(bettyAtAmy, "lunch?")
        amy.send(bettyAtAmy, "12:30")
        val shown = rendered.await("two lines on the phone", 60) { list ->
            list.filterIsInstance<NotificationChange.Show>().lastOrNull()?.conversation?.messages?.size == 2
        }.filterIsInstance<NotificationChange.Show>().last().conversation
        assertEquals(amyAtPhone, shown.buddyId)
        assertEquals("Amy", shown.buddyName)
        assertEquals(listOf("lunch?", "12:30"), shown.messages.map { it.text })
        assertTrue(shown.alert)
        assertEquals(NotificationChange.Summary(1, 2), rendered.value.last())

        // Betty reads on her laptop: the Read entry reaches the phone, whose notification goes.
        laptop.markRead(amyAtLaptop, null)
        rendered.await("cancelled on the phone", 60) { NotificationChange.Cancel(amyAtPhone) in it }
        assertEquals(NotificationChange.CancelSummary, rendered.value.last())

        feed.close()
    }

    @Test
    fun theConversationOpenInTheForegroundIsNotNotified() = runBlocking {
        val betty = h.open("betty").also { it.setPersonName("Betty") }
        val amy = h.open("amy").also { it.setPersonName("Amy") }
        amy.redeem(betty.createBuddyInvite("").uri)
        val bettyAtAmy = buddyId(amy, "Betty")
        val amyAtBetty = buddyId(betty, "Amy")
        val rendered = MutableStateFlow<List<NotificationChange>>(emptyList())
        val subscribed = CompletableDeferred<Unit>()
        val feed = NotificationFeed(betty, h.scope, onSubscribed = { subscribed.complete(Unit) }) { changes ->
            rendered.update { it + changes }
        }
        withTimeout(10_000) { subscribed.await() }
        // The conversation is open, in the foreground, with its window (the screen's view model holds one).
        val window = betty.timeline(amyAtBetty, 20u)
        feed.setForeground(true)
        feed.setVisibleConversation(amyAtBetty)
        amy.send(bettyAtAmy, "seen at once")
        // Read on screen: Amy sees it read; nothing was shown at Betty's.
        val deadline = System.nanoTime() + 60_000_000_000
        while (amy.conversation(bettyAtAmy, null, 1u).singleOrNull()?.state != chat.clearchat.core.MessageState.READ) {
            assertTrue(System.nanoTime() < deadline, "read on screen")
            delay(20)
        }
        assertTrue(rendered.value.none { it is NotificationChange.Show }, "${rendered.value}")

        // In the background the next one is notified.
        feed.setForeground(false)
        amy.send(bettyAtAmy, "later")
        val shown = rendered.await("notified in the background", 60) { l -> l.any { it is NotificationChange.Show } }
        assertEquals(listOf("later"), shown.filterIsInstance<NotificationChange.Show>().last().conversation.messages.map { it.text })
        window.close()
        feed.close()
    }
}
