// The buddy list: the core's observable buddy list (ordered there: latest activity first) with each batch of diffs
// applied to a copy; names, online marks, unread counts and last message as rows. Nothing is reloaded.
package chat.clearchat.app

import chat.clearchat.core.Buddy
import chat.clearchat.core.ClearchatClientInterface
import chat.clearchat.core.applyDiffs
import chat.clearchat.core.diffs
import chat.clearchat.core.map
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
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
) {
    companion object {
        fun of(b: Buddy): BuddyRow {
            val last = b.lastMessage
            return BuddyRow(
                id = b.id,
                name = b.name,
                online = b.online,
                unread = b.unread.toInt(),
                lastText = last?.text,
                lastFromMe = last?.fromMe ?: false,
                lastAtMs = last?.sentAtMs?.toLong(),
            )
        }
    }
}

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
    private val list = client.buddyList()

    init {
        scope.launch {
            val rows = mutableListOf<BuddyRow>()
            list.diffs().collect { batch ->
                rows.applyDiffs(batch.map { it.map(BuddyRow::of) })
                _state.update { it.copy(loading = false, buddies = rows.toList()) }
            }
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

    override fun close() {
        super.close()
        list.close()
    }
}
