// Intents that open the app: what each asks for, and that each is handled once (not again on rotation or from Recents).
package chat.clearchat.app

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test

class LaunchTest {
    private fun view(data: String, fromHistory: Boolean = false) = IncomingIntent(Launches.ACTION_VIEW, data, fromHistory = fromHistory)
    private fun open(buddy: String?) = IncomingIntent(Launches.ACTION_OPEN_CONVERSATION, null, buddyId = buddy)

    @Test
    fun linksInBothCasesAskToRedeem() {
        // The QR payload is uppercase (QR alphanumeric mode); Android hands it over as data "CLEARCHAT:...".
        assertEquals(LaunchRequest.Redeem("CLEARCHAT:ABCDE234"), Launches.parse(view("CLEARCHAT:ABCDE234")))
        assertEquals(LaunchRequest.Redeem("clearchat:abcde234"), Launches.parse(view("clearchat:abcde234")))
        assertNull(Launches.parse(view("https://example.org/CLEARCHAT:ABC")))
        assertNull(Launches.parse(view("clearchat:")))
    }

    @Test
    fun notificationsAndShortcutsOpenAConversation() {
        assertEquals(LaunchRequest.OpenConversation("b1"), Launches.parse(open("b1")))
        assertNull(Launches.parse(open(null)))
        assertNull(Launches.parse(open(" ")))
        assertNull(Launches.parse(IncomingIntent("android.intent.action.MAIN", null)), "the launcher icon")
    }

    @Test
    fun eachIntentIsHandledOnce() {
        val link = view("CLEARCHAT:ABCDE234")
        assertEquals(LaunchRequest.Redeem("CLEARCHAT:ABCDE234"), Launches.onCreate(link, restored = false))
        // Rotation, dark mode, or the process restored after being killed: the same intent, already handled.
        assertNull(Launches.onCreate(link, restored = true))
        // Reopened from Recents: Android replays the launching intent with FLAG_ACTIVITY_LAUNCHED_FROM_HISTORY.
        assertNull(Launches.onCreate(view("CLEARCHAT:ABCDE234", fromHistory = true), restored = false))
        assertEquals(LaunchRequest.OpenConversation("b1"), Launches.onNewIntent(open("b1")))
    }

    @Test
    fun navigationNeverStacksTheSameRequest() {
        val nav = Navigation(onboarded = true)
        nav.open(LaunchRequest.OpenConversation("b1"))
        nav.push(Screen.AddBuddy)
        nav.open(LaunchRequest.OpenConversation("b1"))
        assertEquals(listOf(Screen.Buddies, Screen.Conversation("b1")), nav.stack.value)
        nav.open(LaunchRequest.Redeem("CLEARCHAT:A"))
        nav.open(LaunchRequest.Redeem("CLEARCHAT:B"))
        assertEquals(
            listOf(Screen.Buddies, Screen.Conversation("b1"), Screen.Redeem("CLEARCHAT:B", confirm = true)),
            nav.stack.value,
        )
    }

    @Test
    fun aRequestBeforeTheDeviceIsOpenWaitsForIt() {
        // A cold start from a notification: the device is still opening, the screen says "onboarding".
        val nav = Navigation(onboarded = false)
        nav.open(LaunchRequest.OpenConversation("b1"))
        assertEquals(listOf(Screen.Onboarding), nav.stack.value)
        nav.onboardingDone()
        assertEquals(listOf(Screen.Buddies, Screen.Conversation("b1")), nav.stack.value)
    }

    @Test
    fun theStackSurvivesAsStrings() {
        val nav = Navigation(onboarded = true)
        nav.push(Screen.Conversation("b1"))
        nav.push(Screen.Redeem("CLEARCHAT:AB:CD", confirm = true))
        nav.push(Screen.Redeem())
        nav.push(Screen.Devices)
        val again = Navigation(onboarded = false)
        again.restore(nav.save())
        assertEquals(nav.stack.value, again.stack.value)
        again.restore(listOf("buddies", "nonsense"))
        assertEquals(nav.stack.value, again.stack.value, "an unreadable stack is ignored")
    }
}
