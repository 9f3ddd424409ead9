// Input validation shared by the screens: the core's rules, checked while typing, in the Kotlin layer's words
// (UiText keys).
import Foundation

public enum Validation {
    public static let maxNameBytes = 64
    public static let maxMessageBytes = 16 * 1024

    /// A device or person name: nil when fine, else what to fix.
    public static func name(_ input: String) -> String? {
        let name = input.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty { return UiText.nameEmpty.say() }
        if name.utf8.count > maxNameBytes {
            return UiText.nameTooLong.say(maxNameBytes)
        }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return UiText.nameControl.say()
        }
        return nil
    }

    /// A message draft: nil when it can be sent, else why not.
    public static func message(_ input: String) -> String? {
        if input.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return UiText.messageEmpty.say() }
        if input.utf8.count > maxMessageBytes { return UiText.messageTooLong.say() }
        return nil
    }

    /// A pasted code: nil when worth trying, else why not (the core does the real check).
    public static func code(_ input: String) -> String? {
        input.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? UiText.codeEmpty.say() : nil
    }
}
