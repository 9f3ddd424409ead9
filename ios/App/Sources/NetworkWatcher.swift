// The network path as the ConnectionPolicy wants it: nil when there is no usable path, else an id that changes
// when the interfaces or gateways do (Wi-Fi to cellular, another Wi-Fi), which restarts the client there.
import Network

@MainActor
final class NetworkWatcher {
    private let monitor = NWPathMonitor()

    /// Reports the current path at once, then every change, on the main actor.
    func start(_ report: @escaping @MainActor @Sendable (String?) -> Void) {
        monitor.pathUpdateHandler = { @Sendable path in
            let id = Self.id(of: path)
            Task { @MainActor in report(id) }
        }
        monitor.start(queue: DispatchQueue(label: "chat.clearchat.network"))
    }

    private nonisolated static func id(of path: NWPath) -> String? {
        guard path.status == .satisfied else { return nil }
        let interfaces = path.availableInterfaces.map { "\($0.type)/\($0.name)" }
        let gateways = path.gateways.map { "\($0)" }
        return (interfaces + gateways).joined(separator: ",")
    }
}
