// One conversation: the core's window of it (newest at the end, older pages on request) with delivery states and
// read markers folded in, applied batch by batch; a validated draft; a failed send kept for a retry. What is read is
// decided by the core from what the shell says is on screen (`visible`).
package chat.clearchat.app

import chat.clearchat.core.ClearchatClientInterface
import chat.clearchat.core.MessageState
import chat.clearchat.core.TimelineView
import chat.clearchat.core.applyDiffs
import chat.clearchat.core.diffs
import chat.clearchat.core.map
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

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

    companion object {
        fun of(m: chat.clearchat.core.Message) = MessageRow(m.id, m.text, m.fromMe, m.sentAtMs.toLong(), m.state)
    }
}

data class ConversationState(
    val buddyId: String,
    val buddyName: String = "",
    val online: Boolean = false,
    val loading: Boolean = true,
    /** The window, oldest first: the newest message is the last. */
    val messages: List<MessageRow> = emptyList(),
    /** Older messages exist before the window (scrolling to the top pages them in). */
    val hasOlder: Boolean = false,
    val loadingOlder: Boolean = false,
    val draft: String = "",
    val draftError: String? = null,
    val sending: Boolean = false,
    /** A text whose send failed, kept for [ConversationViewModel.retry]. */
    val failed: String? = null,
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
    private val pageSize: UInt = 50u,
    /** Keeps the draft across process death (SavedStateHandle on Android). */
    private val saved: SavedValues = InMemorySavedValues(),
) : AppViewModel(parent) {
    private val _state = MutableStateFlow(ConversationState(buddyId = buddyId, draft = saved[DRAFT].orEmpty()))
    val state: StateFlow<ConversationState> = _state.asStateFlow()
    private val buddy = buddyId
    private val timeline: TimelineView? = try {
        client.timeline(buddyId, pageSize)
    } catch (e: Exception) {
        _state.update { it.copy(loading = false, error = Messages.explain(e)) }
        null
    }
    private val buddies = client.buddyList()

    /**
     * True while the conversation is on screen in front of the person (Android: resumed). The core then marks read
     * what the window shows of the buddy's messages, and notifies none of them.
     */
    @Volatile
    var visible: Boolean = false
        set(value) {
            field = value
            try {
                if (value) {
                    client.setForeground(true)
                    client.setVisibleConversation(buddy)
                } else {
                    client.setVisibleConversation(null)
                }
            } catch (e: Exception) {
                _state.update { it.copy(error = Messages.explain(e)) }
            }
        }

    init {
        timeline?.let { t ->
            scope.launch {
                val rows = mutableListOf<MessageRow>()
                t.diffs().collect { batch ->
                    rows.applyDiffs(batch.map { it.map(MessageRow::of) })
                    _state.update {
                        it.copy(
                            loading = false,
                            messages = rows.toList(),
                            hasOlder = it.hasOlder || (it.loading && rows.size >= pageSize.toInt()),
                        )
                    }
                }
            }
        }
        scope.launch {
            val copy = mutableListOf<chat.clearchat.core.Buddy>()
            buddies.diffs().collect { batch ->
                copy.applyDiffs(batch)
                val info = copy.firstOrNull { it.id == buddy }
                _state.update {
                    it.copy(
                        buddyName = info?.name ?: it.buddyName,
                        online = info?.online ?: false,
                        error = if (info == null && !it.loading) UiText.ERR_UNKNOWN_BUDDY.say() else it.error,
                    )
                }
            }
        }
    }

    /** Pages older messages in at the top of the window (the screen calls it when scrolled to the top). */
    fun loadOlder() {
        val t = timeline ?: return
        val s = _state.value
        if (s.loadingOlder || !s.hasOlder) return
        _state.update { it.copy(loadingOlder = true) }
        scope.launch {
            try {
                val more = t.paginateBackwards(pageSize)
                _state.update { it.copy(loadingOlder = false, hasOlder = more) }
            } catch (e: Exception) {
                _state.update { it.copy(loadingOlder = false, error = Messages.explain(e)) }
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
        deliver(s.draft, fromDraft = true)
    }

    /** Sends the text whose send failed again. */
    fun retry() {
        val text = _state.value.failed ?: return
        if (_state.value.sending) return
        deliver(text, fromDraft = false)
    }

    private fun deliver(text: String, fromDraft: Boolean) {
        _state.update { it.copy(sending = true, draftError = null) }
        scope.launch {
            try {
                // The window shows it at once, pending, through the timeline's next batch.
                client.send(buddy, text)
                if (fromDraft && saved[DRAFT] == text) saved[DRAFT] = ""
                _state.update {
                    it.copy(
                        sending = false,
                        failed = null,
                        draft = if (fromDraft && it.draft == text) "" else it.draft,
                    )
                }
            } catch (e: Exception) {
                _state.update { it.copy(sending = false, failed = text, draftError = Messages.explain(e)) }
            }
        }
    }

    override fun close() {
        super.close()
        timeline?.close()
        buddies.close()
    }

    private companion object {
        const val DRAFT = "conversation.draft"
    }
}
