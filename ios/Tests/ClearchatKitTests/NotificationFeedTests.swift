// The notification feed against the real core: Amy's messages are posted on Betty's phone in Amy's thread, Betty's
// own messages (written on her laptop) never are, the conversation on the phone's screen is not, and reading on
// Betty's laptop (another of her devices) takes the notifications off the phone.
import ClearchatFFI
import Observation
import XCTest
@testable import ClearchatKit

@MainActor @Observable
final class Rendered {
    private(set) var changes: [NotificationChange] = []

    func append(_ more: [NotificationChange]) {
        changes += more
    }

    var posted: [Notice] {
        changes.compactMap { if case .post(let n) = $0 { n } else { nil } }
    }
}

final class NotificationFeedTests: CoreTestCase, @unchecked Sendable {
    @MainActor func testPostedOnThePhoneAndTakenAwayWhenReadOnTheLaptop() async throws {
        let laptop = try await h.open("betty-laptop", person: "Betty")
        let phone = try await h.open("betty-phone")
        guard case .linked = try await phone.redeem(try await laptop.createLinkInvite().code) else {
            return XCTFail("the phone did not link")
        }
        let amy = try await h.open("amy", person: "Amy")
        let atPhone = h.record(phone)
        let atLaptop = h.record(laptop)
        guard case .buddy(let bettyAtAmy, "Betty") = try await amy.redeem(try await laptop.createBuddyInvite(label: "").code)
        else { return XCTFail("Amy did not add Betty") }
        var amyAtPhone = ""
        try await atPhone.until("Amy at the phone") { events in
            amyAtPhone = events.lazy.compactMap { if case .buddyAdded(let id, "Amy") = $0 { id } else { nil } }.first ?? ""
            return !amyAtPhone.isEmpty
        }
        let amyAtLaptop = amyAtPhone // one buddy space: the same id on every device of Betty's

        let rendered = Rendered()
        let feed = NotificationFeed(phone) { rendered.append($0) }
        defer { feed.close() }
        feed.setForeground(false)

        _ = try await amy.send("lunch?", to: bettyAtAmy)
        _ = try await amy.send("12:30", to: bettyAtAmy)
        try await waitUntil("two posted on the phone", state: { "\(rendered.changes)" }) { rendered.posted.count == 2 }
        XCTAssertEqual(rendered.posted.map(\.text), ["lunch?", "12:30"])
        XCTAssertEqual(Set(rendered.posted.map(\.buddyId)), [amyAtPhone], "one thread: Amy's")
        XCTAssertEqual(rendered.posted.map(\.buddyName), ["Amy", "Amy"])
        XCTAssertEqual(rendered.changes.last, .badge(2))

        // Betty answers from her laptop: the phone gets the message, and posts nothing for it.
        _ = try await laptop.send("yes!", to: amyAtLaptop)
        try await atPhone.until("Betty's own message at the phone") { events in
            events.contains { if case .messageAdded(_, let m) = $0 { m.text == "yes!" } else { false } }
        }
        XCTAssertEqual(rendered.posted.count, 2)

        // Betty reads on her laptop: the Read entry reaches the phone, whose notifications go.
        try await atLaptop.until("Amy's two at the laptop") { _ in atLaptop.received(from: amyAtLaptop).count == 2 }
        try await laptop.markRead(amyAtLaptop)
        try await waitUntil("taken off the phone", state: { "\(rendered.changes)" }) {
            rendered.changes.contains { if case .remove(let ids) = $0 { Set(ids) == Set(rendered.posted.map(\.id)) } else { false } }
        }
        XCTAssertEqual(rendered.changes.last, .badge(0))
        XCTAssertEqual(feed.current, [:])

        // The conversation on the phone's screen: Amy's next message is not posted; another one after it is.
        feed.setForeground(true)
        feed.setVisibleConversation(amyAtPhone)
        let handled = feed.inputsHandled
        _ = try await amy.send("see you", to: bettyAtAmy)
        try await eventually("the feed handled see you") { feed.inputsHandled > handled }
        feed.setVisibleConversation(nil)
        _ = try await amy.send("bring the map", to: bettyAtAmy)
        try await waitUntil("posted once off screen", state: { "\(rendered.changes)" }) { rendered.posted.count == 3 }
        XCTAssertEqual(rendered.posted.last?.text, "bring the map")
    }
}
