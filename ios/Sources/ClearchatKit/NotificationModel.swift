// Which message notifications should be up: a pure model fed by the core's events and by what the person sees. It
// hands the host changes to render with UNUserNotificationCenter: one notification per message, threaded by buddy
// (iOS groups a thread), removed when read. The Kotlin NotificationModel's rules, in iOS's terms.
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
    /// Take these messages' notifications away.
    case remove([String])
    /// Take every notification of this buddy's thread away, also those posted by an earlier process.
    case removeThread(String)
    /// The app icon's badge: the messages notified and not read.
    case badge(Int)
}

/// What the model is told, in its own terms: the adapter from the bindings' events is `NotificationFeed`'s.
public enum NotificationInput: Equatable, Sendable {
    case message(buddyId: String, buddyName: String, id: String, text: String, sentAtMs: UInt64, fromMe: Bool)
    /// I read the conversation up to the message `upTo`, on this device or any other of mine.
    case readByMe(buddyId: String, upTo: String)
    case buddyRemoved(buddyId: String)
}

/// Rules: a message from a buddy is notified unless its conversation is on screen (only while the app is in the
/// foreground); my own messages never are; reading on any of my devices takes the read messages' notifications
/// away; opening the conversation or removing the buddy takes its thread away. Messages are ordered as the core
/// orders them (time, then author, then sequence number), so a read marker takes away exactly what it covers
/// when its message was seen. A marker on a message not seen takes the whole thread away (what was read is
/// newer than everything notified, or was read on screen), and when that message arrives later (the marker
/// came first from another log), what it covers is taken away then; nothing is ever held back on a guess.
public struct NotificationModel: Sendable {
    private struct Thread: Sendable {
        /// The notices up, oldest first.
        var shown: [(notice: Notice, key: MessageKey)] = []
        /// Where recent messages of the conversation sit, notified or not (at most `seenLimit`).
        var seen: [String: MessageKey] = [:]
        var seenOrder: [String] = []
        /// My newest read marker: the message it points at, and its place once that message was seen.
        var readId: String?
        var readKey: MessageKey?
    }

    private static let seenLimit = 500
    private var threads: [String: Thread] = [:]
    private var foreground = false
    private var visible: String?

    public init() {}

    /// The notices that should be up now, per buddy, oldest first.
    public var current: [String: [Notice]] {
        threads.compactMapValues { t in t.shown.isEmpty ? nil : t.shown.map(\.notice) }
    }

    public mutating func setForeground(_ on: Bool) -> [NotificationChange] {
        foreground = on
        return removeOnScreen()
    }

    /// The conversation on screen (nil: none). It counts only while the app is in the foreground.
    public mutating func setVisibleConversation(_ buddyId: String?) -> [NotificationChange] {
        visible = buddyId
        return removeOnScreen()
    }

    public mutating func handle(_ input: NotificationInput) -> [NotificationChange] {
        switch input {
        case .message(let buddyId, let buddyName, let id, let text, let sentAtMs, let fromMe):
            let notice = Notice(
                id: id, buddyId: buddyId, buddyName: buddyName, text: text,
                sentAt: Date(timeIntervalSince1970: TimeInterval(sentAtMs) / 1000))
            return message(notice, key: MessageKey(id: id, timeMs: sentAtMs), fromMe: fromMe)
        case .readByMe(let buddyId, let upTo):
            return read(buddyId, upTo: upTo)
        case .buddyRemoved(let buddyId):
            let changes = removeThread(buddyId)
            threads[buddyId] = nil
            return changes
        }
    }

    private mutating func message(_ notice: Notice, key: MessageKey?, fromMe: Bool) -> [NotificationChange] {
        guard var key else { return [] } // not a message id of the core's form: nothing to order it by
        let buddyId = notice.buddyId
        var thread = threads[buddyId] ?? Thread()
        if let known = thread.seen[notice.id] {
            key = known // the same message again
        } else {
            thread.seen[notice.id] = key
            thread.seenOrder.append(notice.id)
            if thread.seenOrder.count > Self.seenLimit { thread.seen[thread.seenOrder.removeFirst()] = nil }
        }
        var post = !fromMe && !(foreground && visible == buddyId)
        if thread.readId == notice.id, thread.readKey == nil {
            thread.readKey = key // the message my read marker waited for: now its place is known
        }
        if let read = thread.readKey, key <= read { post = false }
        if thread.shown.contains(where: { $0.notice.id == notice.id }) { post = false }
        if post {
            thread.shown.append((notice, key))
            thread.shown.sort { $0.key < $1.key }
        }
        threads[buddyId] = thread
        let dropped = dropRead(buddyId)
        return post ? [.post(notice), badge()] : dropped
    }

    private mutating func read(_ buddyId: String, upTo: String) -> [NotificationChange] {
        var thread = threads[buddyId] ?? Thread()
        thread.readId = upTo
        thread.readKey = thread.seen[upTo]
        threads[buddyId] = thread
        return thread.readKey == nil ? removeThread(buddyId) : dropRead(buddyId)
    }

    /// Takes away the notices at or before the buddy's read marker.
    private mutating func dropRead(_ buddyId: String) -> [NotificationChange] {
        guard let read = threads[buddyId]?.readKey, let shown = threads[buddyId]?.shown else { return [] }
        let gone = shown.filter { $0.key <= read }.map(\.notice.id)
        guard !gone.isEmpty else { return [] }
        threads[buddyId]?.shown.removeAll { $0.key <= read }
        return [.remove(gone), badge()]
    }

    private mutating func removeThread(_ buddyId: String) -> [NotificationChange] {
        threads[buddyId]?.shown = []
        return [.removeThread(buddyId), badge()]
    }

    private mutating func removeOnScreen() -> [NotificationChange] {
        guard foreground, let on = visible else { return [] }
        return removeThread(on)
    }

    private func badge() -> NotificationChange {
        .badge(threads.values.reduce(0) { $0 + $1.shown.count })
    }
}

/// Where a message sits in its conversation: the core's order (time, then author device, then sequence number).
/// The message id is `<author hex>-<seq>`.
struct MessageKey: Comparable, Hashable, Sendable {
    let timeMs: UInt64
    let author: String
    let seq: UInt64

    init(timeMs: UInt64, author: String, seq: UInt64) {
        self.timeMs = timeMs
        self.author = author
        self.seq = seq
    }

    /// Nil for an id that is not `<author hex>-<seq>`.
    init?(id: String, timeMs: UInt64) {
        guard let dash = id.lastIndex(of: "-"), let seq = UInt64(id[id.index(after: dash)...]) else { return nil }
        self.init(timeMs: timeMs, author: String(id[..<dash]), seq: seq)
    }

    init?(id: String, sentAt: Date) {
        self.init(id: id, timeMs: UInt64(max(0, (sentAt.timeIntervalSince1970 * 1000).rounded())))
    }

    static func < (a: MessageKey, b: MessageKey) -> Bool {
        (a.timeMs, a.author, a.seq) < (b.timeMs, b.author, b.seq)
    }
}
