// The background refresh the app asks iOS for (a BGAppRefreshTask): its identifier, which Info.plist's
// BGTaskSchedulerPermittedIdentifiers must list (a test checks it does), and how soon to ask for the next one.
import Foundation

public enum BackgroundRefresh {
    public static let identifier = "chat.clearchat.ios.refresh"
    /// The earliest begin date of the next refresh, from leaving the screen or the end of the last refresh. iOS
    /// decides when it really runs (from how the person uses the app); asking sooner than this gains nothing.
    public static let interval: TimeInterval = 15 * 60
}
