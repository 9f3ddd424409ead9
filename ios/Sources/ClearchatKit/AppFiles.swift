// Where the app keeps its files: one directory in Application Support holding the core's data dir (the store:
// the device key, every log) and the startup record. The directory is excluded from backups, since a restored
// backup or a migrated phone must never carry this device's key (two phones would then be one device), and on
// iOS its files are protected `completeUntilFirstUserAuthentication`: readable by the background refresh while
// the phone is locked, never before its first unlock after a restart. Files created later inside (SQLite's WAL
// and shared-memory files) inherit the directory's protection class; `prepare` also sets it on those that exist.
import Foundation

public struct AppFiles: Sendable {
    /// The app's own directory, `<Application Support>/Clearchat`.
    public let root: URL
    /// The core's data dir (`Clearchat.open(dataDir:)`).
    public let store: URL
    /// What the app remembers about the device (`StartupRecordFile`).
    public let startupRecord: URL

    public init(root: URL) {
        self.root = root
        store = root.appendingPathComponent("store", isDirectory: true)
        startupRecord = root.appendingPathComponent("startup.json")
    }

    /// The app's files under this user's Application Support directory.
    public static func applicationSupport() throws -> AppFiles {
        let base = try FileManager.default.url(
            for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
        return AppFiles(root: base.appendingPathComponent("Clearchat", isDirectory: true))
    }

    /// Creates the directories if needed and (again, on every launch) marks them: excluded from backups, and
    /// on iOS protected until the first unlock. Returns the files.
    @discardableResult
    public func prepare() throws -> AppFiles {
        let files = FileManager.default
        try files.createDirectory(at: store, withIntermediateDirectories: true, attributes: Self.protection)
        for directory in [root, store] {
            try Self.excludeFromBackup(directory)
        }
        #if os(iOS)
            try files.setAttributes(Self.protection, ofItemAtPath: root.path)
            for path in [store.path] + ((try? files.contentsOfDirectory(atPath: store.path)) ?? [])
                .map({ store.appendingPathComponent($0).path })
            {
                try files.setAttributes(Self.protection, ofItemAtPath: path)
            }
        #endif
        return self
    }

    /// Whether backups leave `url` out (nil where the platform has no such mark, as on Linux).
    public static func isExcludedFromBackup(_ url: URL) -> Bool? {
        #if canImport(Darwin)
            return try? url.resourceValues(forKeys: [.isExcludedFromBackupKey]).isExcludedFromBackup
        #else
            return nil
        #endif
    }

    private static func excludeFromBackup(_ url: URL) throws {
        #if canImport(Darwin)
            var values = URLResourceValues()
            values.isExcludedFromBackup = true
            var url = url
            try url.setResourceValues(values)
        #endif
    }

    private static var protection: [FileAttributeKey: Any]? {
        #if os(iOS)
            return [.protectionKey: FileProtectionType.completeUntilFirstUserAuthentication]
        #else
            return nil
        #endif
    }
}
