// Plain-words explanations of core failures, for people rather than developers: the Kotlin layer's sentences
// (android/kotlin's Messages.kt), so both apps say the same.
import ClearchatFFI
import Foundation

public enum Messages {
    public static func explain(_ error: CoreError) -> String {
        switch error {
        case .core(let e): explain(e)
        case .bindings: "Something went wrong. Try again."
        }
    }

    public static func explain(_ error: any Error) -> String {
        explain(CoreError(error))
    }

    public static func explain(_ error: ClearchatError) -> String {
        switch error {
        case .InvalidCode(let reason, _):
            "This code can't be read (\(reason)). Check that you copied all of it, or scan it again."
        case .InviteExpired: "This code has expired. Ask for a new one."
        case .InviteAlreadyUsed: "This code was already used. Ask for a new one."
        case .OwnInvite: "This is your own code. Show it to the other person instead."
        case .AlreadyBuddies(let name, _):
            name.trimmingCharacters(in: .whitespaces).isEmpty
                ? "You are already buddies." : "You and \(name) are already buddies."
        case .AlreadyLinked: "This device is already linked to that person."
        case .NotNew:
            "This device already has buddies or other devices, so it can't be linked now. Only a new device can be linked."
        case .InviterUnreachable:
            "Couldn't reach the device that made this code. Check that it is on and online, then try again."
        case .Refused: "The other device turned this code down. Ask for a new one."
        case .UnknownBuddy: "This buddy is no longer in your list."
        case .UnknownDevice: "This device is no longer in your list."
        case .UnknownMessage: "That message is gone."
        case .InvalidMessage(let max, _): "A message can't be empty or longer than \(max) bytes."
        case .InvalidName: "A name has 1 to \(Validation.maxNameBytes) characters."
        case .Revoked: "This device was unlinked. Link it again to keep using it."
        case .Closed: "Clearchat is shutting down. Open it again."
        case .Storage: "Couldn't save on this device. Check that there is free space."
        case .Network: "No connection right now. Try again in a moment."
        }
    }
}
