// Opening this device's client: off the main actor, once, with a state the app shows (opening, ready, failed with
// a retry) instead of a crash. What it remembers between launches (the device's name once its store exists, and
// whether onboarding reached its last step) is a small record kept beside the store, in the same directory that
// is excluded from backups: restored on another phone, a "this device is onboarded" flag without its store would
// otherwise open a brand-new, unlinked device as if it were the old one. The Kotlin ClientStartup's rules.
import Foundation
import Observation

/// What the app remembers about this device between launches.
public struct StartupRecord: Codable, Equatable, Sendable {
    /// Set once the device was created with this name (its store exists).
    public var deviceName: String?
    /// Onboarding reached its last step.
    public var onboarded: Bool

    public init(deviceName: String? = nil, onboarded: Bool = false) {
        self.deviceName = deviceName
        self.onboarded = onboarded
    }
}

/// Where the record lives.
public protocol StartupRecords: Sendable {
    func load() -> StartupRecord
    func save(_ record: StartupRecord) throws
}

/// The record as a small JSON file, replaced atomically.
public struct StartupRecordFile: StartupRecords {
    public let url: URL

    public init(_ url: URL) {
        self.url = url
    }

    /// A missing or unreadable file is a device not created yet.
    public func load() -> StartupRecord {
        guard let data = try? Data(contentsOf: url) else { return StartupRecord() }
        return (try? JSONDecoder().decode(StartupRecord.self, from: data)) ?? StartupRecord()
    }

    public func save(_ record: StartupRecord) throws {
        try JSONEncoder().encode(record).write(to: url, options: .atomic)
    }
}

public enum StartupState: Sendable {
    /// First run: no device yet; onboarding creates it.
    case notCreated
    case opening
    /// `onboarded`: onboarding reached its last step (false when an earlier one stopped before it).
    case ready(Clearchat, onboarded: Bool)
    /// Opening failed (full disk, damaged store...): the reason in plain words; `retry()` tries again.
    case failed(String)
}

@MainActor @Observable
public final class AppStartup {
    public private(set) var state = StartupState.notCreated

    /// The client once ready.
    public var chat: Clearchat? {
        if case .ready(let chat, _) = state { chat } else { nil }
    }

    @ObservationIgnored private let records: any StartupRecords
    @ObservationIgnored private let openClient: @Sendable (String) throws -> Clearchat
    @ObservationIgnored private var lastError: (any Error)?
    @ObservationIgnored private var opening: Task<Void, Never>?

    /// `open` is the blocking constructor of the client (`Clearchat.open` with the app's data dir); it runs off
    /// the main actor.
    public init(records: any StartupRecords, open: @escaping @Sendable (String) throws -> Clearchat) {
        self.records = records
        openClient = open
    }

    /// At app start: opens the device created earlier, if any. Safe to call again (it opens once).
    public func start() async {
        guard let name = records.load().deviceName else { return }
        await open(name)
    }

    /// After a failure: tries again.
    public func retry() async {
        await start()
    }

    /// Onboarding's first step: creates (or opens) the device named `name`; throws what opening threw.
    public func create(_ name: String) async throws -> Clearchat {
        await open(name)
        switch state {
        case .ready(let chat, _): return chat
        default: throw lastError ?? CoreError.bindings("the device did not open")
        }
    }

    /// Onboarding reached its last step: remembered, and the app goes on to the buddies.
    public func onboarded() {
        guard case .ready(let chat, false) = state else { return }
        var record = records.load()
        record.onboarded = true
        try? records.save(record) // unsaved, the next launch resumes onboarding at the choice: nothing lost
        state = .ready(chat, onboarded: true)
    }

    /// Opens once: a second caller waits for the first opening instead of starting another.
    private func open(_ name: String) async {
        if let opening {
            await opening.value
            return
        }
        if case .ready = state { return }
        let task = Task { await openNow(name) }
        opening = task
        await task.value
        opening = nil
    }

    private func openNow(_ name: String) async {
        state = .opening
        let open = openClient
        let opened = await Task.detached { () -> Result<Clearchat, any Error> in
            Result { try open(name) }
        }.value
        switch opened {
        case .success(let chat):
            var record = records.load()
            record.deviceName = name
            do {
                try records.save(record)
            } catch {
                // The store exists but the app would not find it next time: say so now rather than lose it.
                lastError = error
                state = .failed(UiText.errStorage.say())
                return
            }
            state = .ready(chat, onboarded: record.onboarded)
        case .failure(let error):
            lastError = error
            state = .failed(Messages.explain(error))
        }
    }
}
