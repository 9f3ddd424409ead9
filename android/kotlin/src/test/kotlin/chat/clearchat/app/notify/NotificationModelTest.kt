// The notification model alone: what is notified, grouped, appended, and cancelled when read on any of my devices.
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

    private fun from(buddy: String, id: String, text: String = "text $id") =
        model.handle(NotificationInput.Message(buddy, buddy.uppercase(), id, text, clock++, fromMe = false))

    private fun mine(buddy: String, id: String) =
        model.handle(NotificationInput.Message(buddy, "Me", id, "reply $id", clock++, fromMe = true))

    private fun Show.ids() = conversation.messages.map { it.id }

    @Test
    fun aMessageShowsItsConversationWithTheGroupSummary() {
        val changes = from("amy", "m1", "hi")
        val show = changes[0] as Show
        assertEquals("AMY", show.conversation.buddyName)
        assertEquals(listOf("hi"), show.conversation.messages.map { it.text })
        assertTrue(show.conversation.alert)
        assertEquals(Summary(conversations = 1, unread = 1), changes[1])
        from("betty", "n1")
        assertEquals(Summary(conversations = 2, unread = 3), from("amy", "m2")[1])
    }

    @Test
    fun keepsTheNewestMessagesAndIgnoresRepeats() {
        listOf("m1", "m2", "m3", "m4").forEach { from("amy", it) }
        assertEquals(listOf("m2", "m3", "m4"), model.current.getValue("amy").messages.map { it.id })
        assertEquals(emptyList<NotificationChange>(), from("amy", "m4"), "the same message again")
    }

    @Test
    fun theOpenConversationIsNotNotifiedAndOpeningOneCancelsIt() {
        model.setForeground(true)
        model.setVisibleConversation("amy")
        assertEquals(emptyList<NotificationChange>(), from("amy", "m1"))
        assertEquals(Show::class, from("betty", "n1")[0]::class, "another conversation is")
        assertEquals(listOf(Cancel("betty"), CancelSummary), model.setVisibleConversation("betty"))
    }

    @Test
    fun aConversationLeftOpenInTheBackgroundIsNotified() {
        model.setForeground(true)
        model.setVisibleConversation("amy")
        model.setForeground(false)
        assertEquals(Show::class, from("amy", "m1")[0]::class)
        assertEquals(listOf(Cancel("amy"), CancelSummary), model.setForeground(true), "back on screen")
    }

    @Test
    fun myRepliesAreAppendedSilentlyAndNeverNotifyAlone() {
        // Nothing to append to: whatever an earlier process left for this conversation goes, since I wrote there.
        assertEquals(listOf(Cancel("amy"), CancelSummary), mine("amy", "r0"))
        from("amy", "m1")
        val show = mine("amy", "r1")[0] as Show
        assertEquals(listOf("m1", "r1"), show.ids())
        assertFalse(show.conversation.alert)
        assertTrue(show.conversation.messages.last().fromMe)
        assertEquals(1, show.conversation.unread)
    }

    @Test
    fun readingOnAnyOfMyDevicesTakesTheReadMessagesOut() {
        from("amy", "m1")
        from("amy", "m2")
        from("amy", "m3")
        val partial = model.handle(NotificationInput.ReadByMe("amy", "m2"))
        assertEquals(listOf("m3"), (partial[0] as Show).ids())
        assertFalse((partial[0] as Show).conversation.alert, "a read is silent")
        assertEquals(listOf(Cancel("amy"), CancelSummary), model.handle(NotificationInput.ReadByMe("amy", "m3")))
        // Read again, or read with no notification known (the process restarted): cancelled all the same, in case
        // an earlier process left one up.
        assertEquals(listOf(Cancel("amy"), CancelSummary), model.handle(NotificationInput.ReadByMe("amy", "m3")))
        from("betty", "n1")
        assertEquals(listOf(Cancel("zoe"), Summary(1, 1)), model.handle(NotificationInput.ReadByMe("zoe", "z1")))
    }

    @Test
    fun aReadMarkerBeyondTheNotificationCancelsItAndOnlyMyRepliesLeftCancelToo() {
        from("amy", "m1")
        mine("amy", "r1")
        assertEquals(listOf(Cancel("amy"), CancelSummary), model.handle(NotificationInput.ReadByMe("amy", "m1")))
        from("betty", "n1")
        from("amy", "m5")
        assertEquals(
            listOf(Cancel("amy"), Summary(conversations = 1, unread = 1)),
            model.handle(NotificationInput.ReadByMe("amy", "newer-than-any")),
        )
    }

    @Test
    fun removingABuddyCancelsItsNotification() {
        from("amy", "m1")
        val forget = NotificationChange.Forget("amy")
        assertEquals(listOf(Cancel("amy"), CancelSummary, forget), model.handle(NotificationInput.BuddyRemoved("amy")))
        assertEquals(listOf(Cancel("amy"), CancelSummary, forget), model.handle(NotificationInput.BuddyRemoved("amy")))
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
