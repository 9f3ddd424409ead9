// Which screen is shown: a stack of screens, and `clearchat:` deep links that open the redeem flow.
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
    /** Scan or paste a code; [code] is prefilled (and redeemed at once) when it came from a deep link. */
    data class Redeem(val code: String? = null) : Screen
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

    /** A deep link that arrived before onboarding finished; opened by [onboardingDone]. */
    var pendingCode: String? = null
        private set

    fun push(screen: Screen) = _stack.update { it + screen }

    /** Back: false when already at the root (the host then closes the app). */
    fun pop(): Boolean {
        if (_stack.value.size <= 1) return false
        _stack.update { it.dropLast(1) }
        return true
    }

    fun onboardingDone() {
        _stack.value = listOf(Screen.Buddies)
        pendingCode?.let { pendingCode = null; push(Screen.Redeem(it)) }
    }

    /** Handles an incoming URI (intent data). Returns false when it is not a Clearchat link. */
    fun openUri(uri: String): Boolean {
        val code = DeepLink.code(uri) ?: return false
        if (_stack.value.first() == Screen.Onboarding) {
            pendingCode = code
        } else {
            _stack.update { s -> s.filterNot { it is Screen.Redeem } + Screen.Redeem(code) }
        }
        return true
    }
}
