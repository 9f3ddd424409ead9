// The core's lists through the bindings: copies built by applying every batch of the diff Flows equal the core's
// items, for the buddy list, a conversation window (with paging) and the device list; the core's notification
// decision reaches a Kotlin collector.
package chat.clearchat.core

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ListDiffsTest {
    private val h = Harness()

    @AfterEach
    fun tearDown() = h.close()

    /** Collects [flow] into a copy; each batch applied publishes the copy. */
    private fun <T> follow(flow: kotlinx.coroutines.flow.Flow<List<ListDiff<T>>>): MutableStateFlow<List<T>> {
        val out = MutableStateFlow<List<T>>(emptyList())
        val copy = mutableListOf<T>()
        h.scope.launch {
            flow.collect { batch ->
                copy.applyDiffs(batch)
                out.value = copy.toList()
            }
        }
        return out
    }

    private suspend fun <T> settles(what: String, copy: MutableStateFlow<List<T>>, items: suspend () -> List<T>, ok: (List<T>) -> Boolean) {
        try {
            withTimeout(60_000) {
                while (true) {
                    val now = items()
                    if (ok(now) && copy.value == now) break
                    val seen = copy.value
                    withTimeoutOrNull(200) { copy.first { it != seen } }
                }
            }
        } catch (e: Exception) {
            throw AssertionError("$what: copy ${copy.value.size} items, core ${items().size}", e)
        }
    }

    @Test
    fun appliedBatchesEqualTheCoresLists() = runBlocking {
        val amy = h.open("amy-laptop")
        amy.setPersonName("Amy")
        val betty = h.open("betty-laptop")
        betty.setPersonName("Betty")
        val amyBuddies = amy.buddyList()
        val buddiesCopy = follow(amyBuddies.diffs())
        val devices = amy.deviceList()
        val devicesCopy = follow(devices.diffs())
        val notified = MutableStateFlow<List<NotificationEvent>>(emptyList())
        h.scope.launch { amy.notificationsFlow().collect { n -> notified.value = notified.value + n } }

        val invite = amy.createBuddyInvite("for Betty")
        val amyAtBetty = (betty.redeem(invite.code) as Redeemed.Buddy).buddyId
        settles("Amy's buddy list", buddiesCopy, { amyBuddies.items() }) { it.size == 1 }
        val bettyAtAmy = amyBuddies.items().single().id

        repeat(12) { i ->
            betty.send(amyAtBetty, "from Betty $i")
            amy.send(bettyAtAmy, "from Amy $i")
        }
        // Everything at Amy's before the window opens, so that older messages exist.
        val deadline = System.nanoTime() + 60_000_000_000
        while (amy.conversation(bettyAtAmy, null, 100u).size < 24) {
            assertTrue(System.nanoTime() < deadline, "all 24 at Amy's")
            kotlinx.coroutines.delay(20)
        }
        val timeline = amy.timeline(bettyAtAmy, 5u)
        val windowCopy = follow(timeline.diffs())
        settles("the window", windowCopy, { timeline.items() }) { it.size == 5 }
        betty.send(amyAtBetty, "one more")
        settles("the window grows", windowCopy, { timeline.items() }) { w -> w.size == 6 && w.last().text == "one more" }
        val before = timeline.items().size
        val more = timeline.paginateBackwards(4u)
        settles("the window after paging", windowCopy, { timeline.items() }) { it.size == before + 4 }
        assertTrue(more, "older messages remain")
        assertEquals(amy.conversation(bettyAtAmy, null, before.toUInt() + 4u), windowCopy.value)
        assertEquals(windowCopy.value.last().text, amy.conversation(bettyAtAmy, null, 1u).single().text)
        val newest = amy.conversation(bettyAtAmy, null, 1u).single().text
        settles("Amy's buddy list after messages", buddiesCopy, { amyBuddies.items() }) { b ->
            b.singleOrNull()?.lastMessage?.text == newest
        }
        settles("Amy's devices", devicesCopy, { devices.items() }) { it.size == 1 }

        // In the background, Betty's messages are notified; Amy's own never.
        withTimeout(60_000) { notified.first { n -> n.any { it is NotificationEvent.Show } } }
        val shown = notified.value.filterIsInstance<NotificationEvent.Show>().flatMap { it.messages }
        assertTrue(shown.isNotEmpty() && shown.none { it.fromMe }, "$shown")
    }
}
