// First run: name this device, then either link it to my laptop (redeem a link code) or start as a new person.
package chat.clearchat.app

import chat.clearchat.core.ClearchatClientInterface
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

enum class OnboardingStep { DEVICE_NAME, CHOOSE, LINK, PERSON_NAME, DONE }

data class OnboardingState(
    val step: OnboardingStep = OnboardingStep.DEVICE_NAME,
    val deviceName: String = "",
    val deviceNameError: String? = null,
    val personName: String = "",
    val personNameError: String? = null,
    val busy: Boolean = false,
    val error: String? = null,
    /** Set when linking finished: the person this device now belongs to. */
    val linkedTo: String? = null,
)

/**
 * [open] opens (creates) the device with the chosen name and starts it; the host decides where the data lives.
 * In the LINK step, [redeem] is the redeem view model for the laptop's code.
 */
class OnboardingViewModel(
    parent: CoroutineScope,
    suggestedDeviceName: String = "",
    private val open: suspend (deviceName: String) -> ClearchatClientInterface,
) : AppViewModel(parent) {
    private val _state = MutableStateFlow(OnboardingState(deviceName = suggestedDeviceName))
    val state: StateFlow<OnboardingState> = _state.asStateFlow()

    var client: ClearchatClientInterface? = null
        private set
    var redeem: RedeemViewModel? = null
        private set
    private var watch: Job? = null

    fun setDeviceName(text: String) =
        _state.update { it.copy(deviceName = text, deviceNameError = null) }

    fun submitDeviceName() {
        val s = _state.value
        if (s.busy || s.step != OnboardingStep.DEVICE_NAME) return
        Validation.name(s.deviceName)?.let { msg -> _state.update { it.copy(deviceNameError = msg) }; return }
        _state.update { it.copy(busy = true, error = null) }
        scope.launch {
            try {
                client = client ?: open(s.deviceName.trim())
                _state.update { it.copy(busy = false, step = OnboardingStep.CHOOSE) }
            } catch (e: Exception) {
                _state.update { it.copy(busy = false, error = Messages.explain(e)) }
            }
        }
    }

    /** "Link to my laptop": next comes scanning or pasting the laptop's code. */
    fun chooseLink(initialCode: String? = null) {
        val c = client ?: return
        redeem?.close()
        val vm = RedeemViewModel(c, scope, initialCode)
        redeem = vm
        watch?.cancel()
        watch = scope.launch {
            vm.state.collect { r ->
                val linked = r.result as? RedeemResult.Linked
                val buddy = r.result as? RedeemResult.BuddyAdded
                if (linked != null) {
                    _state.update { it.copy(step = OnboardingStep.DONE, linkedTo = linked.personName) }
                } else if (buddy != null) {
                    // A buddy code instead of a link code: this device became a new person with a buddy.
                    _state.update { it.copy(step = OnboardingStep.DONE) }
                }
            }
        }
        _state.update { it.copy(step = OnboardingStep.LINK, error = null) }
    }

    /** "Start as a new person": next comes my name, as buddies will see it. */
    fun chooseNewPerson() = _state.update { it.copy(step = OnboardingStep.PERSON_NAME, error = null) }

    fun setPersonName(text: String) =
        _state.update { it.copy(personName = text, personNameError = null) }

    fun submitPersonName() {
        val s = _state.value
        val c = client ?: return
        if (s.busy || s.step != OnboardingStep.PERSON_NAME) return
        Validation.name(s.personName)?.let { msg -> _state.update { it.copy(personNameError = msg) }; return }
        _state.update { it.copy(busy = true, error = null) }
        scope.launch {
            try {
                c.setPersonName(s.personName.trim())
                _state.update { it.copy(busy = false, step = OnboardingStep.DONE) }
            } catch (e: Exception) {
                _state.update { it.copy(busy = false, error = Messages.explain(e)) }
            }
        }
    }

    /** Back from LINK or PERSON_NAME to the choice. Returns false when there is nothing to go back to. */
    fun back(): Boolean {
        val step = _state.value.step
        if (step != OnboardingStep.LINK && step != OnboardingStep.PERSON_NAME) return false
        watch?.cancel()
        redeem?.close()
        redeem = null
        _state.update { it.copy(step = OnboardingStep.CHOOSE, error = null) }
        return true
    }
}
