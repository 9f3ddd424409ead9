// Which screen is shown: a stack of screens; `clearchat:` deep links open the redeem flow (asking first), and
// notifications open a conversation without stacking it twice.
package chat.clearchat.app

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update

sealed interface Screen {
    data object Onboarding : Screen
    data object Buddies : Screen
    data class Conversation(val buddyId: String) : Screen
    data object AddBuddy : Screen
    data object LinkDevice : Screen
    /**
     * Scan or paste a code. [code] is prefilled when it came from a link; [confirm] makes the screen ask before
     * redeeming it (a web page must not add its author as my buddy without me saying so).
     */
    data class Redeem(val code: String? = null, val confirm: Boolean = false) : Screen
    data object Devices : Screen
}

object DeepLink {
    /** The code carried by a `clearchat:` or `clearchat://` link (any case), or null for anything else. */
    fun code(uri: String): String? {
        val s = uri.trim()
        for (scheme in listOf("clearchat://", "clearchat:")) {
            if (s.length > scheme.length && s.regionMatches(0, scheme, 0, scheme.length, ignoreCase = true)) {
                val rest = s.substring(scheme.length).trim()
                return if (rest.isEmpty() || rest.any { !(it.isLetterOrDigit() || it == '-' || it.isWhitespace()) }) null else s
            }
        }
        return null
    }
}

class Navigation(onboarded: Boolean) {
    private val _stack = MutableStateFlow(listOf(if (onboarded) Screen.Buddies else Screen.Onboarding))
    val stack: StateFlow<List<Screen>> = _stack.asStateFlow()
    val current: Screen get() = _stack.value.last()

    /** What the app was opened for before onboarding finished (or before the device was open); shown after. */
    private var pending: LaunchRequest? = null

    /** The code of a link that waits for onboarding to finish. */
    val pendingCode: String? get() = (pending as? LaunchRequest.Redeem)?.code

    fun push(screen: Screen) = _stack.update { it + screen }

    /** Back: false when already at the root (the host then closes the app). */
    fun pop(): Boolean {
        if (_stack.value.size <= 1) return false
        _stack.update { it.dropLast(1) }
        return true
    }

    /** Onboarding finished, or the app started on a device that is onboarded: the buddies, then what waited. */
    fun onboardingDone() {
        _stack.value = listOf(Screen.Buddies)
        pending?.let { pending = null; open(it) }
    }

    /** Handles an incoming URI (intent data). Returns false when it is not a Clearchat link. */
    fun openUri(uri: String): Boolean {
        val code = DeepLink.code(uri) ?: return false
        open(LaunchRequest.Redeem(code))
        return true
    }

    /** Shows what the app was opened for, replacing what the same request opened before (no stacked copies). */
    fun open(request: LaunchRequest) {
        val onboarding = _stack.value.first() == Screen.Onboarding
        if (onboarding) {
            pending = request
            return
        }
        when (request) {
            is LaunchRequest.Redeem ->
                _stack.update { s -> s.filterNot { it is Screen.Redeem } + Screen.Redeem(request.code, confirm = true) }
            is LaunchRequest.OpenConversation ->
                _stack.value = listOf(Screen.Buddies, Screen.Conversation(request.buddyId))
        }
    }

    /** The stack as strings, for the host's saved state (Android: the activity's SavedStateHandle). */
    fun save(): List<String> = _stack.value.map(Screens::encode)

    /** Puts back a stack from [save]; anything unreadable leaves the stack as it is. */
    fun restore(saved: List<String>) {
        val screens = saved.map(Screens::decode)
        if (screens.isEmpty() || screens.any { it == null }) return
        _stack.value = screens.filterNotNull()
    }
}

/** Screens as short strings (the ids and codes they carry are plain text without newlines). */
object Screens {
    fun encode(screen: Screen): String = when (screen) {
        Screen.Onboarding -> "onboarding"
        Screen.Buddies -> "buddies"
        is Screen.Conversation -> "conversation:${screen.buddyId}"
        Screen.AddBuddy -> "add-buddy"
        Screen.LinkDevice -> "link-device"
        is Screen.Redeem -> "redeem:${if (screen.confirm) "confirm" else "ask"}:${screen.code.orEmpty()}"
        Screen.Devices -> "devices"
    }

    fun decode(text: String): Screen? {
        val parts = text.split(":", limit = 2)
        return when (parts[0]) {
            "onboarding" -> Screen.Onboarding
            "buddies" -> Screen.Buddies
            "conversation" -> parts.getOrNull(1)?.takeIf { it.isNotEmpty() }?.let { Screen.Conversation(it) }
            "add-buddy" -> Screen.AddBuddy
            "link-device" -> Screen.LinkDevice
            "redeem" -> parts.getOrNull(1)?.split(":", limit = 2)?.let { r ->
                Screen.Redeem(r.getOrNull(1)?.takeIf { it.isNotEmpty() }, confirm = r[0] == "confirm")
            }
            "devices" -> Screen.Devices
            else -> null
        }
    }
}
