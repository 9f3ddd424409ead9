// 1,000 create/close cycles of a client (a brand-new device each time, with an event stream) leave the
// process's resident memory flat. The cycles run in a child process (LifetimeProbe) so that what the other
// tests allocated and freed cannot hide growth; Swift frees by reference counting, so there is no collector
// to settle first. /proc/self/statm is Linux's; on a Mac these tests are not compiled.
#if os(Linux)
import Foundation
import XCTest

final class LifetimeTests: XCTestCase {
    private var dirs: [URL] = []

    override func tearDown() {
        for dir in dirs {
            try? FileManager.default.removeItem(at: dir)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path), "temp dir \(dir.path) was not deleted")
        }
    }

    /// Runs LifetimeProbe (built beside this test binary); returns resident kB after `warmup` and after `total`.
    private func probe(_ mode: String, warmup: Int, total: Int) throws -> (warm: Int, after: Int) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clearchat-lifetime-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        dirs.append(dir)
        let binDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let process = Process()
        process.executableURL = binDir.appendingPathComponent("LifetimeProbe")
        process.arguments = [mode, dir.path, "\(warmup)", "\(total)"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        let fields = try XCTUnwrap(output.split(separator: "\n").first { $0.hasPrefix("RSS ") }, output)
            .split(separator: " ")
        let (warm, after) = (Int(fields[1]) ?? 0, Int(fields[2]) ?? 0)
        print("lifetime[\(mode)]: RSS after \(warmup) warm-up cycles = \(warm) kB, after \(total) = \(after) kB, "
            + "growth = \(after - warm) kB (\(fields[3].prefix(5)) s)")
        return (warm, after)
    }

    /// 10 MB over 900 cycles is 11 kB per client; a leaked client (its SQLite connection and page cache, keys,
    /// tasks, its stream) costs about 300 kB (see the control below), so a leak of any client fails this,
    /// while allocator noise (glibc arenas) stays far below it: ~0.2 MB measured.
    private let boundKB = 10 * 1024

    func testAThousandCreateCloseCyclesKeepMemoryFlat() throws {
        let (warm, after) = try probe("close", warmup: 100, total: 1000)
        XCTAssertLessThan(after - warm, boundKB, "RSS grew by \(after - warm) kB over 900 create/close cycles")
    }

    func testTheBoundCatchesALeak() throws {
        // Negative control: the same cycles, every client and stream kept; 100 of them exceed the bound.
        let (warm, after) = try probe("keep", warmup: 100, total: 200)
        XCTAssertGreaterThan(after - warm, boundKB, "100 leaked clients grew RSS by only \(after - warm) kB")
    }
}
#endif
