// The child process of LifetimeTests: `LifetimeProbe close|keep DIR WARMUP TOTAL` opens TOTAL brand-new
// devices one after another, each in its own dir under DIR, with an event stream, and prints
// "RSS <after WARMUP kB> <after TOTAL kB> <seconds>". `close` releases each client (and its stream) and deletes
// its dir; `keep` holds every one (the negative control: it must grow).
import ClearchatFFI
import ClearchatKit
import Foundation

/// Resident memory from /proc/self/statm (second field, in pages).
func residentKB() -> Int {
    let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
    let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
}

let args = CommandLine.arguments
guard args.count == 5, ["close", "keep"].contains(args[1]), let warmup = Int(args[3]), let total = Int(args[4])
else {
    FileHandle.standardError.write("usage: LifetimeProbe close|keep DIR WARMUP TOTAL\n".data(using: .utf8)!)
    exit(2)
}
let keep = args[1] == "keep"
let root = URL(fileURLWithPath: args[2])
var kept: [(Clearchat, CoreStream<Event>)] = []

/// A brand-new device (keys, store creation) in its own dir, with an event stream.
func open(_ i: Int, in dir: URL) throws -> (Clearchat, CoreStream<Event>) {
    let chat = try Clearchat.openLoopback(dataDir: dir.path, deviceName: "device-\(i)")
    guard try chat.me().deviceName == "device-\(i)" else { fatalError("device \(i) has another name") }
    return (chat, chat.events())
}

@MainActor func cycle(_ i: Int) throws {
    let dir = root.appendingPathComponent("c\(i)")
    if keep {
        kept.append(try open(i, in: dir))
    } else {
        _ = try open(i, in: dir) // released at once: the stream's handle is cancelled, the client closed
        try FileManager.default.removeItem(at: dir)
    }
}

let start = Date()
for i in 0..<warmup { try cycle(i) }
let warm = residentKB()
for i in warmup..<total { try cycle(i) }
let after = residentKB()
print("RSS \(warm) \(after) \(Date().timeIntervalSince(start))")
kept.removeAll()
