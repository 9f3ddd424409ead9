// First run: name this device, then either link it to my laptop (redeem a link code) or start as a new person.
// Onboarding is complete only at the last step (DONE: linked, or a new person with a name).
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
    /** Set when a buddy's code was used instead of a link code: the buddy, before I give my own name. */
    val addedBuddy: String? = null,
)

/**
 * Where onboarding starts. The device exists from the first step on (the core names its person after the device
 * then), so "onboarded" is a separate mark, set only when [OnboardingViewModel] reaches DONE; the host keeps it
 * beside the store (and, like the store, out of backups).
 */
object OnboardingRule {
    /** [created]: this device's store exists; [completed]: onboarding reached its last step before. */
    fun startStep(created: Boolean, completed: Boolean): OnboardingStep = when {
        !created -> OnboardingStep.DEVICE_NAME
        completed -> OnboardingStep.DONE
        else -> OnboardingStep.CHOOSE
    }
}

/**
 * [open] opens (creates) the device with the chosen name and starts it; the host decides where the data lives.
 * [existing] is a device created by an earlier, unfinished onboarding: it resumes at the choice.
 * In the LINK step, [redeem] is the redeem view model for the laptop's code.
 */
class OnboardingViewModel(
    parent: CoroutineScope,
    suggestedDeviceName: String = "",
    existing: ClearchatClientInterface? = null,
    private val open: suspend (deviceName: String) -> ClearchatClientInterface,
) : AppViewModel(parent) {
    private val _state = MutableStateFlow(
        OnboardingState(
            step = if (existing == null) OnboardingStep.DEVICE_NAME else OnboardingStep.CHOOSE,
            deviceName = suggestedDeviceName,
        ),
    )
    val state: StateFlow<OnboardingState> = _state.asStateFlow()

    var client: ClearchatClientInterface? = existing
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
                    // A buddy's code instead of a link code: this device is a new person with a buddy, and that
                    // person still needs a name before onboarding is done.
                    _state.update { it.copy(step = OnboardingStep.PERSON_NAME, addedBuddy = buddy.name) }
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
        if (_state.value.addedBuddy != null) return false // a buddy was added: this device is no longer new
        watch?.cancel()
        redeem?.close()
        redeem = null
        _state.update { it.copy(step = OnboardingStep.CHOOSE, error = null) }
        return true
    }
}
