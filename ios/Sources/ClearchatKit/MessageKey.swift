// Where a message sits in its conversation, as the core orders them; the conversation model sorts by it.
import Foundation

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
