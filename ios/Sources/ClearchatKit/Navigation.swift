// Which screen is shown: the routes above the buddy list (a SwiftUI NavigationStack's path), and what the app was
// opened for. A `clearchat:` / `CLEARCHAT:` link opens the redeem screen asking first ("Use this code?": a web
// page must not add its author as my buddy without me saying so); a notification opens its conversation; either
// waits while onboarding is not finished. The Kotlin layer's Navigation and DeepLink, for the same behaviour.
import Foundation
import Observation

/// What the app was opened for.
public enum LaunchRequest: Equatable, Sendable {
    /// A `clearchat:` link from another app, a web page or the system camera: ask before redeeming.
    case redeem(code: String)
    /// A notification: show this conversation.
    case openConversation(buddyId: String)
}

/// A screen above the buddy list.
public enum Route: Hashable, Codable, Sendable {
    case conversation(buddyId: String)
    case addBuddy
    case linkDevice
    /// Scan or paste a code; `code` is prefilled when it came from a link, and `confirm` asks before using it.
    case redeem(code: String?, confirm: Bool)
    case devices
}

public enum DeepLink {
    /// The URL schemes the app registers (iOS matches schemes case-insensitively; both spellings are listed
    /// because the QR payload is uppercase).
    public static let schemes = ["clearchat", "CLEARCHAT"]

    /// The code carried by a `clearchat:` or `clearchat://` link (any case): the link itself, which the core
    /// redeems as it is; nil for anything else.
    public static func code(_ uri: String) -> String? {
        let s = uri.trimmingCharacters(in: .whitespacesAndNewlines)
        for scheme in ["clearchat://", "clearchat:"] {
            guard s.count > scheme.count, s.prefix(scheme.count).lowercased() == scheme else { continue }
            let rest = s.dropFirst(scheme.count).trimmingCharacters(in: .whitespacesAndNewlines)
            let plain = rest.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0.isWhitespace }
            return rest.isEmpty || !plain ? nil : s
        }
        return nil
    }

    public static func code(_ url: URL) -> String? {
        code(url.absoluteString)
    }
}

@MainActor @Observable
public final class AppNavigation {
    /// The screens above the buddy list, newest last: bind it to `NavigationStack(path:)`.
    public var path: [Route] = []
    /// False until onboarding finished; what the app is opened for meanwhile waits.
    public private(set) var onboarded: Bool
    private var pending: LaunchRequest?

    public init(onboarded: Bool = false) {
        self.onboarded = onboarded
    }

    /// The code of a link that waits for onboarding to finish.
    public var pendingCode: String? {
        if case .redeem(let code) = pending { code } else { nil }
    }

    public var current: Route? { path.last }

    public func push(_ route: Route) {
        path.append(route)
    }

    /// Back: false when already at the buddy list.
    @discardableResult
    public func pop() -> Bool {
        guard !path.isEmpty else { return false }
        path.removeLast()
        return true
    }

    /// Onboarding finished (or the device was onboarded before): the buddies, then what waited.
    public func onboardingDone() {
        onboarded = true
        path = []
        if let request = pending {
            pending = nil
            open(request)
        }
    }

    /// Handles a URL the app was opened with (`onOpenURL`); false when it is not a Clearchat link.
    @discardableResult
    public func open(url: URL) -> Bool {
        guard let code = DeepLink.code(url) else { return false }
        open(.redeem(code: code))
        return true
    }

    /// Shows what the app was opened for, replacing what an earlier request opened (no stacked copies).
    public func open(_ request: LaunchRequest) {
        guard onboarded else {
            pending = request
            return
        }
        switch request {
        case .redeem(let code):
            path = path.filter { if case .redeem = $0 { false } else { true } } + [.redeem(code: code, confirm: true)]
        case .openConversation(let buddyId):
            path = [.conversation(buddyId: buddyId)]
        }
    }
}
