// The notification model alone: what is notified (one notice per message, threaded by buddy), what never is (my
// own messages, the conversation on screen), and what is taken away when read on any of my devices, in whatever
// order the read marker and its message arrive.
import XCTest
@testable import ClearchatKit

final class NotificationModelTests: XCTestCase {
    private var model = NotificationModel()
    private var clock: UInt64 = 1_700_000_000_000

    /// A message from `buddy`'s device `dev` with sequence number `seq`, `clock` ms after the previous one.
    @discardableResult
    private func from(_ buddy: String, _ seq: UInt64, dev: String = "b0b0", text: String? = nil) -> [NotificationChange] {
        clock += 1000
        return model.handle(.message(
            buddyId: buddy, buddyName: buddy.capitalized, id: "\(dev)-\(seq)", text: text ?? "text \(seq)",
            sentAtMs: clock, fromMe: false))
    }

    @discardableResult
    private func mine(_ buddy: String, _ seq: UInt64) -> [NotificationChange] {
        clock += 1000
        return model.handle(.message(
            buddyId: buddy, buddyName: "Me", id: "a1a1-\(seq)", text: "reply \(seq)", sentAtMs: clock, fromMe: true))
    }

    private func read(_ buddy: String, upTo id: String) -> [NotificationChange] {
        model.handle(.readByMe(buddyId: buddy, upTo: id))
    }

    private func ids(_ buddy: String) -> [String] {
        model.current[buddy]?.map(\.id) ?? []
    }

    func testAMessageIsPostedInItsBuddysThreadWithTheBadge() throws {
        let changes = from("amy", 1, text: "hi")
        XCTAssertEqual(changes.count, 2)
        guard case .post(let notice) = changes[0] else { return XCTFail("\(changes)") }
        XCTAssertEqual(notice.buddyId, "amy")
        XCTAssertEqual(notice.buddyName, "Amy")
        XCTAssertEqual(notice.text, "hi")
        XCTAssertEqual(notice.id, "b0b0-1")
        XCTAssertEqual(notice.sentAt.timeIntervalSince1970, TimeInterval(clock) / 1000)
        XCTAssertEqual(changes[1], .badge(1))
        from("betty", 1, dev: "c0c0")
        XCTAssertEqual(from("amy", 2).last, .badge(3))
        XCTAssertEqual(ids("amy"), ["b0b0-1", "b0b0-2"])
        XCTAssertEqual(from("amy", 2), [], "the same message again")
    }

    func testMyOwnMessagesAreNeverNotified() {
        XCTAssertEqual(mine("amy", 1), [])
        from("amy", 1)
        XCTAssertEqual(mine("amy", 2), [], "a reply does not touch the notices either")
        XCTAssertEqual(ids("amy"), ["b0b0-1"])
    }

    func testTheOpenConversationIsNotNotifiedAndOpeningOneTakesItsThreadAway() {
        _ = model.setForeground(true)
        _ = model.setVisibleConversation("amy")
        XCTAssertEqual(from("amy", 1), [])
        guard case .post = from("betty", 1, dev: "c0c0").first else { return XCTFail("another conversation is") }
        XCTAssertEqual(model.setVisibleConversation("betty"), [.removeThread("betty"), .badge(0)])
        XCTAssertEqual(model.current, [:])
    }

    func testAConversationLeftOpenInTheBackgroundIsNotified() {
        _ = model.setForeground(true)
        _ = model.setVisibleConversation("amy")
        _ = model.setForeground(false)
        guard case .post = from("amy", 1).first else { return XCTFail("in the background it is") }
        XCTAssertEqual(model.setForeground(true), [.removeThread("amy"), .badge(0)], "back on screen")
    }

