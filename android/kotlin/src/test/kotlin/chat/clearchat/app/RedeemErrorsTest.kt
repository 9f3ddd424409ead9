// Mangled, expired, own and repeated codes are explained in plain words by the redeem view model.
package chat.clearchat.app

import chat.clearchat.core.ClearchatClient
import chat.clearchat.core.InvitePurpose
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

class RedeemErrorsTest {
    @TempDir
    lateinit var dir: Path
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private lateinit var amy: ClearchatClient
    private lateinit var betty: ClearchatClient

    @BeforeEach
    fun setUp() = runBlocking {
        amy = ClearchatClient.openLoopback(dir.resolve("amy").toString(), "amy-laptop")
        betty = ClearchatClient.openLoopback(dir.resolve("betty").toString(), "betty-laptop")
        amy.setPersonName("Amy")
        betty.setPersonName("Betty")
    }

    @AfterEach
    fun tearDown() {
        scope.cancel()
        amy.close()
        betty.close()
    }

    private suspend fun redeemAt(client: ClearchatClient, code: String): RedeemState {
        val vm = RedeemViewModel(client, scope)
        vm.setInput(code)
        vm.submit()
        return vm.state.await("redeem of $code", 60) { !it.busy && (it.error != null || it.result != null) }
            .also { vm.close() }
    }

    @Test
    fun emptyInputIsCaughtBeforeTheCore() {
        val vm = RedeemViewModel(betty, scope)
        vm.setInput("   ")
        vm.submit()
        assertEquals("Paste or scan a code first.", vm.state.value.error)
        assertTrue(!vm.state.value.busy)
    }

    @Test
    fun mangledCodeIsExplained() = runBlocking {
        val code = amy.createBuddyInvite("for Betty").code
        // A typo in the middle: the checksum no longer matches.
        val i = code.length / 2
        val typo = code.substring(0, i) + (if (code[i] == 'A') 'B' else 'A') + code.substring(i + 1)
        val s = redeemAt(betty, typo)
        assertNull(s.result)
        assertTrue(s.error!!.startsWith("This code can't be read ("), s.error)
        assertTrue(s.error!!.endsWith("Check that you copied all of it, or scan it again."), s.error)

        val cut = redeemAt(betty, code.take(20))
        assertTrue(cut.error!!.startsWith("This code can't be read ("), cut.error)
        val junk = redeemAt(betty, "hello there!")
        assertTrue(junk.error!!.startsWith("This code can't be read ("), junk.error)
    }

    @Test
    fun expiredOwnAndUsedCodesAreExplained() = runBlocking {
        amy.start()
        betty.start()
        val expired = amy.createInvite(InvitePurpose.BUDDY, "late", 0uL).code
        assertEquals("This code has expired. Ask for a new one.", redeemAt(betty, expired).error)

        val own = amy.createBuddyInvite("mine").code
        assertEquals("This is your own code. Show it to the other person instead.", redeemAt(amy, own).error)

        val ok = redeemAt(betty, own)
        assertNull(ok.error)
        assertEquals(RedeemResult.BuddyAdded((ok.result as RedeemResult.BuddyAdded).buddyId, "Amy"), ok.result)
        val again = amy.createBuddyInvite("again").code
        assertEquals("You and Amy are already buddies.", redeemAt(betty, again).error)
    }
}
