// What the Android conversation screen relies on: a ConversationViewModel marks read only while `visible` (set from
// the lifecycle's resume, cleared on pause), so a conversation left open in the background marks nothing read.
package chat.clearchat.app

import chat.clearchat.core.Harness
import chat.clearchat.core.MessageState
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

class VisibilityTest {
    private val h = Harness()

    @AfterEach
    fun tearDown() = h.close()

    @Test
    fun onlyAVisibleConversationMarksRead() = runBlocking {
        val amy = h.open("amy").also { it.setPersonName("Amy") }
        val betty = h.open("betty").also { it.setPersonName("Betty") }
        betty.redeem(amy.createBuddyInvite("").uri)
        val amyAtBetty = betty.buddies().single().id
        val bettyAtAmy = BuddiesViewModel(amy, h.scope).state.await("Betty at Amy", 60) { it.buddies.size == 1 }.buddies[0].id
        val amySide = ConversationViewModel(amy, h.scope, bettyAtAmy)
        val bettySide = ConversationViewModel(betty, h.scope, amyAtBetty)
        bettySide.state.await("loaded") { !it.loading }

        // Betty's conversation is composed but paused (in the background): Amy's message arrives, stays unread.
        amy.send(bettyAtAmy, "one")
        bettySide.state.await("one at Betty", 60) { s -> s.messages.any { it.text == "one" } }
        assertEquals(1uL, betty.buddies().single().unread)

        // Resumed: read, and Amy sees it.
        bettySide.visible = true
        amySide.state.await("one read", 60) { s -> s.messages.any { it.text == "one" && it.state == MessageState.READ } }
        assertEquals(0uL, betty.buddies().single().unread)

        // Paused again: the next message is not marked read.
        bettySide.visible = false
        amy.send(bettyAtAmy, "two")
        bettySide.state.await("two at Betty", 60) { s -> s.messages.any { it.text == "two" } }
        assertEquals(1uL, betty.buddies().single().unread)
        val two = amySide.state.await("two delivered", 60) { s -> s.messages.any { it.text == "two" && it.state == MessageState.DELIVERED } }
        assertEquals(MessageState.DELIVERED, two.messages.last().state)
    }
}
