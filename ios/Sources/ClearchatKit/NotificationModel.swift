// The notifications that are up, as the core decides them: the core's `notifications()` stream says which new
// messages deserve one (never my own, never the conversation on screen, never what I read elsewhere: the pure
// `notification_for` policy in core/src/lists/notify.rs) and when a conversation's go. This model only keeps what
// is up and turns each decision into changes the host renders with UNUserNotificationCenter: one notification per
// message, threaded by buddy (iOS groups a thread), and the badge. It decides nothing.
import Foundation

/// One message notification.
public struct Notice: Equatable, Sendable {
    /// The message id; the host makes the notification's identifier from it.
    public let id: String
    /// The thread (the buddy id): iOS groups a thread, and a tap opens its conversation.
    public let buddyId: String
    public let buddyName: String
    public let text: String
    public let sentAt: Date
}

public enum NotificationChange: Equatable, Sendable {
    case post(Notice)
    /// Take every notification of this buddy's thread away, also those posted by an earlier process.
    case removeThread(String)
    /// The app icon's badge: the messages notified and not read.
    case badge(Int)
}

/// A message the core decided to notify.
public struct NotifiedMessage: Equatable, Sendable {
    public let id: String
    public let text: String
    public let sentAtMs: UInt64

    public init(id: String, text: String, sentAtMs: UInt64) {
        self.id = id
        self.text = text
        self.sentAtMs = sentAtMs
    }
}

/// The core's decisions, in the model's terms: the adapter from the bindings is `NotificationFeed`'s.
public enum NotificationInput: Equatable, Sendable {
    /// New messages of a buddy deserve a notification (oldest first).
    case show(buddyId: String, buddyName: String, messages: [NotifiedMessage])
    /// The buddy's conversation was read on one of my devices, or the buddy removed: its notifications go.
    case cancel(buddyId: String)
}

public struct NotificationModel: Sendable {
    /// Per buddy, the notices up, oldest first.
    private var threads: [String: [Notice]] = [:]

    public init() {}

    /// The notices that are up now, per buddy, oldest first.
    public var current: [String: [Notice]] { threads }

    public mutating func handle(_ input: NotificationInput) -> [NotificationChange] {
        switch input {
        case .show(let buddyId, let buddyName, let messages):
            var thread = threads[buddyId] ?? []
            let new = messages.filter { m in !thread.contains { $0.id == m.id } }.map { m in
                Notice(
                    id: m.id, buddyId: buddyId, buddyName: buddyName, text: m.text,
                    sentAt: Date(timeIntervalSince1970: TimeInterval(m.sentAtMs) / 1000))
            }
            guard !new.isEmpty else { return [] }
            thread += new
            threads[buddyId] = thread
            return new.map(NotificationChange.post) + [badge()]
        case .cancel(let buddyId):
            threads[buddyId] = nil
            return [.removeThread(buddyId), badge()]
        }
    }

    private func badge() -> NotificationChange {
        .badge(threads.values.reduce(0) { $0 + $1.count })
    }
}
