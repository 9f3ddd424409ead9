// The screens' models against the real core: onboarding (validation, linking, a new person), add buddy (the
// code, and who used it), redeem (plain words and typed failures), devices (listing and unlinking), buddies.
import ClearchatFFI
import XCTest
@testable import ClearchatKit

final class ModelTests: CoreTestCase, @unchecked Sendable {
    /// A model's `run()` for the length of the test.
    @discardableResult
    @MainActor private func running(_ run: @escaping @MainActor () async -> Void) -> Task<Void, Never> {
        let task = Task { @MainActor in await run() }
        tasks.append(task)
        return task
    }

    @MainActor private var tasks: [Task<Void, Never>] = []

    @MainActor override func tearDown() async throws {
        tasks.forEach { $0.cancel() }
        for task in tasks { await task.value }
        tasks.removeAll()
        try await super.tearDown()
    }

    @MainActor func testOnboardingCatchesBadNamesAndStartsANewPerson() async throws {
        var opened = 0
        let onboarding = OnboardingModel(suggestedDeviceName: "") { name in
            opened += 1
            return try await self.h.open(name)
        }
        await onboarding.submitDeviceName()
        XCTAssertEqual(onboarding.deviceNameError, "Enter a name.")
        onboarding.deviceName = String(repeating: "x", count: 65)
        XCTAssertNil(onboarding.deviceNameError, "editing clears the error")
        await onboarding.submitDeviceName()
        XCTAssertEqual(onboarding.deviceNameError, "That name is too long. Keep it under 64 letters.")
        XCTAssertEqual(onboarding.step, .deviceName)
        XCTAssertEqual(opened, 0, "nothing opened for a bad name")

        onboarding.deviceName = "  Betty's phone "
        await onboarding.submitDeviceName()
        XCTAssertEqual(onboarding.step, .choose)
        XCTAssertEqual(try onboarding.chat?.me().deviceName, "Betty's phone")
        onboarding.chooseNewPerson()
        XCTAssertEqual(onboarding.step, .personName)
        XCTAssertTrue(onboarding.back())
        XCTAssertEqual(onboarding.step, .choose)
        XCTAssertFalse(onboarding.back(), "nothing before the choice")
        onboarding.chooseNewPerson()
        onboarding.personName = "Betty\u{1}"
        await onboarding.submitPersonName()
        XCTAssertEqual(onboarding.personNameError, "A name can't contain special control characters.")
        onboarding.personName = "Betty"
        await onboarding.submitPersonName()
        XCTAssertEqual(onboarding.step, .done)
        XCTAssertEqual(try onboarding.chat?.me().personName, "Betty")
        XCTAssertEqual(opened, 1)
    }

    @MainActor func testRedeemExplainsEveryBadCodeInPlainWords() async throws {
        let amy = try await h.open("amy-laptop", person: "Amy")
        let betty = try await h.open("betty-laptop", person: "Betty")
        func redeem(_ code: String, at chat: Clearchat) async -> RedeemModel {
            let model = RedeemModel(chat)
            model.input = code
            await model.submit()
            XCTAssertFalse(model.busy)
            return model
        }

        let empty = await redeem("   ", at: betty)
        XCTAssertEqual(empty.error, "Paste or scan a code first.")
        XCTAssertNil(empty.failure, "caught before the core")

        let code = try await amy.createBuddyInvite(label: "for Betty").code
        for bad in [typo(in: code, at: code.count / 2), String(code.prefix(20)), "hello there!"] {
            let mangled = await redeem(bad, at: betty)
            XCTAssertNil(mangled.result)
            let error = try XCTUnwrap(mangled.error)
            XCTAssertTrue(error.hasPrefix("This code can't be read ("), error)
            XCTAssertTrue(error.hasSuffix("Check that you copied all of it, or scan it again."), error)
            guard case .core(.InvalidCode) = mangled.failure else { return XCTFail("\(String(describing: mangled.failure))") }
            mangled.input += " "
            XCTAssertNil(mangled.error, "editing clears the error")
        }

        let expired = await redeem(try await amy.createInvite(.buddy, label: "late", ttlSecs: 0).code, at: betty)
        XCTAssertEqual(expired.error, "This code has expired. Ask for a new one.")
        guard case .core(.InviteExpired) = expired.failure else { return XCTFail("\(String(describing: expired.failure))") }

        let own = await redeem(code, at: amy)
        XCTAssertEqual(own.error, "This is your own code. Show it to the other person instead.")

        var told: Redeemed?
        let ok = RedeemModel(betty)
        ok.onRedeemed = { told = $0 }
        await ok.scanned(code)
        XCTAssertNil(ok.error)
        guard case .buddy(_, "Amy") = ok.result else { return XCTFail("\(String(describing: ok.result))") }
        XCTAssertEqual(told, ok.result)

        let carol = try await h.open("carol-laptop", person: "Carol")
        let used = await redeem(code, at: carol)
        XCTAssertEqual(used.error, "This code was already used. Ask for a new one.")
        guard case .core(.InviteAlreadyUsed) = used.failure else { return XCTFail("\(String(describing: used.failure))") }

        let again = await redeem(try await amy.createBuddyInvite(label: "again").code, at: betty)
        XCTAssertEqual(again.error, "You and Amy are already buddies.")
    }

