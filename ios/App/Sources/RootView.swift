// What the window shows: opening, the error with a retry, onboarding (which shows its own opening and errors
// while it creates the device), or the buddies with the screens above them.
import ClearchatFFI
import ClearchatKit
import SwiftUI

struct RootView: View {
    let app: AppModel

    var body: some View {
        Group {
            if let onboarding = app.onboarding {
                OnboardingView(model: onboarding) { app.onboardingFinished() }
            } else {
                switch app.startup.state {
                case .ready(let chat, true):
                    MainView(app: app, navigation: app.navigation, chat: chat)
                case .failed(let message):
                    StartupErrorView(message: message) { Task { await app.retry() } }
                case .notCreated, .opening, .ready:
                    OpeningView()
                }
            }
        }
        .task { await app.launch() }
    }
}

/// The buddy list and the screens above it, one model per destination.
struct MainView: View {
    let app: AppModel
    @Bindable var navigation: AppNavigation
    let chat: Clearchat

    var body: some View {
        NavigationStack(path: $navigation.path) {
            BuddiesView(chat: chat, status: app.orchestrator?.status.line) { hasBuddy in
                app.askForNotifications(hasBuddy: hasBuddy)
            }
            .navigationDestination(for: Route.self) { route in
                destination(route)
            }
        }
    }

    @ViewBuilder
    private func destination(_ route: Route) -> some View {
        switch route {
        case .conversation(let buddyId):
            ConversationView(chat: chat, buddyId: buddyId) { app.setVisibleConversation($0) }
        case .addBuddy:
            AddBuddyView(chat: chat, purpose: .buddy) { navigation.push(.redeem(code: nil, confirm: false)) }
        case .linkDevice:
            AddBuddyView(chat: chat, purpose: .link, onScanTheirs: nil)
        case .redeem(let code, let confirm):
            RedeemScreen(chat: chat, code: code, confirmFirst: confirm) { navigation.pop() }
        case .devices:
            DevicesView(chat: chat)
        }
    }
}

struct OpeningView: View {
    var body: some View {
        VStack(spacing: 16) {
            ProgressView()
            Text(UiText.startupOpening.say())
        }
        .frame(maxWidth: .infinity, maxHeight: .infinity)
    }
}

/// The device could not be opened: why, in plain words, and a retry.
struct StartupErrorView: View {
    let message: String
    let onRetry: @MainActor () -> Void

    var body: some View {
        VStack(alignment: .leading, spacing: 16) {
            Text(UiText.startupFailedTitle.say()).font(.title2.bold())
            Text(message).foregroundStyle(.red)
            Button(UiText.startupRetry.say()) { onRetry() }.buttonStyle(.borderedProminent)
        }
        .padding(24)
        .frame(maxWidth: .infinity, maxHeight: .infinity, alignment: .leading)
    }
}
