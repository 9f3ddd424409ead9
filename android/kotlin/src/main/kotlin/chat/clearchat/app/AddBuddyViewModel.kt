// Show my code: the QR modules to draw large and the text code for the share sheet; also used for "link a device".
package chat.clearchat.app

import chat.clearchat.core.ClearchatClientInterface
import chat.clearchat.core.Event
import chat.clearchat.core.InvitePurpose
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** A QR code as a square of modules, row-major, true = dark, without the quiet zone. */
class QrModules(val width: Int, private val dark: BooleanArray) {
    init {
        require(dark.size == width * width) { "a QR code is square" }
    }

    operator fun get(x: Int, y: Int): Boolean = dark[y * width + x]
    override fun equals(other: Any?) = other is QrModules && other.width == width && other.dark.contentEquals(dark)
    override fun hashCode() = 31 * width + dark.contentHashCode()
}

data class CodeUi(
    val text: String,
    val uri: String,
    val qr: QrModules,
    val expiresAtSecs: Long,
) {
    /** What the share sheet sends (SMS, mail...): the text code with a line saying what to do with it. */
    val shareText: String
        get() = UiText.SHARE_TEXT.say(text)
}

data class AddBuddyState(
    val purpose: InvitePurpose,
    val busy: Boolean = false,
    val code: CodeUi? = null,
    val error: String? = null,
    /** Names of the people or devices that used my code while it was shown. */
    val joined: List<String> = emptyList(),
)

class AddBuddyViewModel(
    private val client: ClearchatClientInterface,
    parent: CoroutineScope,
    purpose: InvitePurpose = InvitePurpose.BUDDY,
    private val label: String = "",
) : AppViewModel(parent) {
    private val _state = MutableStateFlow(AddBuddyState(purpose = purpose))
    val state: StateFlow<AddBuddyState> = _state.asStateFlow()

    init {
        scope.launch {
            client.changes().collect { c ->
                val e = (c as? Change.Core)?.event
                val who = when {
                    purpose == InvitePurpose.BUDDY && e is Event.BuddyAdded -> e.name
                    purpose == InvitePurpose.LINK && e is Event.DeviceLinked -> e.name
                    else -> null
                }
                if (who != null) _state.update { it.copy(joined = it.joined + who) }
                if (c is Change.Subscribed) refresh()
            }
        }
    }

    /** Makes a fresh code (the old one stays valid until it expires or is used). */
    fun refresh() {
        if (_state.value.busy) return
        _state.update { it.copy(busy = true, error = null) }
        scope.launch {
            try {
                val invite = when (_state.value.purpose) {
                    InvitePurpose.LINK -> client.createLinkInvite()
                    InvitePurpose.BUDDY -> client.createBuddyInvite(label)
                }
                val qr = QrModules(invite.qr.width.toInt(), invite.qr.modules.toBooleanArray())
                val code = CodeUi(invite.code, invite.uri, qr, invite.expiresAtSecs.toLong())
                _state.update { it.copy(busy = false, code = code) }
            } catch (e: Exception) {
                _state.update { it.copy(busy = false, error = Messages.explain(e)) }
            }
        }
    }
}
