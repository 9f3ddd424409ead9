// The connection policy alone, with a fake clock: which inputs start, stop and restart the client and the service.
package chat.clearchat.app.connection

import chat.clearchat.app.connection.ConnectionAction.START_CLIENT
import chat.clearchat.app.connection.ConnectionAction.START_SERVICE
import chat.clearchat.app.connection.ConnectionAction.STOP_CLIENT
import chat.clearchat.app.connection.ConnectionAction.STOP_SERVICE
import chat.clearchat.app.connection.ConnectionInput.Foreground
import chat.clearchat.app.connection.ConnectionInput.Network
import chat.clearchat.app.connection.ConnectionInput.Service
import chat.clearchat.app.connection.ConnectionInput.StartFailed
import chat.clearchat.app.connection.ConnectionInput.Started
import chat.clearchat.app.connection.ConnectionInput.StayReachable
import chat.clearchat.app.connection.ConnectionInput.Stopped
import chat.clearchat.app.connection.ConnectionStatus.State
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test

class ConnectionPolicyTest {
    private val config = ConnectionConfig(backgroundGraceMs = 30_000, networkSettleMs = 1_500, retryMinMs = 1_000, retryMaxMs = 8_000)
    private val policy = ConnectionPolicy(config)
    private var now = 0L

    private fun input(vararg inputs: ConnectionInput) = inputs.forEach { policy.handle(it, now) }

    /** Every action due now, in order. */
    private fun actions(): List<ConnectionAction> = generateSequence { policy.poll(now) }.toList()

    /** Moves the clock to the policy's next wake-up and returns what is due then. */
    private fun wake(): List<ConnectionAction> {
        now = policy.nextWakeMs(now) ?: error("the policy asked for no wake-up")
        return actions()
    }

    /** A network, settled, and the app on screen: the client starts and runs. */
    private fun running() {
        input(Network("wifi"), Foreground(true))
        assertEquals(emptyList<ConnectionAction>(), actions(), "nothing before the network settles")
        assertEquals(listOf(START_CLIENT), wake())
        input(Started)
        assertEquals(State.RUNNING, policy.status.state)
    }

    @Test
    fun nothingRunsWithoutAScreenOrANetwork() {
        input(Network("wifi"))
        now += 10_000
        assertEquals(emptyList<ConnectionAction>(), actions(), "in the background without stay-reachable")
        assertEquals(State.OFF, policy.status.state)
        assertNull(policy.nextWakeMs(now))

        input(Network(null), Foreground(true))
        now += 10_000
        assertEquals(emptyList<ConnectionAction>(), actions(), "on screen without a network")
        assertEquals(State.NO_NETWORK, policy.status.state)
    }

    @Test
    fun startsOnScreenAndStopsAfterTheGraceInTheBackground() {
        running()
        input(Foreground(false))
        assertEquals(emptyList<ConnectionAction>(), actions(), "still within the grace")
        assertEquals(30_000L, policy.nextWakeMs(now)!! - now)
        assertEquals(listOf(STOP_CLIENT), wake())
        assertEquals(emptyList<ConnectionAction>(), actions(), "one operation at a time")
        input(Stopped)
        assertEquals(State.OFF, policy.status.state)
        assertNull(policy.nextWakeMs(now))
    }

    @Test
    fun aQuickAppSwitchKeepsTheClientRunning() {
        running()
        input(Foreground(false))
        now += 5_000
        input(Foreground(true))
        now += 60_000
        assertEquals(emptyList<ConnectionAction>(), actions())
        assertEquals(State.RUNNING, policy.status.state)
    }

    @Test
    fun aNetworkChangeRestartsOnceItSettles() {
        running()
        // Wi-Fi goes, mobile data comes, then its addresses change: one burst.
        input(Network(null))
        now += 300
        input(Network("cell"))
        now += 500
        input(Network("cell+v6"))
        assertEquals(emptyList<ConnectionAction>(), actions(), "not while the network is changing")
        assertEquals(listOf(STOP_CLIENT), wake())
        input(Stopped)
        assertEquals(listOf(START_CLIENT), actions(), "and at once up again on the new network")
        input(Started)
        now += 60_000
        assertEquals(emptyList<ConnectionAction>(), actions(), "exactly one restart")
    }

