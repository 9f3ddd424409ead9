// Redeem a pasted, scanned or opened code: links this device to a person, or adds a buddy.
import ClearchatFFI
import Foundation
import Observation

@MainActor @Observable
public final class RedeemModel {
    /// The code as typed or pasted; editing it clears the last error.
    public var input: String {
        didSet { if input != oldValue { error = nil; failure = nil } }
    }
    public private(set) var busy = false
    /// What went wrong, in plain words.
    public private(set) var error: String?
    /// What went wrong, typed, when the core said it (e.g. to offer "ask for a new code" on `.InviteExpired`).
    public private(set) var failure: CoreError?
    public private(set) var result: Redeemed?

    /// Told once a code worked.
    @ObservationIgnored public var onRedeemed: ((Redeemed) -> Void)?

    private let chat: Clearchat

    public init(_ chat: Clearchat, code: String = "") {
        self.chat = chat
        input = code.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public var canSubmit: Bool { !busy && Validation.code(input) == nil }

    /// A code read by the camera or opened from a link: redeem it at once.
    public func scanned(_ code: String) async {
        input = code
        await submit()
    }

    public func submit() async {
        guard !busy else { return }
        if let problem = Validation.code(input) {
            error = problem
            return
        }
        busy = true
        error = nil
        failure = nil
        result = nil
        defer { busy = false }
        do {
            let redeemed = try await chat.redeem(input.trimmingCharacters(in: .whitespacesAndNewlines))
            result = redeemed
            onRedeemed?(redeemed)
        } catch {
            failure = error
            self.error = Messages.explain(error)
        }
    }
}
