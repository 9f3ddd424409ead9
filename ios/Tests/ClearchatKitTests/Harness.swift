// Test harness: loopback clients in temp dirs, event recorders fed by CoreStream, waiting for a condition with
// a deadline (woken by Observation on every change, never by a fixed sleep), and a teardown that stops every
// client and deletes every dir.
import ClearchatFFI
import ClearchatKit
import Foundation
import Observation
import XCTest

struct Timeout: Error, CustomStringConvertible {
    let description: String
}

/// One-shot resumption of a continuation that a change and a deadline race for.
private final class Wakeup: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?

    init(_ continuation: CheckedContinuation<Void, Never>) {
        self.continuation = continuation
    }

    func resume() {
        lock.lock()
        let c = continuation
        continuation = nil
        lock.unlock()
        c?.resume()
    }
}

/// Returns once `condition` holds; it is checked again after each change of the observable state it reads.
/// Throws `Timeout` (naming `what` and `state()`) after `seconds`.
@MainActor
func waitUntil(
    _ what: String, seconds: Double = 60, state: @MainActor () -> String = { "" },
    _ condition: @MainActor () -> Bool
) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while !condition() {
        let left = deadline - ContinuousClock.now
        guard left > .zero else {
            throw Timeout(description: "timed out after \(seconds) s waiting for \(what); \(state())")
        }
        var deadlineTimer: Task<Void, Never>?
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let wakeup = Wakeup(c)
            withObservationTracking { _ = condition() } onChange: { wakeup.resume() }
            deadlineTimer = Task {
                try? await Task.sleep(for: left) // the deadline, not a pause: a change resumes first
                wakeup.resume()
            }
        }
        deadlineTimer?.cancel()
    }
}

/// Every event one client delivered through `events()`, in arrival order, from the moment it was made.
@MainActor @Observable
final class Recorder {
    private(set) var events: [Event] = []
    @ObservationIgnored private var task: Task<Void, Never>?

    init(_ chat: Clearchat) {
        let stream = chat.events() // subscribed now: nothing after this line is missed
        task = Task { @MainActor [weak self] in
            for await event in stream { self?.events.append(event) }
        }
    }

    func stop() {
        task?.cancel()
    }

    /// Texts of the messages others sent in the conversation with `buddyId`, in arrival order.
    func received(from buddyId: String) -> [String] {
        events.compactMap {
            if case .messageAdded(buddyId, let m) = $0, !m.fromMe { m.text } else { nil }
        }
    }

    func until(_ what: String, seconds: Double = 60, _ ok: @MainActor ([Event]) -> Bool) async throws {
        try await waitUntil(what, seconds: seconds, state: { "\(self.events.count) events, last: \(self.events.suffix(3))" }) {
            ok(self.events)
        }
    }
}

/// The clients, recorders and temp dirs of one test; `close()` from tearDown.
@MainActor
final class Harness {
    private var chats: [Clearchat] = []
    private var recorders: [Recorder] = []
    private var dirs: [URL] = []

    func tempDir(_ prefix: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("clearchat-\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        dirs.append(dir)
        return dir
    }

    /// A loopback client in a fresh temp dir; started unless `start` is false.
    func open(_ deviceName: String, person: String? = nil, start: Bool = true) async throws -> Clearchat {
        let chat = try Clearchat.openLoopback(dataDir: try tempDir(deviceName).path, deviceName: deviceName)
        chats.append(chat)
        if let person { try await chat.setPersonName(person) }
        if start { try await chat.start() }
        return chat
    }

    /// Keeps `chat` (opened elsewhere, e.g. by a model) to stop it at the end.
    func adopt(_ chat: Clearchat) {
        chats.append(chat)
    }

    func record(_ chat: Clearchat) -> Recorder {
        let r = Recorder(chat)
        recorders.append(r)
        return r
    }

    func close() async {
        recorders.forEach { $0.stop() }
        recorders.removeAll()
        for chat in chats { try? await chat.stop() }
        chats.removeAll()
        for dir in dirs {
            try? FileManager.default.removeItem(at: dir)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path), "temp dir \(dir.path) was not deleted")
        }
        dirs.removeAll()
    }
}

/// A base class for tests on real clients: a fresh harness per test, closed after it. Sendable without checks:
/// XCTest runs one test of it at a time, and its main-actor tests touch its state only on the main actor.
class CoreTestCase: XCTestCase, @unchecked Sendable {
    @MainActor var h: Harness!

    @MainActor override func setUp() async throws {
        h = Harness()
    }

    @MainActor override func tearDown() async throws {
        await h.close()
        h = nil
    }
}

/// `code` with one letter changed: the checksum no longer matches.
func typo(in code: String, at index: Int? = nil) -> String {
    var chars = Array(code)
    let i = index ?? chars.firstIndex(where: { $0.isLetter })!
    chars[i] = chars[i] == "A" ? "B" : "A"
    return String(chars)
}

/// Returns once `condition` holds, checking it every 10 ms, for what Observation cannot announce (a weak
/// reference cleared on another thread). Throws `Timeout` after `seconds`.
@MainActor
func eventually(_ what: String, seconds: Double = 30, _ condition: @MainActor () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while !condition() {
        guard ContinuousClock.now < deadline else {
            throw Timeout(description: "timed out after \(seconds) s waiting for \(what)")
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// The error `call` threw, or nil (and a test failure) when it returned.
@MainActor
func failure<T: Sendable>(
    of what: String, file: StaticString = #filePath, line: UInt = #line, _ call: () async throws -> T
) async -> CoreError? {
    do {
        let value = try await call()
        XCTFail("\(what) succeeded: \(value)", file: file, line: line)
        return nil
    } catch {
        return CoreError(error)
    }
}

extension Clearchat {
    /// An invite with a chosen lifetime in seconds (0: already expired). The generated client has it only in a
    /// library built with the `testing` feature (scripts/swift-test.sh); the app's library leaves it out.
    func createInvite(_ purpose: InvitePurpose, label: String, ttlSecs: UInt64) async throws(CoreError) -> Invite {
        do {
            return try await client.createInvite(purpose: purpose, label: label, ttlSecs: ttlSecs)
        } catch {
            throw CoreError(error)
        }
    }
}
