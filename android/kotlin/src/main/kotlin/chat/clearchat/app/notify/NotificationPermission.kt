// When to ask for POST_NOTIFICATIONS (Android 13+): once, when the person has a reason to want notifications.
package chat.clearchat.app.notify

object NotificationPermissionRule {
    /** The first Android version (13, API 33) on which notifications need the person's permission. */
    const val FIRST_SDK = 33

    /**
     * Ask when onboarding is done and there is something to notify about (a buddy, or "stay reachable" whose
     * service shows a notification), never before, and only once: Android stops showing the dialog after two
     * refusals, and asking at every start would nag. The settings screen stays the way back.
     */
    fun shouldAsk(sdk: Int, granted: Boolean, askedBefore: Boolean, onboarded: Boolean, hasBuddy: Boolean, stayReachable: Boolean): Boolean =
        sdk >= FIRST_SDK && !granted && !askedBefore && onboarded && (hasBuddy || stayReachable)
}
