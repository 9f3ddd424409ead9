// The notification model alone: it keeps what the core decided is up and turns each decision into changes for
// UNUserNotificationCenter (one notice per message, threaded by buddy, the badge); it decides nothing itself.
import XCTest
@testable import ClearchatKit

final class NotificationModelTests: XCTestCase {
    private func message(_ id: String, _ text: String) -> NotifiedMessage {
        NotifiedMessage(id: id, text: text, sentAtMs: 1_700_000_000_000)
    }

    func testEachNewMessageOfADecisionIsPostedInItsBuddysThread() {
        var model = NotificationModel()
        let changes = model.handle(.show(buddyId: "b1", buddyName: "Betty", messages: [message("d-1", "hi"), message("d-2", "there")]))
        XCTAssertEqual(changes.compactMap { if case .post(let n) = $0 { n.text } else { nil } }, ["hi", "there"])
        XCTAssertEqual(changes.last, .badge(2))
        XCTAssertEqual(model.current["b1"]?.map(\.buddyName), ["Betty", "Betty"])
    }

    func testAMessageAlreadyUpIsNotPostedTwice() {
        var model = NotificationModel()
        _ = model.handle(.show(buddyId: "b1", buddyName: "Betty", messages: [message("d-1", "hi")]))
        let again = model.handle(.show(buddyId: "b1", buddyName: "Betty", messages: [message("d-1", "hi"), message("d-2", "two")]))
        XCTAssertEqual(again, [.post(Notice(id: "d-2", buddyId: "b1", buddyName: "Betty", text: "two",
                                            sentAt: Date(timeIntervalSince1970: 1_700_000_000))), .badge(2)])
        XCTAssertEqual(model.handle(.show(buddyId: "b1", buddyName: "Betty", messages: [message("d-1", "hi")])), [])
    }

    func testACancelTakesTheThreadAwayAndLeavesTheOthers() {
        var model = NotificationModel()
        _ = model.handle(.show(buddyId: "b1", buddyName: "Betty", messages: [message("d-1", "hi")]))
        _ = model.handle(.show(buddyId: "c1", buddyName: "Carl", messages: [message("e-1", "yo")]))
        XCTAssertEqual(model.handle(.cancel(buddyId: "b1")), [.removeThread("b1"), .badge(1)])
        XCTAssertEqual(Array(model.current.keys), ["c1"])
    }
}
