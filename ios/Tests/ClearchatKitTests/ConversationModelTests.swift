// The conversation model against the real core over loopback QUIC: the newest page first and older pages on
// demand, my messages at once as pending and then sent/delivered/read, the buddy's messages marked read only
// while the conversation is on screen, a read marker outside the window, a failed send kept and sent again, and a
// removed buddy.
import ClearchatFFI
import XCTest
@testable import ClearchatKit

/// Two people who are buddies, both running: Amy, Betty, and each one's id for the other.
@MainActor
func buddies(_ h: Harness) async throws -> (amy: Clearchat, betty: Clearchat, bettyAtAmy: String, amyAtBetty: String) {
    let amy = try await h.open("amy", person: "Amy")
    let betty = try await h.open("betty", person: "Betty")
    let atAmy = h.record(amy)
    guard case .buddy(let amyAtBetty, "Amy") = try await betty.redeem(try await amy.createBuddyInvite(label: "").code)
    else { throw Timeout(description: "Betty did not add Amy") }
    var bettyAtAmy = ""
    try await atAmy.until("Betty added at Amy's") { events in
        bettyAtAmy = events.lazy.compactMap { if case .buddyAdded(let id, "Betty") = $0 { id } else { nil } }.first ?? ""
        return !bettyAtAmy.isEmpty
    }
    return (amy, betty, bettyAtAmy, amyAtBetty)
}

