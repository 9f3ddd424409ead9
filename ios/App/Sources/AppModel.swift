// The app's wiring, thin: where the files live, opening the device (AppStartup), then connecting the kit's parts
// to iOS: the ConnectionOrchestrator to the scene phase, NWPathMonitor, UIApplication's background time and the
// refresh task; the NotificationFeed to UNUserNotificationCenter; notification taps to AppNavigation. Every
// decision is made in ClearchatKit, where the Linux tests reach it.
import BackgroundTasks
import ClearchatFFI
import ClearchatKit
import Observation
import SwiftUI
import UIKit
import os

@MainActor @Observable
final class AppModel {
    let startup: AppStartup
    let navigation = AppNavigation()
    /// Onboarding, from the first launch until its last step (it outlives the opening it passes through).
    private(set) var onboarding: OnboardingModel?
    private(set) var orchestrator: ConnectionOrchestrator?

    @ObservationIgnored private var feed: NotificationFeed?
    @ObservationIgnored private let notifications = LocalNotifications()
    @ObservationIgnored private let network = NetworkWatcher()
    @ObservationIgnored private let backgroundTime = UIKitBackgroundTime()
    @ObservationIgnored private var scene = ScenePhase.background
    @ObservationIgnored private var visibleConversation: String?
    @ObservationIgnored private var launching: Task<Void, Never>?

    init() {
        UiStrings.current = BundleStrings() // the kit's sentences from Localizable.xcstrings
        CoreLog.install()
        let files = Result { try AppFiles.applicationSupport().prepare() }
        let records: any StartupRecords
        switch files {
        case .success(let files): records = StartupRecordFile(files.startupRecord)
        case .failure: records = UnavailableRecords()
        }
        startup = AppStartup(records: records) { name in
            // Listens on all interfaces, with LAN discovery; the store in Application Support (AppFiles), the
            // device key sealed by a wrapping key in the Keychain (KeychainSecretStore).
            try Clearchat.open(dataDir: try files.get().store.path, deviceName: name, secretStore: KeychainSecretStore())
        }
        notifications.onOpen = { [weak self] buddyId in self?.navigation.open(.openConversation(buddyId: buddyId)) }
    }

    /// At launch (the root view's task) and at the start of a background refresh: opens the device if it exists.
    func launch() async {
        if launching == nil { launching = Task { await startup.start() } }
        await launching?.value // a second caller (the refresh at a background launch) waits for the first
        settle()
    }

    /// After the device failed to open: tries again.
    func retry() async {
        await startup.retry()
        settle()
    }

    /// Onboarding reached its last step.
    func onboardingFinished() {
        startup.onboarded()
        onboarding = nil
        settle()
    }

    func scenePhaseChanged(_ phase: ScenePhase) {
        scene = phase
        orchestrator?.setScene(Self.presence(phase))
        feed?.setForeground(phase == .active)
        if phase == .background, case .ready(_, true) = startup.state { Self.scheduleRefresh() }
    }

    /// The conversation on screen (nil: none): its messages are not notified.
    func setVisibleConversation(_ buddyId: String?) {
        visibleConversation = buddyId
        feed?.setVisibleConversation(buddyId)
    }

    /// Asks once for permission to notify, when there is a reason: a buddy to hear from.
    func askForNotifications(hasBuddy: Bool) {
        guard hasBuddy else { return }
        Task { await notifications.requestIfUndetermined() }
    }

    /// A background refresh: opens the device, catches up (the orchestrator starts the client, waits until it
    /// is quiet, stops it) and asks for the next refresh. Returns early when the system cancels the task.
    func catchUp() async {
        await launch()
        guard case .ready(_, true) = startup.state, let orchestrator else { return }
        Self.scheduleRefresh()
        await orchestrator.catchUp()
    }

    /// What follows from the startup state: onboarding while the device is not onboarded; the connection as soon
    /// as it is open (onboarding links and redeems over the network too); the buddies once onboarded.
    private func settle() {
        switch startup.state {
        case .notCreated:
            if onboarding == nil {
                onboarding = OnboardingModel(suggestedDeviceName: UIDevice.current.name) { [weak self, startup] name in
                    let chat = try await startup.create(name)
                    self?.settle() // the new device is connected at once: linking and redeeming go online
                    return chat
                }
            }
        case .ready(let chat, let onboarded):
            connect(chat)
            if !onboarded, onboarding == nil {
                onboarding = OnboardingModel(existing: chat) { [startup] name in try await startup.create(name) }
            }
            if onboarded, !navigation.onboarded { navigation.onboardingDone() }
        case .opening, .failed:
            break
        }
    }

    private func connect(_ chat: Clearchat) {
        guard orchestrator == nil else { return }
        let orchestrator = ConnectionOrchestrator(connection: chat, backgroundTime: backgroundTime)
        self.orchestrator = orchestrator
        orchestrator.setScene(Self.presence(scene))
        network.start { id in orchestrator.setNetwork(id) }
        let notifications = notifications
        let feed = NotificationFeed(chat) { changes in notifications.render(changes) }
        feed.setForeground(scene == .active)
        feed.setVisibleConversation(visibleConversation)
        self.feed = feed
    }

    private static func presence(_ phase: ScenePhase) -> ScenePresence {
        switch phase {
        case .active: .active
        case .inactive: .inactive
        case .background: .background
        @unknown default: .background
        }
    }

    /// Asks iOS for the next background refresh (it decides when; one request stands at a time).
    private static func scheduleRefresh() {
        let request = BGAppRefreshTaskRequest(identifier: BackgroundRefresh.identifier)
        request.earliestBeginDate = Date(timeIntervalSinceNow: BackgroundRefresh.interval)
        do {
            try BGTaskScheduler.shared.submit(request)
        } catch {
            // Background App Refresh is off for this app, or too many requests: the app still works on screen.
            Logger(subsystem: "chat.clearchat", category: "refresh").notice("no refresh scheduled: \(String(describing: error), privacy: .public)")
        }
    }
}

/// Application Support could not be prepared: every open fails with the reason, and nothing is remembered.
private struct UnavailableRecords: StartupRecords {
    func load() -> StartupRecord { StartupRecord() }
    func save(_ record: StartupRecord) throws { throw CocoaError(.fileWriteUnknown) }
}

/// The kit's texts from the app bundle's String Catalog (compiled from Localizable.xcstrings), English otherwise.
struct BundleStrings: Strings {
    func template(for text: UiText) -> String {
        Bundle.main.localizedString(forKey: text.rawValue, value: text.english, table: nil)
    }
}

/// The core's log records into the unified log (Console.app, `log stream`), at info and above; the message text
/// is private there (shown only on a device with a debugger or a logging profile).
final class CoreLog: LogSink {
    private let logger = Logger(subsystem: "chat.clearchat", category: "core")

    static func install() {
        setLogSink(sink: CoreLog(), maxLevel: .info)
    }

    func log(level: LogLevel, target: String, message: String) {
        switch level {
        case .error: logger.error("\(target, privacy: .public): \(message, privacy: .private)")
        case .warn: logger.warning("\(target, privacy: .public): \(message, privacy: .private)")
        case .info: logger.info("\(target, privacy: .public): \(message, privacy: .private)")
        case .debug, .trace: logger.debug("\(target, privacy: .public): \(message, privacy: .private)")
        }
    }
}
