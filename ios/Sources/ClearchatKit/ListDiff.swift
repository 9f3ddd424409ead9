// A change to one of the core's lists (the buddy list, a conversation window, my devices), the same for all of
// them; `apply` takes a copy from one state of the core's list to the next. The core owns the lists: a model only
// applies what it is told, in order, starting from an empty array (the first batch is a reset).
import ClearchatFFI

public enum ListDiff<T: Sendable>: Sendable {
    case append([T])
    case pushFront(T)
    case pushBack(T)
    case insert(Int, T)
    case set(Int, T)
    case remove(Int)
    case truncate(Int)
    case clear
    case reset([T])

    /// The same change with its values mapped (the core's records into a model's rows).
    public func map<U: Sendable>(_ f: (T) -> U) -> ListDiff<U> {
        switch self {
        case .append(let v): .append(v.map(f))
        case .pushFront(let v): .pushFront(f(v))
        case .pushBack(let v): .pushBack(f(v))
        case .insert(let i, let v): .insert(i, f(v))
        case .set(let i, let v): .set(i, f(v))
        case .remove(let i): .remove(i)
        case .truncate(let n): .truncate(n)
        case .clear: .clear
        case .reset(let v): .reset(v.map(f))
        }
    }
}

extension Array {
    /// Applies a batch in order.
    public mutating func apply(_ batch: [ListDiff<Element>]) where Element: Sendable {
        for diff in batch {
            switch diff {
            case .append(let v): append(contentsOf: v)
            case .pushFront(let v): insert(v, at: 0)
            case .pushBack(let v): append(v)
            case .insert(let i, let v): insert(v, at: i)
            case .set(let i, let v): self[i] = v
            case .remove(let i): remove(at: i)
            case .truncate(let n): removeLast(Swift.max(0, count - n))
            case .clear: removeAll()
            case .reset(let v): self = v
            }
        }
    }
}

extension ListDiff where T == Buddy {
    init(_ d: BuddyListDiff) {
        switch d {
        case .append(let values): self = .append(values)
        case .pushFront(let value): self = .pushFront(value)
        case .pushBack(let value): self = .pushBack(value)
        case .insert(let index, let value): self = .insert(Int(index), value)
        case .set(let index, let value): self = .set(Int(index), value)
        case .remove(let index): self = .remove(Int(index))
        case .truncate(let length): self = .truncate(Int(length))
        case .clear: self = .clear
        case .reset(let values): self = .reset(values)
        }
    }
}

extension ListDiff where T == Message {
    init(_ d: MessageListDiff) {
        switch d {
        case .append(let values): self = .append(values)
        case .pushFront(let value): self = .pushFront(value)
        case .pushBack(let value): self = .pushBack(value)
        case .insert(let index, let value): self = .insert(Int(index), value)
        case .set(let index, let value): self = .set(Int(index), value)
        case .remove(let index): self = .remove(Int(index))
        case .truncate(let length): self = .truncate(Int(length))
        case .clear: self = .clear
        case .reset(let values): self = .reset(values)
        }
    }
}

extension ListDiff where T == Device {
    init(_ d: DeviceListDiff) {
        switch d {
        case .append(let values): self = .append(values)
        case .pushFront(let value): self = .pushFront(value)
        case .pushBack(let value): self = .pushBack(value)
        case .insert(let index, let value): self = .insert(Int(index), value)
        case .set(let index, let value): self = .set(Int(index), value)
        case .remove(let index): self = .remove(Int(index))
        case .truncate(let length): self = .truncate(Int(length))
        case .clear: self = .clear
        case .reset(let values): self = .reset(values)
        }
    }
}
