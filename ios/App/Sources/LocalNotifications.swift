// The NotificationFeed's changes (the core's decisions) as local notifications (UNUserNotificationCenter): one per
// message, threaded by buddy (the thread identifier is the buddy id, so iOS groups a conversation), the thread taken
// away when read on any of my devices, the badge the count of what is up. Also the center's delegate: banners while
// the app is open, and a tap opens the conversation.
import ClearchatKit
import UIKit
import UserNotifications

@MainActor
final class LocalNotifications {
    /// A tap on a notification: the buddy whose conversation to show.
    var onOpen: (@MainActor (String) -> Void)? {
        didSet { delegate.onOpen = onOpen }
    }

    private let delegate = NotificationDelegate()

    init() {
        UNUserNotificationCenter.current().delegate = delegate
    }

    /// Asks for permission once (iOS shows the question only while the status is undetermined).
    nonisolated func requestIfUndetermined() async {
        let center = UNUserNotificationCenter.current()
        guard await center.notificationSettings().authorizationStatus == .notDetermined else { return }
        _ = try? await center.requestAuthorization(options: [.alert, .sound, .badge])
    }

    func render(_ changes: [NotificationChange]) {
        let center = UNUserNotificationCenter.current()
        for change in changes {
            switch change {
            case .post(let notice):
                let content = UNMutableNotificationContent()
                content.title = notice.buddyName
                content.body = notice.text
                content.threadIdentifier = notice.buddyId
                content.targetContentIdentifier = notice.buddyId
                content.sound = .default
                content.userInfo = [Self.buddyKey: notice.buddyId]
                let request = UNNotificationRequest(identifier: Self.identifier(notice.id), content: content, trigger: nil)
                center.add(request, withCompletionHandler: nil)
            case .removeThread(let buddyId):
                Self.removeThread(buddyId)
            case .badge(let count):
                center.setBadgeCount(count, withCompletionHandler: nil)
            }
        }
    }

    static let buddyKey = "buddy"

    private nonisolated static func identifier(_ messageId: String) -> String {
        "message:\(messageId)"
    }

    /// Every delivered notification of the thread, also those an earlier process posted.
    private nonisolated static func removeThread(_ buddyId: String) {
        UNUserNotificationCenter.current().getDeliveredNotifications { delivered in
            let ids = delivered.filter { $0.request.content.threadIdentifier == buddyId }.map(\.request.identifier)
            UNUserNotificationCenter.current().removeDeliveredNotifications(withIdentifiers: ids)
        }
    }
}

/// Called by the notification center on its own queue; hands taps to the main actor.
private final class NotificationDelegate: NSObject, UNUserNotificationCenterDelegate, @unchecked Sendable {
    /// Set once on the main actor before any notification can be tapped; read on the main actor.
    nonisolated(unsafe) var onOpen: (@MainActor (String) -> Void)?

    /// While the app is open, a message for another conversation shows as a banner (the open one is never
    /// posted: the model knows what is on screen).
    func userNotificationCenter(
        _ center: UNUserNotificationCenter, willPresent notification: UNNotification,
        withCompletionHandler completionHandler: @escaping @Sendable (UNNotificationPresentationOptions) -> Void
    ) {
        completionHandler([.banner, .list, .sound])
    }

    func userNotificationCenter(
        _ center: UNUserNotificationCenter, didReceive response: UNNotificationResponse,
        withCompletionHandler completionHandler: @escaping @Sendable () -> Void
    ) {
        let buddyId = response.notification.request.content.threadIdentifier
        Task { @MainActor in
            if !buddyId.isEmpty { self.onOpen?(buddyId) }
            completionHandler()
        }
    }
}
