// The connection policy alone, with a fake clock: which inputs start, stop and restart the client, when background
// time is asked for and given back, and when a background refresh has caught up.
import XCTest
@testable import ClearchatKit

final class ConnectionPolicyTests: XCTestCase {
    private var config: ConnectionConfig = {
        var c = ConnectionConfig()
        c.backgroundGrace = .seconds(25)
        c.networkSettle = .milliseconds(1500)
        c.retryMin = .seconds(1)
        c.retryMax = .seconds(8)
        c.refreshLimit = .seconds(25)
        c.refreshQuiet = .seconds(3)
        c.refreshPeerWait = .seconds(10)
        return c
    }()
    private lazy var policy = ConnectionPolicy(config: config)
    private var now = Duration.zero

    private func input(_ inputs: ConnectionInput...) {
        for i in inputs { policy.handle(i, now: now) }
    }

    /// Every action due now, in order.
    private func actions() -> [ConnectionAction] {
        var out: [ConnectionAction] = []
        while let a = policy.poll(now: now) { out.append(a) }
        return out
    }

    /// Moves the clock to the policy's next wake-up and returns what is due then.
    private func wake(file: StaticString = #filePath, line: UInt = #line) -> [ConnectionAction] {
        guard let next = policy.nextWake(now: now) else {
            XCTFail("the policy asked for no wake-up", file: file, line: line)
            return []
        }
        XCTAssertGreaterThan(next, now, file: file, line: line)
        now = next
        return actions()
    }

    /// On screen with a network: the client starts at once (the first network report needs no settling).
    private func running(file: StaticString = #filePath, line: UInt = #line) {
        input(.network("wifi"), .scene(.active))
        XCTAssertEqual(actions(), [.startClient], file: file, line: line)
        XCTAssertEqual(actions(), [], "one operation at a time", file: file, line: line)
        input(.started)
        XCTAssertEqual(policy.status.state, .running, file: file, line: line)
    }

    func testNothingRunsWithoutAScreenOrANetwork() {
        input(.network("wifi"))
        now += .seconds(10)
        XCTAssertEqual(actions(), [], "in the background")
        XCTAssertEqual(policy.status.state, .off)
        XCTAssertNil(policy.nextWake(now: now))

        input(.network(nil), .scene(.active))
        now += .seconds(10)
        XCTAssertEqual(actions(), [], "on screen without a network")
        XCTAssertEqual(policy.status.state, .noNetwork)
        XCTAssertEqual(policy.status.line, "No network")
    }

    func testNothingStartsBeforeTheNetworkIsKnown() {
        input(.scene(.active))
        XCTAssertEqual(actions(), [])
        XCTAssertNil(policy.nextWake(now: now))
        input(.network("wifi"))
        XCTAssertEqual(actions(), [.startClient])
        XCTAssertEqual(policy.status.line, "Connecting…")
    }

    func testLeavingTheScreenKeepsTheClientForTheGraceInsideBackgroundTime() {
        running()
        input(.scene(.inactive))
        XCTAssertEqual(actions(), [], "the app switcher over it: still on screen")
        input(.scene(.background))
        XCTAssertEqual(actions(), [.beginBackgroundTime])
        input(.backgroundTimeGranted(true))
        XCTAssertEqual(actions(), [], "within the grace")
        XCTAssertEqual(policy.nextWake(now: now), now + .seconds(25))
        XCTAssertEqual(wake(), [.stopClient])
        XCTAssertEqual(actions(), [], "the time is given back once the client stopped")
        input(.stopped)
        XCTAssertEqual(actions(), [.endBackgroundTime])
        XCTAssertEqual(policy.status.state, .off)
        XCTAssertNil(policy.nextWake(now: now))
    }

    func testRefusedOrExpiredBackgroundTimeStopsAtOnce() {
        running()
        input(.scene(.background))
        XCTAssertEqual(actions(), [.beginBackgroundTime])
        input(.backgroundTimeGranted(false))
        XCTAssertEqual(actions(), [.stopClient], "iOS suspends the app soon: stop now")
        input(.stopped)
        XCTAssertEqual(actions(), [], "nothing held, nothing to give back")

        input(.scene(.active))
        XCTAssertEqual(actions(), [.startClient])
        input(.started, .scene(.background))
        XCTAssertEqual(actions(), [.beginBackgroundTime], "asked again for the next time in the background")
        input(.backgroundTimeGranted(true))
        now += .seconds(5)
        input(.backgroundTimeExpired)
        XCTAssertEqual(actions(), [.stopClient])
        input(.stopped)
        XCTAssertEqual(actions(), [], "the host ended the expired time itself")
    }

    func testAQuickAppSwitchKeepsTheClientRunningAndGivesTheTimeBack() {
        running()
        input(.scene(.background))
        XCTAssertEqual(actions(), [.beginBackgroundTime])
        input(.backgroundTimeGranted(true))
        now += .seconds(5)
        input(.scene(.active))
        XCTAssertEqual(actions(), [.endBackgroundTime])
        now += .seconds(60)
        XCTAssertEqual(actions(), [])
        XCTAssertEqual(policy.status.state, .running)
    }

    func testANetworkChangeRestartsOnceItSettles() {
        running()
        // Wi-Fi goes, cellular comes, then another gateway: one burst.
        input(.network(nil))
        now += .milliseconds(300)
        input(.network("cell"))
        now += .milliseconds(500)
        input(.network("cell/gw2"))
        XCTAssertEqual(actions(), [], "not while the network is changing")
        XCTAssertEqual(wake(), [.stopClient])
        input(.stopped)
        XCTAssertEqual(actions(), [.startClient], "and at once up again on the new network")
        input(.started)
        now += .seconds(60)
        XCTAssertEqual(actions(), [], "exactly one restart")
    }

