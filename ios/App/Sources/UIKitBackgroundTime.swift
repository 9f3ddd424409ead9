// The time iOS grants to keep running after the app leaves the screen (about 30 s): what the
// ConnectionOrchestrator asks for so the client stops cleanly, and gives back once it did.
import ClearchatKit
import UIKit

@MainActor
final class UIKitBackgroundTime: BackgroundTime {
    private var task = UIBackgroundTaskIdentifier.invalid

    func begin(expired: @escaping @MainActor @Sendable () -> Void) -> Bool {
        end()
        task = UIApplication.shared.beginBackgroundTask(withName: "chat.clearchat.stop") { [weak self] in
            // iOS wants the task ended at once here; the client's stop follows as far as iOS lets it run.
            self?.end()
            expired()
        }
        return task != .invalid
    }

    func end() {
        guard task != .invalid else { return }
        UIApplication.shared.endBackgroundTask(task)
        task = .invalid
    }
}
