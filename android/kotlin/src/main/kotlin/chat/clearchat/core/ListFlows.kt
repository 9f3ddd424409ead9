// The core's observable lists as Flows of diff batches, and one diff type the view models apply to any MutableList
// (a Compose SnapshotStateList included). The core owns the lists; Kotlin only applies what it is told.
package chat.clearchat.core

import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow

/** A change to an ordered list, the same for every list of the core. */
sealed class ListDiff<out T> {
    data class Append<T>(val values: List<T>) : ListDiff<T>()
    data class PushFront<T>(val value: T) : ListDiff<T>()
    data class PushBack<T>(val value: T) : ListDiff<T>()
    data class Insert<T>(val index: Int, val value: T) : ListDiff<T>()
    data class Set<T>(val index: Int, val value: T) : ListDiff<T>()
    data class Remove(val index: Int) : ListDiff<Nothing>()
    data class Truncate(val length: Int) : ListDiff<Nothing>()
    data object Clear : ListDiff<Nothing>()
    data class Reset<T>(val values: List<T>) : ListDiff<T>()
}

/** Applies a batch in order: the list is then the core's list at the time the batch was made. */
fun <T> MutableList<T>.applyDiffs(batch: List<ListDiff<T>>) {
    for (d in batch) when (d) {
        is ListDiff.Append -> addAll(d.values)
        is ListDiff.PushFront -> add(0, d.value)
        is ListDiff.PushBack -> add(d.value)
        is ListDiff.Insert -> add(d.index, d.value)
        is ListDiff.Set -> set(d.index, d.value)
        is ListDiff.Remove -> removeAt(d.index)
        is ListDiff.Truncate -> while (size > d.length) removeAt(size - 1)
        ListDiff.Clear -> clear()
        is ListDiff.Reset -> { clear(); addAll(d.values) }
    }
}

fun BuddyListDiff.common(): ListDiff<Buddy> = when (this) {
    is BuddyListDiff.Append -> ListDiff.Append(values)
    is BuddyListDiff.PushFront -> ListDiff.PushFront(value)
    is BuddyListDiff.PushBack -> ListDiff.PushBack(value)
    is BuddyListDiff.Insert -> ListDiff.Insert(index.toInt(), value)
    is BuddyListDiff.Set -> ListDiff.Set(index.toInt(), value)
    is BuddyListDiff.Remove -> ListDiff.Remove(index.toInt())
    is BuddyListDiff.Truncate -> ListDiff.Truncate(length.toInt())
    BuddyListDiff.Clear -> ListDiff.Clear
    is BuddyListDiff.Reset -> ListDiff.Reset(values)
}

fun MessageListDiff.common(): ListDiff<Message> = when (this) {
    is MessageListDiff.Append -> ListDiff.Append(values)
    is MessageListDiff.PushFront -> ListDiff.PushFront(value)
    is MessageListDiff.PushBack -> ListDiff.PushBack(value)
    is MessageListDiff.Insert -> ListDiff.Insert(index.toInt(), value)
    is MessageListDiff.Set -> ListDiff.Set(index.toInt(), value)
    is MessageListDiff.Remove -> ListDiff.Remove(index.toInt())
    is MessageListDiff.Truncate -> ListDiff.Truncate(length.toInt())
    MessageListDiff.Clear -> ListDiff.Clear
    is MessageListDiff.Reset -> ListDiff.Reset(values)
}

fun DeviceListDiff.common(): ListDiff<Device> = when (this) {
    is DeviceListDiff.Append -> ListDiff.Append(values)
    is DeviceListDiff.PushFront -> ListDiff.PushFront(value)
    is DeviceListDiff.PushBack -> ListDiff.PushBack(value)
    is DeviceListDiff.Insert -> ListDiff.Insert(index.toInt(), value)
    is DeviceListDiff.Set -> ListDiff.Set(index.toInt(), value)
    is DeviceListDiff.Remove -> ListDiff.Remove(index.toInt())
    is DeviceListDiff.Truncate -> ListDiff.Truncate(length.toInt())
    DeviceListDiff.Clear -> ListDiff.Clear
    is DeviceListDiff.Reset -> ListDiff.Reset(values)
}

/**
 * A list's batches as a cold Flow: each collection subscribes (its first batch is a Reset with the items, so
 * collect into an empty list) and closes its [ListSubscription] when it ends. The core's outbox is bounded and
 * turns a backlog into one Reset, so this buffer stays small.
 */
private fun <T> diffFlow(subscribe: (emit: (List<ListDiff<T>>) -> Unit) -> ListSubscription): Flow<List<ListDiff<T>>> =
    callbackFlow {
        val subscription = subscribe { batch -> trySend(batch) }
        awaitClose { subscription.use { it.cancel() } }
    }.buffer(Channel.UNLIMITED)

fun BuddyListViewInterface.diffs(): Flow<List<ListDiff<Buddy>>> = diffFlow { emit ->
    subscribe(object : BuddyListListener {
        override fun onDiffs(diffs: List<BuddyListDiff>) = emit(diffs.map { it.common() })
    })
}

fun TimelineViewInterface.diffs(): Flow<List<ListDiff<Message>>> = diffFlow { emit ->
    subscribe(object : TimelineListener {
        override fun onDiffs(diffs: List<MessageListDiff>) = emit(diffs.map { it.common() })
    })
}

fun DeviceListViewInterface.diffs(): Flow<List<ListDiff<Device>>> = diffFlow { emit ->
    subscribe(object : DeviceListListener {
        override fun onDiffs(diffs: List<DeviceListDiff>) = emit(diffs.map { it.common() })
    })
}

/** The core's notification decisions as a cold Flow; [onSubscribed] runs once the core delivers them. */
fun ClearchatClientInterface.notificationsFlow(onSubscribed: () -> Unit = {}): Flow<NotificationEvent> = callbackFlow {
    val subscription = notifications(object : NotificationListener {
        override fun onNotification(notification: NotificationEvent) {
            trySend(notification)
        }
    })
    onSubscribed()
    awaitClose { subscription.use { it.cancel() } }
}.buffer(Channel.UNLIMITED)

/** The same change with its values mapped (the core's records into a view model's rows). */
fun <T, U> ListDiff<T>.map(f: (T) -> U): ListDiff<U> = when (this) {
    is ListDiff.Append -> ListDiff.Append(values.map(f))
    is ListDiff.PushFront -> ListDiff.PushFront(f(value))
    is ListDiff.PushBack -> ListDiff.PushBack(f(value))
    is ListDiff.Insert -> ListDiff.Insert(index, f(value))
    is ListDiff.Set -> ListDiff.Set(index, f(value))
    is ListDiff.Remove -> this
    is ListDiff.Truncate -> this
    ListDiff.Clear -> ListDiff.Clear
    is ListDiff.Reset -> ListDiff.Reset(values.map(f))
}
