// When the client runs: a pure state machine from what the app knows (on screen, network, "stay reachable", the
// foreground service) to actions (start or stop the client, start or stop the service). Time is passed in; no I/O.
package chat.clearchat.app.connection

/** Delays of the policy, in milliseconds. */
data class ConnectionConfig(
    /** The client keeps running this long after the app left the screen (a send in flight, a quick app switch). */
    val backgroundGraceMs: Long = 30_000,
    /** Network changes come in bursts (Wi-Fi lost, mobile data up, new addresses): act once they are quiet this long. */
    val networkSettleMs: Long = 1_500,
    /** A failed start is retried after this long, doubling up to [retryMaxMs]. */
    val retryMinMs: Long = 1_000,
    val retryMaxMs: Long = 60_000,
)

/** What the host tells the policy, and what became of the actions it asked for. */
sealed interface ConnectionInput {
    /** The app has a screen the person sees (ProcessLifecycleOwner started on Android). */
    data class Foreground(val on: Boolean) : ConnectionInput

    /**
     * The network the device uses now: null when there is none; another value when it changed (another network,
     * or new addresses on it), which restarts a running client so it listens and announces itself there.
     */
    data class Network(val id: String?) : ConnectionInput

    /** The person's "stay reachable" setting: keep running in the background, in the foreground service. */
    data class StayReachable(val on: Boolean) : ConnectionInput

    /** The foreground service runs (it called startForeground) or ended. */
    data class Service(val running: Boolean) : ConnectionInput

    /**
     * The person did something from outside the app's screens (replied or marked read from a notification):
     * the client runs for the grace period so that it gets delivered.
     */
    data object Nudge : ConnectionInput

    data object Started : ConnectionInput
    data class StartFailed(val reason: String) : ConnectionInput
    data object Stopped : ConnectionInput
}

enum class ConnectionAction { START_CLIENT, STOP_CLIENT, START_SERVICE, STOP_SERVICE }

/** What a screen can say about the connection. */
data class ConnectionStatus(val state: State, val lastError: String? = null) {
    enum class State {
        /** Not wanted now (in the background without "stay reachable"). */
        OFF,
        /** Wanted, but there is no network. */
        NO_NETWORK,
        STARTING,
        /** The client runs: it listens, dials known devices and syncs. */
        RUNNING,
        /** The last start failed; another try is scheduled. */
        RETRYING,
        STOPPING,
    }
}

/**
 * `handle(input, now)` in, `poll(now)` out, `nextWakeMs(now)` for the host's timer. One client operation is in
 * flight at a time: after START_CLIENT or STOP_CLIENT the policy waits for [ConnectionInput.Started],
 * [ConnectionInput.StartFailed] or [ConnectionInput.Stopped].
 */
class ConnectionPolicy(private val config: ConnectionConfig = ConnectionConfig()) {
    private enum class Phase { STOPPED, STARTING, RUNNING, STOPPING }

    private var phase = Phase.STOPPED
    private var foreground = false
    private var backgroundSince: Long? = null
    private var network: String? = null
    private var networkChangedAt: Long? = null
    private var stayReachable = false
    private var serviceRunning = false
    private var serviceAsked = false
    private var serviceStopAsked = false
    private var startedOn: String? = null
    private var failures = 0
    private var retryAt: Long? = null
    private var lastError: String? = null

    fun handle(input: ConnectionInput, now: Long) {
        when (input) {
            is ConnectionInput.Foreground -> {
                if (input.on == foreground) return
                foreground = input.on
                backgroundSince = if (input.on) null else now
                if (input.on) {
                    retryAt = null // the person is looking: try again now
                    serviceAsked = false
                }
            }
            is ConnectionInput.Network -> {
                if (input.id == network) return
                network = input.id
                networkChangedAt = now
                retryAt = null
            }
            is ConnectionInput.StayReachable -> {
                stayReachable = input.on
                serviceAsked = false
                serviceStopAsked = false
            }
            is ConnectionInput.Service -> {
                serviceRunning = input.running
                serviceAsked = false
                serviceStopAsked = false
            }
            ConnectionInput.Nudge -> {
                if (!foreground) backgroundSince = now
                retryAt = null
            }
            ConnectionInput.Started -> {
                phase = Phase.RUNNING
                failures = 0
                retryAt = null
                lastError = null
            }
            is ConnectionInput.StartFailed -> {
                phase = Phase.STOPPED
                failures++
                val backoff = config.retryMinMs shl (failures - 1).coerceAtMost(20)
                retryAt = now + backoff.coerceAtMost(config.retryMaxMs)
                lastError = input.reason
            }
            ConnectionInput.Stopped -> phase = Phase.STOPPED
        }
    }

    /** The next action to take now, or null when there is nothing to do until an input or [nextWakeMs]. */
    fun poll(now: Long): ConnectionAction? {
        if (stayReachable && !serviceRunning && !serviceAsked && foreground) {
            // Android lets an app start a foreground service only while it is in the foreground.
            serviceAsked = true
            return ConnectionAction.START_SERVICE
        }
        if (!stayReachable && serviceRunning && !serviceStopAsked) {
            serviceStopAsked = true
            return ConnectionAction.STOP_SERVICE
        }
        val settled = networkSettled(now)
        when (phase) {
            Phase.STARTING, Phase.STOPPING -> return null
            Phase.RUNNING -> {
                val stop = !present(now) || (settled && network != startedOn)
                if (stop) {
                    phase = Phase.STOPPING
                    return ConnectionAction.STOP_CLIENT
                }
            }
            Phase.STOPPED -> {
                val due = retryAt?.let { now >= it } ?: true
                if (present(now) && network != null && settled && due) {
                    phase = Phase.STARTING
                    startedOn = network
                    return ConnectionAction.START_CLIENT
                }
            }
        }
        return null
    }

    /** When to poll again if no input comes first; null when only an input can change anything. */
    fun nextWakeMs(now: Long): Long? {
        val times = mutableListOf<Long>()
        if (phase == Phase.STARTING || phase == Phase.STOPPING) return null
        if (!networkSettled(now)) networkChangedAt?.let { times += it + config.networkSettleMs }
        if (phase == Phase.RUNNING && !foreground && !kept()) backgroundSince?.let { times += it + config.backgroundGraceMs }
        if (phase == Phase.STOPPED) retryAt?.let { if (it > now) times += it }
        return times.filter { it > now }.minOrNull()
    }

    val status: ConnectionStatus
        get() = ConnectionStatus(
            when (phase) {
                Phase.STARTING -> ConnectionStatus.State.STARTING
                Phase.RUNNING -> ConnectionStatus.State.RUNNING
                Phase.STOPPING -> ConnectionStatus.State.STOPPING
                Phase.STOPPED -> when {
                    !foreground && !kept() -> ConnectionStatus.State.OFF
                    network == null -> ConnectionStatus.State.NO_NETWORK
                    retryAt != null -> ConnectionStatus.State.RETRYING
                    else -> ConnectionStatus.State.OFF
                }
            },
            lastError,
        )

    /** Someone is there to be reachable for: the person on screen, the grace after, or the foreground service. */
    private fun present(now: Long): Boolean =
        foreground || kept() || backgroundSince?.let { now < it + config.backgroundGraceMs } ?: false

    private fun kept(): Boolean = stayReachable && serviceRunning

    private fun networkSettled(now: Long): Boolean =
        networkChangedAt?.let { now >= it + config.networkSettleMs } ?: true
}
