// Using a code: "Use this code?" for one that came from a link (RedeemModel asks first), else the scanner with the
// paste field. The screen closes once the code worked or the person declined.
import ClearchatKit
import SwiftUI
import UIKit

struct RedeemScreen: View {
    @State private var model: RedeemModel
    let onClose: @MainActor () -> Void

    init(chat: Clearchat, code: String?, confirmFirst: Bool, onClose: @escaping @MainActor () -> Void) {
        _model = State(initialValue: RedeemModel(chat, code: code ?? "", confirmFirst: confirmFirst))
        self.onClose = onClose
    }

    var body: some View {
        Group {
            if model.confirming {
                ConfirmCodeView(code: model.input) {
                    Task { await model.confirm() }
                } onCancel: {
                    model.decline()
                }
            } else {
                ScrollView {
                    RedeemView(model: model, title: UiText.scanTitleBuddy.say()).padding()
                }
            }
        }
        .onChange(of: model.result != nil || model.declined) { _, done in
            if done { onClose() }
        }
    }
}

/// Asks before using a code that came from outside the app (a web page, a message, the system camera).
struct ConfirmCodeView: View {
    let code: String
    let onConfirm: @MainActor () -> Void
    let onCancel: @MainActor () -> Void

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 16) {
                Text(UiText.confirmTitle.say()).font(.title2.bold())
                Text(UiText.confirmBody.say())
                Text(code)
                    .font(.footnote.monospaced())
                    .lineLimit(4)
                    .padding(12)
                    .frame(maxWidth: .infinity, alignment: .leading)
                    .background(RoundedRectangle(cornerRadius: 10).fill(Color(.secondarySystemBackground)))
                HStack {
                    Spacer()
                    Button(UiText.confirmCancel.say()) { onCancel() }.buttonStyle(.bordered)
                    Button(UiText.confirmUse.say()) { onConfirm() }.buttonStyle(.borderedProminent)
                }
            }
            .padding(24)
        }
    }
}

/// The camera (when there is one we may use) and the paste field, both feeding `model`.
struct RedeemView: View {
    @Bindable var model: RedeemModel
    let title: String

    var body: some View {
        VStack(alignment: .leading, spacing: 12) {
            Text(title).font(.title2.bold())
            ScannerSection(active: model.scanning) { code in
                Task { await model.scanned(code) }
            }
            TextField(UiText.scanPaste.say(), text: $model.input, axis: .vertical)
                .lineLimit(1...4)
                .textFieldStyle(.roundedBorder)
                .font(.body.monospaced())
                .textInputAutocapitalization(.characters)
                .autocorrectionDisabled()
            HStack {
                PasteButton(payloadType: String.self) { strings in
                    guard let text = strings.first else { return }
                    Task { @MainActor in model.input = text }
                }
                .labelStyle(.iconOnly)
                Spacer()
                Button(model.busy ? UiText.scanConnecting.say() : UiText.scanUse.say()) {
                    Task { await model.submit() }
                }
                .buttonStyle(.borderedProminent)
                .disabled(!model.canSubmit)
            }
            if let error = model.error {
                Text(error).foregroundStyle(.red)
            }
        }
    }
}
