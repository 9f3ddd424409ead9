// When the client runs on iOS: a pure state machine from what the app knows (the scene on screen or not, the
// network path, the background time iOS grants, a background refresh under way) to actions (start or stop the
// client, ask for or give back background time, finish the refresh). Time is passed in; no I/O. The Kotlin
// ConnectionPolicy's rules, with iOS's windows in place of Android's foreground service: iOS suspends an app
// shortly after it leaves the screen and reclaims its sockets, so the client stops before that, and runs in the
// background only inside a window iOS grants (background time after leaving the screen, a BGAppRefreshTask).
import Foundation

/// Delays of the policy.
public struct ConnectionConfig: Sendable {
    /// After leaving the screen the client keeps running this long (a send in flight, a quick app switch), inside
    /// the background time iOS grants (about 30 s).
    public var backgroundGrace: Duration = .seconds(25)
    /// Network changes come in bursts (Wi-Fi lost, cellular up): act once they are quiet this long.
    public var networkSettle: Duration = .milliseconds(1500)
    /// A failed start is retried after this long, doubling up to `retryMax`.
    public var retryMin: Duration = .seconds(1)
    public var retryMax: Duration = .seconds(60)
    /// A background refresh ends after this long at most (iOS gives an app refresh task about 30 s).
    public var refreshLimit: Duration = .seconds(25)
    /// ... or once nothing arrived for this long after a peer connected: caught up.
    public var refreshQuiet: Duration = .seconds(3)
    /// ... or when no peer connected this long after the client started: nobody to catch up from.
    public var refreshPeerWait: Duration = .seconds(10)

    public init() {}
}

/// SwiftUI's scene phase, without SwiftUI.
public enum ScenePresence: Equatable, Sendable {
    /// On screen and in use.
    case active
    /// On screen but not in use (the app switcher, Control Center over it): the client keeps running.
    case inactive
    /// Not on screen: iOS suspends the app soon.
    case background
}

/// What the host tells the policy, and what became of the actions it asked for.
public enum ConnectionInput: Equatable, Sendable {
    case scene(ScenePresence)
    /// The network path now: nil when there is none; another value when it changed (another interface or
    /// gateway), which restarts a running client so it listens and announces itself there.
    case network(String?)
    /// The answer to `.beginBackgroundTime`: true when iOS granted the time.
    case backgroundTimeGranted(Bool)
    /// iOS took the background time back (its expiration handler, which ended it).
    case backgroundTimeExpired
    /// A background refresh task began.
    case refreshBegan
    /// The refresh task ran out of time (the system cancelled it); the host returned from it.
    case refreshExpired
    /// A peer device connected (during a refresh: someone to catch up from).
    case peerOnline
    /// Something arrived from a peer (entries synced, a message).
    case activity
    case started
    case startFailed(String)
    case stopped
}

public enum ConnectionAction: Equatable, Sendable {
    case startClient
    case stopClient
    /// Ask iOS for time to keep running after leaving the screen (UIApplication.beginBackgroundTask).
    case beginBackgroundTime
    /// Give that time back (endBackgroundTask): the client is stopped, or the app is on screen again.
    case endBackgroundTime
    /// The refresh task is done (caught up, client stopped): complete it.
    case finishRefresh
}

/// What a screen can say about the connection.
public struct ConnectionStatus: Equatable, Sendable {
    public enum State: Equatable, Sendable {
        /// Not wanted now (in the background).
        case off
        /// Wanted, but there is no network.
        case noNetwork
        case starting
        /// The client runs: it listens, dials known devices and syncs.
        case running
        /// The last start failed; another try is scheduled.
        case retrying
        case stopping
    }

    public let state: State
    public let lastError: String?

    /// The line the buddy list shows under its title, or nil when there is nothing to say.
    public var line: String? {
        switch state {
        case .noNetwork: UiText.statusNoNetwork.say()
        case .starting: UiText.statusConnecting.say()
        case .retrying: UiText.statusRetrying.say(lastError ?? "")
        case .off, .running, .stopping: nil
        }
    }
}

/// `handle(input, now:)` in, `poll(now:)` out, `nextWake(now:)` for the host's timer. One client operation is in
/// flight at a time: after `.startClient` or `.stopClient` the policy waits for `.started`, `.startFailed` or
/// `.stopped`. `now` is any monotonic time (the host's: time since it started).
public struct ConnectionPolicy: Sendable {
    private enum Phase { case stopped, starting, running, stopping }
    private enum Network: Equatable { case unknown, offline, path(String) }
    private enum BackgroundTime { case notHeld, asked, held }

    /// A background refresh under way.
    private struct Refresh {
        let began: Duration
        var startedAt: Duration?
        var peerAt: Duration?
        var activityAt: Duration?
    }

    private let config: ConnectionConfig
    private var phase = Phase.stopped
    private var scene: ScenePresence?
    /// When the app left the screen (nil when it is on screen, or was launched in the background).
    private var backgroundSince: Duration?
    private var backgroundTime = BackgroundTime.notHeld
    private var backgroundTimeAsked = false
    private var network = Network.unknown
    private var networkChangedAt: Duration?
    private var startedOn: Network?
    private var failures = 0
    private var retryAt: Duration?
    private var lastError: String?
    private var refresh: Refresh?

    public init(config: ConnectionConfig = ConnectionConfig()) {
        self.config = config
    }

