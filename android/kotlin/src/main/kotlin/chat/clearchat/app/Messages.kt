// Plain-words explanations of core failures, for people rather than developers (texts in Texts.kt).
package chat.clearchat.app

import chat.clearchat.core.ClearchatException

object Messages {
    fun explain(e: Throwable): String = when (e) {
        is ClearchatException.InvalidCode -> UiText.ERR_INVALID_CODE.say(e.reason)
        is ClearchatException.InviteExpired -> UiText.ERR_EXPIRED.say()
        is ClearchatException.InviteAlreadyUsed -> UiText.ERR_USED.say()
        is ClearchatException.OwnInvite -> UiText.ERR_OWN_CODE.say()
        is ClearchatException.AlreadyBuddies ->
            if (e.name.isBlank()) UiText.ERR_ALREADY_BUDDIES.say() else UiText.ERR_ALREADY_BUDDIES_WITH.say(e.name)
        is ClearchatException.AlreadyLinked -> UiText.ERR_ALREADY_LINKED.say()
        is ClearchatException.NotNew -> UiText.ERR_NOT_NEW.say()
        is ClearchatException.InviterUnreachable -> UiText.ERR_UNREACHABLE.say()
        is ClearchatException.Refused -> UiText.ERR_REFUSED.say()
        is ClearchatException.UnknownBuddy -> UiText.ERR_UNKNOWN_BUDDY.say()
        is ClearchatException.UnknownDevice -> UiText.ERR_UNKNOWN_DEVICE.say()
        is ClearchatException.UnknownMessage -> UiText.ERR_UNKNOWN_MESSAGE.say()
        is ClearchatException.InvalidMessage -> UiText.ERR_INVALID_MESSAGE.say(e.max.toInt())
        is ClearchatException.InvalidName -> UiText.ERR_INVALID_NAME.say(Validation.MAX_NAME_BYTES)
        is ClearchatException.Revoked -> UiText.ERR_REVOKED.say()
        is ClearchatException.Closed -> UiText.ERR_CLOSED.say()
        is ClearchatException.DeviceKeyUnavailable -> UiText.ERR_KEY_ELSEWHERE.say()
        is ClearchatException.KeystoreLocked -> UiText.ERR_LOCKED.say()
        is ClearchatException.Storage -> UiText.ERR_STORAGE.say()
        is ClearchatException.Network -> UiText.ERR_NETWORK.say()
        else -> UiText.ERR_OTHER.say()
    }
}
