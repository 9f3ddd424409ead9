// Opening the device at launch with the real library: the first run creates it, onboarding is complete only at its
// last step, the next launch opens the same device (resuming an unfinished onboarding at the choice), a failed
// open is a state with a retry, and the app's files live in one directory with the startup record beside the
// store. Also onboarding with a buddy's code instead of a link code: a new person, who still gives a name.
import ClearchatFFI
import Foundation
import XCTest
@testable import ClearchatKit

final class StartupTests: CoreTestCase, @unchecked Sendable {
    @MainActor private func files() throws -> AppFiles {
        try AppFiles(root: h.tempDir("app")).prepare()
    }

    private static func opener(_ files: AppFiles) -> @Sendable (String) throws -> Clearchat {
        { name in try Clearchat.openLoopback(dataDir: files.store.path, deviceName: name) }
    }

    @MainActor func testFirstRunOnboardingAndTheNextLaunch() async throws {
        let files = try files()
        XCTAssertTrue(files.store.path.hasPrefix(files.root.path))
        XCTAssertTrue(files.startupRecord.path.hasPrefix(files.root.path), "beside the store, out of backups with it")
        #if canImport(Darwin)
            XCTAssertEqual(AppFiles.isExcludedFromBackup(files.root), true)
            XCTAssertEqual(AppFiles.isExcludedFromBackup(files.store), true)
        #else
            XCTAssertNil(AppFiles.isExcludedFromBackup(files.root), "no backups to leave out on Linux")
        #endif
        try files.prepare() // every launch: again, harmlessly

        var deviceId = ""
        do {
            let startup = AppStartup(records: StartupRecordFile(files.startupRecord), open: Self.opener(files))
            await startup.start()
            guard case .notCreated = startup.state else { return XCTFail("\(startup.state)") }
            let chat = try await startup.create("Amy's phone")
            deviceId = try chat.me().deviceId
            guard case .ready(_, false) = startup.state else { return XCTFail("\(startup.state)") }
            XCTAssertEqual(StartupRecordFile(files.startupRecord).load(), StartupRecord(deviceName: "Amy's phone"))

            // Onboarding stops before its last step (the app is closed at the choice).
            let onboarding = OnboardingModel(existing: chat) { _ in XCTFail("opened twice"); return chat }
            XCTAssertEqual(onboarding.step, .choose)
            try await chat.stop()
        }

        do {
            // The next launch: the same device, onboarding resumed at the choice, then finished.
            let startup = AppStartup(records: StartupRecordFile(files.startupRecord), open: Self.opener(files))
            await startup.start()
            guard case .ready(let chat, false) = startup.state else { return XCTFail("\(startup.state)") }
            XCTAssertEqual(try chat.me().deviceId, deviceId)
            let onboarding = OnboardingModel(existing: chat) { _ in chat }
            onboarding.chooseNewPerson()
            onboarding.personName = "Amy"
            await onboarding.submitPersonName()
            XCTAssertEqual(onboarding.step, .done)
            startup.onboarded()
            guard case .ready(_, true) = startup.state else { return XCTFail("\(startup.state)") }
            try await chat.stop()
        }

        let startup = AppStartup(records: StartupRecordFile(files.startupRecord), open: Self.opener(files))
        await startup.start()
        guard case .ready(let chat, true) = startup.state else { return XCTFail("\(startup.state)") }
        XCTAssertEqual(try chat.me().personName, "Amy")
        XCTAssertEqual(StartupRecordFile(files.startupRecord).load(), StartupRecord(deviceName: "Amy's phone", onboarded: true))
        try await chat.stop()
    }

    @MainActor func testAFailedOpenIsAStateWithARetry() async throws {
        let files = try files()
        let attempts = Counter()
        let startup = AppStartup(records: StartupRecordFile(files.startupRecord)) { name in
            if attempts.next() == 1 { throw CoreError.core(.Storage(reason: "disk full", description: "disk full")) }
            return try Clearchat.openLoopback(dataDir: files.store.path, deviceName: name)
        }
        do {
            _ = try await startup.create("phone")
            XCTFail("the first open should fail")
        } catch {
            XCTAssertEqual(CoreError(error), .core(.Storage(reason: "disk full", description: "disk full")))
        }
        guard case .failed(let message) = startup.state else { return XCTFail("\(startup.state)") }
        XCTAssertEqual(message, "Couldn't save on this device. Check that there is free space.")
        XCTAssertEqual(StartupRecordFile(files.startupRecord).load(), StartupRecord(), "nothing remembered")

        let chat = try await startup.create("phone")
        h.adopt(chat)
        guard case .ready(_, false) = startup.state else { return XCTFail("\(startup.state)") }
        // Two callers at once open one device.
        async let a = startup.create("phone")
        async let b = startup.create("phone")
        let (first, second) = try await (a, b)
        XCTAssertTrue(first === chat && second === chat)
        XCTAssertEqual(attempts.count, 2)
    }

    func testAnUnreadableRecordIsADeviceNotCreated() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("clearchat-record-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("{not json".utf8).write(to: url)
        XCTAssertEqual(StartupRecordFile(url).load(), StartupRecord())
        try StartupRecordFile(url).save(StartupRecord(deviceName: "x", onboarded: true))
        XCTAssertEqual(StartupRecordFile(url).load(), StartupRecord(deviceName: "x", onboarded: true))
    }

    /// Betty's new phone is given Amy's buddy code where a link code was asked for: she becomes a new person
    /// with Amy as her buddy, and onboarding still asks for her name (and cannot go back to linking).
    @MainActor func testABuddyCodeDuringOnboardingStillAsksForMyName() async throws {
        let amy = try await h.open("amy", person: "Amy")
        let code = try await amy.createBuddyInvite(label: "").code
        let onboarding = OnboardingModel(suggestedDeviceName: "Betty's phone") { try await self.h.open($0) }
        await onboarding.submitDeviceName()
        await onboarding.chooseLink(code: code)
        XCTAssertEqual(onboarding.step, .personName, onboarding.redeem?.error ?? "")
        XCTAssertEqual(onboarding.addedBuddy, "Amy")
        XCTAssertEqual(UiText.onboardingBuddyAdded.say("Amy"), "You and Amy are buddies now. What is your name?")
        XCTAssertFalse(onboarding.back(), "a buddy was added: this device is no longer new")
        onboarding.personName = "Betty"
        await onboarding.submitPersonName()
        XCTAssertEqual(onboarding.step, .done)
        XCTAssertEqual(try onboarding.chat?.me().personName, "Betty")
    }
}

/// A thread-safe count of calls.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    var count: Int { lock.withLock { value } }

    func next() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}
