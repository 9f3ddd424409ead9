// Navigation stack, `clearchat:` deep links and input validation: pure JVM, no core needed.
package chat.clearchat.app

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class NavigationTest {
    @Test
    fun deepLinkParsing() {
        assertEquals("CLEARCHAT:ABCDE234", DeepLink.code("CLEARCHAT:ABCDE234"))
        assertEquals("clearchat://abcde-23456", DeepLink.code("  clearchat://abcde-23456 \n"))
        assertEquals("ClearChat:ABC", DeepLink.code("ClearChat:ABC"))
        assertNull(DeepLink.code("clearchat:"))
        assertNull(DeepLink.code("clearchat://"))
        assertNull(DeepLink.code("https://example.org/clearchat:ABC"))
        assertNull(DeepLink.code("clearchat:ABC?x=<script>"))
        assertNull(DeepLink.code("mailto:amy@example.org"))
    }

    @Test
    fun stackAndBack() {
        val nav = Navigation(onboarded = true)
        assertEquals(Screen.Buddies, nav.current)
        nav.push(Screen.Conversation("b1"))
        nav.push(Screen.AddBuddy)
        assertTrue(nav.pop())
        assertEquals(Screen.Conversation("b1"), nav.current)
        assertTrue(nav.pop())
        assertFalse(nav.pop())
        assertEquals(listOf(Screen.Buddies), nav.stack.value)
    }

    @Test
    fun deepLinkOpensRedeem() {
        val nav = Navigation(onboarded = true)
        nav.push(Screen.Redeem())
        assertTrue(nav.openUri("clearchat:AAAAA"))
        assertEquals(listOf(Screen.Buddies, Screen.Redeem("clearchat:AAAAA", confirm = true)), nav.stack.value)
        assertFalse(nav.openUri("https://clearchat.example/"))
    }

    @Test
    fun deepLinkDuringOnboardingWaits() {
        val nav = Navigation(onboarded = false)
        assertEquals(Screen.Onboarding, nav.current)
        assertTrue(nav.openUri("CLEARCHAT:BBBBB"))
        assertEquals(Screen.Onboarding, nav.current)
        assertNotNull(nav.pendingCode)
        nav.onboardingDone()
        assertEquals(listOf(Screen.Buddies, Screen.Redeem("CLEARCHAT:BBBBB", confirm = true)), nav.stack.value)
        assertNull(nav.pendingCode)
    }

    @Test
    fun validation() {
        assertEquals("Enter a name.", Validation.name("  "))
        assertNull(Validation.name("Amy's phone"))
        assertNotNull(Validation.name("x".repeat(65)))
        assertNull(Validation.name("é".repeat(32)))
        assertNotNull(Validation.name("é".repeat(33)))
        assertNotNull(Validation.name("a\u0007b"))
        assertEquals("Write something first.", Validation.message(" \n "))
        assertNull(Validation.message("hi"))
        assertNotNull(Validation.message("x".repeat(16 * 1024 + 1)))
        assertEquals("Paste or scan a code first.", Validation.code(""))
    }
}
