// My devices (this one first), which are online, "Link a device", and unlinking a lost one after a confirmation.
import ClearchatKit
import SwiftUI

struct DevicesView: View {
    @State private var model: DevicesModel
    @State private var asking = false

    init(chat: Clearchat) {
        _model = State(initialValue: DevicesModel(chat))
    }

    var body: some View {
        List {
            ForEach(model.devices) { device in
                HStack {
                    OnlineDot(online: device.online)
                    Text(device.name + suffix(device))
                    Spacer()
                    if !device.thisDevice {
                        Button(UiText.devicesUnlink.say(), role: .destructive) {
                            model.askUnlink(device.id)
                            asking = model.pendingUnlink != nil
                        }
                        .buttonStyle(.borderless)
                    }
                }
            }
            if let error = model.error {
                Text(error).foregroundStyle(.red)
            }
            NavigationLink(UiText.devicesLink.say(), value: Route.linkDevice)
        }
        .navigationTitle(UiText.devicesTitle.say())
        .alert(
            Text(UiText.devicesUnlinkTitle.say(model.pendingUnlink?.name ?? "")),
            isPresented: $asking,
            presenting: model.pendingUnlink
        ) { device in
            // The device the dialog asked about, captured: the dialog closes before the unlink runs.
            Button(UiText.devicesUnlink.say(), role: .destructive) { Task { await model.unlink(device) } }
            Button(UiText.devicesCancel.say(), role: .cancel) { model.cancelUnlink() }
        } message: { _ in
            Text(UiText.devicesUnlinkBody.say())
        }
        .task { await model.run() }
    }

    private func suffix(_ device: DeviceRow) -> String {
        if device.thisDevice { return UiText.devicesThis.say() }
        return device.online ? UiText.devicesOnline.say() : ""
    }
}
