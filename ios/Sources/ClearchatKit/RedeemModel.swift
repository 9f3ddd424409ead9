// Redeem a pasted, scanned or opened code: links this device to a person, or adds a buddy. A code from a link
// waits for the person's yes (`confirmFirst`); the camera's codes pass a gate that drops repeats of a code that
// just failed, so pointing the camera at a used code does not loop on errors. The Kotlin RedeemViewModel's rules.
import ClearchatFFI
import Foundation
import Observation

@MainActor @Observable
public final class RedeemModel {
    /// The code as typed or pasted; editing it clears the last error.
    public var input: String {
        didSet {
            if input != oldValue {
                error = nil
                failure = nil
                failedCode = nil
            }
        }
    }
    public private(set) var busy = false
    /// What went wrong, in plain words.
    public private(set) var error: String?
    /// What went wrong, typed, when the core said it (e.g. to offer "ask for a new code" on `.InviteExpired`).
    public private(set) var failure: CoreError?
    public private(set) var result: Redeemed?
    /// A code that came from a link, shown with "Use this code?" until the person confirms or declines.
    public private(set) var confirming: Bool
    /// The person declined the link's code: the screen closes.
    public private(set) var declined = false

    /// Told once a code worked.
    @ObservationIgnored public var onRedeemed: ((Redeemed) -> Void)?

    private let chat: Clearchat
    /// The last code that failed: the camera keeps seeing it, and it is not tried again until something changes.
    @ObservationIgnored private var failedCode: String?

    /// `code` prefills the field; with `confirmFirst` (a link from outside the app) nothing is redeemed until
    /// `confirm()`.
    public init(_ chat: Clearchat, code: String = "", confirmFirst: Bool = false) {
        let code = code.trimmingCharacters(in: .whitespacesAndNewlines)
        self.chat = chat
        input = code
        confirming = confirmFirst && !code.isEmpty
    }

    public var canSubmit: Bool { !busy && !confirming && Validation.code(input) == nil }

    /// Whether the camera should hand over what it reads now.
    public var scanning: Bool { !busy && !confirming && result == nil }

    /// "Use this code": the person agrees to redeem the link's code.
    public func confirm() async {
        guard confirming else { return }
        confirming = false
        await submit()
    }

    /// "Cancel": the link's code is dropped unredeemed.
    public func decline() {
        guard confirming else { return }
        confirming = false
        declined = true
        input = ""
    }

    /// A code read by the camera: redeemed at once, unless a redemption is under way or done, or it is the code
    /// that just failed. Returns whether it was taken.
    @discardableResult
    public func scanned(_ code: String) async -> Bool {
        let code = code.trimmingCharacters(in: .whitespacesAndNewlines)
        guard scanning, code != failedCode else { return false }
        input = code
        await submit()
        return true
    }

    public func submit() async {
        guard !busy, !confirming else { return }
        if let problem = Validation.code(input) {
            error = problem
            return
        }
        let code = input.trimmingCharacters(in: .whitespacesAndNewlines)
        busy = true
        error = nil
        failure = nil
        result = nil
        defer { busy = false }
        do {
            let redeemed = try await chat.redeem(code)
            result = redeemed
            onRedeemed?(redeemed)
        } catch {
            failure = error
            self.error = Messages.explain(error)
            failedCode = code
        }
    }
}
