package chat.clearchat.core

/**
 * Hand-written Kotlin helpers on top of the UniFFI-generated bindings
 * (generated into target/generated-sources/uniffi by scripts/kotlin-test.sh).
 */
object Clearchat {
    /** Version of the Rust core the loaded native library was built from. */
    val version: String
        get() = coreVersion()
}
