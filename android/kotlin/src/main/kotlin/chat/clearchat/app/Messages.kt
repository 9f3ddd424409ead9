// Plain-words explanations of core failures, for people rather than developers.
package chat.clearchat.app

import chat.clearchat.core.ClearchatException

object Messages {
    fun explain(e: Throwable): String = when (e) {
        is ClearchatException.InvalidCode ->
            "This code can't be read (${e.reason}). Check that you copied all of it, or scan it again."
        is ClearchatException.InviteExpired -> "This code has expired. Ask for a new one."
        is ClearchatException.InviteAlreadyUsed -> "This code was already used. Ask for a new one."
        is ClearchatException.OwnInvite -> "This is your own code. Show it to the other person instead."
        is ClearchatException.AlreadyBuddies ->
            if (e.name.isBlank()) "You are already buddies." else "You and ${e.name} are already buddies."
        is ClearchatException.AlreadyLinked -> "This device is already linked to that person."
        is ClearchatException.NotNew ->
            "This device already has buddies or other devices, so it can't be linked now. Only a new device can be linked."
        is ClearchatException.InviterUnreachable ->
            "Couldn't reach the device that made this code. Check that it is on and online, then try again."
        is ClearchatException.Refused -> "The other device turned this code down. Ask for a new one."
        is ClearchatException.UnknownBuddy -> "This buddy is no longer in your list."
        is ClearchatException.UnknownDevice -> "This device is no longer in your list."
        is ClearchatException.UnknownMessage -> "That message is gone."
        is ClearchatException.InvalidMessage -> "A message can't be empty or longer than ${e.max} bytes."
        is ClearchatException.InvalidName -> "A name has 1 to ${Validation.MAX_NAME_BYTES} characters."
        is ClearchatException.Revoked -> "This device was unlinked. Link it again to keep using it."
        is ClearchatException.Closed -> "Clearchat is shutting down. Open it again."
        is ClearchatException.Storage -> "Couldn't save on this device. Check that there is free space."
        is ClearchatException.Network -> "No connection right now. Try again in a moment."
        else -> "Something went wrong. Try again."
    }
}
