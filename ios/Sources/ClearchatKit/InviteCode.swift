// An invite as the add-buddy and link screens show it: the QR grid to draw, the text code to share.
import ClearchatFFI
import Foundation

public struct InviteCode: Equatable, Sendable {
    /// The text code, to paste.
    public let text: String
    /// What the QR code encodes: a `CLEARCHAT:` URI (uppercase, so QR alphanumeric mode keeps it small).
    public let uri: String
    public let qr: QrGrid
    public let purpose: InvitePurpose
    public let expiresAt: Date

    public init(_ invite: Invite) {
        text = invite.code
        uri = invite.uri
        qr = QrGrid(invite.qr)
        purpose = invite.purpose
        expiresAt = Date(timeIntervalSince1970: TimeInterval(invite.expiresAtSecs))
    }

    /// What the share sheet sends (SMS, mail...): the text code with a line saying what to do with it.
    public var shareText: String {
        UiText.shareText.say(text)
    }
}
