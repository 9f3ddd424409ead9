// The one long-lived client of a data dir, as the models use it: every call async with a typed `CoreError`,
// the event subscription as a `CoreStream`. This file is the only one that calls the generated client, so a
// change of the bindings' signatures lands here.
import ClearchatFFI

public final class Clearchat: Sendable {
    /// The generated client, for what this type does not cover.
    public let client: ClearchatClient

    public init(_ client: ClearchatClient) {
        self.client = client
    }

    /// Opens (or creates) the device in `dataDir`; listens on all interfaces and uses LAN discovery.
    public static func open(dataDir: String, deviceName: String) throws(CoreError) -> Clearchat {
        Clearchat(try typed { try ClearchatClient.open(dataDir: dataDir, deviceName: deviceName) })
    }

    /// Opens a device that listens on loopback only, without LAN discovery (tests, demos).
    public static func openLoopback(dataDir: String, deviceName: String) throws(CoreError) -> Clearchat {
        Clearchat(try typed { try ClearchatClient.openLoopback(dataDir: dataDir, deviceName: deviceName) })
    }

    /// Opens (or creates) the device in `dataDir` with its key sealed by the phone's keystore: `secretStore`
    /// implements the generated `SecretStore` protocol (seal, unseal; throwing `SecretStoreError.Locked` before
    /// the first unlock after a restart, `.Failed(reason:)` otherwise, and anything else it throws counts as
    /// `.Failed`). A store copied from another phone fails with `.core(.DeviceKeyUnavailable)` and is left as it
    /// is; a store that kept its key in the clear is moved into the keystore. Listens on all interfaces.
    public static func open(dataDir: String, deviceName: String, secretStore: SecretStore) throws(CoreError)
        -> Clearchat
    {
        Clearchat(try typed {
            try ClearchatClient.openWithSecretStore(dataDir: dataDir, deviceName: deviceName, secretStore: secretStore)
        })
    }

    /// `open(dataDir:deviceName:secretStore:)` on loopback only, without LAN discovery (tests).
    public static func openLoopback(dataDir: String, deviceName: String, secretStore: SecretStore)
        throws(CoreError) -> Clearchat
    {
        Clearchat(try typed {
            try ClearchatClient.openLoopbackWithSecretStore(
                dataDir: dataDir, deviceName: deviceName, secretStore: secretStore)
        })
    }

    /// The version of the Rust core in the loaded library.
    public static var coreVersion: String { ClearchatFFI.coreVersion() }

    public func start() async throws(CoreError) { try await typed { try await client.start() } }
    public func stop() async throws(CoreError) { try await typed { try await client.stop() } }
    public func me() throws(CoreError) -> Me { try typed { try client.me() } }

    public func setPersonName(_ name: String) async throws(CoreError) {
        try await typed { try await client.setPersonName(name: name) }
    }

    public func createLinkInvite() async throws(CoreError) -> Invite {
        try await typed { try await client.createLinkInvite() }
    }

    public func createBuddyInvite(label: String) async throws(CoreError) -> Invite {
        try await typed { try await client.createBuddyInvite(label: label) }
    }

    public func redeem(_ code: String) async throws(CoreError) -> Redeemed {
        try await typed { try await client.redeem(code: code) }
    }

    public func buddies() async throws(CoreError) -> [Buddy] {
        try await typed { try await client.buddies() }
    }

    /// Up to `limit` messages with `buddy` before the message `before` (the newest when nil), oldest first.
    public func conversation(with buddy: String, before: String? = nil, limit: UInt32) async throws(CoreError)
        -> [Message]
    {
        try await typed { try await client.conversation(buddy: buddy, before: before, limit: limit) }
    }

    public func send(_ text: String, to buddy: String) async throws(CoreError) -> Message {
        try await typed { try await client.send(buddy: buddy, text: text) }
    }

    /// Marks the conversation with `buddy` read up to `upTo` (everything when nil).
    public func markRead(_ buddy: String, upTo: String? = nil) async throws(CoreError) {
        try await typed { try await client.markRead(buddy: buddy, upTo: upTo) }
    }

    public func devices() async throws(CoreError) -> [Device] {
        try await typed { try await client.devices() }
    }

    public func removeBuddy(_ buddy: String) async throws(CoreError) {
        try await typed { try await client.removeBuddy(buddy: buddy) }
    }

    public func revokeDevice(_ device: String) async throws(CoreError) {
        try await typed { try await client.revokeDevice(device: device) }
    }

    /// Every event from now on, in order, for as long as the stream is iterated or held.
    public func events() -> CoreStream<Event> {
        CoreStream { client.subscribe(listener: $0) }
    }

    /// The buddy list's batches of diffs, the first a reset with the items (see `ListDiff`).
    public func buddyList() -> CoreStream<[ListDiff<Buddy>]> {
        let view = client.buddyList()
        return CoreStream(list: { view.subscribe(listener: $0) })
    }

    /// A window of the conversation with `buddy`, starting with its newest `initial` messages.
    public func timeline(_ buddy: String, initial: UInt32) throws(CoreError) -> Timeline {
        Timeline(try typed { try client.timeline(buddy: buddy, initial: initial) })
    }

    /// My devices' batches of diffs, the first a reset with the items.
    public func deviceList() -> CoreStream<[ListDiff<Device>]> {
        let view = client.deviceList()
        return CoreStream(list: { view.subscribe(listener: $0) })
    }

    /// Whether the app is in the foreground: only then does the core mark read what is on screen.
    public func setForeground(_ on: Bool) { client.setForeground(foreground: on) }

    /// The conversation on screen (nil: none): the core marks read what its window shows and notifies none of it.
    public func setVisibleConversation(_ buddy: String?) throws(CoreError) {
        try typed { try client.setVisibleConversation(buddy: buddy) }
    }

    /// The core's notification decisions from now on.
    public func notifications() -> CoreStream<NotificationEvent> {
        CoreStream(list: { client.notifications(listener: $0) })
    }
}

/// One conversation's window in the core: its batches of diffs, and paging back.
public final class Timeline: Sendable {
    let view: TimelineView

    init(_ view: TimelineView) {
        self.view = view
    }

    /// The window's batches of diffs, the first a reset with the messages it holds.
    public func diffs() -> CoreStream<[ListDiff<Message>]> {
        CoreStream(list: { view.subscribe(listener: $0) })
    }

    /// The messages in the window now, oldest first.
    public func items() async throws(CoreError) -> [Message] {
        try await typed { try await view.items() }
    }

    /// Adds up to `n` older messages at the front of the window; whether still older ones exist.
    public func paginateBackwards(_ n: UInt32) async throws(CoreError) -> Bool {
        try await typed { try await view.paginateBackwards(n: n) }
    }
}
