// First run: name this device, then link it to my laptop (scan or paste the laptop's code) or start as a new
// person. The steps, validation and outcomes are OnboardingModel's; this view only shows them.
import ClearchatKit
import SwiftUI

struct OnboardingView: View {
    @Bindable var model: OnboardingModel
    let onDone: @MainActor () -> Void

    var body: some View {
        NavigationStack {
            ScrollView {
                VStack(alignment: .leading, spacing: 12) {
                    Text(UiText.onboardingWelcome.say()).font(.title2.bold())
                    if let error = model.error {
                        Text(error).foregroundStyle(.red)
                    }
                    step
                }
                .padding(24)
                .frame(maxWidth: .infinity, alignment: .leading)
            }
            .toolbar {
                if model.step == .link || (model.step == .personName && model.addedBuddy == nil) {
                    ToolbarItem(placement: .topBarLeading) {
                        Button(UiText.navBack.say()) { model.back() }
                    }
                }
            }
        }
        .onChange(of: model.step) { _, step in
            if step == .done { onDone() }
        }
    }

    @ViewBuilder
    private var step: some View {
        switch model.step {
        case .deviceName:
            NameField(
                title: UiText.onboardingDeviceName.say(), text: $model.deviceName, error: model.deviceNameError
            ) { Task { await model.submitDeviceName() } }
            Button(UiText.onboardingNext.say()) { Task { await model.submitDeviceName() } }
                .buttonStyle(.borderedProminent)
                .disabled(model.busy)
        case .choose:
            Button { Task { await model.chooseLink() } } label: {
                Text(UiText.onboardingLink.say()).frame(maxWidth: .infinity)
            }
            .buttonStyle(.borderedProminent)
            Button { model.chooseNewPerson() } label: {
                Text(UiText.onboardingNewPerson.say()).frame(maxWidth: .infinity)
            }
            .buttonStyle(.bordered)
        case .link:
            if let redeem = model.redeem {
                RedeemView(model: redeem, title: UiText.onboardingScanLaptop.say())
            }
        case .personName:
            if let buddy = model.addedBuddy {
                Text(UiText.onboardingBuddyAdded.say(buddy))
            }
            NameField(
                title: UiText.onboardingPersonName.say(), text: $model.personName, error: model.personNameError
            ) { Task { await model.submitPersonName() } }
            Button(UiText.onboardingStart.say()) { Task { await model.submitPersonName() } }
                .buttonStyle(.borderedProminent)
                .disabled(model.busy)
        case .done:
            Text(model.linkedTo.map { UiText.onboardingLinked.say($0) } ?? UiText.onboardingAllSet.say())
        }
    }
}

/// A name field with its validation message under it.
private struct NameField: View {
    let title: String
    @Binding var text: String
    let error: String?
    let onSubmit: @MainActor () -> Void

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            TextField(title, text: $text)
                .textFieldStyle(.roundedBorder)
                .submitLabel(.next)
                .onSubmit { onSubmit() }
            if let error {
                Text(error).font(.footnote).foregroundStyle(.red)
            }
        }
    }
}
