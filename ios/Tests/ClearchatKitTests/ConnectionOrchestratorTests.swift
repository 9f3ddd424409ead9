// The orchestrator against the real library: Betty's client is started, restarted and stopped by the scene and
// the network as Amy's client sees it (PeerOnline/PeerOffline over real QUIC on loopback); background time is
// asked for on leaving the screen and given back once stopped; a background refresh starts the client, catches up
// what Amy sent meanwhile, stops it and returns; a cancelled refresh returns at once; failed starts are retried.
import ClearchatFFI
import Foundation
import XCTest
@testable import ClearchatKit

/// Stands in for UIApplication's background time: grants it and counts.
@MainActor
final class FakeBackgroundTime: BackgroundTime {
    var begun = 0
    var ended = 0
    var grant = true
    private var expired: (@MainActor @Sendable () -> Void)?

    var held: Bool { begun > ended }

    func begin(expired: @escaping @MainActor @Sendable () -> Void) -> Bool {
        guard grant else { return false }
        begun += 1
        self.expired = expired
        return true
    }

    func end() {
        ended += 1
    }

    /// iOS taking the time back: the host ends it in the expiration handler, then tells the orchestrator.
    func expire() {
        end()
        expired?()
    }
}

/// Betty's client, whose first `failures` starts fail as a lost network would.
final class FlakyConnection: ClientConnection, @unchecked Sendable {
    private let chat: Clearchat
    private let lock = NSLock()
    private var failuresLeft: Int

    init(_ chat: Clearchat, failures: Int) {
        self.chat = chat
        failuresLeft = failures
    }

    var startsLeftToFail: Int { lock.withLock { failuresLeft } }

    func start() async throws(CoreError) {
        let fail = lock.withLock {
            failuresLeft -= 1
            return failuresLeft >= 0
        }
        if fail { throw CoreError.core(.Network(reason: "no socket", description: "no socket")) }
        try await chat.start()
    }

    func stop() async throws(CoreError) { try await chat.stop() }
    func events() -> CoreStream<Event> { chat.events() }
}

final class ConnectionOrchestratorTests: CoreTestCase, @unchecked Sendable {
    private var fast: ConnectionConfig {
        var c = ConnectionConfig()
        c.backgroundGrace = .milliseconds(300)
        c.networkSettle = .milliseconds(50)
        c.retryMin = .milliseconds(50)
        c.retryMax = .milliseconds(200)
        c.refreshQuiet = .seconds(2) // caught up: 2 s without anything arriving after Amy connected
        c.refreshPeerWait = .seconds(20)
        c.refreshLimit = .seconds(60)
        return c
    }

    /// Betty's comings and goings as Amy saw them, repeats folded (two connections may both report).
    @MainActor private func presence(_ recorder: Recorder, of device: String) -> [String] {
        recorder.events.compactMap { e -> String? in
            switch e {
            case .peerOnline(device): "online"
            case .peerOffline(device): "offline"
            default: nil
            }
        }.reduce(into: []) { acc, s in if acc.last != s { acc.append(s) } }
    }

    /// Amy and Betty are buddies; Betty is stopped and Amy has seen her go.
    @MainActor private func bettyStopped() async throws -> (amy: Clearchat, betty: Clearchat, bettyAtAmy: String, amyAtBetty: String) {
        let pair = try await buddies(h)
        try await pair.betty.stop()
        let deadline = ContinuousClock.now + .seconds(60)
        while try await pair.amy.buddies().first(where: { $0.id == pair.bettyAtAmy })?.online == true {
            guard ContinuousClock.now < deadline else { throw Timeout(description: "Amy never saw Betty stop") }
            try await Task.sleep(for: .milliseconds(20))
        }
        return pair
    }

