// CoreStream over the core's event subscription: events arrive, and every way a stream can end lets go of the
// core's subscription (the Rust task that delivered into it drops the Swift listener).
import ClearchatFFI
import XCTest
@testable import ClearchatKit

final class StreamTests: CoreTestCase, @unchecked Sendable {
    /// Amy and Betty, with Betty about to redeem Amy's buddy code: what makes Amy's client deliver an event.
    @MainActor private func amyAndBetty() async throws -> (amy: Clearchat, betty: Clearchat, code: String) {
        let amy = try await h.open("amy", person: "Amy")
        let betty = try await h.open("betty", person: "Betty")
        return (amy, betty, try await amy.createBuddyInvite(label: "for Betty").code)
    }

    @MainActor func testBreakingOutOfTheLoopStopsTheSubscription() async throws {
        let (amy, betty, code) = try await amyAndBetty()
        weak var listener: AnyObject?
        do {
            let stream = amy.events()
            listener = stream.listener
            XCTAssertNotNil(listener)
            _ = try await betty.redeem(code)
            var added: String?
            for await event in stream {
                if case .buddyAdded(_, let name) = event {
                    added = name
                    break
                }
            }
            XCTAssertEqual(added, "Betty")
            XCTAssertNotNil(listener, "delivering while the stream is held")
        }
        try await eventually("the core to drop the listener") { listener == nil }
    }

    @MainActor func testCancellingTheIteratingTaskStopsTheSubscription() async throws {
        let (amy, _, _) = try await amyAndBetty()
        let stream = amy.events()
        weak var listener = stream.listener
        let task = Task { for await _ in stream {} }
        task.cancel()
        await task.value
        // The stream object is still held here: cancellation alone cancelled the core's handle.
        try await eventually("the core to drop the listener") { listener == nil }
        withExtendedLifetime(stream) {}
    }

    @MainActor func testAStreamNeverIteratedStopsWhenReleased() async throws {
        let (amy, _, _) = try await amyAndBetty()
        weak var listener: AnyObject?
        do {
            let stream = amy.events()
            listener = stream.listener
        }
        try await eventually("the core to drop the listener") { listener == nil }
    }

    @MainActor func testEventsArriveFromTheMomentOfSubscription() async throws {
        let (amy, betty, code) = try await amyAndBetty()
        let atAmy = h.record(amy)
        let atBetty = h.record(betty)
        guard case .buddy(let amyId, "Amy") = try await betty.redeem(code) else { return XCTFail("not a buddy code") }
        try await atAmy.until("Betty added at Amy's") { $0.contains { if case .buddyAdded(_, "Betty") = $0 { true } else { false } } }
        try await atBetty.until("Amy added at Betty's") { $0.contains(.buddyAdded(buddyId: amyId, name: "Amy")) }
        let bettyId = try XCTUnwrap(atAmy.events.lazy.compactMap { if case .buddyAdded(let id, "Betty") = $0 { id } else { nil } }.first)
        for text in ["one", "two", "three"] { _ = try await amy.send(text, to: bettyId) }
        try await atBetty.until("3 messages at Betty's") { _ in atBetty.received(from: amyId).count == 3 }
        XCTAssertEqual(atBetty.received(from: amyId), ["one", "two", "three"])
    }
}
