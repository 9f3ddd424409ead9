// My devices (this one first), online marks, and unlinking a lost one after a confirmation. The core's device
// list is copied from its batches of diffs; the rows are that copy without unlinked devices. Nothing is reloaded.
import ClearchatFFI
import Foundation
import Observation

public struct DeviceRow: Equatable, Identifiable, Sendable {
    public let id: String
    public let name: String
    public let thisDevice: Bool
    public let online: Bool
}

@MainActor @Observable
public final class DevicesModel {
    public private(set) var loading = true
    public private(set) var devices: [DeviceRow] = []
    /// The device the person asked to unlink; the screen asks "Unlink <name>?" while it is set.
    public private(set) var pendingUnlink: DeviceRow?
    public private(set) var error: String?

    private let chat: Clearchat

    public init(_ chat: Clearchat) {
        self.chat = chat
    }

    /// The core's list as its diffs left it (unlinked devices included).
    private var listed: [Device] = []

    /// Follows the core's device list until cancelled (run it from the view's `.task`).
    public func run() async {
        for await batch in chat.deviceList() {
            listed.apply(batch)
            devices = Self.rows(listed)
            loading = false
        }
    }

    /// What the screen lists: my devices not unlinked, this one first, then by name.
    static func rows(_ listed: [Device]) -> [DeviceRow] {
        listed
            .filter { !$0.revoked }
            .map { DeviceRow(id: $0.id, name: $0.name, thisDevice: $0.me, online: $0.online || $0.me) }
            .sorted { a, b in
                a.thisDevice != b.thisDevice ? a.thisDevice : a.name.lowercased() < b.name.lowercased()
            }
    }

    /// Asks before unlinking another of my devices (this one cannot be unlinked from here).
    public func askUnlink(_ deviceId: String) {
        pendingUnlink = devices.first { $0.id == deviceId && !$0.thisDevice }
    }

    public func cancelUnlink() {
        pendingUnlink = nil
    }

    /// Unlinks the device asked about: it gets nothing new from then on.
    public func unlink() async {
        guard let row = pendingUnlink else { return }
        await unlink(row)
    }

    /// Unlinks `device`, which the person confirmed (a confirmation dialog that captured the device it asked
    /// about, whatever became of `pendingUnlink` while it closed). This device cannot be unlinked from here.
    public func unlink(_ device: DeviceRow) async {
        pendingUnlink = nil
        guard !device.thisDevice else { return }
        do {
            try await chat.revokeDevice(device.id)
            error = nil
        } catch {
            self.error = Messages.explain(error)
        }
    }
}
