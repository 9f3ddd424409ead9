// Two people and three devices over real QUIC on loopback: Amy links a second device by link code, Betty adds Amy
// by buddy code, and they exchange 100 messages each way. Every message reaches the Kotlin collectors of events(),
// in the order it was sent.
package chat.clearchat.core

import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ConversationFlowTest {
    private val h = Harness()

    @AfterEach
    fun tearDown() = h.close()

    @Test
    fun linkAddBuddyAndExchange100MessagesEachWay() = runBlocking {
        val n = 100
        val amy = h.open("amy-laptop")
        amy.setPersonName("Amy")
        val amyEvents = Recorder(amy, h.scope).also { it.ready() }

        // Amy's phone joins her by link code.
        val phone = h.open("amy-phone")
        val phoneEvents = Recorder(phone, h.scope).also { it.ready() }
        val link = amy.createLinkInvite()
        assertEquals(InvitePurpose.LINK, link.purpose)
        val linked = phone.redeem(link.code)
        assertEquals(Redeemed.Linked("Amy"), linked)
        assertEquals("Amy", phone.me().personName)
        assertEquals(amy.me().personId, phone.me().personId)
        amyEvents.await("laptop sees the phone linked") { ev ->
            ev.any { it is Event.DeviceLinked && it.name == "amy-phone" }
        }

        // Betty adds Amy by buddy code.
        val betty = h.open("betty-laptop")
        betty.setPersonName("Betty")
        val bettyEvents = Recorder(betty, h.scope).also { it.ready() }
        val invite = amy.createBuddyInvite("for Betty")
        val redeemed = betty.redeem(invite.code) as Redeemed.Buddy
        assertEquals("Amy", redeemed.name)
        val amyIdAtBetty = redeemed.buddyId
        val bettyIdAtAmy = (amyEvents.await("Betty added at Amy's laptop") { ev ->
            ev.any { it is Event.BuddyAdded && it.name == "Betty" }
        }.first { it is Event.BuddyAdded && it.name == "Betty" } as Event.BuddyAdded).buddyId
        phoneEvents.await("Betty added at Amy's phone") { ev ->
            ev.any { it is Event.BuddyAdded && it.buddyId == bettyIdAtAmy }
        }

        // 100 messages each way, both sides writing at once.
        val fromAmy = (1..n).map { "amy->betty #$it" }
        val fromBetty = (1..n).map { "betty->amy #$it" }
        val sent = listOf(
            async { fromAmy.map { amy.send(bettyIdAtAmy, it) } },
            async { fromBetty.map { betty.send(amyIdAtBetty, it) } },
        ).awaitAll()
        assertEquals(fromAmy, sent[0].map { it.text })
        assertTrue(sent[0].all { it.fromMe })

        val atBetty = bettyEvents.await("$n messages from Amy at Betty", 120) { it.receivedTexts(amyIdAtBetty).size >= n }
        assertEquals(fromAmy, atBetty.receivedTexts(amyIdAtBetty))
        val atAmy = amyEvents.await("$n messages from Betty at Amy's laptop", 120) {
            it.receivedTexts(bettyIdAtAmy).size >= n
        }
        assertEquals(fromBetty, atAmy.receivedTexts(bettyIdAtAmy))

        // Amy's phone has the whole conversation: Betty's messages, and the ones Amy wrote on her laptop.
        val atPhone = phoneEvents.await("all ${2 * n} messages at Amy's phone", 120) { ev ->
            ev.filterIsInstance<Event.MessageAdded>().filter { it.buddyId == bettyIdAtAmy }
                .map { it.message.id }.toSet().size >= 2 * n
        }
        assertEquals(fromBetty, atPhone.receivedTexts(bettyIdAtAmy))
        val mineAtPhone = atPhone.filterIsInstance<Event.MessageAdded>()
            .filter { it.buddyId == bettyIdAtAmy && it.message.fromMe }.map { it.message.text }
        assertEquals(fromAmy.toSet(), mineAtPhone.toSet())
        assertEquals(2 * n, phone.conversation(bettyIdAtAmy, null, 1000u).size)
        assertEquals(2 * n, betty.conversation(amyIdAtBetty, null, 1000u).size)

        // No message was announced twice to one collector.
        for (ev in listOf(atBetty, atAmy, atPhone)) {
            val ids = ev.filterIsInstance<Event.MessageAdded>().map { it.message.id }
            assertEquals(ids.size, ids.toSet().size, "duplicate MessageAdded")
        }
    }
}
