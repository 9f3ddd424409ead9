// Codes that cannot work surface as typed exceptions that carry their reason.
package chat.clearchat.core

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class InviteErrorsTest {
    private val h = Harness()

    @AfterEach
    fun tearDown() = h.close()

    @Test
    fun badCodeIsInvalidCodeWithReason() = runBlocking {
        val betty = h.open("betty", start = false)
        for (bad in listOf("hello there!", "", "ABCD-EFGH")) {
            val e = assertThrows(ClearchatException.InvalidCode::class.java) { runBlocking { betty.redeem(bad) } }
            assertTrue(e.reason.isNotBlank(), "reason for '$bad'")
            assertTrue(e.description.contains(e.reason), e.description)
            assertTrue(e.message!!.contains(e.reason), e.message)
        }
        // A real code with one character changed fails its checksum.
        val amy = h.open("amy", start = false)
        amy.setPersonName("Amy")
        val code = amy.createBuddyInvite("typo").code
        val i = code.indexOfFirst { it.isLetter() }
        val typo = code.substring(0, i) + (if (code[i] == 'A') 'B' else 'A') + code.substring(i + 1)
        val e = assertThrows(ClearchatException.InvalidCode::class.java) { runBlocking { betty.redeem(typo) } }
        assertTrue(e.reason.isNotBlank())
        println("invalid code reasons, e.g.: ${e.reason} / ${e.description}")
    }

    @Test
    fun expiredInviteIsInviteExpired() = runBlocking {
        val amy = h.open("amy")
        amy.setPersonName("Amy")
        val betty = h.open("betty")
        betty.setPersonName("Betty")
        val expired = amy.createInvite(InvitePurpose.BUDDY, "late", 0uL)
        val e = assertThrows(ClearchatException.InviteExpired::class.java) { runBlocking { betty.redeem(expired.code) } }
        assertTrue(e.description.isNotBlank())
        assertTrue(betty.buddies().isEmpty())
    }

    @Test
    fun usedInviteIsInviteAlreadyUsed() = runBlocking {
        val amy = h.open("amy")
        amy.setPersonName("Amy")
        val betty = h.open("betty")
        betty.setPersonName("Betty")
        val carol = h.open("carol")
        carol.setPersonName("Carol")
        val invite = amy.createBuddyInvite("for Betty")
        assertEquals("Amy", (betty.redeem(invite.code) as Redeemed.Buddy).name)
        val e = assertThrows(ClearchatException.InviteAlreadyUsed::class.java) {
            runBlocking { carol.redeem(invite.code) }
        }
        assertTrue(e.description.isNotBlank())
        assertTrue(carol.buddies().isEmpty())
    }
}
