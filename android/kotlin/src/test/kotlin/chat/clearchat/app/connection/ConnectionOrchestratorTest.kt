// The orchestrator against the real library: Betty's client is started, restarted and stopped by app state and
// network changes, as Amy's client sees it (PeerOnline/PeerOffline over real QUIC on loopback) and as messages
// arrive; failed starts are retried without an exception escaping; the LAN lock is held exactly while running.
package chat.clearchat.app.connection

import chat.clearchat.core.ClearchatClient
import chat.clearchat.core.Event
import chat.clearchat.core.Harness
import chat.clearchat.core.Recorder
import chat.clearchat.core.receivedTexts
import chat.clearchat.app.await
import kotlinx.coroutines.CoroutineExceptionHandler
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.atomic.AtomicInteger

class ConnectionOrchestratorTest {
    private val h = Harness()
    private val escaped = CopyOnWriteArrayList<Throwable>()
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default + CoroutineExceptionHandler { _, e -> escaped += e })

    @AfterEach
    fun tearDown() {
        scope.cancel()
        h.close()
    }

    /** Counts the multicast lock: held while acquisitions outnumber releases. */
    private class CountingLock : LanLock {
        val acquired = AtomicInteger()
        val released = AtomicInteger()
        val held: Int get() = acquired.get() - released.get()
        override fun acquire() { acquired.incrementAndGet() }
        override fun release() { released.incrementAndGet() }
    }

    /** Stands in for Android's service: records the calls; the test says when the service runs. */
    private class FakeService : ServiceControl {
        val starts = AtomicInteger()
        val stops = AtomicInteger()
        override fun startService() { starts.incrementAndGet() }
        override fun stopService() { stops.incrementAndGet() }
    }

    /** Amy and Betty are buddies; Betty is stopped, Amy records her events. Returns Betty's buddy id at Amy. */
    private suspend fun buddies(amy: ClearchatClient, betty: ClearchatClient): String {
        val invite = amy.createBuddyInvite("betty")
        betty.redeem(invite.uri)
        val bettyAtAmy = waitForBuddy(amy, "Betty")
        betty.stop()
        // Amy has seen Betty go, so nothing of the setup is left to arrive later.
        val deadline = System.nanoTime() + 60_000_000_000
        while (amy.buddies().single { it.id == bettyAtAmy }.online) {
            check(System.nanoTime() < deadline) { "Amy never saw Betty stop" }
            kotlinx.coroutines.delay(20)
        }
        return bettyAtAmy
    }

    private suspend fun waitForBuddy(c: ClearchatClient, name: String): String {
        val deadline = System.nanoTime() + 60_000_000_000
        while (System.nanoTime() < deadline) {
            c.buddies().firstOrNull { it.name == name }?.let { return it.id }
            kotlinx.coroutines.delay(20)
        }
        throw AssertionError("$name never became a buddy")
    }

    /** Betty's comings and goings as Amy saw them, repeats folded (two connections may both report). */
    private fun List<Event>.presence(device: String): List<String> = mapNotNull {
        when {
            it is Event.PeerOnline && it.deviceId == device -> "online"
            it is Event.PeerOffline && it.deviceId == device -> "offline"
            else -> null
        }
    }.fold(emptyList()) { acc, s -> if (acc.lastOrNull() == s) acc else acc + s }

    @Test
    fun appStateAndNetworkDriveTheRealClient() = runBlocking {
        val amy = h.open("amy").also { it.setPersonName("Amy") }
        val betty = h.open("betty").also { it.setPersonName("Betty") }
        val bettyAtAmy = buddies(amy, betty)
        val amyAtBetty = betty.buddies().single().id
        val bettyDevice = betty.me().deviceId
        val atAmy = Recorder(amy, h.scope).also { it.ready() }
        val atBetty = Recorder(betty, h.scope).also { it.ready() }
        val lock = CountingLock()
        val service = FakeService()
        val config = ConnectionConfig(backgroundGraceMs = 0, networkSettleMs = 50, retryMinMs = 50, retryMaxMs = 200)
        val orchestrator = ConnectionOrchestrator(betty.asConnection().holding(lock), service, scope, config)

        // On screen with a network: Betty goes online.
        orchestrator.setNetwork("wifi")
        orchestrator.setForeground(true)
        orchestrator.status.await("running") { it.state == ConnectionStatus.State.RUNNING }
        atAmy.await("Betty online") { it.presence(bettyDevice) == listOf("online") }
        assertEquals(1, lock.held)
        amy.send(bettyAtAmy, "one")
        atBetty.await("one") { it.receivedTexts(amyAtBetty) == listOf("one") }

        // Another network: a restart, seen by Amy as Betty leaving and coming back.
        orchestrator.setNetwork("cell")
        // (A loaded machine may add a flap of its own: count what was seen rather than expect an exact story.)
        val back = atAmy.await("Betty back after the restart") { ev ->
            ev.presence(bettyDevice).let { it.size >= 3 && it.last() == "online" }
        }
        val seenRunning = back.presence(bettyDevice).size
        orchestrator.status.await("running again") { it.state == ConnectionStatus.State.RUNNING }
        assertEquals(2, lock.acquired.get())
        assertEquals(1, lock.held)

        // The app leaves the screen without "stay reachable": Betty goes offline, the lock is released.
        orchestrator.setForeground(false)
        val off = atAmy.await("Betty offline") { ev ->
            ev.presence(bettyDevice).let { it.size > seenRunning && it.last() == "offline" }
        }
        val seenOff = off.presence(bettyDevice).size
        orchestrator.status.await("off") { it.state == ConnectionStatus.State.OFF }
        assertEquals(0, lock.held)
        amy.send(bettyAtAmy, "two") // waits at Amy until Betty is back

        // "Stay reachable": the service is asked for once the app is on screen; Betty catches up.
        orchestrator.setStayReachable(true)
        orchestrator.setForeground(true)
        atBetty.await("two, caught up") { it.receivedTexts(amyAtBetty) == listOf("one", "two") }
        assertEquals(1, service.starts.get())
        orchestrator.setServiceRunning(true)

        // In the background with the service running (and no grace at all): Betty still receives.
        orchestrator.setForeground(false)
        amy.send(bettyAtAmy, "three")
        atBetty.await("three, in the background") { it.receivedTexts(amyAtBetty) == listOf("one", "two", "three") }
        // Betty's client can hand her messages before its start() has returned to the orchestrator, so the
        // status may still say STARTING here: wait for RUNNING (a wrong stop would leave it OFF and fail).
        orchestrator.status.await("running in the background") { it.state == ConnectionStatus.State.RUNNING }

        // "Stay reachable" off: the service is stopped, and the client with it.
        orchestrator.setStayReachable(false)
        orchestrator.status.await("off again") { it.state == ConnectionStatus.State.OFF }
        assertEquals(1, service.stops.get())
        assertEquals(0, lock.held)
        atAmy.await("Betty offline again") { ev -> ev.presence(bettyDevice).let { it.size >= seenOff + 2 && it.last() == "offline" } }
        orchestrator.close()
        assertTrue(escaped.isEmpty(), "escaped: $escaped")
    }

    @Test
    fun failedStartsAreRetriedAndNeverEscape() = runBlocking {
        val betty = h.open("betty", start = false)
        val failures = AtomicInteger(2)
        val flaky = object : Connection {
            override suspend fun start() {
                if (failures.getAndDecrement() > 0) throw IllegalStateException("no socket")
                betty.start()
            }

            override suspend fun stop() = betty.stop()
        }
        val lock = CountingLock()
        val config = ConnectionConfig(backgroundGraceMs = 0, networkSettleMs = 0, retryMinMs = 50, retryMaxMs = 200)
        val orchestrator = ConnectionOrchestrator(flaky.holding(lock), FakeService(), scope, config)
        orchestrator.setNetwork("wifi")
        orchestrator.setForeground(true)
        val retrying = orchestrator.status.await("retrying") { it.state == ConnectionStatus.State.RETRYING }
        assertEquals("Something went wrong. Try again.", retrying.lastError)
        orchestrator.status.await("running after two failures") { it.state == ConnectionStatus.State.RUNNING }
        assertEquals(3, lock.acquired.get())
        assertEquals(1, lock.held, "released after each failed start")
        assertTrue(failures.get() < 0)
        orchestrator.setForeground(false)
        orchestrator.status.await("off") { it.state == ConnectionStatus.State.OFF }
        assertEquals(0, lock.held)
        orchestrator.close()
        assertTrue(escaped.isEmpty(), "escaped: $escaped")
    }
}
