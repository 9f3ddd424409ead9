// Kotlin coroutines adapters over the UniFFI bindings: the core's event listener as a cold Flow.
package chat.clearchat.core

import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow

/**
 * The client's events as a cold [Flow]: each collection installs its own [EventListener] with
 * [ClearchatClientInterface.subscribe] and, when the collection ends (cancelled, completed by an operator
 * such as `first`, or failed), closes the returned [SubscriptionHandle], which stops delivery on the Rust side.
 *
 * Events arrive in the order the core emits them, from the moment the listener is installed; none are
 * replayed. A view model that loads a snapshot (buddies, a conversation) and then follows events should load
 * in [onSubscribed], which runs once the listener is in place, so nothing falls in between.
 *
 * The core calls the listener on one of its own threads and must never be blocked by a slow collector, so
 * the flow is buffered without bound: events are never dropped and the core never waits. A collector that
 * stops consuming but stays active would therefore hold memory; collect on a live scope (on Android,
 * `viewModelScope` or `lifecycleScope`) so collection ends with it.
 */
fun ClearchatClientInterface.events(onSubscribed: () -> Unit = {}): Flow<Event> = callbackFlow {
    val handle = subscribe(object : EventListener {
        override fun onEvent(event: Event) {
            // Fails only once the channel is closed, i.e. the collection is over: the event is not wanted then.
            trySend(event)
        }
    })
    onSubscribed()
    awaitClose {
        // cancel() stops delivery at once; close() then frees the Rust object (it also stops delivery on drop).
        handle.use { it.cancel() }
    }
}.buffer(Channel.UNLIMITED)
