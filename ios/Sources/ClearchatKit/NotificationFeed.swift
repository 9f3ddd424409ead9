// Feeds the NotificationModel on the main actor: the client's events and what the person sees (app in the
// foreground, conversation on screen) go to the model, and every change to the host's renderer (on iOS:
// UNUserNotificationCenter). The one place that reads the bindings' events for notifications.
import ClearchatFFI
import Foundation

extension NotificationInput {
    /// The model's input for an event, or nil for events that concern no notification.
    public init?(_ event: Event) {
        switch event {
        case .messageAdded(let buddyId, let m):
            self = .message(
                buddyId: buddyId, buddyName: m.from, id: m.id, text: m.text, sentAtMs: m.sentAtMs, fromMe: m.fromMe)
        case .readUpTo(let buddyId, let byMe, let upTo):
            guard byMe else { return nil }
            self = .readByMe(buddyId: buddyId, upTo: upTo)
        case .buddyRemoved(let buddyId):
            self = .buddyRemoved(buddyId: buddyId)
        default:
            return nil
        }
    }
}

@MainActor
public final class NotificationFeed {
    private var model = NotificationModel()
    private let render: @MainActor ([NotificationChange]) -> Void
    private var task: Task<Void, Never>?
    /// How many inputs the model was given (tests wait on it: the feed's order, not another subscriber's).
    private(set) var inputsHandled = 0

    /// Subscribes to `chat`'s events now; `render` gets every change, in order, on the main actor.
    public init(_ chat: Clearchat, render: @escaping @MainActor ([NotificationChange]) -> Void) {
        self.render = render
        let events = chat.events()
        task = Task { @MainActor [weak self] in
            for await event in events {
                guard let self else { return }
                guard let input = NotificationInput(event) else { continue }
                self.inputsHandled += 1
                self.apply(self.model.handle(input))
            }
        }
    }

    /// The notices the model holds now.
    public var current: [String: [Notice]] { model.current }

    public func setForeground(_ on: Bool) {
        apply(model.setForeground(on))
    }

    public func setVisibleConversation(_ buddyId: String?) {
        apply(model.setVisibleConversation(buddyId))
    }

    /// Stops following the client.
    public func close() {
        task?.cancel()
    }

    private func apply(_ changes: [NotificationChange]) {
        if !changes.isEmpty { render(changes) }
    }
}