    @MainActor func testTheSceneTheNetworkAndARefreshDriveTheRealClient() async throws {
        let (amy, betty, bettyAtAmy, amyAtBetty) = try await bettyStopped()
        let bettyDevice = try betty.me().deviceId
        let atAmy = h.record(amy)
        let atBetty = h.record(betty)
        let time = FakeBackgroundTime()
        let orchestrator = ConnectionOrchestrator(connection: betty, backgroundTime: time, config: fast)
        defer { orchestrator.close() }
        let status: @MainActor () -> String = { "\(orchestrator.status)" }

        // On screen with a network: Betty goes online.
        orchestrator.setNetwork("wifi")
        orchestrator.setScene(.active)
        try await waitUntil("running", state: status) { orchestrator.status.state == .running }
        try await atAmy.until("Betty online") { _ in self.presence(atAmy, of: bettyDevice) == ["online"] }
        _ = try await amy.send("one", to: bettyAtAmy)
        try await atBetty.until("one") { _ in atBetty.received(from: amyAtBetty) == ["one"] }

        // Another network: a restart, seen by Amy as Betty leaving and coming back.
        orchestrator.setNetwork("cell")
        try await atAmy.until("Betty back after the restart") { _ in
            let p = self.presence(atAmy, of: bettyDevice)
            return p.count >= 3 && p.last == "online"
        }
        try await waitUntil("running again", state: status) { orchestrator.status.state == .running }
        // How many comings and goings Amy has seen so far: a loaded machine may add a flap of its own.
        let seenRunning = presence(atAmy, of: bettyDevice).count

        // Off the screen: background time is asked for, the client runs out the grace, stops, gives it back.
        orchestrator.setScene(.inactive)
        orchestrator.setScene(.background)
        XCTAssertEqual(time.begun, 1)
        XCTAssertTrue(time.held)
        try await waitUntil("off", state: status) { orchestrator.status.state == .off }
        try await eventually("the background time given back") { !time.held }
        try await atAmy.until("Betty offline") { _ in
            let p = self.presence(atAmy, of: bettyDevice)
            return p.count > seenRunning && p.last == "offline"
        }
        let seenOff = presence(atAmy, of: bettyDevice).count
        _ = try await amy.send("two", to: bettyAtAmy) // waits at Amy until Betty is back

        // A background refresh: Betty starts, catches up "two", stops once quiet, and the task returns.
        let refreshed = Task { @MainActor in await orchestrator.catchUp() }
        await refreshed.value
        XCTAssertEqual(atBetty.received(from: amyAtBetty), ["one", "two"], "caught up before the refresh returned")
        XCTAssertEqual(orchestrator.status.state, .off)
        XCTAssertEqual(time.begun, 1, "no background time asked for in a refresh")
        try await atAmy.until("Betty offline after the refresh") { _ in
            let p = self.presence(atAmy, of: bettyDevice)
            return p.count >= seenOff + 2 && p.last == "offline"
        }

        // A refresh the system cancels returns at once; the client is stopped.
        let cancelled = Task { @MainActor in await orchestrator.catchUp() }
        try await waitUntil("starting for the refresh", state: status) { orchestrator.status.state != .off }
        cancelled.cancel()
        await cancelled.value
        try await waitUntil("off after the cancelled refresh", state: status) { orchestrator.status.state == .off }
    }

    @MainActor func testExpiredBackgroundTimeStopsTheClient() async throws {
        let (_, betty, _, _) = try await bettyStopped()
        let time = FakeBackgroundTime()
        var config = fast
        config.backgroundGrace = .seconds(60)
        let orchestrator = ConnectionOrchestrator(connection: betty, backgroundTime: time, config: config)
        defer { orchestrator.close() }
        orchestrator.setNetwork("wifi")
        orchestrator.setScene(.active)
        try await waitUntil("running") { orchestrator.status.state == .running }
        orchestrator.setScene(.background)
        XCTAssertTrue(time.held)
        time.expire()
        try await waitUntil("off once iOS took the time back") { orchestrator.status.state == .off }
        XCTAssertEqual(time.ended, 1, "ended once, by the expiration handler")
    }

    @MainActor func testFailedStartsAreRetriedAndNeverEscape() async throws {
        let betty = try await h.open("betty", person: "Betty", start: false)
        let flaky = FlakyConnection(betty, failures: 2)
        let orchestrator = ConnectionOrchestrator(connection: flaky, backgroundTime: FakeBackgroundTime(), config: fast)
        defer { orchestrator.close() }
        orchestrator.setNetwork("wifi")
        orchestrator.setScene(.active)
        try await waitUntil("retrying") { orchestrator.status.state == .retrying }
        XCTAssertEqual(orchestrator.status.line, "Can't connect: No connection right now. Try again in a moment.")
        try await waitUntil("running after two failures", state: { "\(orchestrator.status)" }) {
            orchestrator.status.state == .running
        }
        XCTAssertLessThan(flaky.startsLeftToFail, 0)
        XCTAssertNil(orchestrator.status.lastError)
    }
}
