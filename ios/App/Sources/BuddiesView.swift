// The buddy list: online dot, name, last message, time and an unread badge; the connection's state when it is
// not simply running; "Add a buddy" at the bottom; my devices in the toolbar.
import ClearchatKit
import SwiftUI

struct BuddiesView: View {
    @State private var model: BuddiesModel
    /// The connection's line ("No network", "Connecting…", "Can't connect: …"), when there is one.
    let status: String?
    /// Told whether there is a buddy, as it changes (the app asks for notifications then).
    let onHasBuddy: @MainActor (Bool) -> Void

    init(chat: Clearchat, status: String?, onHasBuddy: @escaping @MainActor (Bool) -> Void) {
        _model = State(initialValue: BuddiesModel(chat))
        self.status = status
        self.onHasBuddy = onHasBuddy
    }

    var body: some View {
        List {
            if let status {
                Text(status).foregroundStyle(.red)
            }
            if let error = model.error {
                Text(error).foregroundStyle(.red)
            }
            if !model.loading && model.buddies.isEmpty {
                Text(UiText.buddiesEmpty.say()).foregroundStyle(.secondary)
            }
            ForEach(model.buddies) { buddy in
                NavigationLink(value: Route.conversation(buddyId: buddy.id)) {
                    BuddyRowView(buddy: buddy)
                }
            }
        }
        .navigationTitle(UiText.buddiesTitle.say())
        .toolbar {
            ToolbarItem(placement: .topBarTrailing) {
                NavigationLink(UiText.navDevices.say(), value: Route.devices)
            }
        }
        .safeAreaInset(edge: .bottom) {
            NavigationLink(value: Route.addBuddy) {
                Text(UiText.buddiesAdd.say()).frame(maxWidth: .infinity)
            }
            .buttonStyle(.borderedProminent)
            .padding()
            .background(.bar)
        }
        .task { await model.run() }
        .onChange(of: model.buddies.isEmpty, initial: true) { _, empty in onHasBuddy(!empty) }
    }
}

private struct BuddyRowView: View {
    let buddy: BuddyRow

    var body: some View {
        HStack(spacing: 12) {
            OnlineDot(online: buddy.online)
            VStack(alignment: .leading, spacing: 2) {
                Text(buddy.name).fontWeight(buddy.unread > 0 ? .bold : .regular)
                Text(last).font(.subheadline).foregroundStyle(.secondary).lineLimit(1)
            }
            Spacer()
            VStack(alignment: .trailing, spacing: 4) {
                if let at = buddy.lastAt {
                    Text(timeLabel(at)).font(.caption).foregroundStyle(.secondary)
                }
                if buddy.unread > 0 {
                    Text("\(buddy.unread)")
                        .font(.caption.bold())
                        .foregroundStyle(.white)
                        .padding(.horizontal, 7)
                        .padding(.vertical, 2)
                        .background(Capsule().fill(Color.accentColor))
                }
            }
        }
        .accessibilityElement(children: .ignore)
        .accessibilityLabel(accessibilityText)
    }

    private var last: String {
        guard let text = buddy.lastText else { return UiText.buddiesSayHello.say() }
        return buddy.lastFromMe ? UiText.buddiesLastFromMe.say(text) : text
    }

    private var accessibilityText: String {
        var parts = [buddy.name, (buddy.online ? UiText.buddyOnline : UiText.buddyAway).say()]
        if buddy.unread > 0 { parts.append(UiText.buddyUnread.say(buddy.unread)) }
        parts.append(last)
        return parts.joined(separator: ", ")
    }
}

/// Green when the buddy (or device) is connected now.
struct OnlineDot: View {
    let online: Bool

    var body: some View {
        Circle()
            .fill(online ? Color.green : Color.secondary.opacity(0.4))
            .frame(width: 10, height: 10)
            .accessibilityLabel((online ? UiText.buddyOnline : UiText.buddyAway).say())
    }
}

/// The time of a message: the time alone today, with the date otherwise, in the person's locale and zone.
func timeLabel(_ date: Date, now: Date = Date()) -> String {
    Calendar.current.isDate(date, inSameDayAs: now)
        ? date.formatted(date: .omitted, time: .shortened)
        : date.formatted(date: .abbreviated, time: .shortened)
}
