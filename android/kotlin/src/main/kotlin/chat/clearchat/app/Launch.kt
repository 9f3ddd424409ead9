// What an intent that opens the app asks for (a clearchat: link, a conversation from a notification or shortcut),
// and the rule that handles each intent exactly once. Android's Intent is reduced to plain values by the host.
package chat.clearchat.app

/** What the app was opened for. */
sealed interface LaunchRequest {
    /** A `clearchat:` / `CLEARCHAT:` link from another app, a web page or the system camera: ask before redeeming. */
    data class Redeem(val code: String) : LaunchRequest

    /** A notification or conversation shortcut: show this conversation. */
    data class OpenConversation(val buddyId: String) : LaunchRequest
}

/** The parts of an Android Intent that matter here. */
data class IncomingIntent(
    val action: String?,
    val data: String?,
    val buddyId: String? = null,
    /** Intent.FLAG_ACTIVITY_LAUNCHED_FROM_HISTORY: Android replays the original intent when opened from Recents. */
    val fromHistory: Boolean = false,
)

object Launches {
    const val ACTION_VIEW = "android.intent.action.VIEW"
    const val ACTION_OPEN_CONVERSATION = "chat.clearchat.action.OPEN_CONVERSATION"
    const val EXTRA_BUDDY = "chat.clearchat.extra.BUDDY"

    /** The request an intent carries, or null (the launcher icon, a replay from Recents, anything else). */
    fun parse(intent: IncomingIntent): LaunchRequest? {
        if (intent.fromHistory) return null
        return when (intent.action) {
            ACTION_VIEW -> intent.data?.let(DeepLink::code)?.let { LaunchRequest.Redeem(it) }
            ACTION_OPEN_CONVERSATION -> intent.buddyId?.takeIf { it.isNotBlank() }?.let { LaunchRequest.OpenConversation(it) }
            else -> null
        }
    }

    /**
     * In onCreate: only a fresh start reads its intent. A recreated activity (rotation, dark mode switch, restore
     * after the process was killed) has the same intent again, and it was handled the first time.
     */
    fun onCreate(intent: IncomingIntent, restored: Boolean): LaunchRequest? = if (restored) null else parse(intent)

    /** In onNewIntent: a new intent for the running activity, handled once. */
    fun onNewIntent(intent: IncomingIntent): LaunchRequest? = parse(intent)
}
