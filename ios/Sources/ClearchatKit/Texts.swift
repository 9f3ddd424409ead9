// Every word the app shows, by key: English here (Linux tests, and the fallback), the translations in the app's
// String Catalog (ios/App/Resources/Localizable.xcstrings, kept equal to this list by a test). The keys and the
// English are the Kotlin layer's (android/kotlin's Texts.kt and android/app's strings.xml) wherever both apps say
// the same thing. The app installs its bundle's lookup as `UiStrings.current` once at start.
import Foundation

/// A text of the UI: the raw value is its key in the String Catalog; `english` its text, with `%1$@` (a string)
/// and `%1$lld` (a number) placeholders as Xcode's String Catalog writes them.
public enum UiText: String, CaseIterable, Sendable {
    // The shared screens (the Kotlin layer's UiText)
    case buddiesTitle = "buddies_title"
    case buddiesEmpty = "buddies_empty"
    case buddiesLastFromMe = "buddies_last_from_me"
    case buddiesSayHello = "buddies_say_hello"
    case buddiesAdd = "buddies_add"
    case buddyOnline = "buddy_online"
    case buddyAway = "buddy_away"
    case buddyUnread = "buddy_unread"
    case conversationPlaceholder = "conversation_placeholder"
    case conversationSend = "conversation_send"
    case statePending = "state_pending"
    case stateSent = "state_sent"
    case stateDelivered = "state_delivered"
    case stateRead = "state_read"
    case addTitle = "add_title"
    case addHint = "add_hint"
    case linkTitle = "link_title"
    case linkHint = "link_hint"
    case addMaking = "add_making"
    case addShare = "add_share"
    case addScanTheirs = "add_scan_theirs"
    case addNewCode = "add_new_code"
    case addJoinedBuddy = "add_joined_buddy"
    case addJoinedDevice = "add_joined_device"
    case qrDescription = "qr_description"
    case shareText = "share_text"
    case confirmTitle = "confirm_title"
    case confirmBody = "confirm_body"
    case confirmUse = "confirm_use"
    case confirmCancel = "confirm_cancel"
    case startupOpening = "startup_opening"
    case startupFailedTitle = "startup_failed_title"
    case startupRetry = "startup_retry"
    case errInvalidCode = "err_invalid_code"
    case errExpired = "err_expired"
    case errUsed = "err_used"
    case errOwnCode = "err_own_code"
    case errAlreadyBuddies = "err_already_buddies"
    case errAlreadyBuddiesWith = "err_already_buddies_with"
    case errAlreadyLinked = "err_already_linked"
    case errNotNew = "err_not_new"
    case errUnreachable = "err_unreachable"
    case errRefused = "err_refused"
    case errUnknownBuddy = "err_unknown_buddy"
    case errUnknownDevice = "err_unknown_device"
    case errUnknownMessage = "err_unknown_message"
    case errInvalidMessage = "err_invalid_message"
    case errInvalidName = "err_invalid_name"
    case errRevoked = "err_revoked"
    case errClosed = "err_closed"
    case errStorage = "err_storage"
    case errKeyElsewhere = "err_key_elsewhere"
    case errLocked = "err_locked"
    case errNetwork = "err_network"
    case errOther = "err_other"
    case nameEmpty = "name_empty"
    case nameTooLong = "name_too_long"
    case nameControl = "name_control"
    case messageEmpty = "message_empty"
    case messageTooLong = "message_too_long"
    case codeEmpty = "code_empty"
    // The Android shell's words (android/app's strings.xml) for the same screens
    case appName = "app_name"
    case notificationMe = "notification_me"
    case navDevices = "nav_devices"
    case navBack = "nav_back"
    case devicesTitle = "devices_title"
    case devicesThis = "devices_this"
    case devicesOnline = "devices_online"
    case devicesUnlink = "devices_unlink"
    case devicesUnlinkTitle = "devices_unlink_title"
    case devicesUnlinkBody = "devices_unlink_body"
    case devicesCancel = "devices_cancel"
    case devicesLink = "devices_link"
    case onboardingWelcome = "onboarding_welcome"
    case onboardingDeviceName = "onboarding_device_name"
    case onboardingNext = "onboarding_next"
    case onboardingLink = "onboarding_link"
    case onboardingNewPerson = "onboarding_new_person"
    case onboardingScanLaptop = "onboarding_scan_laptop"
    case onboardingPersonName = "onboarding_person_name"
    case onboardingBuddyAdded = "onboarding_buddy_added"
    case onboardingStart = "onboarding_start"
    case onboardingLinked = "onboarding_linked"
    case onboardingAllSet = "onboarding_all_set"
    case scanTitleBuddy = "scan_title_buddy"
    case scanWithCamera = "scan_with_camera"
    case scanDenied = "scan_denied"
    case scanNoCamera = "scan_no_camera"
    case scanPreviewDescription = "scan_preview_description"
    case scanPaste = "scan_paste"
    case scanUse = "scan_use"
    case scanConnecting = "scan_connecting"
    case statusNoNetwork = "status_no_network"
    case statusConnecting = "status_connecting"
    case statusRetrying = "status_retrying"
    case shareChooser = "share_chooser"
    // iOS only
    case scanUnsupported = "scan_unsupported"
    case scanOpenSettings = "scan_open_settings"
    case conversationNotSent = "conversation_not_sent"
    case conversationRetry = "conversation_retry"
    case conversationDiscard = "conversation_discard"
    case conversationLoadingOlder = "conversation_loading_older"