    func testReadingOnAnyOfMyDevicesTakesTheReadMessagesAway() {
        from("amy", 1)
        from("amy", 2)
        from("amy", 3)
        XCTAssertEqual(read("amy", upTo: "b0b0-2"), [.remove(["b0b0-1", "b0b0-2"]), .badge(1)])
        XCTAssertEqual(ids("amy"), ["b0b0-3"])
        XCTAssertEqual(read("amy", upTo: "b0b0-3"), [.remove(["b0b0-3"]), .badge(0)])
        XCTAssertEqual(read("amy", upTo: "b0b0-3"), [], "read again: nothing left to take")
        from("amy", 2)
        XCTAssertEqual(ids("amy"), [], "an old message arriving again after it was read")
    }

    func testAMarkerOnAMessageSeenButNotNotifiedTakesExactlyWhatItCovers() {
        _ = model.setForeground(true)
        _ = model.setVisibleConversation("amy")
        from("amy", 1) // on screen: seen, not notified
        _ = model.setVisibleConversation(nil)
        from("amy", 2)
        from("amy", 3)
        // My laptop read up to 1 (a marker that lags): 2 and 3 stay unread and notified.
        XCTAssertEqual(read("amy", upTo: "b0b0-1"), [])
        XCTAssertEqual(ids("amy"), ["b0b0-2", "b0b0-3"])
        // My own message counts as seen too: reading up to it covers everything before it.
        mine("amy", 7)
        XCTAssertEqual(read("amy", upTo: "a1a1-7"), [.remove(["b0b0-2", "b0b0-3"]), .badge(0)])
    }

    func testAMarkerOnAMessageNotSeenTakesTheThreadAndWhatArrivesLateUnderIt() {
        from("amy", 1)
        // Read on my laptop up to a message this phone has not got yet: everything notified is older.
        XCTAssertEqual(read("amy", upTo: "b0b0-3"), [.removeThread("amy"), .badge(0)])
        // Message 2 arrives late, and is posted: the model cannot tell yet that the marker covers it...
        guard case .post = from("amy", 2).first else { return XCTFail("posted until the marker's message is seen") }
        // ... until message 3 itself arrives: 2 and 3 are read, so 2 goes and 3 is never posted.
        XCTAssertEqual(from("amy", 3), [.remove(["b0b0-2"]), .badge(0)])
        guard case .post = from("amy", 4).first else { return XCTFail("a message after the marker is posted") }
        XCTAssertEqual(ids("amy"), ["b0b0-4"])
    }

    func testAMarkerWhoseMessageNeverArrivesHoldsNothingBack() {
        XCTAssertEqual(read("amy", upTo: "b0b0-99"), [.removeThread("amy"), .badge(0)])
        for seq: UInt64 in 100...102 { from("amy", seq) }
        XCTAssertEqual(ids("amy"), ["b0b0-100", "b0b0-101", "b0b0-102"])
    }

    func testMessagesAreOrderedAsTheCoreOrdersThem() {
        // Same millisecond, two authors: the author decides; then the sequence number, not the arrival.
        let at = clock + 5000
        for (dev, seq) in [("ffff", UInt64(1)), ("0000", 9), ("0000", 2)] {
            _ = model.handle(.message(buddyId: "amy", buddyName: "Amy", id: "\(dev)-\(seq)", text: "", sentAtMs: at,
                                      fromMe: false))
        }
        XCTAssertEqual(ids("amy"), ["0000-2", "0000-9", "ffff-1"])
        XCTAssertEqual(read("amy", upTo: "0000-9"), [.remove(["0000-2", "0000-9"]), .badge(1)])
    }

    func testRemovingABuddyTakesItsThreadAway() {
        from("amy", 1)
        from("betty", 1, dev: "c0c0")
        XCTAssertEqual(model.handle(.buddyRemoved(buddyId: "amy")), [.removeThread("amy"), .badge(1)])
        XCTAssertEqual(model.handle(.buddyRemoved(buddyId: "amy")), [.removeThread("amy"), .badge(1)],
                       "again: also a notification an earlier process posted goes")
    }

    func testAnIdNotOfTheCoresFormIsIgnored() {
        XCTAssertEqual(model.handle(.message(buddyId: "amy", buddyName: "Amy", id: "nonsense", text: "x", sentAtMs: 1,
                                             fromMe: false)), [])
    }
}
