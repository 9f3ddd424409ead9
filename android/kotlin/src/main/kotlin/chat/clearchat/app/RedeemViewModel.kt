// Redeem a pasted, scanned or deep-linked code: links this device to a person, or adds a buddy. A code from a link
// waits for the person's yes; the camera's codes pass a gate that drops repeats of a code that just failed.
package chat.clearchat.app

import chat.clearchat.core.ClearchatClientInterface
import chat.clearchat.core.Redeemed
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

sealed interface RedeemResult {
    data class Linked(val personName: String) : RedeemResult
    data class BuddyAdded(val buddyId: String, val name: String) : RedeemResult
}

data class RedeemState(
    val input: String = "",
    val busy: Boolean = false,
    val error: String? = null,
    val result: RedeemResult? = null,
    /** A code that came from a link, shown with "Use this code?" until the person confirms or declines. */
    val confirming: Boolean = false,
    /** The person declined the link's code: the host closes the screen. */
    val declined: Boolean = false,
) {
    val canSubmit: Boolean get() = !busy && !confirming && input.isNotBlank()

    /** Whether the camera should hand over what it reads now. */
    val scanning: Boolean get() = !busy && !confirming && result == null
}

/**
 * [initialCode] prefills the code; with [confirmFirst] (a link from outside the app) nothing is redeemed until
 * [confirm]. The typed input lives in [saved] so it outlives the process.
 */
class RedeemViewModel(
    private val client: ClearchatClientInterface,
    parent: CoroutineScope,
    initialCode: String? = null,
    confirmFirst: Boolean = false,
    private val saved: SavedValues = InMemorySavedValues(),
) : AppViewModel(parent) {
    private val _state = MutableStateFlow(
        RedeemState(
            input = saved[INPUT] ?: initialCode?.trim().orEmpty(),
            confirming = confirmFirst && !initialCode.isNullOrBlank() && saved[INPUT] == null,
        ),
    )
    val state: StateFlow<RedeemState> = _state.asStateFlow()

    /** The last code that failed: the camera keeps seeing it, and it is not tried again until something changes. */
    private var failedCode: String? = null

    init {
        if (!initialCode.isNullOrBlank() && !confirmFirst) submit()
    }

    fun setInput(text: String) {
        saved[INPUT] = text
        failedCode = null
        _state.update { it.copy(input = text, error = null) }
    }

    /** "Use this code": the person agrees to redeem the link's code. */
    fun confirm() {
        if (!_state.value.confirming) return
        _state.update { it.copy(confirming = false) }
        submit()
    }

    /** "Cancel": the link's code is dropped unredeemed. */
    fun decline() {
        if (!_state.value.confirming) return
        saved[INPUT] = null
        _state.update { it.copy(confirming = false, declined = true, input = "") }
    }

    /**
     * A code read by the camera: redeemed at once, unless a redemption is under way or done, or it is the code
     * that just failed (pointing the camera at a used code must not loop on errors). Returns whether it was taken.
     */
    fun scanned(code: String): Boolean {
        val s = _state.value
        if (!s.scanning || code.trim() == failedCode) return false
        saved[INPUT] = code
        _state.update { it.copy(input = code, error = null) }
        submit()
        return true
    }

    fun submit() {
        val current = _state.value
        if (current.busy || current.confirming) return
        Validation.code(current.input)?.let { msg -> _state.update { it.copy(error = msg) }; return }
        _state.update { it.copy(busy = true, error = null, result = null) }
        scope.launch {
            try {
                val result = when (val r = client.redeem(current.input.trim())) {
                    is Redeemed.Linked -> RedeemResult.Linked(r.personName)
                    is Redeemed.Buddy -> RedeemResult.BuddyAdded(r.buddyId, r.name)
                }
                saved[INPUT] = null
                _state.update { it.copy(busy = false, result = result) }
            } catch (e: Exception) {
                failedCode = current.input.trim()
                _state.update { it.copy(busy = false, error = Messages.explain(e)) }
            }
        }
    }

    private companion object {
        const val INPUT = "redeem.input"
    }
}
