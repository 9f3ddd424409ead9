// Glue between the core and the view models: a private event flow that says when it is subscribed
// (so a view model loads after subscribing and misses nothing), and the small base class they share.
package chat.clearchat.app

import chat.clearchat.core.ClearchatClientInterface
import chat.clearchat.core.Event
import chat.clearchat.core.EventListener
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.Job

/** What a view model reacts to: [Subscribed] once the listener is in place, then every core event. */
internal sealed interface Change {
    data object Subscribed : Change
    data class Core(val event: Event) : Change
}

/** Core events as a cold flow; the subscription lives exactly as long as the collection. */
internal fun ClearchatClientInterface.changes(): Flow<Change> = callbackFlow {
    val handle = subscribe(object : EventListener {
        override fun onEvent(event: Event) {
            trySend(Change.Core(event))
        }
    })
    send(Change.Subscribed)
    awaitClose { handle.close() }
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