    /// Amy's phone is onboarded by linking it to her laptop with the laptop's code; both list both devices; then
    /// Betty, onboarded as a new person, adds Amy with the phone's buddy code, and the buddy lists fill.
    @MainActor func testOnboardByLinkingThenAddABuddy() async throws {
        let laptop = try await h.open("amy-laptop", person: "Amy")
        let linkCode = AddBuddyModel(laptop, purpose: .link)
        running { await linkCode.run() }
        try await waitUntil("a link code") { linkCode.code != nil }
        let linkInvite = try XCTUnwrap(linkCode.code)
        XCTAssertEqual(linkInvite.purpose, .link)

        let phoneOnboarding = OnboardingModel(suggestedDeviceName: "Amy's phone") { try await self.h.open($0) }
        await phoneOnboarding.submitDeviceName()
        await phoneOnboarding.chooseLink(code: linkInvite.text.lowercased())
        XCTAssertEqual(phoneOnboarding.step, .done, phoneOnboarding.redeem?.error ?? "")
        XCTAssertEqual(phoneOnboarding.linkedTo, "Amy")
        let phone = try XCTUnwrap(phoneOnboarding.chat)
        try await waitUntil("the laptop sees the phone use its code", state: { "\(linkCode.joined)" }) {
            linkCode.joined == ["Amy's phone"]
        }

        let phoneDevices = DevicesModel(phone)
        let laptopDevices = DevicesModel(laptop)
        running { await phoneDevices.run() }
        running { await laptopDevices.run() }
        try await waitUntil("two devices on the phone", state: { "\(phoneDevices.devices)" }) { phoneDevices.devices.count == 2 }
        try await waitUntil("two devices on the laptop", state: { "\(laptopDevices.devices)" }) { laptopDevices.devices.count == 2 }
        XCTAssertEqual(laptopDevices.devices.map(\.name), ["amy-laptop", "Amy's phone"])
        XCTAssertEqual(laptopDevices.devices.map(\.thisDevice), [true, false])
        XCTAssertEqual(phoneDevices.devices.map(\.name), ["Amy's phone", "amy-laptop"])

        // Betty starts as a new person and pastes the buddy code Amy's phone shows.
        let bettyOnboarding = OnboardingModel(suggestedDeviceName: "betty-laptop") { try await self.h.open($0) }
        await bettyOnboarding.submitDeviceName()
        bettyOnboarding.chooseNewPerson()
        bettyOnboarding.personName = "Betty"
        await bettyOnboarding.submitPersonName()
        XCTAssertEqual(bettyOnboarding.step, .done)
        let betty = try XCTUnwrap(bettyOnboarding.chat)

        let addBuddy = AddBuddyModel(phone)
        running { await addBuddy.run() }
        try await waitUntil("a buddy code") { addBuddy.code != nil }
        let code = try XCTUnwrap(addBuddy.code)
        XCTAssertEqual(qrProblems(code.qr), [])
        XCTAssertTrue(code.shareText.contains(code.text))
        let redeem = RedeemModel(betty)
        redeem.input = code.text
        await redeem.submit()
        XCTAssertNil(redeem.error)
        guard case .buddy(let amyId, "Amy") = redeem.result else { return XCTFail("\(String(describing: redeem.result))") }
        try await waitUntil("the phone sees Betty use its code", state: { "\(addBuddy.joined)" }) { addBuddy.joined == ["Betty"] }

        let lists = [phone, laptop, betty].map { BuddiesModel($0) }
        for list in lists { running { await list.run() } }
        for (list, name) in zip(lists, ["Betty", "Betty", "Amy"]) {
            try await waitUntil("\(name) in a buddy list", state: { "\(list.buddies)" }) {
                list.buddies.map(\.name) == [name]
            }
        }
        XCTAssertEqual(lists[2].buddies.first?.id, amyId)

        // A message from Betty shows as unread and as the last message on both of Amy's devices.
        _ = try await betty.send("Hi Amy!", to: amyId)
        for list in lists.prefix(2) {
            try await waitUntil("Betty's message in Amy's list", state: { "\(list.buddies)" }) {
                list.buddies.first.map { $0.unread == 1 && $0.lastText == "Hi Amy!" && !$0.lastFromMe } ?? false
            }
            XCTAssertEqual(list.totalUnread, 1)
        }
    }

    @MainActor func testUnlinkALostPhone() async throws {
        let laptop = try await h.open("amy-laptop", person: "Amy")
        let phone = try await h.open("amy-phone")
        _ = try await phone.redeem(try await laptop.createLinkInvite().code)
        let devices = DevicesModel(laptop)
        running { await devices.run() }
        try await waitUntil("two devices", state: { "\(devices.devices)" }) { devices.devices.count == 2 }
        XCTAssertFalse(devices.loading)

        devices.askUnlink(try laptop.me().deviceId)
        XCTAssertNil(devices.pendingUnlink, "this device cannot be unlinked from itself")
        let phoneId = try phone.me().deviceId
        devices.askUnlink(phoneId)
        XCTAssertEqual(devices.pendingUnlink?.name, "amy-phone")
        devices.cancelUnlink()
        XCTAssertNil(devices.pendingUnlink)
        await devices.unlink()
        XCTAssertEqual(devices.devices.count, 2, "nothing unlinked without asking")

        // The confirmation dialog unlinks the device it asked about (captured), and never this one.
        await devices.unlink(try XCTUnwrap(devices.devices.first { $0.thisDevice }))
        XCTAssertEqual(devices.devices.count, 2, "this device is not unlinked from itself")
        devices.askUnlink(phoneId)
        let asked = try XCTUnwrap(devices.pendingUnlink)
        devices.cancelUnlink() // what the dialog's closing may do before its button's action runs
        await devices.unlink(asked)
        XCTAssertNil(devices.pendingUnlink)
        XCTAssertNil(devices.error)
        // The list follows the core's diffs: the unlinked phone leaves it once the core has recorded the unlink.
        try await waitUntil("the phone gone from the list", state: { "\(devices.devices)" }) {
            devices.devices.map(\.name) == ["amy-laptop"]
        }
        let listed = try await laptop.devices()
        XCTAssertEqual(listed.first { $0.id == phoneId }?.revoked, true)
    }
}