    @Test
    fun noNetworkStopsAndItsReturnStarts() {
        running()
        input(Network(null))
        assertEquals(listOf(STOP_CLIENT), wake())
        input(Stopped)
        assertEquals(State.NO_NETWORK, policy.status.state)
        input(Network("wifi"))
        assertEquals(listOf(START_CLIENT), wake())
    }

    @Test
    fun theSameNetworkAgainIsNoChange() {
        running()
        input(Network("wifi"))
        assertNull(policy.nextWakeMs(now))
        assertEquals(emptyList<ConnectionAction>(), actions())
    }

    @Test
    fun aNetworkChangeDuringAStartRestartsAfterIt() {
        input(Network("wifi"), Foreground(true))
        assertEquals(listOf(START_CLIENT), wake())
        input(Network("cell"))
        input(Started)
        assertEquals(listOf(STOP_CLIENT), wake(), "the start happened on the old network")
        input(Stopped)
        assertEquals(listOf(START_CLIENT), actions())
    }

    @Test
    fun stayReachableRunsTheServiceAndKeepsTheClientInTheBackground() {
        running()
        input(StayReachable(true))
        assertEquals(listOf(START_SERVICE), actions())
        assertEquals(emptyList<ConnectionAction>(), actions(), "asked once")
        input(Service(true))
        input(Foreground(false))
        now += 24 * 3_600_000L
        assertEquals(emptyList<ConnectionAction>(), actions())
        assertNull(policy.nextWakeMs(now))
        assertEquals(State.RUNNING, policy.status.state)

        // The person turns it off (from the service's notification): the service goes, and the client with it,
        // since the grace counts from leaving the screen, a day ago.
        input(StayReachable(false))
        assertEquals(listOf(STOP_SERVICE, STOP_CLIENT), actions())
    }

    @Test
    fun theServiceIsStartedOnlyFromTheForeground() {
        input(Network("wifi"), StayReachable(true))
        assertEquals(emptyList<ConnectionAction>(), actions(), "Android refuses a background start")
        input(Foreground(true))
        assertEquals(listOf(START_SERVICE), actions())
        // The start was refused (no Service(true) came): asked again the next time the app comes up.
        input(Foreground(false))
        input(Foreground(true))
        assertEquals(listOf(START_SERVICE), actions())
    }

    @Test
    fun theSystemEndingTheServiceEndsTheBackgroundRun() {
        running()
        input(StayReachable(true))
        assertEquals(listOf(START_SERVICE), actions())
        input(Service(true), Foreground(false))
        now += 3_600_000L
        assertEquals(emptyList<ConnectionAction>(), actions())
        input(Service(false))
        assertEquals(listOf(STOP_CLIENT), actions(), "the grace ran out long ago")
    }

    @Test
    fun failedStartsAreRetriedWithBackoffAndAtOnceWhenTheAppComesBack() {
        input(Network("wifi"), Foreground(true))
        assertEquals(listOf(START_CLIENT), wake())
        val delays = mutableListOf<Long>()
        repeat(5) {
            input(StartFailed("no socket"))
            assertEquals(State.RETRYING, policy.status.state)
            assertEquals("no socket", policy.status.lastError)
            val before = now
            assertEquals(listOf(START_CLIENT), wake())
            delays += now - before
        }
        assertEquals(listOf(1_000L, 2_000L, 4_000L, 8_000L, 8_000L), delays)
        input(StartFailed("no socket"))
        input(Foreground(false), Foreground(true))
        assertEquals(listOf(START_CLIENT), actions(), "no wait when the person comes back")
        input(Started)
        assertNull(policy.status.lastError)
    }

    @Test
    fun aReplyFromANotificationRunsTheClientForTheGrace() {
        input(Network("wifi"))
        now += 10_000
        input(ConnectionInput.Nudge)
        assertEquals(listOf(START_CLIENT), actions(), "the process was started for the reply, in the background")
        input(Started)
        assertEquals(30_000L, policy.nextWakeMs(now)!! - now)
        assertEquals(listOf(STOP_CLIENT), wake())
    }

    @Test
    fun aFailedStartInTheBackgroundIsNotRetriedAfterTheGrace() {
        input(Network("wifi"), Foreground(true))
        assertEquals(listOf(START_CLIENT), wake())
        input(Foreground(false))
        now += 31_000
        input(StartFailed("no socket"))
        now += 60_000
        assertEquals(emptyList<ConnectionAction>(), actions())
        assertEquals(State.OFF, policy.status.state)
    }
}
