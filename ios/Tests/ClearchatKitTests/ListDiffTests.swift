// The core's lists as Swift sees them: every kind of diff applied to an array, and copies kept from the diff
// streams of a live client (buddy list, conversation window) that always end equal to a fresh snapshot.
import ClearchatFFI
import XCTest
@testable import ClearchatKit

/// A copy of a core list, kept up to date from its stream by one task.
@MainActor
private final class Copy<T: Sendable> {
    var items: [T] = []
    var batches = 0
    private var task: Task<Void, Never>?

    init(_ stream: CoreStream<[ListDiff<T>]>) {
        task = Task { @MainActor [weak self] in
            for await batch in stream {
                guard let self else { return }
                self.items.apply(batch)
                self.batches += 1
            }
        }
    }

    func stop() {
        task?.cancel()
    }
}

/// What a fresh subscription starts from: its first batch (a reset with the items), applied to an empty array.
@MainActor
private func snapshot<T: Sendable>(_ stream: CoreStream<[ListDiff<T>]>) async -> [T] {
    var items: [T] = []
    for await batch in stream {
        items.apply(batch)
        break
    }
    return items
}

final class ListDiffTests: CoreTestCase, @unchecked Sendable {
    func testEveryKindOfDiffMovesACopyToTheNextState() {
        var list: [Int] = []
        list.apply([.reset([1, 2, 3])])
        XCTAssertEqual(list, [1, 2, 3])
        list.apply([.append([4, 5]), .pushFront(0), .pushBack(6)])
        XCTAssertEqual(list, [0, 1, 2, 3, 4, 5, 6])
        list.apply([.insert(2, 9), .set(0, 7), .remove(1)])
        XCTAssertEqual(list, [7, 9, 2, 3, 4, 5, 6])
        list.apply([.truncate(3)])
        XCTAssertEqual(list, [7, 9, 2])
        list.apply([.truncate(10)])
        XCTAssertEqual(list, [7, 9, 2], "truncating to more than it holds keeps everything")
        list.apply([.clear, .append([8])])
        XCTAssertEqual(list, [8])
        var texts: [String] = []
        texts.apply([ListDiff<Int>.append([1, 2]).map { "n\($0)" }, ListDiff<Int>.set(0, 3).map { "n\($0)" }])
        XCTAssertEqual(texts, ["n3", "n2"])
    }

    /// Both people write, Amy reads: Amy's copies of her buddy list and of the conversation window, built only
    /// from diffs, equal what a fresh subscription and the window's own items say (messages, states, order).
    @MainActor func testCopiesFromDiffsEqualAFreshSnapshot() async throws {
        let (amy, betty, bettyAtAmy, amyAtBetty) = try await buddies(h)
        let buddies = Copy(amy.buddyList())
        let timeline = try amy.timeline(bettyAtAmy, initial: 10)
        let window = Copy(timeline.diffs())
        defer {
            buddies.stop()
            window.stop()
        }
        for i in 1...15 {
            _ = try await betty.send("from Betty \(i)", to: amyAtBetty)
            if i % 5 == 0 { _ = try await amy.send("from Amy \(i)", to: bettyAtAmy) }
        }
        try await eventually("Amy's window to hold all 18 messages") {
            // Betty's 15th and Amy's 15th sort by their times: either may be last.
            window.items.count == 18 && window.items.contains { $0.text == "from Betty 15" }
        }
        try await amy.markRead(bettyAtAmy)
        let older = try await timeline.paginateBackwards(50)
        XCTAssertFalse(older, "nothing older than the first message")

        try await eventually("the window's copy to equal its items") {
            try await timeline.items() == window.items
        }
        XCTAssertEqual(window.items.map(\.text).filter { $0.hasPrefix("from Betty") }.count, 15)
        try await eventually("the buddy list's copy to equal a fresh snapshot with nothing unread") {
            let fresh = await snapshot(amy.buddyList())
            return fresh == buddies.items && fresh.first?.unread == 0
                && fresh.first?.lastMessage?.text == window.items.last?.text
        }
        XCTAssertGreaterThan(buddies.batches, 1, "the copy moved by diffs, not only its first reset")
        XCTAssertGreaterThan(window.batches, 1)
    }
}
