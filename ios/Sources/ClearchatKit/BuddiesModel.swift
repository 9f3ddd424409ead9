// The buddy list: the core's observable buddy list (ordered there: latest message first), each batch of diffs
// applied to the rows. Nothing is reloaded.
import ClearchatFFI
import Foundation
import Observation

public struct BuddyRow: Equatable, Identifiable, Sendable {
    public let id: String
    public let name: String
    public let online: Bool
    public let unread: Int
    public let lastText: String?
    public let lastFromMe: Bool
    public let lastAt: Date?

    init(_ b: Buddy) {
        id = b.id
        name = b.name
        online = b.online
        unread = Int(b.unread)
        lastText = b.lastMessage?.text
        lastFromMe = b.lastMessage?.fromMe ?? false
        lastAt = b.lastMessage.map { Date(timeIntervalSince1970: TimeInterval($0.sentAtMs) / 1000) }
    }
}

@MainActor @Observable
public final class BuddiesModel {
    public private(set) var loading = true
    public private(set) var buddies: [BuddyRow] = []
    public private(set) var error: String?

    public var totalUnread: Int { buddies.reduce(0) { $0 + $1.unread } }

    private let chat: Clearchat

    public init(_ chat: Clearchat) {
        self.chat = chat
    }

    /// Follows the core's buddy list until cancelled (run it from the view's `.task`).
    public func run() async {
        var rows: [BuddyRow] = []
        for await batch in chat.buddyList() {
            rows.apply(batch.map { $0.map(BuddyRow.init) })
            buddies = rows
            loading = false
        }
    }

    public func remove(_ buddyId: String) async {
        do {
            try await chat.removeBuddy(buddyId)
        } catch {
            self.error = Messages.explain(error)
        }
    }
}