    func testNoNetworkStopsAndItsReturnStarts() {
        running()
        input(.network(nil))
        XCTAssertEqual(wake(), [.stopClient])
        input(.stopped)
        XCTAssertEqual(policy.status.state, .noNetwork)
        input(.network("wifi"))
        XCTAssertEqual(wake(), [.startClient])
    }

    func testTheSameNetworkAgainIsNoChange() {
        running()
        input(.network("wifi"))
        XCTAssertNil(policy.nextWake(now: now))
        XCTAssertEqual(actions(), [])
    }

    func testANetworkChangeDuringAStartRestartsAfterIt() {
        input(.network("wifi"), .scene(.active))
        XCTAssertEqual(actions(), [.startClient])
        input(.network("cell"), .started)
        XCTAssertEqual(wake(), [.stopClient], "the start happened on the old network")
        input(.stopped)
        XCTAssertEqual(actions(), [.startClient])
    }

    func testFailedStartsAreRetriedWithBackoffAndAtOnceWhenThePersonComesBack() {
        input(.network("wifi"), .scene(.active))
        XCTAssertEqual(actions(), [.startClient])
        var delays: [Duration] = []
        for _ in 0..<5 {
            input(.startFailed("no socket"))
            XCTAssertEqual(policy.status.state, .retrying)
            XCTAssertEqual(policy.status.line, "Can't connect: no socket")
            let before = now
            XCTAssertEqual(wake(), [.startClient])
            delays.append(now - before)
        }
        XCTAssertEqual(delays, [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8)])
        input(.startFailed("no socket"))
        input(.scene(.background), .scene(.active))
        XCTAssertEqual(actions(), [.startClient], "no wait when the person comes back")
        input(.started)
        XCTAssertNil(policy.status.lastError)
    }

    func testAFailedStartInTheBackgroundIsNotRetriedAfterTheGrace() {
        input(.network("wifi"), .scene(.active))
        XCTAssertEqual(actions(), [.startClient])
        input(.scene(.background))
        XCTAssertEqual(actions(), [.beginBackgroundTime], "a start is in flight: time to finish it")
        input(.backgroundTimeGranted(true))
        now += .seconds(26)
        input(.startFailed("no socket"))
        XCTAssertEqual(actions(), [.endBackgroundTime])
        now += .seconds(60)
        XCTAssertEqual(actions(), [])
        XCTAssertEqual(policy.status.state, .off)
    }

    // MARK: background refresh

    /// Launched in the background for a refresh: the scene is in the background from the start.
    private func refreshing(file: StaticString = #filePath, line: UInt = #line) {
        input(.scene(.background), .network("wifi"), .refreshBegan)
        XCTAssertEqual(actions(), [.startClient], file: file, line: line)
        input(.started)
        XCTAssertEqual(actions(), [], "no background time asked for: the refresh is the window", file: file, line: line)
    }

    func testARefreshEndsOnceQuietAfterAPeerConnected() {
        refreshing()
        now += .seconds(2)
        input(.peerOnline)
        now += .seconds(2)
        input(.activity)
        XCTAssertEqual(actions(), [])
        XCTAssertEqual(policy.nextWake(now: now), now + .seconds(3), "quiet for 3 s after the last activity")
        now += .seconds(1)
        input(.activity)
        XCTAssertEqual(wake(), [.stopClient])
        XCTAssertEqual(now, .seconds(8))
        XCTAssertEqual(actions(), [], "finished only once stopped")
        input(.stopped)
        XCTAssertEqual(actions(), [.finishRefresh])
        XCTAssertFalse(policy.refreshing)
        XCTAssertNil(policy.nextWake(now: now))
    }

    func testARefreshWithNobodyToReachEndsAfterThePeerWait() {
        refreshing()
        XCTAssertEqual(wake(), [.stopClient])
        XCTAssertEqual(now, .seconds(10))
        input(.stopped)
        XCTAssertEqual(actions(), [.finishRefresh])
    }

    func testARefreshNeverOutlivesItsLimit() {
        refreshing()
        input(.peerOnline)
        for _ in 0..<30 {
            now += .seconds(1)
            input(.activity) // a long catch-up, never quiet
            if now >= .seconds(25) { break }
            XCTAssertEqual(actions(), [])
        }
        XCTAssertEqual(actions(), [.stopClient])
        input(.stopped)
        XCTAssertEqual(actions(), [.finishRefresh])
    }

    func testAnExpiredRefreshStopsTheClient() {
        refreshing()
        input(.peerOnline)
        now += .seconds(1)
        input(.refreshExpired)
        XCTAssertEqual(actions(), [.stopClient])
        input(.stopped)
        XCTAssertEqual(actions(), [], "the host already returned from the task")
    }

    func testARefreshWithoutANetworkIsDoneAtOnce() {
        input(.scene(.background), .network(nil), .refreshBegan)
        XCTAssertEqual(actions(), [.finishRefresh])
    }

    func testOpeningTheAppDuringARefreshKeepsTheClientAndFinishesTheRefresh() {
        refreshing()
        input(.peerOnline)
        input(.scene(.active))
        XCTAssertEqual(wake(), [.finishRefresh], "caught up: the task ends, the client stays for the screen")
        XCTAssertEqual(policy.status.state, .running)
        input(.scene(.background))
        XCTAssertEqual(actions(), [.beginBackgroundTime], "and leaving the screen now is a normal grace")
    }

    func testActivityOutsideARefreshChangesNothing() {
        running()
        input(.peerOnline, .activity)
        XCTAssertNil(policy.nextWake(now: now))
        XCTAssertFalse(policy.refreshing)
    }
}
