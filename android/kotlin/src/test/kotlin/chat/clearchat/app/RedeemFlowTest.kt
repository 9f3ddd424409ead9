// A code from a link waits for the person's yes (declining leaves the code unused), the camera's gate drops a code
// that just failed but takes the next one, and the typed code and a draft outlive the view model.
package chat.clearchat.app

import chat.clearchat.core.ClearchatClient
import chat.clearchat.core.Harness
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class RedeemFlowTest {
    private val h = Harness()

    @AfterEach
    fun tearDown() = h.close()

    private suspend fun person(name: String): ClearchatClient = h.open(name).also { it.setPersonName(name) }

    @Test
    fun aLinkedCodeIsRedeemedOnlyAfterYes() = runBlocking {
        val betty = person("Betty")
        val amy = person("Amy")
        val carol = person("Carol")

        val declined = betty.createBuddyInvite("").uri
        val vm = RedeemViewModel(amy, h.scope, initialCode = declined, confirmFirst = true)
        assertTrue(vm.state.value.confirming)
        assertFalse(vm.state.value.canSubmit)
        vm.submit() // the screen's button is disabled; even a stray call does nothing
        assertFalse(vm.state.value.busy)
        vm.decline()
        assertTrue(vm.state.value.declined)
        // Amy never used the code: Carol still can.
        val carolVm = RedeemViewModel(carol, h.scope, initialCode = declined)
        val carolResult = carolVm.state.await("Carol redeemed", 60) { it.result != null || it.error != null }
        assertNull(carolResult.error)
        assertTrue(amy.buddies().isEmpty())

        val accepted = betty.createBuddyInvite("").uri
        val yes = RedeemViewModel(amy, h.scope, initialCode = accepted, confirmFirst = true)
        yes.confirm()
        val done = yes.state.await("Amy redeemed", 60) { it.result != null || it.error != null }
        assertEquals("Betty", (done.result as RedeemResult.BuddyAdded).name)
    }

    @Test
    fun theCameraGateDropsTheCodeThatJustFailedButTakesTheNext() = runBlocking {
        val betty = person("Betty")
        val amy = person("Amy")
        val carol = person("Carol")
        val used = betty.createBuddyInvite("").uri
        carol.redeem(used)

        val vm = RedeemViewModel(amy, h.scope)
        assertTrue(vm.scanned(used))
        val failed = vm.state.await("used code refused", 60) { it.error != null }
        assertEquals("This code was already used. Ask for a new one.", failed.error)
        assertTrue(failed.scanning, "the camera is listening again")
        assertFalse(vm.scanned(used), "the same bad code, seen again by the camera, is not retried")
        assertFalse(vm.state.value.busy)

        val fresh = betty.createBuddyInvite("").uri
        assertTrue(vm.scanned(fresh))
        val ok = vm.state.await("fresh code redeemed", 60) { it.result != null }
        assertFalse(ok.scanning)
        assertFalse(vm.scanned(fresh), "nothing more once done")
    }

    @Test
    fun theTypedCodeAndTheDraftOutliveTheirViewModels() = runBlocking {
        val amy = person("Amy")
        val savedRedeem = InMemorySavedValues()
        RedeemViewModel(amy, h.scope, saved = savedRedeem).apply { setInput("CLEARCHAT:HALF"); close() }
        assertEquals("CLEARCHAT:HALF", RedeemViewModel(amy, h.scope, saved = savedRedeem).state.value.input)

        val betty = person("Betty")
        amy.redeem(betty.createBuddyInvite("").uri)
        val bettyId = amy.buddies().single().id
        val savedDraft = InMemorySavedValues()
        ConversationViewModel(amy, h.scope, bettyId, saved = savedDraft).apply { setDraft("half a thought"); close() }
        val again = ConversationViewModel(amy, h.scope, bettyId, saved = savedDraft)
        assertEquals("half a thought", again.state.value.draft)
        again.send()
        again.state.await("sent, draft cleared") { it.draft.isEmpty() && !it.sending }
        assertEquals("", savedDraft["conversation.draft"])
    }
}
