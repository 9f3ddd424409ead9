// "Add a buddy" (or "Link a device"): my QR code drawn natively from the invite's modules, the text code, the
// share sheet for it, "Scan theirs", a fresh code, and who used it while it was shown.
import ClearchatFFI
import ClearchatKit
import SwiftUI

struct AddBuddyView: View {
    @State private var model: AddBuddyModel
    /// "Scan theirs" (only for a buddy code).
    let onScanTheirs: (@MainActor () -> Void)?

    init(chat: Clearchat, purpose: InvitePurpose, onScanTheirs: (@MainActor () -> Void)?) {
        _model = State(initialValue: AddBuddyModel(chat, purpose: purpose))
        self.onScanTheirs = onScanTheirs
    }

    private var link: Bool { model.purpose == .link }

    var body: some View {
        ScrollView {
            VStack(spacing: 16) {
                Text((link ? UiText.linkHint : UiText.addHint).say())
                    .frame(maxWidth: .infinity, alignment: .leading)
                if let error = model.error {
                    Text(error).foregroundStyle(.red)
                }
                if let code = model.code {
                    QrCodeView(grid: code.qr)
                        .frame(maxWidth: 360)
                    Text(code.text)
                        .font(.footnote.monospaced())
                        .textSelection(.enabled)
                        .multilineTextAlignment(.center)
                    if !link {
                        HStack {
                            ShareLink(item: code.shareText, subject: Text(UiText.shareChooser.say())) {
                                Label(UiText.addShare.say(), systemImage: "square.and.arrow.up")
                            }
                            .buttonStyle(.borderedProminent)
                            if let onScanTheirs {
                                Button(UiText.addScanTheirs.say()) { onScanTheirs() }.buttonStyle(.bordered)
                            }
                        }
                    }
                    Button(UiText.addNewCode.say()) { Task { await model.refresh() } }
                        .disabled(model.busy)
                } else if model.busy {
                    ProgressView(UiText.addMaking.say())
                }
                ForEach(Array(model.joined.enumerated()), id: \.offset) { _, name in
                    Text((link ? UiText.addJoinedDevice : UiText.addJoinedBuddy).say(name))
                }
            }
            .padding()
        }
        .navigationTitle((link ? UiText.linkTitle : UiText.addTitle).say())
        .task { await model.run() }
    }
}

/// The QR code, dark modules on white with the quiet zone scanners need, in light and dark mode alike.
struct QrCodeView: View {
    let grid: QrGrid

    var body: some View {
        Canvas { context, size in
            let side = min(size.width, size.height)
            let cell = side / CGFloat(grid.width + 2 * QrGrid.quietZone)
            context.fill(Path(CGRect(x: 0, y: 0, width: side, height: side)), with: .color(.white))
            var dark = Path()
            for (y, runs) in grid.darkRuns.enumerated() {
                for run in runs {
                    // A little taller than a module: no hairlines between rows at fractional scales.
                    dark.addRect(CGRect(
                        x: CGFloat(run.lowerBound + QrGrid.quietZone) * cell,
                        y: CGFloat(y + QrGrid.quietZone) * cell,
                        width: CGFloat(run.count) * cell,
                        height: cell + 0.5))
                }
            }
            context.fill(dark, with: .color(.black))
        }
        .aspectRatio(1, contentMode: .fit)
        .accessibilityElement()
        .accessibilityLabel(UiText.qrDescription.say())
        .accessibilityAddTraits(.isImage)
    }
}
