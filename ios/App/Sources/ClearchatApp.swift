// The app: one scene, its phase told to the app model (which starts and stops the client through the kit's
// ConnectionOrchestrator), `clearchat:` / `CLEARCHAT:` links opened through AppNavigation (which asks before
// redeeming), and the background refresh (BGAppRefreshTask) that catches up while the app is not on screen.
import ClearchatKit
import SwiftUI

@main
struct ClearchatApp: App {
    @State private var app = AppModel()
    @Environment(\.scenePhase) private var scenePhase

    var body: some Scene {
        let model = app // the model itself into the background task's Sendable action, not this struct
        WindowGroup {
            RootView(app: model)
                .onOpenURL { url in model.navigation.open(url: url) }
        }
        .onChange(of: scenePhase, initial: true) { model.scenePhaseChanged(scenePhase) }
        // Registered with BGTaskScheduler by SwiftUI; scheduled by AppModel (BGAppRefreshTaskRequest). When the
        // task runs out of time, SwiftUI cancels this action's task, and the orchestrator stops the client.
        .backgroundTask(.appRefresh(BackgroundRefresh.identifier)) {
            await model.catchUp()
        }
    }
}
