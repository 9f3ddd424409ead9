// First run: name this device, then either link it to my laptop (redeem a link code) or start as a new person.
// Onboarding is complete only at its last step (`.done`: linked, or a new person with a name); the app marks the
// device onboarded then (AppStartup.onboarded), and an onboarding left before it resumes at the choice.
import ClearchatFFI
import Foundation
import Observation

public enum OnboardingStep: Equatable, Sendable {
    case deviceName, choose, link, personName, done
}

@MainActor @Observable
public final class OnboardingModel {
    public private(set) var step = OnboardingStep.deviceName
    public var deviceName: String {
        didSet { if deviceName != oldValue { deviceNameError = nil } }
    }
    public private(set) var deviceNameError: String?
    public var personName = "" {
        didSet { if personName != oldValue { personNameError = nil } }
    }
    public private(set) var personNameError: String?
    public private(set) var busy = false
    public private(set) var error: String?
    /// Set when linking finished: the person this device now belongs to.
    public private(set) var linkedTo: String?
    /// Set when a buddy's code was used instead of a link code: the buddy, before I give my own name.
    public private(set) var addedBuddy: String?

    /// The device, once opened with its name.
    public private(set) var chat: Clearchat?
    /// In the link step: the model of the code field (or scanner) for my laptop's code.
    public private(set) var redeem: RedeemModel?

    /// Opens (creates) the device with the chosen name and starts it; the app decides where the data lives.
    @ObservationIgnored private let open: @MainActor (String) async throws -> Clearchat

    /// `existing` is the device an earlier, unfinished onboarding created: it resumes at the choice.
    public init(
        suggestedDeviceName: String = "", existing: Clearchat? = nil,
        open: @escaping @MainActor (String) async throws -> Clearchat
    ) {
        deviceName = suggestedDeviceName
        chat = existing
        step = existing == nil ? .deviceName : .choose
        self.open = open
    }

    public func submitDeviceName() async {
        guard !busy, step == .deviceName else { return }
        if let problem = Validation.name(deviceName) {
            deviceNameError = problem
            return
        }
        busy = true
        error = nil
        defer { busy = false }
        do {
            if chat == nil { chat = try await open(deviceName.trimmingCharacters(in: .whitespacesAndNewlines)) }
            step = .choose
        } catch {
            self.error = Messages.explain(error)
        }
    }

    /// "Link to my laptop": next comes scanning or pasting the laptop's code (redeemed at once when given).
    public func chooseLink(code: String? = nil) async {
        guard let chat, step == .choose else { return }
        let model = RedeemModel(chat, code: code ?? "")
        model.onRedeemed = { [weak self] redeemed in
            guard let self, step == .link else { return }
            switch redeemed {
            case .linked(let person):
                linkedTo = person
                step = .done
            case .buddy(_, let name):
                // A buddy's code instead of a link code: this device is a new person with a buddy, and that
                // person still needs a name before onboarding is done.
                addedBuddy = name
                step = .personName
            }
        }
        redeem = model
        error = nil
        step = .link
        if code != nil { await model.submit() }
    }

    /// "Start as a new person": next comes my name, as buddies will see it.
    public func chooseNewPerson() {
        guard step == .choose else { return }
        error = nil
        step = .personName
    }

    public func submitPersonName() async {
        guard let chat, !busy, step == .personName else { return }
        if let problem = Validation.name(personName) {
            personNameError = problem
            return
        }
        busy = true
        error = nil
        defer { busy = false }
        do {
            try await chat.setPersonName(personName.trimmingCharacters(in: .whitespacesAndNewlines))
            step = .done
        } catch {
            self.error = Messages.explain(error)
        }
    }

    /// Back from the link or person-name step to the choice; false when there is nothing to go back to.
    @discardableResult
    public func back() -> Bool {
        guard step == .link || step == .personName else { return false }
        guard addedBuddy == nil else { return false } // a buddy was added: this device is no longer new
        redeem = nil
        error = nil
        step = .choose
        return true
    }
}
