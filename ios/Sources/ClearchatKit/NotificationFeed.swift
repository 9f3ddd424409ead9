// Feeds the NotificationModel with the core's notification decisions, on the main actor, and hands every change
// to the host's renderer (on iOS: UNUserNotificationCenter). What the person sees (app in the foreground, the
// conversation on screen) is told to the core, whose decisions depend on it. The one place that reads the
// bindings' notification decisions.
import ClearchatFFI
import Foundation

extension NotificationInput {
    /// The model's input for one of the core's decisions.
    public init(_ decision: NotificationEvent) {
        switch decision {
        case .show(let buddyId, let buddyName, let messages):
            self = .show(
                buddyId: buddyId, buddyName: buddyName,
                messages: messages.map { NotifiedMessage(id: $0.id, text: $0.text, sentAtMs: $0.sentAtMs) })
        case .cancel(let buddyId, _):
            self = .cancel(buddyId: buddyId)
        }
    }
}

@MainActor
public final class NotificationFeed {
    private var model = NotificationModel()
    private let chat: Clearchat
    private let render: @MainActor ([NotificationChange]) -> Void
    private var task: Task<Void, Never>?
    /// How many of the core's decisions the model was given (tests wait on it).
    private(set) var decisionsHandled = 0

    /// Subscribes to `chat`'s notification decisions now (the subscription ends with `close()` or when the feed
    /// goes away); `render` gets every change, in order, on the main actor.
    public init(_ chat: Clearchat, render: @escaping @MainActor ([NotificationChange]) -> Void) {
        self.chat = chat
        self.render = render
        let decisions = chat.notifications()
        task = Task { @MainActor [weak self] in
            for await decision in decisions {
                guard let self else { return }
                self.decisionsHandled += 1
                let changes = self.model.handle(NotificationInput(decision))
                if !changes.isEmpty { self.render(changes) }
            }
        }
    }

    deinit {
        task?.cancel()
    }

    /// The notices up now.
    public var current: [String: [Notice]] { model.current }

    /// The app came to the foreground or left it (told to the core).
    public func setForeground(_ on: Bool) {
        chat.setForeground(on)
    }

    /// The conversation on screen (nil: none): the core notifies none of its messages while in the foreground.
    public func setVisibleConversation(_ buddyId: String?) {
        do {
            try chat.setVisibleConversation(buddyId)
        } catch {
            // Not a buddy (any more): nothing of it can be notified either.
        }
    }

    /// Stops following the core's decisions: cancelling the task ends the stream, which cancels the core's
    /// subscription.
    public func close() {
        task?.cancel()
        task = nil
    }
}
