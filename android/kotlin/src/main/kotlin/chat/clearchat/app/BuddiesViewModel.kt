// The buddy list: names, online marks, unread counts and last message, reloaded whenever the core reports a change.
package chat.clearchat.app

import chat.clearchat.core.ClearchatClientInterface
import chat.clearchat.core.Event
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.conflate
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

data class BuddyRow(
    val id: String,
    val name: String,
    val online: Boolean,
    val unread: Int,
    val lastText: String?,
    val lastFromMe: Boolean,
    val lastAtMs: Long?,
)

data class BuddiesState(
    val loading: Boolean = true,
    val buddies: List<BuddyRow> = emptyList(),
    val error: String? = null,
) {
    val totalUnread: Int get() = buddies.sumOf { it.unread }
}

class BuddiesViewModel(
    private val client: ClearchatClientInterface,
    parent: CoroutineScope,
) : AppViewModel(parent) {
    private val _state = MutableStateFlow(BuddiesState())
    val state: StateFlow<BuddiesState> = _state.asStateFlow()

    init {
        scope.launch {
            client.changes()
                .filter { it !is Change.Core || it.event !is Event.ForkDetected }
                .conflate()
                .collect { reload() }
        }
    }

    private suspend fun reload() {
        try {
            val rows = client.buddies().map { b ->
                val last = b.lastMessage
                BuddyRow(
                    id = b.id,
                    name = b.name,
                    online = b.online,
                    unread = b.unread.toInt(),
                    lastText = last?.text,
                    lastFromMe = last?.fromMe ?: false,
                    lastAtMs = last?.sentAtMs?.toLong(),
                )
            }.sortedWith(compareByDescending<BuddyRow> { it.lastAtMs ?: 0L }.thenBy { it.name.lowercase() })
            _state.value = BuddiesState(loading = false, buddies = rows)
        } catch (e: Exception) {
            _state.update { it.copy(loading = false, error = Messages.explain(e)) }
        }
    }

    fun remove(buddyId: String) {
        scope.launch {
            try {
                client.removeBuddy(buddyId)
            } catch (e: Exception) {
                _state.update { it.copy(error = Messages.explain(e)) }
            }
        }
    }
}
