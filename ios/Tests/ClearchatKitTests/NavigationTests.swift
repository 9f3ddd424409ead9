// `clearchat:` links and the navigation they drive: which links are Clearchat's, what opening one shows (asking
// first, never redeemed on its own), what waits for onboarding; and against the real core, that a link's code adds
// nobody until the person says yes, and that the camera's gate does not loop on a code that failed.
import ClearchatFFI
import Foundation
import XCTest
@testable import ClearchatKit

final class NavigationTests: CoreTestCase, @unchecked Sendable {
    func testDeepLinks() throws {
        XCTAssertEqual(DeepLink.code("CLEARCHAT:ABCDE234"), "CLEARCHAT:ABCDE234")
        XCTAssertEqual(DeepLink.code("  clearchat://abcde-23456 \n"), "clearchat://abcde-23456")
        XCTAssertEqual(DeepLink.code("ClearChat:ABC"), "ClearChat:ABC")
        XCTAssertEqual(DeepLink.code(try XCTUnwrap(URL(string: "CLEARCHAT:AB12-CD34"))), "CLEARCHAT:AB12-CD34")
        for bad in ["clearchat:", "clearchat://", "https://example.org/clearchat:ABC", "clearchat:ABC?x=<script>",
                    "clearchat:ABC%20DEF", "mailto:amy@example.org", ""] {
            XCTAssertNil(DeepLink.code(bad), bad)
        }
        XCTAssertEqual(Set(DeepLink.schemes.map { $0.lowercased() }), ["clearchat"])
        XCTAssertTrue(DeepLink.schemes.contains("CLEARCHAT"), "the QR payload's spelling")
    }

    @MainActor func testStackAndBack() async {
        let nav = AppNavigation(onboarded: true)
        XCTAssertNil(nav.current, "the buddy list")
        nav.push(.conversation(buddyId: "b1"))
        nav.push(.addBuddy)
        XCTAssertTrue(nav.pop())
        XCTAssertEqual(nav.current, .conversation(buddyId: "b1"))
        XCTAssertTrue(nav.pop())
        XCTAssertFalse(nav.pop())
        XCTAssertEqual(nav.path, [])
    }

    @MainActor func testALinkOpensRedeemAskingFirstWithoutStackingCopies() async throws {
        let nav = AppNavigation(onboarded: true)
        nav.push(.conversation(buddyId: "b1"))
        nav.push(.redeem(code: nil, confirm: false))
        XCTAssertTrue(nav.open(url: try XCTUnwrap(URL(string: "clearchat:AAAAA"))))
        XCTAssertEqual(nav.path, [.conversation(buddyId: "b1"), .redeem(code: "clearchat:AAAAA", confirm: true)])
        XCTAssertTrue(nav.open(url: try XCTUnwrap(URL(string: "CLEARCHAT:BBBBB"))))
        XCTAssertEqual(nav.path, [.conversation(buddyId: "b1"), .redeem(code: "CLEARCHAT:BBBBB", confirm: true)])
        XCTAssertFalse(nav.open(url: try XCTUnwrap(URL(string: "https://clearchat.example/"))))
        XCTAssertEqual(nav.path.count, 2)
        nav.open(.openConversation(buddyId: "b2"))
        XCTAssertEqual(nav.path, [.conversation(buddyId: "b2")], "a notification shows its conversation alone")
    }

    @MainActor func testWhatTheAppIsOpenedForWaitsForOnboarding() async throws {
        let nav = AppNavigation()
        XCTAssertTrue(nav.open(url: try XCTUnwrap(URL(string: "CLEARCHAT:BBBBB"))))
        XCTAssertEqual(nav.path, [])
        XCTAssertEqual(nav.pendingCode, "CLEARCHAT:BBBBB")
        nav.onboardingDone()
        XCTAssertEqual(nav.path, [.redeem(code: "CLEARCHAT:BBBBB", confirm: true)])
        XCTAssertNil(nav.pendingCode)

        let later = AppNavigation()
        later.open(.openConversation(buddyId: "b1"))
        XCTAssertNil(later.pendingCode)
        later.onboardingDone()
        XCTAssertEqual(later.path, [.conversation(buddyId: "b1")])
    }

    func testRoutesSurviveAsData() throws {
        let path: [Route] = [.conversation(buddyId: "b1"), .redeem(code: "clearchat:X", confirm: true), .devices]
        let decoded = try JSONDecoder().decode([Route].self, from: JSONEncoder().encode(path))
        XCTAssertEqual(decoded, path)
    }

    /// A web page's link carries Amy's code: Betty's app shows it and asks. Nothing is redeemed by opening it,
    /// by submitting, or by the camera seeing a code meanwhile; declining drops it; only "Use this code" adds Amy.
    @MainActor func testALinksCodeAddsNobodyUntilThePersonSaysYes() async throws {
        let amy = try await h.open("amy", person: "Amy")
        let betty = try await h.open("betty", person: "Betty")
        let atAmy = h.record(amy)
        let invite = try await amy.createBuddyInvite(label: "from a web page")
        let nav = AppNavigation(onboarded: true)
        XCTAssertTrue(nav.open(url: try XCTUnwrap(URL(string: invite.uri))))
        guard case .redeem(let code?, true) = nav.current else { return XCTFail("\(nav.path)") }

        let asked = RedeemModel(betty, code: code, confirmFirst: true)
        XCTAssertTrue(asked.confirming)
        XCTAssertFalse(asked.canSubmit)
        XCTAssertFalse(asked.scanning, "the camera is not handed codes while asking")
        await asked.submit()
        let taken = await asked.scanned(code)
        XCTAssertFalse(taken)
        XCTAssertNil(asked.result)
        asked.decline()
        XCTAssertTrue(asked.declined)
        XCTAssertEqual(asked.input, "")
        await asked.confirm()
        XCTAssertNil(asked.result, "declined: a late confirm does nothing")
        let before = try await betty.buddies()
        XCTAssertEqual(before, [])

        let yes = RedeemModel(betty, code: code, confirmFirst: true)
        await yes.confirm()
        guard case .buddy(_, "Amy") = yes.result else { return XCTFail("\(String(describing: yes.result)) \(yes.error ?? "")") }
        try await atAmy.until("Betty added at Amy's") { $0.contains { if case .buddyAdded(_, "Betty") = $0 { true } else { false } } }
    }

    /// The camera keeps seeing a used code: it is tried once, not again until something else is read or typed.
    @MainActor func testTheScannerDoesNotLoopOnACodeThatFailed() async throws {
        let amy = try await h.open("amy", person: "Amy")
        let betty = try await h.open("betty", person: "Betty")
        let expired = try await amy.createInvite(.buddy, label: "late", ttlSecs: 0).uri
        let model = RedeemModel(betty)
        let first = await model.scanned(expired)
        XCTAssertTrue(first)
        XCTAssertEqual(model.error, "This code has expired. Ask for a new one.")
        let again = await model.scanned(expired)
        XCTAssertFalse(again, "the same failed code again")
        model.input = "something else"
        XCTAssertNil(model.error, "editing clears the error")
        let afterEdit = await model.scanned(expired)
        XCTAssertTrue(afterEdit, "after an edit, tried again")

        let good = try await amy.createBuddyInvite(label: "good").uri
        let taken = await model.scanned(good)
        XCTAssertTrue(taken)
        guard case .buddy(_, "Amy") = model.result else { return XCTFail(model.error ?? "no result") }
        let afterSuccess = await model.scanned(good)
        XCTAssertFalse(afterSuccess, "done: the camera stops handing codes over")
    }
}
