// Which message notifications are up and how they read: a pure model fed by the core's notification decisions. It
// hands the host changes to render (one MessagingStyle notification per conversation, a group summary, cancels).
package chat.clearchat.app.notify

/** One line of a conversation's notification; [fromMe] lines are my replies (sent from the notification or elsewhere). */
data class NotifiedMessage(val id: String, val text: String, val atMs: Long, val fromMe: Boolean)

data class ConversationNotification(
    val buddyId: String,
    val buddyName: String,
    /** Oldest first; at most the model's limit (Android's MessagingStyle keeps 25). */
    val messages: List<NotifiedMessage>,
    /** Sound and vibration for this update (a new message from the buddy); false for silent updates. */
    val alert: Boolean,
) {
    val unread: Int get() = messages.count { !it.fromMe }
}

sealed interface NotificationChange {
    /** Post or replace the conversation's notification. */
    data class Show(val conversation: ConversationNotification) : NotificationChange
    data class Cancel(val buddyId: String) : NotificationChange
    /** The group summary that bundles the conversations: [conversations] notifications, [unread] messages. */
    data class Summary(val conversations: Int, val unread: Int) : NotificationChange
    data object CancelSummary : NotificationChange
    /** The buddy is gone: drop what the host keeps for the conversation (its shortcut). */
    data class Forget(val buddyId: String) : NotificationChange
}

/** What the model is told, in its own terms: the adapter from the core's decisions is [fromCore]. */
sealed interface NotificationInput {
    /** The core decided these messages from a buddy deserve a notification (oldest first). */
    data class Show(val buddyId: String, val buddyName: String, val messages: List<NotifiedMessage>) : NotificationInput

    /** My reply, sent from the notification: shown in it, silently (the core never notifies my own messages). */
    data class Replied(val buddyId: String, val message: NotifiedMessage) : NotificationInput

    /** The core decided the notification goes: read on one of my devices, or the buddy [removed]. */
    data class Cancel(val buddyId: String, val removed: Boolean) : NotificationInput
}

/**
 * What is up, and how it is drawn. What deserves a notification is the core's decision (never my own messages,
 * never the conversation open in the foreground, never a removed buddy; a read on any of my devices cancels): this
 * model only keeps each conversation's lines (the newest [maxMessages], no repeats), appends my replies from the
 * notification silently, keeps the group summary, and drops a removed buddy's shortcut.
 */
class NotificationModel(private val maxMessages: Int = 25) {
    private val shown = LinkedHashMap<String, ConversationNotification>()

    /** The notifications that should be up now, by buddy id. */
    val current: Map<String, ConversationNotification> get() = shown.toMap()

    fun handle(input: NotificationInput): List<NotificationChange> = when (input) {
        is NotificationInput.Show -> show(input)
        is NotificationInput.Replied -> replied(input)
        is NotificationInput.Cancel ->
            cancel(input.buddyId) + if (input.removed) listOf(NotificationChange.Forget(input.buddyId)) else emptyList()
    }

    private fun show(s: NotificationInput.Show): List<NotificationChange> {
        val existing = shown[s.buddyId]?.messages ?: emptyList()
        val fresh = s.messages.filter { m -> existing.none { it.id == m.id } }
        if (fresh.isEmpty()) return emptyList()
        val next = ConversationNotification(s.buddyId, s.buddyName, (existing + fresh).takeLast(maxMessages), alert = true)
        shown[s.buddyId] = next
        return listOf(NotificationChange.Show(next), summary())
    }

    private fun replied(r: NotificationInput.Replied): List<NotificationChange> {
        // Nothing up: my reply alone is no notification.
        val existing = shown[r.buddyId] ?: return emptyList()
        if (existing.messages.any { it.id == r.message.id }) return emptyList()
        val next = existing.copy(messages = (existing.messages + r.message.copy(fromMe = true)).takeLast(maxMessages), alert = false)
        shown[r.buddyId] = next
        return listOf(NotificationChange.Show(next), summary())
    }

    /** A cancel is given even for a conversation the model does not hold (an earlier process may have posted it). */
    private fun cancel(buddyId: String): List<NotificationChange> {
        shown.remove(buddyId)
        return listOf(NotificationChange.Cancel(buddyId), summary())
    }

    private fun summary(): NotificationChange =
        if (shown.isEmpty()) NotificationChange.CancelSummary
        else NotificationChange.Summary(shown.size, shown.values.sumOf { it.unread })
}
