// The QR code of an invite as a square grid of modules that a view draws natively (one filled square per
// dark module, with a light quiet zone of `quietZone` modules around it).
import ClearchatFFI

public struct QrGrid: Equatable, Sendable {
    /// Modules per side, without the quiet zone (21 for version 1, then 4 more per version).
    public let width: Int
    private let dark: [Bool]

    /// The light border scanners need around the code, in modules.
    public static let quietZone = 4

    public init(_ qr: QrCode) {
        self.init(width: Int(qr.width), dark: qr.modules)
    }

    /// `dark` is row-major: row 0 first, `true` = dark. Nil unless it is width x width.
    public init?(width: Int, modules dark: [Bool]) {
        guard width > 0, dark.count == width * width else { return nil }
        self.init(width: width, dark: dark)
    }

    private init(width: Int, dark: [Bool]) {
        precondition(dark.count == width * width, "a QR code is square: \(dark.count) modules for width \(width)")
        self.width = width
        self.dark = dark
    }

    /// Whether the module in column `x`, row `y` (0 at the top left) is dark.
    public subscript(x: Int, y: Int) -> Bool { dark[y * width + x] }

    /// Each row's runs of dark modules as column ranges: what a view fills, row by row.
    public var darkRuns: [[Range<Int>]] {
        (0..<width).map { y in
            var runs: [Range<Int>] = []
            var start: Int?
            for x in 0...width {
                let isDark = x < width && self[x, y]
                if isDark, start == nil { start = x }
                if !isDark, let s = start { runs.append(s..<x); start = nil }
            }
            return runs
        }
    }
}
