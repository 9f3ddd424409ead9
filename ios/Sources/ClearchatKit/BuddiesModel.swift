// The buddy list, reloaded on every event that may change it. Deliberately small: the core's observable
// buddy list with diffs (issue 12) replaces it.
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

    /// Loads the list, then keeps it current until cancelled (run it from the view's `.task`).
    public func run() async {
        let events = chat.events()
        await reload()
        for await event in events {
            if case .forkDetected = event { continue }
            await reload()
        }
    }

    public func reload() async {
        do {
            buddies = try await chat.buddies().map { b in
                BuddyRow(
                    id: b.id, name: b.name, online: b.online, unread: Int(b.unread),
                    lastText: b.lastMessage?.text, lastFromMe: b.lastMessage?.fromMe ?? false,
                    lastAt: b.lastMessage.map { Date(timeIntervalSince1970: TimeInterval($0.sentAtMs) / 1000) })
            }.sorted { a, b in
                a.lastAt != b.lastAt
                    ? (a.lastAt ?? .distantPast) > (b.lastAt ?? .distantPast)
                    : a.name.lowercased() < b.name.lowercased()
            }
            error = nil
        } catch {
            self.error = Messages.explain(error)
        }
        loading = false
    }

    public func remove(_ buddyId: String) async {
        do {
            try await chat.removeBuddy(buddyId)
            await reload()
        } catch {
            self.error = Messages.explain(error)
        }
    }
}