    public var english: String {
        switch self {
        case .buddiesTitle: "Buddies"
        case .buddiesEmpty: "No buddies yet. Add one with a code."
        case .buddiesLastFromMe: "You: %1$@"
        case .buddiesSayHello: "Say hello"
        case .buddiesAdd: "Add a buddy"
        case .buddyOnline: "online"
        case .buddyAway: "away"
        case .buddyUnread: "%1$lld unread"
        case .conversationPlaceholder: "Message"
        case .conversationSend: "Send"
        case .statePending: "Sending"
        case .stateSent: "Sent"
        case .stateDelivered: "Delivered"
        case .stateRead: "Read"
        case .addTitle: "Add a buddy"
        case .addHint: "Let your buddy scan this code, or send them the text code."
        case .linkTitle: "Link a device"
        case .linkHint: "On your other device, choose \"Link to my laptop\" and scan this code."
        case .addMaking: "Making a code…"
        case .addShare: "Share code"
        case .addScanTheirs: "Scan theirs"
        case .addNewCode: "Make a new code"
        case .addJoinedBuddy: "%1$@ is now your buddy."
        case .addJoinedDevice: "%1$@ is now linked."
        case .qrDescription: "QR code to scan with Clearchat"
        case .shareText: "Add me on Clearchat: open Clearchat, choose \"Add a buddy\" and paste this code:\n%1$@"
        case .confirmTitle: "Use this code?"
        case .confirmBody:
            "A link opened Clearchat with a code. Using it adds its author as your buddy, or links this device to "
                + "them. Only go on if it comes from someone you know."
        case .confirmUse: "Use this code"
        case .confirmCancel: "Cancel"
        case .startupOpening: "Opening Clearchat…"
        case .startupFailedTitle: "Clearchat couldn't open"
        case .startupRetry: "Try again"
        case .errInvalidCode:
            "This code can't be read (%1$@). Check that you copied all of it, or scan it again."
        case .errExpired: "This code has expired. Ask for a new one."
        case .errUsed: "This code was already used. Ask for a new one."
        case .errOwnCode: "This is your own code. Show it to the other person instead."
        case .errAlreadyBuddies: "You are already buddies."
        case .errAlreadyBuddiesWith: "You and %1$@ are already buddies."
        case .errAlreadyLinked: "This device is already linked to that person."
        case .errNotNew:
            "This device already has buddies or other devices, so it can't be linked now. Only a new device can be linked."
        case .errUnreachable:
            "Couldn't reach the device that made this code. Check that it is on and online, then try again."
        case .errRefused: "The other device turned this code down. Ask for a new one."
        case .errUnknownBuddy: "This buddy is no longer in your list."
        case .errUnknownDevice: "This device is no longer in your list."
        case .errUnknownMessage: "That message is gone."
        case .errInvalidMessage: "A message can't be empty or longer than %1$lld bytes."
        case .errInvalidName: "A name has 1 to %1$lld characters."
        case .errRevoked: "This device was unlinked. Link it again to keep using it."
        case .errClosed: "Clearchat is shutting down. Open it again."
        case .errStorage: "Couldn't save on this device. Check that there is free space."
        case .errKeyElsewhere:
            "This is another phone's data: its key stays on that phone. Remove Clearchat's data here, then link this phone anew."
        case .errLocked: "Unlock your phone to open Clearchat."
        case .errNetwork: "No connection right now. Try again in a moment."
        case .errOther: "Something went wrong. Try again."
        case .nameEmpty: "Enter a name."
        case .nameTooLong: "That name is too long. Keep it under %1$lld letters."
        case .nameControl: "A name can't contain special control characters."
        case .messageEmpty: "Write something first."
        case .messageTooLong: "This message is too long. Split it into shorter ones."
        case .codeEmpty: "Paste or scan a code first."
        case .appName: "Clearchat"
        case .notificationMe: "You"
        case .navDevices: "Devices"
        case .navBack: "Back"
        case .devicesTitle: "My devices"
        case .devicesThis: " (this device)"
        case .devicesOnline: " · online"
        case .devicesUnlink: "Unlink"
        case .devicesUnlinkTitle: "Unlink %1$@?"
        case .devicesUnlinkBody: "It will no longer receive your messages."
        case .devicesCancel: "Cancel"
        case .devicesLink: "Link a device"
        case .onboardingWelcome: "Welcome to Clearchat"
        case .onboardingDeviceName: "Name of this device"
        case .onboardingNext: "Next"
        case .onboardingLink: "Link to my laptop"
        case .onboardingNewPerson: "Start as a new person"
        case .onboardingScanLaptop: "Scan the code on your laptop"
        case .onboardingPersonName: "Your name, as buddies see it"
        case .onboardingBuddyAdded: "You and %1$@ are buddies now. What is your name?"
        case .onboardingStart: "Start"
        case .onboardingLinked: "Linked to %1$@."
        case .onboardingAllSet: "All set."
        case .scanTitleBuddy: "Scan your buddy's code"
        case .scanWithCamera: "Scan with the camera"
        case .scanDenied: "Without the camera, paste the code below instead."
        case .scanNoCamera: "This device has no camera we can use: paste the code below instead."
        case .scanPreviewDescription: "Camera preview: hold a Clearchat QR code in view"
        case .scanPaste: "Or paste the code"
        case .scanUse: "Use this code"
        case .scanConnecting: "Connecting…"
        case .statusNoNetwork: "No network"
        case .statusConnecting: "Connecting…"
        case .statusRetrying: "Can't connect: %1$@"
        case .shareChooser: "Share your code"
        case .scanUnsupported: "This device can't scan codes with its camera: paste the code below instead."
        case .scanOpenSettings: "Allow the camera in Settings"
        case .conversationNotSent: "Not sent: %1$@"
        case .conversationRetry: "Send again"
        case .conversationDiscard: "Delete"
        case .conversationLoadingOlder: "Loading older messages"
        }
    }

