// Feeds the NotificationModel: the client's events and the host's presence (foreground, conversation on screen) go
// through one channel to one coroutine that owns the model and hands every change to the host's renderer.
package chat.clearchat.app.notify

import chat.clearchat.core.ClearchatClientInterface
import chat.clearchat.core.Event
import chat.clearchat.core.events
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch

/** The one place that reads the bindings' events for notifications. */
fun fromEvent(event: Event): NotificationInput? = when (event) {
    is Event.MessageAdded -> event.message.let { m ->
        NotificationInput.Message(event.buddyId, m.from, m.id, m.text, m.sentAtMs.toLong(), m.fromMe)
    }
    is Event.ReadUpTo -> if (event.byMe) NotificationInput.ReadByMe(event.buddyId, event.upTo) else null
    is Event.BuddyRemoved -> NotificationInput.BuddyRemoved(event.buddyId)
    else -> null
}

/**
 * [render] runs on the feed's coroutine, in order, with every change (on Android: NotificationManagerCompat calls,
 * which may be made from any thread). [onSubscribed] runs once the event listener is in place.
 */
class NotificationFeed(
    client: ClearchatClientInterface,
    parent: CoroutineScope,
    private val model: NotificationModel = NotificationModel(),
    onSubscribed: () -> Unit = {},
    private val render: (List<NotificationChange>) -> Unit,
) : AutoCloseable {
    private sealed interface Item {
        data class Input(val input: NotificationInput) : Item
        data class Foreground(val on: Boolean) : Item
        data class Visible(val buddyId: String?) : Item
    }

    private val scope = CoroutineScope(parent.coroutineContext + SupervisorJob(parent.coroutineContext[Job]))
    private val items = Channel<Item>(Channel.UNLIMITED)

    init {
        scope.launch {
            client.events(onSubscribed).collect { e -> fromEvent(e)?.let { items.send(Item.Input(it)) } }
        }
        scope.launch {
            for (item in items) {
                val changes = when (item) {
                    is Item.Input -> model.handle(item.input)
                    is Item.Foreground -> model.setForeground(item.on)
                    is Item.Visible -> model.setVisibleConversation(item.buddyId)
                }
                if (changes.isNotEmpty()) render(changes)
            }
        }
    }

    fun setForeground(on: Boolean) {
        items.trySend(Item.Foreground(on))
    }

    fun setVisibleConversation(buddyId: String?) {
        items.trySend(Item.Visible(buddyId))
    }

    override fun close() = scope.cancel()
}