/// Polls `check` (a query of the core, which no Observation reaches) until it holds, within 60 s.
@MainActor
func eventually(_ what: String, _ check: @MainActor () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(60)
    while !(try await check()) {
        guard ContinuousClock.now < deadline else { throw Timeout(description: "timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}

final class ConversationModelTests: CoreTestCase, @unchecked Sendable {
    @MainActor private var tasks: [Task<Void, Never>] = []

    /// The model's `run()` for the length of the test.
    @MainActor private func running(_ model: ConversationModel) {
        tasks.append(Task { @MainActor in await model.run() })
    }

    @MainActor override func tearDown() async throws {
        tasks.forEach { $0.cancel() }
        for task in tasks { await task.value }
        tasks.removeAll()
        try await super.tearDown()
    }

    private func state(_ model: ConversationModel) -> @MainActor () -> String {
        { "\(model.items.count) items, last \(model.items.suffix(2).map { "\($0.text) \($0.delivery)" }), error \(model.error ?? "-")" }
    }

    @MainActor func testTheNewestPageFirstThenOlderPagesOnDemand() async throws {
        let (amy, _, bettyAtAmy, _) = try await buddies(h)
        for i in 1...120 { _ = try await amy.send("m\(i)", to: bettyAtAmy) }
        let model = ConversationModel(amy, buddyId: bettyAtAmy, pageSize: 50)
        running(model)
        // The window and the buddy's name come from two streams: wait for both.
        try await waitUntil("the newest page and the name", state: state(model)) {
            !model.loading && model.buddyName == "Betty"
        }
        XCTAssertEqual(model.items.map(\.text), (71...120).map { "m\($0)" }, "newest last")
        XCTAssertTrue(model.hasOlder)

        await model.loadOlder()
        XCTAssertEqual(model.items.map(\.text), (21...120).map { "m\($0)" })
        XCTAssertTrue(model.hasOlder)
        await model.loadOlder()
        XCTAssertEqual(model.items.map(\.text), (1...120).map { "m\($0)" })
        XCTAssertFalse(model.hasOlder, "a short page: the beginning")
        await model.loadOlder()
        XCTAssertEqual(model.items.count, 120)
        XCTAssertEqual(Set(model.items.map(\.id)).count, 120, "every message once")
        XCTAssertTrue(model.items.allSatisfy(\.fromMe))
    }

    @MainActor func testMyMessageShowsAtOnceThenDeliveredThenRead() async throws {
        let (amy, betty, bettyAtAmy, amyAtBetty) = try await buddies(h)
        let atAmy = ConversationModel(amy, buddyId: bettyAtAmy)
        let atBetty = ConversationModel(betty, buddyId: amyAtBetty)
        running(atAmy)
        running(atBetty)
        try await waitUntil("both loaded") { !atAmy.loading && !atBetty.loading }

        atAmy.draft = "   "
        await atAmy.send()
        XCTAssertEqual(atAmy.draftError, "Write something first.")
        XCTAssertEqual(atAmy.items, [])
        atAmy.draft = "hi Betty"
        XCTAssertNil(atAmy.draftError, "editing clears it")
        XCTAssertTrue(atAmy.canSend)
        await atAmy.send()
        XCTAssertEqual(atAmy.draft, "")
        let mine = try XCTUnwrap(atAmy.items.last)
        XCTAssertEqual(mine.text, "hi Betty")
        XCTAssertTrue(mine.fromMe)
        XCTAssertTrue(atAmy.showsState(mine))
        try await waitUntil("delivered to Betty's device", state: state(atAmy)) { atAmy.items.last?.delivery == .delivered }
        XCTAssertEqual(atAmy.items.last?.stateText, "Delivered")

        // Betty's model is not on screen: the message stays unread there.
        try await waitUntil("at Betty's", state: state(atBetty)) { atBetty.items.map(\.text) == ["hi Betty"] }
        XCTAssertFalse(atBetty.items[0].fromMe)
        XCTAssertNil(atBetty.items[0].stateText)
        let unreadBefore = try await betty.buddies().first?.unread
        XCTAssertEqual(unreadBefore, 1)
        // On screen: marked read, and Amy sees "Read".
        // (The core marks read from its window once told; the model does not wait for it.)
        await atBetty.setVisible(true)
        try await eventually("read at Betty's") { try await betty.buddies().first?.unread == 0 }
        try await waitUntil("read at Amy's", state: state(atAmy)) { atAmy.items.last?.delivery == .read }
        XCTAssertEqual(atAmy.readMarker, mine.id)
        XCTAssertEqual(atAmy.items.last?.stateText, "Read")

        // While Betty looks at it, Amy's next message is read at once; the "Read" mark moves to it.
        await atAmy.draftAndSend("and this?")
        try await waitUntil("the second read", state: state(atAmy)) {
            atAmy.items.count == 2 && atAmy.items.allSatisfy { $0.delivery == .read }
        }
        XCTAssertEqual(atAmy.readMarker, atAmy.items[1].id)
        XCTAssertFalse(atAmy.showsState(atAmy.items[0]), "an older read message shows no state")
        XCTAssertTrue(atAmy.showsState(atAmy.items[1]))

        // Betty leaves the screen: a reply from Amy waits unread.
        await atBetty.setVisible(false)
        await atAmy.draftAndSend("still there?")
        try await waitUntil("the third at Betty's", state: state(atBetty)) { atBetty.items.count == 3 }
        let unreadLast = try await betty.buddies().first?.unread
        XCTAssertEqual(unreadLast, 1)
        XCTAssertEqual(atBetty.items.map(\.text), ["hi Betty", "and this?", "still there?"])
    }

    @MainActor func testAReadMarkerOutsideTheWindowLeavesItWhole() async throws {
        let (amy, betty, bettyAtAmy, amyAtBetty) = try await buddies(h)
        let atBetty = h.record(betty)
        var sent: [Message] = []
        for i in 1...12 { sent.append(try await amy.send("m\(i)", to: bettyAtAmy)) }
        let model = ConversationModel(amy, buddyId: bettyAtAmy, pageSize: 5)
        running(model)
        try await waitUntil("12 delivered at Amy's", seconds: 60, state: state(model)) {
            !model.loading && model.items.count == 5 && model.items.allSatisfy { $0.delivery == .delivered }
        }
        // Betty reads up to m3 only: older than Amy's window, whose messages stay unread.
        try await eventually("Betty has all 12") { atBetty.received(from: amyAtBetty).count == 12 }
        try await betty.markRead(amyAtBetty, upTo: sent[2].id)
        try await betty.markRead(amyAtBetty, upTo: sent[9].id) // then up to m10, which is in the window
        try await waitUntil("m8...m10 read", state: state(model)) {
            model.items.map(\.delivery) == [.read, .read, .read, .delivered, .delivered]
        }
        XCTAssertEqual(model.items.map(\.text), (8...12).map { "m\($0)" }, "the window is the same")
        XCTAssertEqual(model.readMarker, sent[9].id)
    }

    @MainActor func testAFailedSendIsKeptAndSentAgain() async throws {
        let (amy, betty, bettyAtAmy, amyAtBetty) = try await buddies(h)
        let atBetty = h.record(betty)
        let model = ConversationModel(amy, buddyId: bettyAtAmy)
        running(model)
        try await waitUntil("loaded") { !model.loading }
        let failNext = Flag()
        model.sendThrough = { text throws(CoreError) in
            if failNext.on {
                failNext.on = false
                throw CoreError.core(.Storage(reason: "disk full", description: "disk full"))
            }
            return try await amy.send(text, to: bettyAtAmy)
        }
        model.draft = "lunch?"
        await model.send()
        XCTAssertEqual(model.draft, "", "the text is in the failed bubble")
        let failed = try XCTUnwrap(model.items.last)
        XCTAssertTrue(failed.failed)
        XCTAssertEqual(failed.stateText, "Not sent: Couldn't save on this device. Check that there is free space.")
        XCTAssertTrue(model.showsState(failed))

        await model.retry(failed.id)
        XCTAssertEqual(model.items.count, 1)
        XCTAssertFalse(model.items[0].failed)
        XCTAssertEqual(model.items[0].text, "lunch?")
        try await eventually("Betty has it") { atBetty.received(from: amyAtBetty) == ["lunch?"] }

        // Another failure, deleted instead.
        failNext.on = true
        await model.draftAndSend("never mind")
        let second = try XCTUnwrap(model.items.last)
        XCTAssertTrue(second.failed)
        model.discard(second.id)
        XCTAssertEqual(model.items.map(\.text), ["lunch?"])
    }

    @MainActor func testARemovedBuddyEndsTheConversation() async throws {
        let (amy, _, bettyAtAmy, _) = try await buddies(h)
        let model = ConversationModel(amy, buddyId: bettyAtAmy)
        running(model)
        try await waitUntil("loaded") { !model.loading }
        try await amy.removeBuddy(bettyAtAmy)
        try await waitUntil("gone", state: state(model)) { model.gone }
        XCTAssertEqual(model.error, "This buddy is no longer in your list.")
        model.draft = "hello?"
        XCTAssertFalse(model.canSend)
        await model.send()
        XCTAssertEqual(model.items, [])
    }
}

@MainActor final class Flag {
    var on = true
}

extension ConversationModel {
    func draftAndSend(_ text: String) async {
        draft = text
        await send()
    }
}
