// Which message notifications should be up: a pure model fed by the core's events and by what the person sees. It
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

/** What the model is told, in its own terms: the adapter from the bindings' events is [fromEvent]. */
sealed interface NotificationInput {
    data class Message(
        val buddyId: String,
        val buddyName: String,
        val id: String,
        val text: String,
        val atMs: Long,
        val fromMe: Boolean,
    ) : NotificationInput

    /** I read the conversation up to [upTo], on this device or any other of mine. */
    data class ReadByMe(val buddyId: String, val upTo: String) : NotificationInput
    data class BuddyRemoved(val buddyId: String) : NotificationInput
}

/**
 * Rules: a message from a buddy is notified unless its conversation is on screen; my own messages never alert,
 * they are only appended (silently) to a notification that is up, so a reply from the notification shows there;
 * reading on any of my devices takes the read messages out, and the notification goes when nothing unread is left;
 * opening the conversation or removing the buddy cancels it. A cancel is given even for a conversation the model
 * does not hold: a notification posted by an earlier process (the app was killed, then started for a notification
 * action) must go too, and cancelling is harmless when there is none.
 */
class NotificationModel(private val maxMessages: Int = 25) {
    private val shown = LinkedHashMap<String, ConversationNotification>()
    private var foreground = false
    private var visible: String? = null

    /** The notifications that should be up now, by buddy id. */
    val current: Map<String, ConversationNotification> get() = shown.toMap()

    fun setForeground(on: Boolean): List<NotificationChange> {
        foreground = on
        return cancelOnScreen()
    }

    /** The conversation on screen (null: none). It counts only while the app is in the foreground. */
    fun setVisibleConversation(buddyId: String?): List<NotificationChange> {
        visible = buddyId
        return cancelOnScreen()
    }

    fun handle(input: NotificationInput): List<NotificationChange> = when (input) {
        is NotificationInput.Message -> message(input)
        is NotificationInput.ReadByMe -> read(input.buddyId, input.upTo)
        is NotificationInput.BuddyRemoved -> cancel(input.buddyId) + NotificationChange.Forget(input.buddyId)
    }

    private fun onScreen(buddyId: String) = foreground && visible == buddyId

    private fun message(m: NotificationInput.Message): List<NotificationChange> {
        val existing = shown[m.buddyId]
        if (m.fromMe && existing == null) return cancel(m.buddyId) // I wrote there: nothing of it is unread
        if (!m.fromMe && onScreen(m.buddyId)) return emptyList()
        if (existing != null && existing.messages.any { it.id == m.id }) return emptyList()
        val line = NotifiedMessage(m.id, m.text, m.atMs, m.fromMe)
        val next = ConversationNotification(
            buddyId = m.buddyId,
            buddyName = if (m.fromMe) existing!!.buddyName else m.buddyName,
            messages = ((existing?.messages ?: emptyList()) + line).takeLast(maxMessages),
            alert = !m.fromMe,
        )
        shown[m.buddyId] = next
        return listOf(NotificationChange.Show(next), summary())
    }

    private fun read(buddyId: String, upTo: String): List<NotificationChange> {
        val existing = shown[buddyId] ?: return cancel(buddyId)
        val at = existing.messages.indexOfFirst { it.id == upTo }
        // A marker on a message that is not in the notification is on a newer one (or one read on screen):
        // everything shown is read then.
        val left = if (at < 0) emptyList() else existing.messages.drop(at + 1)
        if (left.none { !it.fromMe }) return cancel(buddyId)
        val next = existing.copy(messages = left, alert = false)
        shown[buddyId] = next
        return listOf(NotificationChange.Show(next), summary())
    }

    private fun cancel(buddyId: String): List<NotificationChange> {
        shown.remove(buddyId)
        return listOf(NotificationChange.Cancel(buddyId), summary())
    }

    private fun cancelOnScreen(): List<NotificationChange> {
        val on = visible ?: return emptyList()
        return if (foreground) cancel(on) else emptyList()
    }

    private fun summary(): NotificationChange =
        if (shown.isEmpty()) NotificationChange.CancelSummary
        else NotificationChange.Summary(shown.size, shown.values.sumOf { it.unread })
}
