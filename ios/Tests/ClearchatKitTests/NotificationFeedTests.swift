// The notification feed against the real core, whose decisions it renders: Betty's message to a backgrounded Amy
// is posted once in Betty's thread; Amy's own message (written on her laptop) and the conversation open on the
// phone's screen are not; reading on Amy's laptop (another of her devices) takes the thread off the phone.
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
    @MainActor func testTheCoresDecisionsPostedOnThePhoneAndTakenAwayWhenReadOnTheLaptop() async throws {
        let laptop = try await h.open("amy-laptop", person: "Amy")
        let phone = try await h.open("amy-phone")
        guard case .linked = try await phone.redeem(try await laptop.createLinkInvite().code) else {
            return XCTFail("the phone did not link")
        }
        let betty = try await h.open("betty", person: "Betty")
        let atPhone = h.record(phone)
        let atLaptop = h.record(laptop)
        guard case .buddy(let amyAtBetty, "Amy") = try await betty.redeem(try await laptop.createBuddyInvite(label: "").code)
        else { return XCTFail("Betty did not add Amy") }
        var bettyAtPhone = ""
        try await atPhone.until("Betty at the phone") { events in
            bettyAtPhone = events.lazy.compactMap { if case .buddyAdded(let id, "Betty") = $0 { id } else { nil } }.first ?? ""
            return !bettyAtPhone.isEmpty
        }
        let bettyAtLaptop = bettyAtPhone // one buddy space: the same id on every device of Amy's

        let rendered = Rendered()
        let feed = NotificationFeed(phone) { rendered.append($0) }
        defer { feed.close() }
        feed.setForeground(false)

        // Betty writes to a backgrounded Amy: one notification, in Betty's thread.
        _ = try await betty.send("lunch?", to: amyAtBetty)
        try await waitUntil("posted on the phone", state: { "\(rendered.changes)" }) { rendered.posted.count == 1 }
        XCTAssertEqual(rendered.posted.map(\.text), ["lunch?"])
        XCTAssertEqual(rendered.posted.map(\.buddyId), [bettyAtPhone])
        XCTAssertEqual(rendered.posted.map(\.buddyName), ["Betty"])
        XCTAssertEqual(rendered.changes.last, .badge(1))

        // Amy answers from her laptop: the phone gets her own message and posts nothing for it.
        _ = try await laptop.send("yes!", to: bettyAtLaptop)
        try await atPhone.until("Amy's own message at the phone") { events in
            events.contains { if case .messageAdded(_, let m) = $0 { m.text == "yes!" } else { false } }
        }

        // Amy reads on her laptop: the Read entry reaches the phone, and the core cancels the thread there.
        try await atLaptop.until("Betty's message at the laptop") { _ in atLaptop.received(from: bettyAtLaptop).count == 1 }
        try await laptop.markRead(bettyAtLaptop)
        try await waitUntil("taken off the phone", state: { "\(rendered.changes)" }) {
            rendered.changes.contains(.removeThread(bettyAtPhone))
        }
        XCTAssertEqual(rendered.changes.last, .badge(0))
        XCTAssertEqual(feed.current, [:])
        XCTAssertEqual(rendered.posted.count, 1, "nothing for Amy's own message: \(rendered.changes)")

        // The conversation open on the phone's screen, in the foreground, with its window: Betty's next message
        // is read on screen and never notified; in the background the one after it is.
        let window = try phone.timeline(bettyAtPhone, initial: 20)
        feed.setForeground(true)
        feed.setVisibleConversation(bettyAtPhone)
        _ = try await betty.send("see you", to: amyAtBetty)
        let deadline = Date().addingTimeInterval(60)
        while try await betty.conversation(with: amyAtBetty, limit: 1).last.map({ $0.text == "see you" && $0.state == .read }) != true {
            XCTAssertLessThan(Date(), deadline, "read on the phone's screen")
            if Date() >= deadline { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        feed.setForeground(false)
        _ = try await betty.send("bring the map", to: amyAtBetty)
        try await waitUntil("posted once off screen", state: { "\(rendered.changes)" }) { rendered.posted.count == 2 }
        XCTAssertEqual(rendered.posted.map(\.text), ["lunch?", "bring the map"])
        withExtendedLifetime(window) {}
    }
}
