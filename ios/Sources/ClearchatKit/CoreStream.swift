// A core subscription as an AsyncSequence: what the core delivers from the moment the stream is made, in
// order, buffered without bound (the core never waits for Swift), until the stream ends.
//
// The stream ends, and the core's handle is cancelled, when the task iterating it is cancelled (SwiftUI's
// `.task` cancels it when the view goes away), or when the stream is released: after a `break` out of the
// loop, or never iterated at all. An AsyncStream alone cannot do the latter: the listener the core holds keeps
// its continuation, so its buffer would never be released and the core's task would deliver into it forever.
// Like an AsyncStream, it has one consumer: iterate it from one task at a time.
import ClearchatFFI

public final class CoreStream<Element: Sendable>: AsyncSequence, Sendable {
    private let stream: AsyncStream<Element>
    private let continuation: AsyncStream<Element>.Continuation
    /// The object the core holds while it delivers; weak, so tests see the core let go of it.
    nonisolated(unsafe) weak var listener: Forwarder<Element>?

    /// `subscribe` installs `forwarder` as the core's listener and returns the core's handle.
    convenience init(subscribe: (Forwarder<Element>) -> any SubscriptionHandleProtocol) {
        self.init(cancelling: { forwarder in
            let handle = subscribe(forwarder)
            return { handle.cancel() }
        })
    }

    /// The same over a list subscription (diffs, notifications).
    convenience init(list subscribe: (Forwarder<Element>) -> any ListSubscriptionProtocol) {
        self.init(cancelling: { forwarder in
            let handle = subscribe(forwarder)
            return { handle.cancel() }
        })
    }

    private init(cancelling subscribe: (Forwarder<Element>) -> @Sendable () -> Void) {
        let (stream, continuation) = AsyncStream.makeStream(of: Element.self, bufferingPolicy: .unbounded)
        let forwarder = Forwarder(continuation)
        let cancel = subscribe(forwarder)
        // Cancelling twice is harmless: the core takes its task out once.
        continuation.onTermination = { _ in cancel() }
        self.stream = stream
        self.continuation = continuation
        self.listener = forwarder
    }

    deinit {
        continuation.finish() // runs onTermination: the core's handle is cancelled
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(base: stream.makeAsyncIterator(), owner: self)
    }

    public struct Iterator: AsyncIteratorProtocol {
        var base: AsyncStream<Element>.Iterator
        let owner: CoreStream // the stream lives as long as its iteration

        public mutating func next() async -> Element? {
            await base.next()
        }
    }
}

/// Hands what the core delivers, on the core's thread, to a stream's buffer; it never blocks.
final class Forwarder<Element: Sendable>: Sendable {
    let continuation: AsyncStream<Element>.Continuation

    init(_ continuation: AsyncStream<Element>.Continuation) {
        self.continuation = continuation
    }
}

extension Forwarder: EventListener where Element == Event {
    func onEvent(event: Event) {
        continuation.yield(event)
    }
}

extension Forwarder: BuddyListListener where Element == [ListDiff<Buddy>] {
    func onDiffs(diffs: [BuddyListDiff]) {
        continuation.yield(diffs.map(ListDiff.init))
    }
}

extension Forwarder: TimelineListener where Element == [ListDiff<Message>] {
    func onDiffs(diffs: [MessageListDiff]) {
        continuation.yield(diffs.map(ListDiff.init))
    }
}

extension Forwarder: DeviceListListener where Element == [ListDiff<Device>] {
    func onDiffs(diffs: [DeviceListDiff]) {
        continuation.yield(diffs.map(ListDiff.init))
    }
}

extension Forwarder: NotificationListener where Element == NotificationEvent {
    func onNotification(notification: NotificationEvent) {
        continuation.yield(notification)
    }
}
