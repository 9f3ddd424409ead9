// One conversation: the core's window of it (newest last, older pages on request), with delivery states and read
// markers folded in there, applied batch by batch; my messages shown at once as pending; a validated draft; a send
// that failed kept as a bubble with "Send again". What is read is the core's decision, from what the shell says is
// on screen (`setVisible`).
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

    init(_ m: Message) {
        id = m.id
        text = m.text
        fromMe = m.fromMe
        sentAt = Date(timeIntervalSince1970: TimeInterval(m.sentAtMs) / 1000)
        delivery = switch m.state {
        case .pending: .pending
        case .sent: .sent
        case .delivered: .delivered
        case .read: .read
        }
        key = MessageKey(id: m.id, timeMs: m.sentAtMs) ?? MessageKey(timeMs: m.sentAtMs, author: m.id, seq: 0)
    }

    init(id: String, text: String, fromMe: Bool, sentAt: Date, delivery: Delivery, key: MessageKey) {
        self.id = id
        self.text = text
        self.fromMe = fromMe
        self.sentAt = sentAt
        self.delivery = delivery
        self.key = key
    }

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
    /// True until the window's first batch arrived.
    public private(set) var loading = true
    /// The messages in the window, oldest first, newest last (with failed sends in their place).
    public private(set) var items: [MessageRow] = []
    /// Whether older messages than the window's first exist (`loadOlder()` pages them in).
    public private(set) var hasOlder = false
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
    @ObservationIgnored private var timeline: Timeline?
    /// The core's window, as its batches made it.
    @ObservationIgnored private var window: [MessageRow] = []
    /// My messages sent from here that the window does not show yet (it will, with its next batch).
    @ObservationIgnored private var echoes: [MessageRow] = []
    /// Failed sends: only on this screen.
    @ObservationIgnored private var unsent: [MessageRow] = []
    @ObservationIgnored private var unsentCount: UInt64 = 0
    /// The buddy list, as its batches made it (for the buddy's name and presence).
    @ObservationIgnored private var listed: [Buddy] = []
    /// Waiting for the window to show something (paging returns once the core has given the batch).
    @ObservationIgnored private var waiters: [(check: () -> Bool, done: CheckedContinuation<Void, Never>)] = []
    /// Tests put a failing send in front of the core's here (the core itself has no failure to ask for on cue).
    @ObservationIgnored var sendThrough: (@MainActor (String) async throws(CoreError) -> Message)?

    public init(_ chat: Clearchat, buddyId: String, pageSize: Int = 50) {
        self.chat = chat
        self.buddyId = buddyId
        self.pageSize = max(1, pageSize)
    }

    /// Follows the core's window of the conversation and the buddy's name and presence until cancelled (run it
    /// from the view's `.task`).
    public func run() async {
        do {
            timeline = try chat.timeline(buddyId, initial: UInt32(pageSize))
        } catch {
            if case .core(.UnknownBuddy) = error { buddyGone() } else { self.error = Messages.explain(error) }
            loading = false
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.followWindow() }
            group.addTask { await self.followBuddy() }
        }
    }

    private func followWindow() async {
        guard let timeline else { return }
        for await batch in timeline.diffs() {
            window.apply(batch.map { $0.map(MessageRow.init) })
            if loading {
                hasOlder = window.count >= pageSize
                loading = false
            }
            compose()
        }
    }

    private func followBuddy() async {
        var seen = false
        for await batch in chat.buddyList() {
            listed.apply(batch)
            if let buddy = listed.first(where: { $0.id == buddyId }) {
                seen = true
                buddyName = buddy.name
                online = buddy.online
            } else if seen {
                buddyGone()
            } else if !gone {
                error = UiText.errUnknownBuddy.say()
            }
        }
    }

    /// The conversation is on screen (and the app in the foreground), or no longer: while it is, the core marks
    /// read what the window shows of the buddy's messages, and notifies none of them.
    public func setVisible(_ on: Bool) async {
        if on { chat.setForeground(true) }
        do {
            try chat.setVisibleConversation(on ? buddyId : nil)
        } catch {
            self.error = Messages.explain(error)
        }
    }

    /// Pages older messages in at the top of the window (the view calls it when the top comes into view); returns
    /// once they are in `items`.
    public func loadOlder() async {
        guard hasOlder, !loadingOlder, !loading, let timeline else { return }
        loadingOlder = true
        defer { loadingOlder = false }
        do {
            hasOlder = try await timeline.paginateBackwards(UInt32(pageSize))
            // The batch with them is on its way to this model: wait until the window starts where the core's does.
            let first = try await timeline.items().first?.id
            await until { self.window.first?.id == first }
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
        guard !sending, !gone, let row = unsent.first(where: { $0.id == id }) else { return }
        unsent.removeAll { $0.id == id }
        compose()
        sending = true
        defer { sending = false }
        await deliver(row.text)
    }

    /// Drops a failed message.
    public func discard(_ id: String) {
        unsent.removeAll { $0.id == id }
        compose()
    }

    // MARK: - the rows

    private func deliver(_ text: String) async {
        do {
            let message =
                if let sendThrough { try await sendThrough(text) } else { try await chat.send(text, to: buddyId) }
            echoes.append(MessageRow(message))
            compose()
        } catch {
            if case .core(.UnknownBuddy) = error { buddyGone() }
            unsentCount += 1
            let now = Date()
            unsent.append(MessageRow(
                id: "unsent-\(unsentCount)", text: text, fromMe: true, sentAt: now,
                delivery: .failed(Messages.explain(error)),
                // After every message of the same millisecond: "~" sorts after the hex of device ids.
                key: MessageKey(timeMs: UInt64(now.timeIntervalSince1970 * 1000), author: "~", seq: unsentCount)))
            compose()
        }
    }

    /// `items`: the core's window, then what it does not show yet (my sends, failed ones), each in its place.
    private func compose() {
        let shown = Set(window.map(\.id))
        echoes.removeAll { shown.contains($0.id) }
        var rows = window
        for row in (echoes + unsent).sorted(by: { $0.key < $1.key }) {
            let at = rows.firstIndex { $0.key > row.key } ?? rows.endIndex
            rows.insert(row, at: at)
        }
        items = rows
        var waiting: [(check: () -> Bool, done: CheckedContinuation<Void, Never>)] = []
        for w in waiters {
            if w.check() { w.done.resume() } else { waiting.append(w) }
        }
        waiters = waiting
    }

    private func until(_ check: @escaping () -> Bool) async {
        if check() { return }
        await withCheckedContinuation { done in waiters.append((check, done)) }
    }

    private func buddyGone() {
        gone = true
        error = UiText.errUnknownBuddy.say()
    }
}
