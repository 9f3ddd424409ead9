// One conversation, over today's API (a page of messages, then events): a window of messages, newest last, with
// older pages loaded on demand; delivery states and the buddy's read marker folded in; my messages shown at
// once as pending; a validated draft; a send that failed kept as a bubble with "Send again"; mark-read while on
// screen. Deliberately small: the core's observable conversation with diffs (issue 12) replaces how it fills
// `items`, not what the conversation screen reads from it.
import ClearchatFFI
import Foundation
import Observation

public struct MessageRow: Equatable, Identifiable, Sendable {
    public enum Delivery: Equatable, Sendable {
        case pending, sent, delivered, read
        /// My message never reached the core (the reason in plain words): "Send again" or delete it.
        case failed(String)
    }

    public let id: String
    public let text: String
    public let fromMe: Bool
    public let sentAt: Date
    public internal(set) var delivery: Delivery
    /// Its place in the conversation: the core's order.
    let key: MessageKey

    /// A send that failed: not in the core, only on this screen.
    public var failed: Bool {
        if case .failed = delivery { true } else { false }
    }

    /// The words under my own messages.
    public var stateText: String? {
        guard fromMe else { return nil }
        return switch delivery {
        case .pending: UiText.statePending.say()
        case .sent: UiText.stateSent.say()
        case .delivered: UiText.stateDelivered.say()
        case .read: UiText.stateRead.say()
        case .failed(let reason): UiText.conversationNotSent.say(reason)
        }
    }
}

@MainActor @Observable
public final class ConversationModel {
    public let buddyId: String
    public private(set) var buddyName = ""
    public private(set) var online = false
    /// True until the newest page arrived.
    public private(set) var loading = true
    /// The messages in the window, oldest first, newest last.
    public private(set) var items: [MessageRow] = []
    /// Whether older messages than the window's first may exist (`loadOlder()` fetches them).
    public private(set) var hasOlder = true
    public private(set) var loadingOlder = false
    public var draft = "" {
        didSet { if draft != oldValue { draftError = nil } }
    }
    public private(set) var draftError: String?
    public private(set) var sending = false
    public private(set) var error: String?
    /// The buddy was removed: nothing can be sent any more.
    public private(set) var gone = false

    /// My newest message the buddy has read: where the "Read" mark is drawn.
    public var readMarker: String? { items.last { $0.fromMe && $0.delivery == .read }?.id }
    public var canSend: Bool { !sending && !gone && Validation.message(draft) == nil }

    /// Whether the words under `row` are shown: my messages not read yet, and the newest one read.
    public func showsState(_ row: MessageRow) -> Bool {
        row.fromMe && (row.delivery != .read || row.id == readMarker)
    }

    @ObservationIgnored private let chat: Clearchat
    @ObservationIgnored private let pageSize: Int
    @ObservationIgnored private var visible = false
    /// The newest message of the buddy's this model marked read.
    @ObservationIgnored private var markedUpTo: String?
    /// State changes that arrived before their message (two batches announced out of order).
    @ObservationIgnored private var lateStates: [String: MessageState] = [:]
    @ObservationIgnored private var unsentCount: UInt64 = 0
    /// Tests put a failing send in front of the core's here (the core itself has no failure to ask for on cue).
    @ObservationIgnored var sendThrough: (@MainActor (String) async throws(CoreError) -> Message)?

    public init(_ chat: Clearchat, buddyId: String, pageSize: Int = 50) {
        self.chat = chat
        self.buddyId = buddyId
        self.pageSize = max(1, pageSize)
    }

    /// Loads the newest page, then follows the core until cancelled (run it from the view's `.task`).
    public func run() async {
        let events = chat.events() // first: nothing between the page and the events is missed
        await loadBuddy()
        await loadNewest()
        for await event in events {
            await apply(event)
        }
    }

    /// The conversation is on screen (and the app in the foreground), or no longer: while it is, what the buddy
    /// writes is marked read.
    public func setVisible(_ on: Bool) async {
        visible = on
        await markReadIfShown()
    }

    /// The page before the window's first message (the view calls it when the top comes into view).
    public func loadOlder() async {
        guard hasOlder, !loadingOlder, !loading, let first = items.first(where: { !$0.failed }) else { return }
        loadingOlder = true
        defer { loadingOlder = false }
        do {
            let page = try await chat.conversation(with: buddyId, before: first.id, limit: UInt32(pageSize))
            merge(page, extendingBack: true)
            hasOlder = page.count == pageSize
        } catch {
            self.error = Messages.explain(error)
        }
    }

    public func send() async {
        guard !sending, !gone else { return }
        if let problem = Validation.message(draft) {
            draftError = problem
            return
        }
        let text = draft
        sending = true
        defer { sending = false }
        await deliver(text)
        if draft == text { draft = "" } // the text is in a bubble now, sent or with "Send again"
    }

    /// Sends a failed message again.
    public func retry(_ id: String) async {
        guard !sending, !gone, let row = items.first(where: { $0.id == id && $0.failed }) else { return }
        items.removeAll { $0.id == id }
        sending = true
        defer { sending = false }
        await deliver(row.text)
    }

    /// Drops a failed message.
    public func discard(_ id: String) {
        items.removeAll { $0.id == id && $0.failed }
    }

    // MARK: - filling the window

