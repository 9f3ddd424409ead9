// The shared code's texts from Android's string resources (values/strings.xml; translations beside it). The
// exhaustive `when` makes a text without a resource a compile error. Installed as UiStrings.current at start.
package chat.clearchat.android

import android.content.Context
import androidx.annotation.StringRes
import chat.clearchat.app.Strings
import chat.clearchat.app.UiText

class ResourceStrings(private val context: Context) : Strings {
    override fun get(text: UiText, vararg args: Any): String = context.getString(id(text), *args)

    @StringRes
    private fun id(text: UiText): Int = when (text) {
        UiText.BUDDIES_TITLE -> R.string.buddies_title
        UiText.BUDDIES_EMPTY -> R.string.buddies_empty
        UiText.BUDDIES_LAST_FROM_ME -> R.string.buddies_last_from_me
        UiText.BUDDIES_SAY_HELLO -> R.string.buddies_say_hello
        UiText.BUDDIES_ADD -> R.string.buddies_add
        UiText.BUDDY_ONLINE -> R.string.buddy_online
        UiText.BUDDY_AWAY -> R.string.buddy_away
        UiText.BUDDY_UNREAD -> R.string.buddy_unread
        UiText.CONVERSATION_PLACEHOLDER -> R.string.conversation_placeholder
        UiText.CONVERSATION_SEND -> R.string.conversation_send
        UiText.CONVERSATION_NOT_SENT -> R.string.conversation_not_sent
        UiText.CONVERSATION_RETRY -> R.string.conversation_retry
        UiText.CONVERSATION_OLDER -> R.string.conversation_older
        UiText.STATE_PENDING -> R.string.state_pending
        UiText.STATE_SENT -> R.string.state_sent
        UiText.STATE_DELIVERED -> R.string.state_delivered
        UiText.STATE_READ -> R.string.state_read
        UiText.ADD_TITLE -> R.string.add_title
        UiText.ADD_HINT -> R.string.add_hint
        UiText.LINK_TITLE -> R.string.link_title
        UiText.LINK_HINT -> R.string.link_hint
        UiText.ADD_MAKING -> R.string.add_making
        UiText.ADD_SHARE -> R.string.add_share
        UiText.ADD_SCAN_THEIRS -> R.string.add_scan_theirs
        UiText.ADD_NEW_CODE -> R.string.add_new_code
        UiText.ADD_JOINED_BUDDY -> R.string.add_joined_buddy
        UiText.ADD_JOINED_DEVICE -> R.string.add_joined_device
        UiText.QR_DESCRIPTION -> R.string.qr_description
        UiText.SHARE_TEXT -> R.string.share_text
        UiText.CONFIRM_TITLE -> R.string.confirm_title
        UiText.CONFIRM_BODY -> R.string.confirm_body
        UiText.CONFIRM_USE -> R.string.confirm_use
        UiText.CONFIRM_CANCEL -> R.string.confirm_cancel
        UiText.STARTUP_OPENING -> R.string.startup_opening
        UiText.STARTUP_FAILED_TITLE -> R.string.startup_failed_title
        UiText.STARTUP_RETRY -> R.string.startup_retry
        UiText.ERR_INVALID_CODE -> R.string.err_invalid_code
        UiText.ERR_EXPIRED -> R.string.err_expired
        UiText.ERR_USED -> R.string.err_used
        UiText.ERR_OWN_CODE -> R.string.err_own_code
        UiText.ERR_ALREADY_BUDDIES -> R.string.err_already_buddies
        UiText.ERR_ALREADY_BUDDIES_WITH -> R.string.err_already_buddies_with
        UiText.ERR_ALREADY_LINKED -> R.string.err_already_linked
        UiText.ERR_NOT_NEW -> R.string.err_not_new
        UiText.ERR_UNREACHABLE -> R.string.err_unreachable
        UiText.ERR_REFUSED -> R.string.err_refused
        UiText.ERR_UNKNOWN_BUDDY -> R.string.err_unknown_buddy
        UiText.ERR_UNKNOWN_DEVICE -> R.string.err_unknown_device
        UiText.ERR_UNKNOWN_MESSAGE -> R.string.err_unknown_message
        UiText.ERR_INVALID_MESSAGE -> R.string.err_invalid_message
        UiText.ERR_INVALID_NAME -> R.string.err_invalid_name
        UiText.ERR_REVOKED -> R.string.err_revoked
        UiText.ERR_CLOSED -> R.string.err_closed
        UiText.ERR_STORAGE -> R.string.err_storage
        UiText.ERR_KEY_ELSEWHERE -> R.string.err_key_elsewhere
        UiText.ERR_LOCKED -> R.string.err_locked
        UiText.ERR_NETWORK -> R.string.err_network
        UiText.ERR_OTHER -> R.string.err_other
        UiText.NAME_EMPTY -> R.string.name_empty
        UiText.NAME_TOO_LONG -> R.string.name_too_long
        UiText.NAME_CONTROL -> R.string.name_control
        UiText.MESSAGE_EMPTY -> R.string.message_empty
        UiText.MESSAGE_TOO_LONG -> R.string.message_too_long
        UiText.CODE_EMPTY -> R.string.code_empty
        UiText.ONBOARDING_WELCOME -> R.string.onboarding_welcome
        UiText.ONBOARDING_DEVICE_NAME -> R.string.onboarding_device_name
        UiText.ONBOARDING_NEXT -> R.string.onboarding_next
        UiText.ONBOARDING_LINK -> R.string.onboarding_link
        UiText.ONBOARDING_NEW_PERSON -> R.string.onboarding_new_person
        UiText.ONBOARDING_SCAN_LAPTOP -> R.string.onboarding_scan_laptop
        UiText.ONBOARDING_BUDDY_ADDED -> R.string.onboarding_buddy_added
        UiText.ONBOARDING_PERSON_NAME -> R.string.onboarding_person_name
        UiText.ONBOARDING_START -> R.string.onboarding_start
        UiText.ONBOARDING_LINKED -> R.string.onboarding_linked
        UiText.ONBOARDING_ALL_SET -> R.string.onboarding_all_set
        UiText.DEVICES_TITLE -> R.string.devices_title
        UiText.DEVICES_THIS -> R.string.devices_this
        UiText.DEVICES_ONLINE -> R.string.devices_online
        UiText.DEVICES_UNLINK -> R.string.devices_unlink
        UiText.DEVICES_LINK -> R.string.devices_link
        UiText.DEVICES_UNLINK_TITLE -> R.string.devices_unlink_title
        UiText.DEVICES_UNLINK_BODY -> R.string.devices_unlink_body
        UiText.DEVICES_CANCEL -> R.string.devices_cancel
        UiText.SCAN_PASTE -> R.string.scan_paste
        UiText.SCAN_CONNECTING -> R.string.scan_connecting
        UiText.SCAN_USE -> R.string.scan_use
        UiText.SCAN_NO_CAMERA -> R.string.scan_no_camera
    }
}
