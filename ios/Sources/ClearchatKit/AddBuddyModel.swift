// Show my code: the QR grid to draw large and the text code for the share sheet; also "link a device".
import ClearchatFFI
import Observation

@MainActor @Observable
public final class AddBuddyModel {
    public let purpose: InvitePurpose
    public private(set) var busy = false
    public private(set) var code: InviteCode?
    public private(set) var error: String?
    /// Names of the people (buddy code) or devices (link code) that used my code while it was shown.
    public private(set) var joined: [String] = []

    private let chat: Clearchat
    private let label: String

    public init(_ chat: Clearchat, purpose: InvitePurpose = .buddy, label: String = "") {
        self.chat = chat
        self.purpose = purpose
        self.label = label
    }

    /// Makes a code, then follows who uses it until cancelled (run it from the view's `.task`).
    public func run() async {
        let events = chat.events()
        await refresh()
        for await event in events {
            switch (purpose, event) {
            case (.buddy, .buddyAdded(_, let name)), (.link, .deviceLinked(_, let name)): joined.append(name)
            default: break
            }
        }
    }

    /// Makes a fresh code (the old one stays valid until it expires or is used).
    public func refresh() async {
        guard !busy else { return }
        busy = true
        error = nil
        defer { busy = false }
        do {
            let invite = switch purpose {
            case .link: try await chat.createLinkInvite()
            case .buddy: try await chat.createBuddyInvite(label: label)
            }
            code = InviteCode(invite)
        } catch {
            self.error = Messages.explain(error)
        }
    }
}
