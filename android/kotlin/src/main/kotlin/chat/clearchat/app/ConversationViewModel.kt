// One conversation: live messages with delivery states and read markers, a validated draft, and mark-read while shown.
package chat.clearchat.app

import chat.clearchat.core.ClearchatClientInterface
import chat.clearchat.core.Event
import chat.clearchat.core.MessageState
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.conflate
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock

data class MessageRow(
    val id: String,
    val text: String,
    val fromMe: Boolean,
    val sentAtMs: Long,
    val state: MessageState,
) {
    /** The words under my own messages. */
    val stateText: UiText
        get() = when (state) {
            MessageState.PENDING -> UiText.STATE_PENDING
            MessageState.SENT -> UiText.STATE_SENT
            MessageState.DELIVERED -> UiText.STATE_DELIVERED
            MessageState.READ -> UiText.STATE_READ
        }

    val stateLabel: String get() = stateText.say()
}

data class ConversationState(
    val buddyId: String,
    val buddyName: String = "",
    val online: Boolean = false,
    val loading: Boolean = true,
    val messages: List<MessageRow> = emptyList(),
    val draft: String = "",
    val draftError: String? = null,
    val sending: Boolean = false,
    val error: String? = null,
) {
    /** My newest message the buddy has read: where the read marker is drawn. */
    val readMarker: String? get() = messages.lastOrNull { it.fromMe && it.state == MessageState.READ }?.id
    val canSend: Boolean get() = !sending && Validation.message(draft) == null
}

class ConversationViewModel(
    private val client: ClearchatClientInterface,
    parent: CoroutineScope,
    buddyId: String,
    private val pageSize: UInt = 100u,
    /** Keeps the draft across process death (SavedStateHandle on Android). */
    private val saved: SavedValues = InMemorySavedValues(),
) : AppViewModel(parent) {
    private val _state = MutableStateFlow(ConversationState(buddyId = buddyId, draft = saved[DRAFT].orEmpty()))
    val state: StateFlow<ConversationState> = _state.asStateFlow()
    private val buddy = buddyId
    private val marking = Mutex()

    /** True while the conversation is on screen: incoming messages are then marked read. */
    @Volatile
    var visible: Boolean = false
        set(value) {
            field = value
            if (value) scope.launch { markReadIfShown() }
        }

    init {
        scope.launch {
            client.changes()
                .filter { c -> c !is Change.Core || concerns(c.event) }
                .conflate()
                .collect { reload() }
        }
    }

    private fun concerns(e: Event): Boolean = when (e) {
        is Event.MessageAdded -> e.buddyId == buddy
        is Event.MessageStateChanged -> e.buddyId == buddy
        is Event.ReadUpTo -> e.buddyId == buddy
        is Event.BuddyAdded, is Event.BuddyRemoved, is Event.PeerOnline, is Event.PeerOffline,
        is Event.SyncProgress -> true
        else -> false
    }

    private suspend fun reload() {
        try {
            val info = client.buddies().firstOrNull { it.id == buddy }
            val rows = client.conversation(buddy, null, pageSize).map {
                MessageRow(it.id, it.text, it.fromMe, it.sentAtMs.toLong(), it.state)
            }
            _state.update {
                it.copy(
                    buddyName = info?.name ?: it.buddyName,
                    online = info?.online ?: false,
                    loading = false,
                    messages = rows,
                    error = if (info == null) UiText.ERR_UNKNOWN_BUDDY.say() else null,
                )
            }
            markReadIfShown(info?.unread ?: 0u)
        } catch (e: Exception) {
            _state.update { it.copy(loading = false, error = Messages.explain(e)) }
        }
    }

    private suspend fun markReadIfShown(unread: ULong? = null) {
        if (!visible || unread == 0uL) return
        marking.withLock {
            try {
                client.markRead(buddy, null)
            } catch (e: Exception) {
                _state.update { it.copy(error = Messages.explain(e)) }
            }
        }
    }

    fun setDraft(text: String) {
        saved[DRAFT] = text
        _state.update { it.copy(draft = text, draftError = null) }
    }

    fun send() {
        val s = _state.value
        if (s.sending) return
        Validation.message(s.draft)?.let { msg -> _state.update { it.copy(draftError = msg) }; return }
        _state.update { it.copy(sending = true, draftError = null) }
        scope.launch {
            try {
                client.send(buddy, s.draft)
                // The saved draft first, so no one sees the cleared draft while the saved one is still there.
                if (saved[DRAFT] == s.draft) saved[DRAFT] = ""
                _state.update { it.copy(sending = false, draft = if (it.draft == s.draft) "" else it.draft) }
            } catch (e: Exception) {
                _state.update { it.copy(sending = false, draftError = Messages.explain(e)) }
            }
        }
    }

    private companion object {
        const val DRAFT = "conversation.draft"
    }
}
