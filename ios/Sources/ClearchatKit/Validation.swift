// Input validation shared by the screens: the core's rules, checked while typing, in the Kotlin layer's words.
import Foundation

public enum Validation {
    public static let maxNameBytes = 64
    public static let maxMessageBytes = 16 * 1024

    /// A device or person name: nil when fine, else what to fix.
    public static func name(_ input: String) -> String? {
        let name = input.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty { return "Enter a name." }
        if name.utf8.count > maxNameBytes {
            return "That name is too long. Keep it under \(maxNameBytes) letters."
        }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "A name can't contain special control characters."
        }
        return nil
    }

    /// A message draft: nil when it can be sent, else why not.
    public static func message(_ input: String) -> String? {
        if input.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return "Write something first." }
        if input.utf8.count > maxMessageBytes { return "This message is too long. Split it into shorter ones." }
        return nil
    }

    /// A pasted code: nil when worth trying, else why not (the core does the real check).
    public static func code(_ input: String) -> String? {
        input.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? "Paste or scan a code first." : nil
    }
}
