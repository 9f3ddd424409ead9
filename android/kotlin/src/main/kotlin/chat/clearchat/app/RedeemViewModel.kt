// Redeem a pasted, scanned or deep-linked code: links this device to a person, or adds a buddy.
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
) {
    val canSubmit: Boolean get() = !busy && input.isNotBlank()
}

class RedeemViewModel(
    private val client: ClearchatClientInterface,
    parent: CoroutineScope,
    initialCode: String? = null,
) : AppViewModel(parent) {
    private val _state = MutableStateFlow(RedeemState(input = initialCode?.trim().orEmpty()))
    val state: StateFlow<RedeemState> = _state.asStateFlow()

    init {
        if (!initialCode.isNullOrBlank()) submit()
    }

    fun setInput(text: String) = _state.update { it.copy(input = text, error = null) }

    /** A code read by the camera: redeem it at once. */
    fun scanned(code: String) {
        setInput(code)
        submit()
    }

    fun submit() {
        val current = _state.value
        if (current.busy) return
        Validation.code(current.input)?.let { msg -> _state.update { it.copy(error = msg) }; return }
        _state.update { it.copy(busy = true, error = null, result = null) }
        scope.launch {
            try {
                val result = when (val r = client.redeem(current.input.trim())) {
                    is Redeemed.Linked -> RedeemResult.Linked(r.personName)
                    is Redeemed.Buddy -> RedeemResult.BuddyAdded(r.buddyId, r.name)
                }
                _state.update { it.copy(busy = false, result = result) }
            } catch (e: Exception) {
                _state.update { it.copy(busy = false, error = Messages.explain(e)) }
            }
        }
    }
}
