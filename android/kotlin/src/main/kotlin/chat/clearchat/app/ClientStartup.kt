// Opening this device's client: off the main thread, once, with a state the app shows (opening, ready, failed with
// a retry) instead of an exception that ends the process.
package chat.clearchat.app

import chat.clearchat.core.ClearchatClientInterface
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext

sealed interface StartupState {
    /** First run: no device yet; onboarding creates it. */
    data object NotCreated : StartupState
    data object Opening : StartupState
    /** [onboarded]: onboarding reached its last step (false when an earlier one stopped before it). */
    data class Ready(val client: ClearchatClientInterface, val onboarded: Boolean) : StartupState
    /** Opening failed (full disk, damaged store...): [message] in plain words; [ClientStartup.retry] tries again. */
    data class Failed(val message: String) : StartupState
}

/**
 * [open] is the blocking constructor of the client (ClearchatClient.open on Android); it runs on [io].
 * [deviceName] and [rememberDeviceName] keep the name of the device created on this phone (its store exists);
 * [completed] and [rememberCompleted] keep whether onboarding reached its last step (see [OnboardingRule]).
 */
class ClientStartup(
    private val scope: CoroutineScope,
    private val deviceName: () -> String?,
    private val rememberDeviceName: (String) -> Unit,
    private val completed: () -> Boolean,
    private val rememberCompleted: () -> Unit,
    private val io: CoroutineDispatcher = Dispatchers.IO,
    private val open: (deviceName: String) -> ClearchatClientInterface,
) {
    private val _state = MutableStateFlow<StartupState>(StartupState.NotCreated)
    val state: StateFlow<StartupState> = _state.asStateFlow()
    private val opening = Mutex()
    private var lastError: Exception? = null

    /** At app start: opens the device created earlier, if any. Safe to call again (it opens once). */
    fun start() {
        val name = deviceName() ?: return
        scope.launch { openLocked(name) }
    }

    /** After a failure: tries again. */
    fun retry() = start()

    /** Onboarding's first step: creates (or opens) the device with [name]; throws what the core threw. */
    suspend fun create(name: String): ClearchatClientInterface {
        openLocked(name)
        return when (val s = _state.value) {
            is StartupState.Ready -> s.client
            is StartupState.Failed -> throw lastError ?: StartupException(s.message)
            else -> throw StartupException("not opened")
        }
    }

    private suspend fun openLocked(name: String) = opening.withLock {
        if (_state.value is StartupState.Ready) return@withLock
        _state.value = StartupState.Opening
        _state.value = try {
            withContext(io) {
                val client = open(name)
                rememberDeviceName(name)
                StartupState.Ready(client, completed())
            }
        } catch (e: Exception) {
            lastError = e
            StartupState.Failed(Messages.explain(e))
        }
    }

    /** Onboarding reached its last step: remembered, and the app goes on to the buddies. */
    fun onboarded() {
        val s = _state.value as? StartupState.Ready ?: return
        rememberCompleted()
        _state.value = s.copy(onboarded = true)
    }
}

class StartupException(message: String) : Exception(message)
