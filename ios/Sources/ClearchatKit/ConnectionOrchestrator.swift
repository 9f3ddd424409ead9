// Runs the ConnectionPolicy on the main actor: takes the app's inputs (scene phase, network path, a background
// refresh), performs the policy's actions (start/stop the client, ask for or end background time, finish the
// refresh) and feeds their outcome back, with one timer for the policy's next wake-up. The only effectful part;
// the app connects it to SwiftUI's scenePhase, NWPathMonitor, UIApplication's background time and the
// BGAppRefreshTask.
import ClearchatFFI
import Foundation
import Observation

/// What the orchestrator starts and stops: the client.
public protocol ClientConnection: Sendable {
    func start() async throws(CoreError)
    func stop() async throws(CoreError)
    /// The client's events, which tell a refresh when it has caught up.
    func events() -> CoreStream<Event>
}

extension Clearchat: ClientConnection {}

/// Time iOS grants to keep running after leaving the screen (UIApplication.beginBackgroundTask).
@MainActor
public protocol BackgroundTime: AnyObject {
    /// Asks for the time; false when iOS refuses. `expired` runs if iOS takes it back before `end()`, after the
    /// host has ended the task itself (iOS wants that at once, in its expiration handler).
    func begin(expired: @escaping @MainActor @Sendable () -> Void) -> Bool
    func end()
}

@MainActor @Observable
public final class ConnectionOrchestrator {
    public private(set) var status: ConnectionStatus

    @ObservationIgnored private var policy: ConnectionPolicy
    @ObservationIgnored private let connection: any ClientConnection
    @ObservationIgnored private let backgroundTime: any BackgroundTime
    @ObservationIgnored private let clock: @MainActor () -> Duration
    @ObservationIgnored private var queued: [ConnectionInput] = []
    @ObservationIgnored private var pumping = false
    @ObservationIgnored private var wake: Task<Void, Never>?
    @ObservationIgnored private var watch: Task<Void, Never>?
    @ObservationIgnored private var refreshWaiters: [CheckedContinuation<Void, Never>] = []
    @ObservationIgnored private var closed = false

    /// `clock` is the policy's time (by default, time since this orchestrator was made).
    public init(
        connection: any ClientConnection, backgroundTime: any BackgroundTime,
        config: ConnectionConfig = ConnectionConfig(), clock: (@MainActor () -> Duration)? = nil
    ) {
        self.connection = connection
        self.backgroundTime = backgroundTime
        let origin = ContinuousClock.now
        self.clock = clock ?? { ContinuousClock.now - origin }
        policy = ConnectionPolicy(config: config)
        status = policy.status
        let events = connection.events() // subscribed now: a refresh started right after misses nothing
        watch = Task { @MainActor [weak self] in
            for await event in events {
                guard let self else { return }
                guard self.policy.refreshing else { continue }
                switch event {
                case .peerOnline: self.handle(.peerOnline)
                case .messageAdded, .messageStateChanged, .readUpTo, .syncProgress, .buddyAdded, .buddyRemoved,
                    .deviceLinked, .deviceRevoked:
                    self.handle(.activity)
                default: break
                }
            }
        }
    }

    /// SwiftUI's scenePhase, as it changes.
    public func setScene(_ presence: ScenePresence) {
        handle(.scene(presence))
    }

    /// The network path (NWPathMonitor): nil when unsatisfied, else an id that changes with the interfaces.
    public func setNetwork(_ id: String?) {
        handle(.network(id))
    }

    /// A background refresh (BGAppRefreshTask): runs the client until it has caught up and stopped, then returns.
    /// When the calling task is cancelled (the system's expiry), it returns at once and the client stops.
    public func catchUp() async {
        guard !closed else { return }
        handle(.refreshBegan)
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if policy.refreshing && !Task.isCancelled {
                    refreshWaiters.append(continuation)
                } else {
                    continuation.resume()
                }
            }
        } onCancel: {
            Task { @MainActor [weak self] in self?.expireRefresh() }
        }
    }

    /// Stops following inputs and lets go of the event stream (the client is left as it is).
    public func close() {
        closed = true
        wake?.cancel()
        watch?.cancel()
        finishRefreshWaiters()
    }

    private func expireRefresh() {
        guard policy.refreshing else { return }
        handle(.refreshExpired)
        finishRefreshWaiters()
    }

    private func finishRefreshWaiters() {
        let waiters = refreshWaiters
        refreshWaiters.removeAll()
        waiters.forEach { $0.resume() }
    }

    private func handle(_ input: ConnectionInput) {
        guard !closed else { return }
        queued.append(input)
        pump()
    }

    /// Feeds the queued inputs and performs every due action; inputs that actions give back synchronously are
    /// queued and fed in the same loop, so the policy never runs re-entrantly.
    private func pump() {
        guard !pumping else { return }
        pumping = true
        defer { pumping = false }
        while true {
            if !queued.isEmpty {
                policy.handle(queued.removeFirst(), now: clock())
                continue
            }
            guard let action = policy.poll(now: clock()) else { break }
            perform(action)
        }
        status = policy.status
        schedule()
    }

    private func schedule() {
        wake?.cancel()
        guard let at = policy.nextWake(now: clock()) else { return }
        let delay = at - clock()
        wake = Task { @MainActor [weak self] in
            try? await Task.sleep(for: max(delay, .milliseconds(1)))
            guard !Task.isCancelled, let self else { return }
            self.pump()
        }
    }

    private func perform(_ action: ConnectionAction) {
        switch action {
        case .startClient:
            let connection = connection
            Task { @MainActor [weak self] in
                do {
                    try await connection.start()
                    self?.handle(.started)
                } catch {
                    // Never let a failed start escape: say why, and try again later.
                    self?.handle(.startFailed(Messages.explain(error)))
                }
            }
        case .stopClient:
            let connection = connection
            Task { @MainActor [weak self] in
                // The core's stop does not fail; if it did, the client is as stopped as it can be.
                try? await connection.stop()
                self?.handle(.stopped)
            }
        case .beginBackgroundTime:
            let granted = backgroundTime.begin { [weak self] in self?.handle(.backgroundTimeExpired) }
            queued.append(.backgroundTimeGranted(granted))
        case .endBackgroundTime:
            backgroundTime.end()
        case .finishRefresh:
            finishRefreshWaiters()
        }
    }
}
