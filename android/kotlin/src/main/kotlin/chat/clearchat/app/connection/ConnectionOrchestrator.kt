// Runs the ConnectionPolicy: one coroutine owns it, takes the host's inputs from a channel, performs the actions
// (start/stop the client, start/stop the foreground service) and feeds their outcome back. The only effectful part.
package chat.clearchat.app.connection

import chat.clearchat.app.Messages
import chat.clearchat.core.ClearchatClientInterface
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeoutOrNull

/** What the orchestrator starts and stops: the client (on Android, with the multicast lock around it). */
interface Connection {
    suspend fun start()
    suspend fun stop()
}

/** The host's foreground service ("stay reachable"). Both calls return at once; the service reports back. */
interface ServiceControl {
    fun startService()
    fun stopService()
}

/** Wi-Fi multicast lock (Android filters multicast, so LAN beacons, without it): held while the client runs. */
interface LanLock {
    fun acquire()
    fun release()
}

/** The client as a [Connection]: the only place the orchestrator touches the core. */
fun ClearchatClientInterface.asConnection(): Connection = object : Connection {
    override suspend fun start() = this@asConnection.start()
    override suspend fun stop() = this@asConnection.stop()
}

/** This connection with [lock] held from before start until after stop, and released when a start fails. */
fun Connection.holding(lock: LanLock): Connection = object : Connection {
    override suspend fun start() {
        lock.acquire()
        try {
            this@holding.start()
        } catch (e: Throwable) {
            lock.release()
            throw e
        }
    }

    override suspend fun stop() {
        try {
            this@holding.stop()
        } finally {
            lock.release()
        }
    }
}

class ConnectionOrchestrator(
    private val connection: Connection,
    private val service: ServiceControl,
    parent: CoroutineScope,
    config: ConnectionConfig = ConnectionConfig(),
    private val clock: () -> Long = { System.nanoTime() / 1_000_000 },
) : AutoCloseable {
    private val scope = CoroutineScope(parent.coroutineContext + SupervisorJob(parent.coroutineContext[Job]))
    private val inputs = Channel<ConnectionInput>(Channel.UNLIMITED)
    private val policy = ConnectionPolicy(config)
    private val _status = MutableStateFlow(policy.status)
    val status: StateFlow<ConnectionStatus> = _status.asStateFlow()

    init {
        scope.launch { run() }
    }

    fun setForeground(on: Boolean) = tell(ConnectionInput.Foreground(on))
    fun setNetwork(id: String?) = tell(ConnectionInput.Network(id))
    fun setStayReachable(on: Boolean) = tell(ConnectionInput.StayReachable(on))
    fun setServiceRunning(running: Boolean) = tell(ConnectionInput.Service(running))
    fun nudge() = tell(ConnectionInput.Nudge)

    private fun tell(input: ConnectionInput) {
        inputs.trySend(input)
    }

    private suspend fun run() {
        while (true) {
            while (true) perform(policy.poll(clock()) ?: break)
            _status.value = policy.status
            val wake = policy.nextWakeMs(clock())
            val input = if (wake == null) inputs.receive() else withTimeoutOrNull((wake - clock()).coerceAtLeast(1)) { inputs.receive() }
            if (input != null) policy.handle(input, clock())
        }
    }

    private fun perform(action: ConnectionAction) {
        when (action) {
            ConnectionAction.START_CLIENT -> scope.launch {
                val outcome = try {
                    connection.start()
                    ConnectionInput.Started
                } catch (e: CancellationException) {
                    throw e
                } catch (e: Exception) {
                    // Never let a failed start escape (it would end the process on Android): retry later.
                    ConnectionInput.StartFailed(Messages.explain(e))
                }
                inputs.send(outcome)
            }
            ConnectionAction.STOP_CLIENT -> scope.launch {
                try {
                    connection.stop()
                } catch (e: CancellationException) {
                    throw e
                } catch (_: Exception) {
                    // The core's stop does not fail; if it did, the client is as stopped as it can be.
                }
                inputs.send(ConnectionInput.Stopped)
            }
            ConnectionAction.START_SERVICE -> try {
                service.startService()
            } catch (e: Exception) {
                // e.g. ForegroundServiceStartNotAllowedException: asked again when the app comes to the foreground.
            }
            ConnectionAction.STOP_SERVICE -> try {
                service.stopService()
            } catch (e: Exception) {
            }
        }
    }

    /** Stops following inputs (the client is left as it is; stop it yourself if needed). */
    override fun close() = scope.cancel()
}
