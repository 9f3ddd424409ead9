// The words the shared screens show, by key. English is here for the desktop renders; on Android the same keys are
// string resources (android/app/src/main/res/values/strings.xml, checked against this list by StringsTest), so
// translations live where Android expects them.
package chat.clearchat.app.ui

import androidx.compose.runtime.Composable
import androidx.compose.runtime.staticCompositionLocalOf

/** A text of the UI: [resName] is its Android string resource, [english] its text (Java format placeholders). */
enum class UiText(val resName: String, val english: String) {
    BUDDIES_TITLE("buddies_title", "Buddies"),
    BUDDIES_EMPTY("buddies_empty", "No buddies yet. Add one with a code."),
    BUDDIES_LAST_FROM_ME("buddies_last_from_me", "You: %1\$s"),
    BUDDIES_SAY_HELLO("buddies_say_hello", "Say hello"),
    BUDDIES_ADD("buddies_add", "Add a buddy"),
    BUDDY_ONLINE("buddy_online", "online"),
    BUDDY_AWAY("buddy_away", "away"),
    BUDDY_UNREAD("buddy_unread", "%1\$d unread"),
    CONVERSATION_PLACEHOLDER("conversation_placeholder", "Message"),
    CONVERSATION_SEND("conversation_send", "Send"),
    STATE_PENDING("state_pending", "Sending"),
    STATE_SENT("state_sent", "Sent"),
    STATE_DELIVERED("state_delivered", "Delivered"),
    STATE_READ("state_read", "Read"),
    ADD_TITLE("add_title", "Add a buddy"),
    ADD_HINT("add_hint", "Let your buddy scan this code, or send them the text code."),
    LINK_TITLE("link_title", "Link a device"),
    LINK_HINT("link_hint", "On your other device, choose \"Link to my laptop\" and scan this code."),
    ADD_MAKING("add_making", "Making a code…"),
    ADD_SHARE("add_share", "Share code"),
    ADD_SCAN_THEIRS("add_scan_theirs", "Scan theirs"),
    ADD_NEW_CODE("add_new_code", "Make a new code"),
    ADD_JOINED_BUDDY("add_joined_buddy", "%1\$s is now your buddy."),
    ADD_JOINED_DEVICE("add_joined_device", "%1\$s is now linked."),
    QR_DESCRIPTION("qr_description", "QR code to scan with Clearchat"),
    SHARE_TEXT("share_text", "Add me on Clearchat: open Clearchat, choose \"Add a buddy\" and paste this code:\n%1\$s"),
    CONFIRM_TITLE("confirm_title", "Use this code?"),
    CONFIRM_BODY(
        "confirm_body",
        "A link opened Clearchat with a code. Using it adds its author as your buddy, or links this device to " +
            "them. Only go on if it comes from someone you know.",
    ),
    CONFIRM_USE("confirm_use", "Use this code"),
    CONFIRM_CANCEL("confirm_cancel", "Cancel"),
    STARTUP_OPENING("startup_opening", "Opening Clearchat…"),
    STARTUP_FAILED_TITLE("startup_failed_title", "Clearchat couldn't open"),
    STARTUP_RETRY("startup_retry", "Try again"),
}

/** Looks up a [UiText]; [args] fill its placeholders. */
fun interface Strings {
    fun get(text: UiText, vararg args: Any): String
}

/** The English texts above: the desktop renders and the tests. */
val EnglishStrings = Strings { text, args -> if (args.isEmpty()) text.english else String.format(text.english, *args) }

/** The [Strings] the screens use; the Android app provides its resources. */
val LocalStrings = staticCompositionLocalOf { EnglishStrings }

@Composable
fun text(text: UiText, vararg args: Any): String = LocalStrings.current.get(text, *args)
