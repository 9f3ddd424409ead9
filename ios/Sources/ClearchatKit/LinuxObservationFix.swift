// Linux only: Swift 6.0/6.1's libswiftObservation.so references swift::threading::fatal(const char*, ...)
// without carrying it, so anything using @Observable fails to link (swiftlang/swift#75670, fixed in 6.2).
// Defining the symbol here lets the test binary link; it is only ever called on a fatal threading error.
#if os(Linux) && !compiler(>=6.2)
@_cdecl("_ZN5swift9threading5fatalEPKcz")
func swiftThreadingFatal(_ format: UnsafePointer<CChar>) -> Never {
    // The C-variadic arguments are not read: the format alone says what failed.
    fatalError("Swift threading: \(String(cString: format))")
}
#endif
