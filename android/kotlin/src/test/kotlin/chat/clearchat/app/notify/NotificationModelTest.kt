// The notification model alone: how the core's decisions are drawn: grouped, capped, appended, cancelled, forgotten.
// (What deserves a notification is the core's policy, tested in core/src/lists/notify.rs.)
package chat.clearchat.app.notify

import chat.clearchat.app.notify.NotificationChange.Cancel
import chat.clearchat.app.notify.NotificationChange.CancelSummary
import chat.clearchat.app.notify.NotificationChange.Show
import chat.clearchat.app.notify.NotificationChange.Summary
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class NotificationModelTest {
    private val model = NotificationModel(maxMessages = 3)
    private var clock = 1_000L

    private fun line(id: String, text: String = "text $id", fromMe: Boolean = false) = NotifiedMessage(id, text, clock++, fromMe)

    private fun from(buddy: String, vararg ids: String) =
        model.handle(NotificationInput.Show(buddy, buddy.uppercase(), ids.map { line(it) }))

    private fun mine(buddy: String, id: String) = model.handle(NotificationInput.Replied(buddy, line(id, "reply $id")))

    private fun Show.ids() = conversation.messages.map { it.id }

    @Test
    fun aDecisionShowsItsConversationWithTheGroupSummary() {
        val changes = from("amy", "m1")
        val show = changes[0] as Show
        assertEquals("AMY", show.conversation.buddyName)
        assertEquals(listOf("text m1"), show.conversation.messages.map { it.text })
        assertTrue(show.conversation.alert)
        assertEquals(Summary(conversations = 1, unread = 1), changes[1])
        from("betty", "n1")
        assertEquals(Summary(conversations = 2, unread = 3), from("amy", "m2")[1])
    }

    @Test
    fun keepsTheNewestLinesAndIgnoresRepeats() {
        from("amy", "m1", "m2")
        from("amy", "m3", "m4")
        assertEquals(listOf("m2", "m3", "m4"), model.current.getValue("amy").messages.map { it.id })
        assertEquals(emptyList<NotificationChange>(), from("amy", "m4"), "a repeat changes nothing")
    }

    @Test
    fun myRepliesAreAppendedSilentlyAndNeverNotifyAlone() {
        assertEquals(emptyList<NotificationChange>(), mine("amy", "r0"), "nothing up: no notification of my own")
        from("amy", "m1")
        val show = mine("amy", "r1")[0] as Show
        assertEquals(listOf("m1", "r1"), show.ids())
        assertFalse(show.conversation.alert)
        assertTrue(show.conversation.messages.last().fromMe)
        assertEquals(1, show.conversation.unread)
    }

    @Test
    fun aCancelTakesTheNotificationDownEvenOneThisProcessDidNotPost() {
        from("amy", "m1")
        from("betty", "n1")
        assertEquals(listOf(Cancel("amy"), Summary(1, 1)), model.handle(NotificationInput.Cancel("amy", removed = false)))
        assertEquals(listOf(Cancel("betty"), CancelSummary), model.handle(NotificationInput.Cancel("betty", removed = false)))
        assertEquals(listOf(Cancel("carol"), CancelSummary), model.handle(NotificationInput.Cancel("carol", removed = false)))
    }

    @Test
    fun removingABuddyCancelsAndForgetsItsConversation() {
        from("amy", "m1")
        val forget = NotificationChange.Forget("amy")
        assertEquals(listOf(Cancel("amy"), CancelSummary, forget), model.handle(NotificationInput.Cancel("amy", removed = true)))
        assertTrue(model.current.isEmpty())
    }

    @Test
    fun thePermissionIsAskedOnceWhenThereIsAReason() {
        val ask = NotificationPermissionRule::shouldAsk
        assertTrue(ask(33, false, false, true, true, false))
        assertTrue(ask(36, false, false, true, false, true), "stay reachable shows a notification")
        assertFalse(ask(32, false, false, true, true, false), "granted at install before Android 13")
        assertFalse(ask(36, true, false, true, true, false), "already granted")
        assertFalse(ask(36, false, true, true, true, false), "asked before")
        assertFalse(ask(36, false, false, false, true, false), "still onboarding")
        assertFalse(ask(36, false, false, true, false, false), "nothing to notify about yet")
    }
}
