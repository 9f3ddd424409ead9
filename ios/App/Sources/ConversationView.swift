// One conversation: bubbles (mine on the trailing side), newest at the bottom and scrolled to, older messages
// loaded when the top comes into view, the delivery state under my messages (and "Read" under the newest read
// one), a failed send with "Send again", and the composer. What the rows are is ConversationModel's.
import ClearchatKit
import SwiftUI
import UIKit

struct ConversationView: View {
    @State private var model: ConversationModel
    /// Told the buddy id while the conversation is on screen with the app active, nil when not.
    let onVisible: @MainActor (String?) -> Void
    @Environment(\.scenePhase) private var scenePhase
    @State private var appeared = false
    @State private var topInView = false

    init(chat: Clearchat, buddyId: String, onVisible: @escaping @MainActor (String?) -> Void) {
        _model = State(initialValue: ConversationModel(chat, buddyId: buddyId))
        self.onVisible = onVisible
    }

    /// On screen for the person: shown, and the app active (not behind the app switcher, not in the background).
    private var shown: Bool { appeared && scenePhase == .active }

    var body: some View {
        ScrollViewReader { proxy in
            ScrollView {
                LazyVStack(spacing: 6) {
                    if model.hasOlder && !model.loading {
                        // Again each time the window grew while the top stayed in view (a short page fills no
                        // screen); not when loading scrolled it away.
                        ProgressView()
                            .accessibilityLabel(UiText.conversationLoadingOlder.say())
                            .onAppear { topInView = true }
                            .onDisappear { topInView = false }
                            .task(id: model.items.first?.id) {
                                try? await Task.sleep(for: .milliseconds(300))
                                guard topInView, !Task.isCancelled else { return }
                                await loadOlder(proxy)
                            }
                    }
                    ForEach(model.items) { row in
                        BubbleView(row: row, showsState: model.showsState(row)) {
                            Task { await model.retry(row.id) }
                        } onDiscard: {
                            model.discard(row.id)
                        }
                        .id(row.id)
                    }
                }
                .padding(.horizontal, 12)
                .padding(.vertical, 8)
            }
            .defaultScrollAnchor(.bottom)
            .scrollDismissesKeyboard(.interactively)
            .onChange(of: model.items.last?.id) { _, last in
                guard let last else { return }
                withAnimation { proxy.scrollTo(last, anchor: .bottom) }
            }
        }
        .safeAreaInset(edge: .bottom) { composer }
        .navigationBarTitleDisplayMode(.inline)
        .toolbar {
            ToolbarItem(placement: .principal) {
                VStack(spacing: 0) {
                    Text(model.buddyName).font(.headline)
                    Text((model.online ? UiText.buddyOnline : UiText.buddyAway).say())
                        .font(.caption)
                        .foregroundStyle(.secondary)
                }
                .accessibilityElement(children: .combine)
            }
        }
        .task { await model.run() }
        .onAppear { appeared = true }
        .onDisappear {
            appeared = false
            show(false)
        }
        .onChange(of: shown, initial: true) { _, on in show(on) }
    }

    private var composer: some View {
        VStack(alignment: .leading, spacing: 4) {
            if let error = model.error {
                Text(error).font(.footnote).foregroundStyle(.red)
            }
            HStack(alignment: .bottom, spacing: 8) {
                TextField(UiText.conversationPlaceholder.say(), text: $model.draft, axis: .vertical)
                    .lineLimit(1...5)
                    .textFieldStyle(.roundedBorder)
                Button(UiText.conversationSend.say()) { Task { await model.send() } }
                    .buttonStyle(.borderedProminent)
                    .disabled(!model.canSend)
            }
            if let error = model.draftError {
                Text(error).font(.footnote).foregroundStyle(.red)
            }
        }
        .padding(12)
        .background(.bar)
    }

    /// Marks read only what is on screen, and keeps its messages from being notified.
    private func show(_ on: Bool) {
        onVisible(on ? model.buddyId : nil)
        Task { await model.setVisible(on) }
    }

    /// Loads the page before the first message and keeps that message where it was on screen.
    private func loadOlder(_ proxy: ScrollViewProxy) async {
        let first = model.items.first?.id
        await model.loadOlder()
        if let first { proxy.scrollTo(first, anchor: .top) }
    }
}

private struct BubbleView: View {
    let row: MessageRow
    let showsState: Bool
    let onRetry: @MainActor () -> Void
    let onDiscard: @MainActor () -> Void

    var body: some View {
        VStack(alignment: row.fromMe ? .trailing : .leading, spacing: 2) {
            Text(row.text)
                .padding(.horizontal, 12)
                .padding(.vertical, 8)
                .foregroundStyle(row.fromMe ? Color.white : Color.primary)
                .background(
                    RoundedRectangle(cornerRadius: 14)
                        .fill(row.fromMe ? AnyShapeStyle(Color.accentColor) : AnyShapeStyle(Color(.secondarySystemBackground)))
                )
                .opacity(row.failed ? 0.6 : 1)
                .textSelection(.enabled)
            Text(meta)
                .font(.caption2)
                .foregroundStyle(row.failed ? Color.red : Color.secondary)
            if row.failed {
                HStack {
                    Button(UiText.conversationRetry.say()) { onRetry() }
                    Button(UiText.conversationDiscard.say(), role: .destructive) { onDiscard() }
                }
                .font(.caption)
                .buttonStyle(.borderless)
            }
        }
        .frame(maxWidth: .infinity, alignment: row.fromMe ? .trailing : .leading)
        .padding(row.fromMe ? .leading : .trailing, 48)
        .accessibilityElement(children: .ignore)
        .accessibilityLabel(row.fromMe ? UiText.buddiesLastFromMe.say(row.text) : row.text)
        .accessibilityValue(meta)
        .accessibilityActions {
            if row.failed {
                Button(UiText.conversationRetry.say()) { onRetry() }
                Button(UiText.conversationDiscard.say()) { onDiscard() }
            }
        }
    }

    private var meta: String {
        let time = timeLabel(row.sentAt)
        guard showsState, let state = row.stateText else { return time }
        return "\(time) · \(state)"
    }
}
