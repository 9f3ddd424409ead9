// Invites as the screens get them (the QR grid is a real QR code, drawn the right way round), and codes that
// cannot work surfacing as the core's typed errors, with their reasons.
import ClearchatFFI
import XCTest
@testable import ClearchatKit

/// What is wrong with `grid` as a QR code (nothing, for a real one): the structure every QR code has, which a
/// grid drawn transposed or mirrored lacks. The three finder patterns with their separators, the timing
/// patterns, the always-dark module, and the two copies of the format information, equal and a BCH codeword.
func qrProblems(_ grid: QrGrid) -> [String] {
    let w = grid.width
    guard w >= 21, (w - 17) % 4 == 0 else { return ["width \(w) is no QR version"] }
    var problems: [String] = []
    for (cx, cy) in [(0, 0), (w - 7, 0), (0, w - 7)] {
        for dy in -1...7 {
            for dx in -1...7 {
                let (x, y) = (cx + dx, cy + dy)
                guard (0..<w).contains(x), (0..<w).contains(y) else { continue }
                let ring = max(abs(dx - 3), abs(dy - 3))
                if grid[x, y] != (ring != 2 && ring <= 3) { problems.append("finder at (\(cx), \(cy)): (\(x), \(y))") }
            }
        }
    }
    for i in 8..<(w - 8) {
        if grid[i, 6] != (i % 2 == 0) { problems.append("timing row at x \(i)") }
        if grid[6, i] != (i % 2 == 0) { problems.append("timing column at y \(i)") }
    }
    if !grid[8, w - 8] { problems.append("the dark module at (8, \(w - 8)) is light") }
    // Format bits 0...14: the first copy around the top-left finder, the second split between the other two.
    let first: [(Int, Int)] = (0...5).map { (8, $0) } + [(8, 7), (8, 8), (7, 8)] + (9...14).map { (14 - $0, 8) }
    let second: [(Int, Int)] = (0...7).map { (w - 1 - $0, 8) } + (8...14).map { (8, w - 15 + $0) }
    let read = { (at: [(Int, Int)]) in
        at.enumerated().reduce(0) { bits, bit in bits | (grid[bit.element.0, bit.element.1] ? 1 << bit.offset : 0) }
    }
    if read(first) != read(second) { problems.append("the two copies of the format information differ") }
    let bits = read(first) ^ 0x5412
    var remainder = bits >> 10
    for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
    if (bits >> 10) << 10 | remainder != bits { problems.append("the format information is no BCH codeword") }
    return problems
}

final class InviteTests: CoreTestCase, @unchecked Sendable {
    @MainActor func testInvitesAreQrCodesTheRightWayRound() async throws {
        let amy = try await h.open("amy", person: "Amy", start: false)
        let buddy = InviteCode(try await amy.createBuddyInvite(label: "for Betty"))
        let link = InviteCode(try await amy.createLinkInvite())
        for code in [buddy, link] {
            XCTAssertTrue(code.uri.hasPrefix("CLEARCHAT:"), code.uri)
            XCTAssertEqual(code.uri, code.uri.uppercased(), "QR alphanumeric mode")
            XCTAssertEqual(qrProblems(code.qr), [])
            XCTAssertGreaterThan(code.expiresAt, Date())
            XCTAssertTrue(code.shareText.hasSuffix("\n" + code.text))
            XCTAssertTrue(code.shareText.hasPrefix("Add me on Clearchat: "))
        }
        XCTAssertEqual(buddy.purpose, .buddy)
        XCTAssertEqual(link.purpose, .link)
        // The check can fail: the same modules read column by column, or mirrored, are no QR code.
        let w = buddy.qr.width
        let transposed = try XCTUnwrap(QrGrid(width: w, modules: (0..<w * w).map { buddy.qr[$0 / w, $0 % w] }))
        let mirrored = try XCTUnwrap(QrGrid(width: w, modules: (0..<w * w).map { buddy.qr[w - 1 - $0 % w, $0 / w] }))
        XCTAssertNotEqual(qrProblems(transposed), [])
        XCTAssertNotEqual(qrProblems(mirrored), [])
    }

    @MainActor func testMangledCodesAreInvalidCodeWithTheirReason() async throws {
        let amy = try await h.open("amy", person: "Amy", start: false)
        let betty = try await h.open("betty", person: "Betty", start: false)
        let code = try await amy.createBuddyInvite(label: "typo").code
        for bad in [typo(in: code), typo(in: code, at: code.count / 2), String(code.prefix(20)), "hello there!",
                    "ABCD-EFGH"] {
            let error = await failure(of: "redeeming \(bad)") { try await betty.redeem(bad) }
            guard case .core(.InvalidCode(let reason, let description)) = error else {
                XCTFail("\(bad): \(String(describing: error))")
                continue
            }
            XCTAssertFalse(reason.isEmpty, bad)
            XCTAssertTrue(description.contains(reason), description)
        }
        let buddies = try await betty.buddies()
        XCTAssertEqual(buddies, [])
    }

    @MainActor func testAnExpiredCodeIsInviteExpired() async throws {
        let amy = try await h.open("amy", person: "Amy")
        let betty = try await h.open("betty", person: "Betty")
        let expired = try await amy.createInvite(.buddy, label: "late", ttlSecs: 0)
        let error = await failure(of: "redeeming an expired code") { try await betty.redeem(expired.code) }
        guard case .core(.InviteExpired(let description)) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertFalse(description.isEmpty)
        let buddies = try await betty.buddies()
        XCTAssertEqual(buddies, [])
    }

    @MainActor func testAUsedCodeIsInviteAlreadyUsed() async throws {
        let amy = try await h.open("amy", person: "Amy")
        let betty = try await h.open("betty", person: "Betty")
        let carol = try await h.open("carol", person: "Carol")
        let code = try await amy.createBuddyInvite(label: "for Betty").code
        guard case .buddy(_, "Amy") = try await betty.redeem(code) else { return XCTFail("Betty did not add Amy") }
        let error = await failure(of: "redeeming a used code") { try await carol.redeem(code) }
        guard case .core(.InviteAlreadyUsed(let description)) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertFalse(description.isEmpty)
        let buddies = try await carol.buddies()
        XCTAssertEqual(buddies, [])
    }

    @MainActor func testMyOwnCodeIsOwnInvite() async throws {
        let amy = try await h.open("amy", person: "Amy")
        let code = try await amy.createBuddyInvite(label: "mine").code
        let error = await failure(of: "redeeming my own code") { try await amy.redeem(code) }
        guard case .core(.OwnInvite) = error else { return XCTFail("\(String(describing: error))") }
    }
}
