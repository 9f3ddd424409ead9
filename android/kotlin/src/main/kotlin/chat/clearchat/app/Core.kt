// Glue between the core and the view models: a private event flow that says when it is subscribed
// (so a view model loads after subscribing and misses nothing), and the small base class they share.
package chat.clearchat.app

import chat.clearchat.core.ClearchatClientInterface
import chat.clearchat.core.Event
import chat.clearchat.core.events
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.channelFlow
import kotlinx.coroutines.Job

/** What a view model reacts to: [Subscribed] once the listener is in place, then every core event. */
internal sealed interface Change {
    data object Subscribed : Change
    data class Core(val event: Event) : Change
}

/**
 * [events] with a [Change.Subscribed] marker sent once the listener is in place; the subscription lives
 * exactly as long as the collection.
 */
internal fun ClearchatClientInterface.changes(): Flow<Change> = channelFlow {
    events(onSubscribed = { trySend(Change.Subscribed) }).collect { send(Change.Core(it)) }
}.buffer(Channel.UNLIMITED)

/**
 * Base of the view models: its own child scope of the host's scope (on Android, viewModelScope),
 * cancelled by [close] or with the parent.
 */
abstract class AppViewModel(parent: CoroutineScope) : AutoCloseable {
    protected val scope: CoroutineScope =
        CoroutineScope(parent.coroutineContext + SupervisorJob(parent.coroutineContext[Job]))

    override fun close() = scope.cancel()
}
