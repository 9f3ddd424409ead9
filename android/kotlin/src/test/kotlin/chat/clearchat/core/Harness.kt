// Test harness for the binding tests: clients on loopback in temp dirs, event recorders fed by events(),
// deadlines instead of sleeps, and a teardown that stops and closes every client and deletes every dir.
package chat.clearchat.core

import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import java.nio.file.Files
import java.nio.file.Path

/** Every event one client delivered to a Kotlin collector of [events], in arrival order. */
class Recorder(client: ClearchatClientInterface, scope: CoroutineScope) {
    val events = MutableStateFlow<List<Event>>(emptyList())
    private val subscribed = CompletableDeferred<Unit>()
    val job: Job = scope.launch {
        client.events(onSubscribed = { subscribed.complete(Unit) }).collect { e -> events.update { it + e } }
    }

    /** Returns once the listener is installed: events from then on are recorded. */
    suspend fun ready() = withTimeout(10_000) { subscribed.await() }

    /** Waits up to [seconds] (never a fixed sleep) until the recorded events satisfy [ok]. */
    suspend fun await(what: String, seconds: Long = 60, ok: (List<Event>) -> Boolean): List<Event> =
        try {
            withTimeout(seconds * 1000) { events.first(ok) }
        } catch (e: Exception) {
            throw AssertionError("timed out after ${seconds}s waiting for $what; ${events.value.size} events: " +
                events.value.takeLast(5), e)
        }
}

/** Texts of the messages others sent in the conversation with [buddyId], in arrival order. */
fun List<Event>.receivedTexts(buddyId: String): List<String> =
    filterIsInstance<Event.MessageAdded>().filter { it.buddyId == buddyId && !it.message.fromMe }.map { it.message.text }

/** Owns the clients and temp dirs of one test; [close] from @AfterEach. */
class Harness : AutoCloseable {
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val clients = mutableListOf<ClearchatClient>()
    private val dirs = mutableListOf<Path>()

    fun tempDir(prefix: String): Path = Files.createTempDirectory("clearchat-$prefix-").also { dirs.add(it) }

    /** Opens a loopback client in a fresh temp dir; started unless [start] is false. */
    suspend fun open(deviceName: String, start: Boolean = true): ClearchatClient =
        ClearchatClient.openLoopback(tempDir(deviceName).toString(), deviceName).also {
            clients += it
            if (start) it.start()
        }

    override fun close() {
        scope.cancel() // ends every events() collection, which closes its subscription handle
        runBlocking {
            clients.forEach { c -> runCatching { withTimeout(30_000) { c.stop() } } }
        }
        clients.forEach { it.close() }
        clients.clear()
        dirs.forEach { d ->
            d.toFile().deleteRecursively()
            check(!Files.exists(d)) { "temp dir $d was not deleted" }
        }
        dirs.clear()
    }
}