    private func deliver(_ text: String) async {
        do {
            let message =
                if let sendThrough { try await sendThrough(text) } else { try await chat.send(text, to: buddyId) }
            merge([message])
        } catch {
            if case .core(.UnknownBuddy) = error { buddyGone() }
            unsentCount += 1
            let now = Date()
            let row = MessageRow(
                id: "unsent-\(unsentCount)", text: text, fromMe: true, sentAt: now,
                delivery: .failed(Messages.explain(error)),
                // After every message of the same millisecond: "~" sorts after the hex of device ids.
                key: MessageKey(timeMs: UInt64(now.timeIntervalSince1970 * 1000), author: "~", seq: unsentCount))
            insert(row)
        }
    }

    private func loadBuddy() async {
        do {
            guard let buddy = try await chat.buddies().first(where: { $0.id == buddyId }) else {
                if !gone { error = UiText.errUnknownBuddy.say() }
                return
            }
            buddyName = buddy.name
            online = buddy.online
        } catch {
            self.error = Messages.explain(error)
        }
    }

    private func loadNewest() async {
        do {
            let page = try await chat.conversation(with: buddyId, limit: UInt32(pageSize))
            merge(page, extendingBack: true)
            hasOlder = page.count == pageSize
        } catch {
            self.error = Messages.explain(error)
        }
        loading = false
        await markReadIfShown()
    }

    /// The window again from the core, as long as it is now (after a read marker on a message it does not hold).
    private func reloadWindow() async {
        let count = max(pageSize, items.filter { !$0.failed }.count)
        do {
            let page = try await chat.conversation(with: buddyId, limit: UInt32(count))
            let unsent = items.filter(\.failed)
            items = []
            merge(page, extendingBack: true)
            for row in unsent { insert(row) }
            hasOlder = page.count == count
        } catch {
            self.error = Messages.explain(error)
        }
    }

    private func apply(_ event: Event) async {
        switch event {
        case .messageAdded(let buddy, let message) where buddy == buddyId:
            merge([message])
            if !message.fromMe { await markReadIfShown() }
        case .messageStateChanged(let buddy, let id, let state) where buddy == buddyId:
            if let i = items.firstIndex(where: { $0.id == id }) {
                items[i].delivery = raised(items[i].delivery, to: state)
            } else {
                let earlier = lateStates[id]
                lateStates[id] = earlier.map { rank($0) > rank(state) ? $0 : state } ?? state
            }
        case .readUpTo(let buddy, false, let upTo) where buddy == buddyId:
            // The buddy read up to `upTo`: my messages up to there are read.
            guard let marker = items.first(where: { $0.id == upTo }) else {
                // Older than the window (nothing in it changes) or not here yet: ask the core.
                await reloadWindow()
                return
            }
            for i in items.indices where items[i].fromMe && !items[i].failed && items[i].key <= marker.key {
                items[i].delivery = .read
            }
        case .buddyRemoved(let buddy) where buddy == buddyId:
            buddyGone()
        case .buddyAdded, .peerOnline, .peerOffline:
            await loadBuddy()
        default:
            break
        }
    }

    private func buddyGone() {
        gone = true
        error = UiText.errUnknownBuddy.say()
    }

    /// Puts the core's messages into the window, each once, in order, with the higher of two states. A message
    /// older than the window's first is left for `loadOlder()` (it would leave a gap), unless `extendingBack`
    /// (a page that ends where the window begins) or the window already holds the whole conversation.
    private func merge(_ messages: [Message], extendingBack: Bool = false) {
        for message in messages {
            guard let key = MessageKey(id: message.id, timeMs: message.sentAtMs) else { continue }
            var delivery = Self.delivery(message.state)
            if let late = lateStates.removeValue(forKey: message.id) { delivery = raised(delivery, to: late) }
            if let i = items.firstIndex(where: { $0.id == message.id }) {
                items[i].delivery = raised(items[i].delivery, to: message.state)
                continue
            }
            if !extendingBack, hasOlder, let first = items.first(where: { !$0.failed }), key < first.key { continue }
            insert(MessageRow(
                id: message.id, text: message.text, fromMe: message.fromMe,
                sentAt: Date(timeIntervalSince1970: TimeInterval(message.sentAtMs) / 1000),
                delivery: delivery, key: key))
        }
    }

    private func insert(_ row: MessageRow) {
        var low = 0
        var high = items.count
        while low < high {
            let mid = (low + high) / 2
            if items[mid].key < row.key { low = mid + 1 } else { high = mid }
        }
        items.insert(row, at: low)
    }

    private func markReadIfShown() async {
        guard visible, !gone, let newest = items.last(where: { !$0.fromMe }), newest.id != markedUpTo else { return }
        markedUpTo = newest.id // before the call: a second event meanwhile does not mark twice
        do {
            try await chat.markRead(buddyId, upTo: newest.id)
        } catch {
            markedUpTo = nil
            if case .core(.UnknownBuddy) = error { buddyGone() } else { self.error = Messages.explain(error) }
        }
    }

    private static func delivery(_ state: MessageState) -> MessageRow.Delivery {
        switch state {
        case .pending: .pending
        case .sent: .sent
        case .delivered: .delivered
        case .read: .read
        }
    }

    /// The later of `delivery` and `state` (states only move forward).
    private func raised(_ delivery: MessageRow.Delivery, to state: MessageState) -> MessageRow.Delivery {
        let current: MessageState? =
            switch delivery {
            case .pending: .pending
            case .sent: .sent
            case .delivered: .delivered
            case .read: .read
            case .failed: nil
            }
        guard let current else { return delivery }
        return rank(state) > rank(current) ? Self.delivery(state) : delivery
    }

    private func rank(_ state: MessageState) -> Int {
        switch state {
        case .pending: 0
        case .sent: 1
        case .delivered: 2
        case .read: 3
        }
    }
}
