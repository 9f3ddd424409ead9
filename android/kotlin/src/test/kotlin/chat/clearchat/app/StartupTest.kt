// Opening the device and onboarding against the real core: a store that cannot be opened gives an error state (no
// crash) and a retry; onboarding is complete only at its last step, and an unfinished one resumes at the choice.
package chat.clearchat.app

import chat.clearchat.core.ClearchatClient
import chat.clearchat.core.ClearchatClientInterface
import kotlinx.coroutines.CoroutineExceptionHandler
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.CopyOnWriteArrayList

class StartupTest {
    @TempDir
    lateinit var dir: Path
    private val escaped = CopyOnWriteArrayList<Throwable>()
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default + CoroutineExceptionHandler { _, e -> escaped += e })
    private val clients = CopyOnWriteArrayList<ClearchatClient>()

    @AfterEach
    fun tearDown() {
        scope.cancel()
        runBlocking { clients.forEach { runCatching { it.stop() } } }
        clients.forEach { it.close() }
    }

    /** A phone's start-up as the app does it: what it remembers (device name, onboarded) and the client in [data]. */
    private inner class Phone(private val data: Path, var savedName: String? = null, var onboarded: Boolean = false) {
        val startup = ClientStartup(scope, { savedName }, { savedName = it }, { onboarded }, { onboarded = true }) { name ->
            ClearchatClient.openLoopback(data.toString(), name).also { clients += it }
        }
    }

    private suspend fun ready(startup: ClientStartup): StartupState.Ready =
        startup.state.await("ready") { it is StartupState.Ready } as StartupState.Ready

    private suspend fun closeAll() {
        clients.forEach { it.stop(); it.close() }
        clients.clear()
    }

    @Test
    fun aStoreThatCannotBeOpenedShowsAnErrorAndARetryWorks() = runBlocking {
        val data = dir.resolve("clearchat")
        Files.writeString(data, "not a directory") // e.g. a damaged install
        val phone = Phone(data, savedName = "Amy's phone")
        phone.startup.start()
        val failed = phone.startup.state.await("failed") { it is StartupState.Failed } as StartupState.Failed
        assertTrue(failed.message.isNotBlank())
        assertFalse(failed.message.contains("Exception"), "plain words: ${failed.message}")

        Files.delete(data)
        phone.startup.retry()
        val ok = ready(phone.startup)
        assertFalse(ok.onboarded, "a new device is not onboarded")
        assertTrue(escaped.isEmpty(), "escaped: $escaped")
    }

    @Test
    fun nothingIsOpenedOnAFirstRun() {
        val phone = Phone(dir.resolve("clearchat"))
        phone.startup.start()
        assertEquals(StartupState.NotCreated, phone.startup.state.value)
        assertNull(phone.savedName)
    }

    @Test
    fun onboardingLeftAfterTheDeviceNameResumesAtTheChoice() = runBlocking {
        val data = dir.resolve("clearchat")
        val first = Phone(data)
        val onboarding = OnboardingViewModel(scope, "Amy's phone") { name -> first.startup.create(name) }
        onboarding.submitDeviceName()
        onboarding.state.await("choice") { it.step == OnboardingStep.CHOOSE }
        assertEquals("Amy's phone", first.savedName, "the device exists now")
        assertFalse(first.onboarded, "but onboarding is not done")
        assertEquals(OnboardingStep.CHOOSE, OnboardingRule.startStep(created = first.savedName != null, completed = first.onboarded))
        onboarding.close()
        closeAll() // the person leaves the app here (or it is killed)

        val second = Phone(data, first.savedName, first.onboarded)
        second.startup.start()
        val reopened = ready(second.startup)
        assertFalse(reopened.onboarded, "not onboarded: no name yet")
        val resumed = OnboardingViewModel(scope, existing = reopened.client) { error("the device exists") }
        assertEquals(OnboardingStep.CHOOSE, resumed.state.value.step)
        resumed.chooseNewPerson()
        resumed.setPersonName("Amy")
        resumed.submitPersonName()
        resumed.state.await("done") { it.step == OnboardingStep.DONE }
        second.startup.onboarded() // what the app does at DONE
        assertTrue(second.onboarded)
        assertEquals("Amy", reopened.client.me().personName)
        resumed.close()
        closeAll()

        val third = Phone(data, second.savedName, second.onboarded)
        third.startup.start()
        assertTrue(ready(third.startup).onboarded)
        assertTrue(escaped.isEmpty(), "escaped: $escaped")
    }

    @Test
    fun aBuddyCodeDuringOnboardingStillAsksForMyName() = runBlocking {
        val betty: ClearchatClientInterface = ClearchatClient.openLoopback(dir.resolve("betty").toString(), "betty").also {
            clients += it
            it.start()
            it.setPersonName("Betty")
        }
        val code = betty.createBuddyInvite("").uri
        val phone = Phone(dir.resolve("clearchat"))
        val onboarding = OnboardingViewModel(scope, "Amy's phone") { name -> phone.startup.create(name).also { it.start() } }
        onboarding.submitDeviceName()
        onboarding.state.await("choice") { it.step == OnboardingStep.CHOOSE }
        onboarding.chooseLink()
        onboarding.redeem!!.setInput(code)
        onboarding.redeem!!.submit()
        val named = onboarding.state.await("asked for my name", 60) { it.step == OnboardingStep.PERSON_NAME }
        assertEquals("Betty", named.addedBuddy)
        assertFalse(onboarding.back(), "no way back to linking: this device has a buddy now")
        assertEquals(OnboardingStep.PERSON_NAME, onboarding.state.value.step)
        onboarding.setPersonName("Amy")
        onboarding.submitPersonName()
        onboarding.state.await("done") { it.step == OnboardingStep.DONE }
        assertEquals("Amy", onboarding.client!!.me().personName, "the buddy sees my name, not the phone's")
        onboarding.close()
    }
}
