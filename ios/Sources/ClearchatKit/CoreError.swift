// What a call into the core can throw, as one typed error: the core's own (the generated ClearchatError, with
// its reason and sentence), or a failure of the bindings themselves.
import ClearchatFFI

public enum CoreError: Error, Equatable, Sendable {
    /// The core refused or failed, typed: `.core(.InviteExpired(...))`, `.core(.InvalidCode(reason:...))`, ...
    case core(ClearchatError)
    /// Not the core's answer: a panic caught at the FFI boundary, or a library that does not match the
    /// generated bindings. The text is for logs; people see `Messages.explain`.
    case bindings(String)

    public init(_ error: any Error) {
        if let e = error as? CoreError {
            self = e
        } else if let e = error as? ClearchatError {
            self = .core(e)
        } else {
            self = .bindings(String(describing: error))
        }
    }
}

/// Runs one generated call with its error typed; the one place where untyped throws become `CoreError`.
func typed<T>(_ call: () throws -> T) throws(CoreError) -> T {
    do { return try call() } catch { throw CoreError(error) }
}

func typed<T>(_ call: () async throws -> T) async throws(CoreError) -> T {
    do { return try await call() } catch { throw CoreError(error) }
}
