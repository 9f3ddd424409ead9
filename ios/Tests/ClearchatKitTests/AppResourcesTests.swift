// The app's resources, checked where the app itself cannot be built: the String Catalog holds exactly the kit's
// texts with their English, the words are the Android app's wherever the two apps share a key, and Info.plist and
// the entitlements carry what the code relies on (URL schemes, the refresh task, background fetch, usage texts,
// the file protection class).
//
// After adding a UiText, rewrite the catalog's English (other languages are kept):
//   CLEARCHAT_WRITE_CATALOG=1 scripts/swift-test.sh --filter AppResourcesTests
import Foundation
import XCTest
@testable import ClearchatKit

final class AppResourcesTests: XCTestCase {
    private let app = repositoryRoot.appendingPathComponent("ios/App")
    private var catalogURL: URL { app.appendingPathComponent("Resources/Localizable.xcstrings") }

    func testTheStringCatalogHoldsEveryTextWithItsEnglish() throws {
        if ProcessInfo.processInfo.environment["CLEARCHAT_WRITE_CATALOG"] == "1" { try writeCatalog() }
        let catalog = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: catalogURL)) as? [String: Any])
        XCTAssertEqual(catalog["sourceLanguage"] as? String, "en")
        let strings = try XCTUnwrap(catalog["strings"] as? [String: Any])
        XCTAssertEqual(Set(strings.keys), Set(UiText.allCases.map(\.rawValue)), "the catalog's keys are UiText's")
        for text in UiText.allCases {
            let entry = strings[text.rawValue] as? [String: Any]
            let en = (entry?["localizations"] as? [String: Any])?["en"] as? [String: Any]
            let value = (en?["stringUnit"] as? [String: Any])?["value"] as? String
            XCTAssertEqual(value, text.english, text.rawValue)
        }
    }

    /// Every text whose key the Android app has too says the same there (android/app's strings.xml, whose
    /// shared part is the Kotlin layer's Texts.kt).
    func testTheWordsAreTheAndroidApps() throws {
        let xml = try String(
            contentsOf: repositoryRoot.appendingPathComponent("android/app/src/main/res/values/strings.xml"),
            encoding: .utf8)
        let android = Self.androidStrings(xml)
        XCTAssertGreaterThan(android.count, 90)
        let shared = UiText.allCases.filter { android[$0.rawValue] != nil }
        XCTAssertGreaterThanOrEqual(shared.count, 90, "the iOS app's words are mostly the Android app's")
        for text in shared {
            XCTAssertEqual(text.english, android[text.rawValue], text.rawValue)
        }
        // The few that only iOS says: its own screens' details.
        XCTAssertEqual(
            Set(UiText.allCases.filter { android[$0.rawValue] == nil }.map(\.rawValue)),
            ["scan_unsupported", "scan_open_settings", "conversation_discard", "conversation_loading_older"])
    }

    func testTextsFillTheirPlaceholders() {
        XCTAssertEqual(UiText.buddyUnread.say(3), "3 unread")
        XCTAssertEqual(UiText.devicesUnlinkTitle.say("Amy's phone"), "Unlink Amy's phone?")
        XCTAssertEqual(UiText.shareText.say("ABCD"), "Add me on Clearchat: open Clearchat, choose \"Add a buddy\" and paste this code:\nABCD")
        XCTAssertEqual(UiStrings.fill("%2$@ before %1$@, 100%% sure", with: ["b", "a"]), "a before b, 100% sure")
        XCTAssertEqual(UiStrings.fill("%1$@ and %2$@", with: ["only one"]), "only one and %2$@", "a missing argument stays")
        XCTAssertEqual(UiStrings.fill("%1$lld%", with: ["5"]), "5%")
    }

    func testInfoPlistCarriesWhatTheCodeReliesOn() throws {
        let plist = try Self.plist(app.appendingPathComponent("Support/Info.plist"))
        let types = try XCTUnwrap(plist["CFBundleURLTypes"] as? [[String: Any]])
        let schemes = types.flatMap { $0["CFBundleURLSchemes"] as? [String] ?? [] }
        XCTAssertEqual(Set(schemes), Set(DeepLink.schemes), "clearchat: and CLEARCHAT: open the app")
        XCTAssertEqual(plist["BGTaskSchedulerPermittedIdentifiers"] as? [String], [BackgroundRefresh.identifier])
        XCTAssertEqual(plist["UIBackgroundModes"] as? [String], ["fetch"], "app refresh tasks need background fetch")
        for key in ["NSCameraUsageDescription", "NSLocalNetworkUsageDescription"] {
            XCTAssertGreaterThan((plist[key] as? String)?.count ?? 0, 20, key)
        }
        XCTAssertNil(plist["NSBonjourServices"], "no Bonjour yet: see ios/README.md")
    }

    func testEntitlementsProtectFilesUntilTheFirstUnlock() throws {
        let entitlements = try Self.plist(app.appendingPathComponent("Support/Clearchat.entitlements"))
        XCTAssertEqual(
            entitlements["com.apple.developer.default-data-protection"] as? String,
            "NSFileProtectionCompleteUntilFirstUserAuthentication")
        XCTAssertNil(entitlements["com.apple.developer.networking.multicast"], "granted by Apple on request only")
    }

    /// project.yml pins XcodeGen and names the files above; the files it names exist.
    func testTheProjectSpecNamesTheseFiles() throws {
        let spec = try String(contentsOf: app.appendingPathComponent("project.yml"), encoding: .utf8)
        XCTAssertTrue(spec.contains("minimumXcodeGenVersion: 2.45.4"))
        XCTAssertTrue(spec.contains("iOS: \"17.0\""))
        for path in ["Support/Info.plist", "Support/Clearchat.entitlements", "Sources", "Resources", "Tests", ".."] {
            XCTAssertTrue(spec.contains(path), path)
            XCTAssertTrue(FileManager.default.fileExists(atPath: app.appendingPathComponent(path).path), path)
        }
    }

    // MARK: - helpers

    private static func plist(_ url: URL) throws -> [String: Any] {
        let object = try PropertyListSerialization.propertyList(from: Data(contentsOf: url), format: nil)
        return try XCTUnwrap(object as? [String: Any])
    }

    /// name -> text of an Android strings.xml, unescaped, with Java's `%1$s` / `%1$d` as the catalog's `%1$@` /
    /// `%1$lld`.
    static func androidStrings(_ xml: String) -> [String: String] {
        let pattern = try! NSRegularExpression(pattern: #"<string name="([^"]+)">(.*?)</string>"#, options: [.dotMatchesLineSeparators])
        var out: [String: String] = [:]
        let ns = xml as NSString
        for match in pattern.matches(in: xml, range: NSRange(location: 0, length: ns.length)) {
            var text = ns.substring(with: match.range(at: 2))
            for (from, to) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&apos;", "'"), ("&amp;", "&"),
                               ("\\'", "'"), ("\\\"", "\""), ("\\n", "\n")] {
                text = text.replacingOccurrences(of: from, with: to)
            }
            text = text.replacingOccurrences(of: #"%(\d)\$s"#, with: "%$1\\$@", options: .regularExpression)
            text = text.replacingOccurrences(of: #"%(\d)\$d"#, with: "%$1\\$lld", options: .regularExpression)
            out[ns.substring(with: match.range(at: 1))] = text
        }
        return out
    }

    /// Writes the catalog: every UiText with its English, the other languages of an existing catalog kept.
    private func writeCatalog() throws {
        let existing = (try? JSONSerialization.jsonObject(with: Data(contentsOf: catalogURL))) as? [String: Any]
        let old = existing?["strings"] as? [String: Any] ?? [:]
        var strings: [String: Any] = [:]
        for text in UiText.allCases {
            var localizations = ((old[text.rawValue] as? [String: Any])?["localizations"] as? [String: Any]) ?? [:]
            localizations["en"] = ["stringUnit": ["state": "translated", "value": text.english]]
            strings[text.rawValue] = ["extractionState": "manual", "localizations": localizations]
        }
        let catalog: [String: Any] = ["sourceLanguage": "en", "strings": strings, "version": "1.0"]
        let data = try JSONSerialization.data(withJSONObject: catalog, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try (data + Data("\n".utf8)).write(to: catalogURL)
    }
}
