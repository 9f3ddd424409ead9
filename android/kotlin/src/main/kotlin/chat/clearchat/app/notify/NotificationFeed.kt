// Feeds the NotificationModel with the core's decisions (what deserves a notification, what goes) and tells the
// core what the person sees (foreground, the conversation on screen), on which those decisions depend. One
// coroutine owns the model and hands every change to the host's renderer.
package chat.clearchat.app.notify

import chat.clearchat.core.ClearchatClientInterface
import chat.clearchat.core.NotificationEvent
import chat.clearchat.core.notificationsFlow
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch

/** The one place that reads the bindings' notification decisions. */
fun fromCore(n: NotificationEvent): NotificationInput = when (n) {
    is NotificationEvent.Show -> NotificationInput.Show(
        n.buddyId,
        n.buddyName,
        n.messages.map { NotifiedMessage(it.id, it.text, it.sentAtMs.toLong(), it.fromMe) },
    )
    is NotificationEvent.Cancel -> NotificationInput.Cancel(n.buddyId, n.removed)
}

/**
 * [render] runs on the feed's coroutine, in order, with every change (on Android: NotificationManagerCompat calls,
 * which may be made from any thread). [onSubscribed] runs once the core's notifications are subscribed to.
 */
class NotificationFeed(
    private val client: ClearchatClientInterface,
    parent: CoroutineScope,
    private val model: NotificationModel = NotificationModel(),
    onSubscribed: () -> Unit = {},
    private val render: (List<NotificationChange>) -> Unit,
) : AutoCloseable {
    private val scope = CoroutineScope(parent.coroutineContext + SupervisorJob(parent.coroutineContext[Job]))
    private val inputs = Channel<NotificationInput>(Channel.UNLIMITED)

    init {
        scope.launch {
            client.notificationsFlow(onSubscribed).collect { inputs.send(fromCore(it)) }
        }
        scope.launch {
            for (input in inputs) {
                val changes = model.handle(input)
                if (changes.isNotEmpty()) render(changes)
            }
        }
    }

    /** The app came to the foreground or left it. */
    fun setForeground(on: Boolean) = client.setForeground(on)

    /** The conversation on screen (null: none); the core then notifies none of its messages and marks them read. */
    fun setVisibleConversation(buddyId: String?) = client.setVisibleConversation(buddyId)

    /** My reply sent from the notification, to show in it. */
    fun replied(buddyId: String, message: NotifiedMessage) {
        inputs.trySend(NotificationInput.Replied(buddyId, message))
    }

    override fun close() = scope.cancel()
}