    /// This text in the current language, its placeholders filled with `args` in order.
    public func say(_ args: CustomStringConvertible...) -> String {
        UiStrings.fill(UiStrings.current.template(for: self), with: args.map(\.description))
    }
}

/// Looks up the template of a text in some language (the app: its bundle's String Catalog).
public protocol Strings: Sendable {
    func template(for text: UiText) -> String
}

/// The English texts of `UiText`.
public struct EnglishStrings: Strings {
    public init() {}
    public func template(for text: UiText) -> String { text.english }
}

public enum UiStrings {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed: any Strings = EnglishStrings()

    /// The texts in use: the models' sentences and the screens' words. Set once at start by the app.
    public static var current: any Strings {
        get { lock.withLock { installed } }
        set { lock.withLock { installed = newValue } }
    }

    /// `template` with `%N$@` and `%N$lld` replaced by `args[N-1]`, and `%%` by `%`. Done here rather than
    /// with String(format:), whose handling of Swift strings for `%@` differs between Foundation on Apple
    /// systems and on Linux; a placeholder without an argument is left as it is.
    public static func fill(_ template: String, with args: [String]) -> String {
        var out = ""
        var rest = Substring(template)
        while let percent = rest.firstIndex(of: "%") {
            out += rest[..<percent]
            let after = rest[rest.index(after: percent)...]
            if after.hasPrefix("%") {
                out += "%"
                rest = after.dropFirst()
                continue
            }
            let digits = after.prefix { $0.isASCII && $0.isNumber }
            let spec = after.dropFirst(digits.count)
            if let n = Int(digits), n >= 1, n <= args.count, spec.first == "$",
               let kind = ["@", "lld", "d"].first(where: { spec.dropFirst().hasPrefix($0) })
            {
                out += args[n - 1]
                rest = spec.dropFirst(1 + kind.count)
                continue
            }
            out += "%"
            rest = after
        }
        return out + rest
    }
}