    /// A background refresh is under way (the host forwards peer and sync activity then).
    public var refreshing: Bool { refresh != nil }

    public mutating func handle(_ input: ConnectionInput, now: Duration) {
        switch input {
        case .scene(let presence):
            guard presence != scene else { return }
            let wasVisible = visible
            scene = presence
            if presence == .background {
                // Launched into the background (a refresh) is not "left the screen": no grace then.
                backgroundSince = wasVisible ? now : nil
                backgroundTimeAsked = false
            } else {
                backgroundSince = nil
                retryAt = nil // the person is looking: try again now
            }
        case .network(let id):
            let next = id.map(Network.path) ?? .offline
            guard next != network else { return }
            // The first report is what the network is, not a change: no settling before the first start.
            if network != .unknown { networkChangedAt = now }
            network = next
            retryAt = nil
        case .backgroundTimeGranted(let granted):
            backgroundTime = granted ? .held : .notHeld
        case .backgroundTimeExpired:
            backgroundTime = .notHeld
        case .refreshBegan:
            refresh = Refresh(began: now, startedAt: phase == .running ? now : nil)
            retryAt = nil
        case .refreshExpired:
            refresh = nil
        case .peerOnline:
            refresh?.peerAt = now
            refresh?.activityAt = now
        case .activity:
            refresh?.activityAt = now
        case .started:
            phase = .running
            failures = 0
            retryAt = nil
            lastError = nil
            if refresh != nil, refresh?.startedAt == nil { refresh?.startedAt = now }
        case .startFailed(let reason):
            phase = .stopped
            failures += 1
            let backoff = config.retryMin * (1 << min(failures - 1, 20))
            retryAt = now + min(backoff, config.retryMax)
            lastError = reason
        case .stopped:
            phase = .stopped
        }
    }

    /// The next action to take now, or nil when there is nothing to do until an input or `nextWake`.
    public mutating func poll(now: Duration) -> ConnectionAction? {
        if scene == .background, backgroundSince != nil, backgroundTime == .notHeld, !backgroundTimeAsked,
            phase == .running || phase == .starting
        {
            backgroundTimeAsked = true
            backgroundTime = .asked
            return .beginBackgroundTime
        }
        if backgroundTime == .held, visible || (phase == .stopped && !present(now)) {
            backgroundTime = .notHeld
            return .endBackgroundTime
        }
        if let refresh, refreshDone(refresh, now), phase == .stopped || visible {
            self.refresh = nil
            return .finishRefresh
        }
        let settled = networkSettled(now)
        switch phase {
        case .starting, .stopping:
            return nil
        case .running:
            if !present(now) || (settled && network != startedOn) {
                phase = .stopping
                return .stopClient
            }
        case .stopped:
            let due = retryAt.map { now >= $0 } ?? true
            if case .path = network, present(now), settled, due {
                phase = .starting
                startedOn = network
                return .startClient
            }
        }
        return nil
    }

    /// When to poll again if no input comes first; nil when only an input can change anything.
    public func nextWake(now: Duration) -> Duration? {
        if phase == .starting || phase == .stopping { return nil }
        var times: [Duration] = []
        if !networkSettled(now), let changed = networkChangedAt { times.append(changed + config.networkSettle) }
        if phase == .running, let since = backgroundSince, backgroundTime != .notHeld {
            times.append(since + config.backgroundGrace)
        }
        if phase == .stopped, let retryAt { times.append(retryAt) }
        if let refresh {
            times.append(refresh.began + config.refreshLimit)
            if let started = refresh.startedAt, refresh.peerAt == nil { times.append(started + config.refreshPeerWait) }
            if let activity = refresh.activityAt, refresh.peerAt != nil { times.append(activity + config.refreshQuiet) }
        }
        return times.filter { $0 > now }.min()
    }

    public var status: ConnectionStatus {
        let state: ConnectionStatus.State =
            switch phase {
            case .starting: .starting
            case .running: .running
            case .stopping: .stopping
            case .stopped:
                if !visible && refresh == nil {
                    .off
                } else if network == .offline {
                    .noNetwork
                } else if retryAt != nil {
                    .retrying
                } else {
                    .off
                }
            }
        return ConnectionStatus(state: state, lastError: lastError)
    }

    private var visible: Bool { scene == .active || scene == .inactive }

    /// Someone is there to be reachable for: the person on screen, the grace after leaving it (inside the
    /// background time), or a refresh that has not caught up yet.
    private func present(_ now: Duration) -> Bool {
        if visible { return true }
        if let refresh, !refreshDone(refresh, now) { return true }
        if let since = backgroundSince, backgroundTime != .notHeld, now < since + config.backgroundGrace { return true }
        return false
    }

    private func refreshDone(_ refresh: Refresh, _ now: Duration) -> Bool {
        if now >= refresh.began + config.refreshLimit { return true }
        if network == .offline { return true } // nothing to catch up from; iOS runs refreshes when online anyway
        if let peer = refresh.peerAt {
            return now >= max(peer, refresh.activityAt ?? peer) + config.refreshQuiet
        }
        if let started = refresh.startedAt { return now >= started + config.refreshPeerWait }
        return false
    }

    private func networkSettled(_ now: Duration) -> Bool {
        networkChangedAt.map { now >= $0 + config.networkSettle } ?? true
    }
}
