// Plain-words explanations of core failures, for people rather than developers: the Kotlin layer's sentences
// (android/kotlin's Messages.kt), as UiText keys, so both apps say the same and the app's String Catalog
// translates them.
import ClearchatFFI
import Foundation

public enum Messages {
    public static func explain(_ error: CoreError) -> String {
        switch error {
        case .core(let e): explain(e)
        case .bindings: UiText.errOther.say()
        }
    }

    public static func explain(_ error: any Error) -> String {
        explain(CoreError(error))
    }

    public static func explain(_ error: ClearchatError) -> String {
        switch error {
        case .InvalidCode(let reason, _): UiText.errInvalidCode.say(reason)
        case .InviteExpired: UiText.errExpired.say()
        case .InviteAlreadyUsed: UiText.errUsed.say()
        case .OwnInvite: UiText.errOwnCode.say()
        case .AlreadyBuddies(let name, _):
            name.trimmingCharacters(in: .whitespaces).isEmpty
                ? UiText.errAlreadyBuddies.say() : UiText.errAlreadyBuddiesWith.say(name)
        case .AlreadyLinked: UiText.errAlreadyLinked.say()
        case .NotNew: UiText.errNotNew.say()
        case .InviterUnreachable: UiText.errUnreachable.say()
        case .Refused: UiText.errRefused.say()
        case .UnknownBuddy: UiText.errUnknownBuddy.say()
        case .UnknownDevice: UiText.errUnknownDevice.say()
        case .UnknownMessage: UiText.errUnknownMessage.say()
        case .InvalidMessage(let max, _): UiText.errInvalidMessage.say(max)
        case .InvalidName: UiText.errInvalidName.say(Validation.maxNameBytes)
        case .Revoked: UiText.errRevoked.say()
        case .Closed: UiText.errClosed.say()
        case .DeviceKeyUnavailable: UiText.errKeyElsewhere.say()
        case .KeystoreLocked: UiText.errLocked.say()
        case .Storage: UiText.errStorage.say()
        case .Network: UiText.errNetwork.say()
        }
    }
}
