// Every word the app shows, by key: English here (the desktop renders, the tests); on Android the same keys are
// string resources (android/app/src/main/res/values/strings.xml, kept equal to this list by StringsTest), so
// translations live where Android expects them. The host sets [UiStrings.current] once at start.
package chat.clearchat.app

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
    CONVERSATION_NOT_SENT("conversation_not_sent", "Not sent: %1\$s"),
    CONVERSATION_RETRY("conversation_retry", "Send again"),
    CONVERSATION_OLDER("conversation_older", "Earlier messages"),
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
    ERR_INVALID_CODE("err_invalid_code", "This code can't be read (%1\$s). Check that you copied all of it, or scan it again."),
    ERR_EXPIRED("err_expired", "This code has expired. Ask for a new one."),
    ERR_USED("err_used", "This code was already used. Ask for a new one."),
    ERR_OWN_CODE("err_own_code", "This is your own code. Show it to the other person instead."),
    ERR_ALREADY_BUDDIES("err_already_buddies", "You are already buddies."),
    ERR_ALREADY_BUDDIES_WITH("err_already_buddies_with", "You and %1\$s are already buddies."),
    ERR_ALREADY_LINKED("err_already_linked", "This device is already linked to that person."),
    ERR_NOT_NEW(
        "err_not_new",
        "This device already has buddies or other devices, so it can't be linked now. Only a new device can be linked.",
    ),
    ERR_UNREACHABLE(
        "err_unreachable",
        "Couldn't reach the device that made this code. Check that it is on and online, then try again.",
    ),
    ERR_REFUSED("err_refused", "The other device turned this code down. Ask for a new one."),
    ERR_UNKNOWN_BUDDY("err_unknown_buddy", "This buddy is no longer in your list."),
    ERR_UNKNOWN_DEVICE("err_unknown_device", "This device is no longer in your list."),
    ERR_UNKNOWN_MESSAGE("err_unknown_message", "That message is gone."),
    ERR_INVALID_MESSAGE("err_invalid_message", "A message can't be empty or longer than %1\$d bytes."),
    ERR_INVALID_NAME("err_invalid_name", "A name has 1 to %1\$d characters."),
    ERR_REVOKED("err_revoked", "This device was unlinked. Link it again to keep using it."),
    ERR_CLOSED("err_closed", "Clearchat is shutting down. Open it again."),
    ERR_STORAGE("err_storage", "Couldn't save on this device. Check that there is free space."),
    ERR_KEY_ELSEWHERE(
        "err_key_elsewhere",
        "This is another phone's data: its key stays on that phone. Remove Clearchat's data here, then link this phone anew.",
    ),
    ERR_LOCKED("err_locked", "Unlock your phone to open Clearchat."),
    ERR_NETWORK("err_network", "No connection right now. Try again in a moment."),
    ERR_OTHER("err_other", "Something went wrong. Try again."),
    NAME_EMPTY("name_empty", "Enter a name."),
    NAME_TOO_LONG("name_too_long", "That name is too long. Keep it under %1\$d letters."),
    NAME_CONTROL("name_control", "A name can't contain special control characters."),
    MESSAGE_EMPTY("message_empty", "Write something first."),
    MESSAGE_TOO_LONG("message_too_long", "This message is too long. Split it into shorter ones."),
    CODE_EMPTY("code_empty", "Paste or scan a code first."),
    ONBOARDING_WELCOME("onboarding_welcome", "Welcome to Clearchat"),
    ONBOARDING_DEVICE_NAME("onboarding_device_name", "Name of this device"),
    ONBOARDING_NEXT("onboarding_next", "Next"),
    ONBOARDING_LINK("onboarding_link", "Link to my laptop"),
    ONBOARDING_NEW_PERSON("onboarding_new_person", "Start as a new person"),
    ONBOARDING_SCAN_LAPTOP("onboarding_scan_laptop", "Scan the code on your laptop"),
    ONBOARDING_BUDDY_ADDED("onboarding_buddy_added", "You and %1\$s are buddies now. What is your name?"),
    ONBOARDING_PERSON_NAME("onboarding_person_name", "Your name, as buddies see it"),
    ONBOARDING_START("onboarding_start", "Start"),
    ONBOARDING_LINKED("onboarding_linked", "Linked to %1\$s."),
    ONBOARDING_ALL_SET("onboarding_all_set", "All set."),
    DEVICES_TITLE("devices_title", "My devices"),
    DEVICES_THIS("devices_this", " (this device)"),
    DEVICES_ONLINE("devices_online", " · online"),
    DEVICES_UNLINK("devices_unlink", "Unlink"),
    DEVICES_LINK("devices_link", "Link a device"),
    DEVICES_UNLINK_TITLE("devices_unlink_title", "Unlink %1\$s?"),
    DEVICES_UNLINK_BODY("devices_unlink_body", "It will no longer receive your messages."),
    DEVICES_CANCEL("devices_cancel", "Cancel"),
    SCAN_PASTE("scan_paste", "Or paste the code"),
    SCAN_CONNECTING("scan_connecting", "Connecting…"),
    SCAN_USE("scan_use", "Use this code"),
    SCAN_NO_CAMERA("scan_no_camera", "This device has no camera we can use: paste the code below instead."),
}

/** Looks up a [UiText]; [args] fill its placeholders. */
fun interface Strings {
    fun get(text: UiText, vararg args: Any): String
}

/** The English texts above. */
val EnglishStrings = Strings { text, args -> if (args.isEmpty()) text.english else String.format(text.english, *args) }

/** The texts in use: the view models' sentences and the screens' words (Android: its resources). */
object UiStrings {
    @Volatile
    var current: Strings = EnglishStrings
}

/** This text in the current language. */
fun UiText.say(vararg args: Any): String = UiStrings.current.get(this, *args)
