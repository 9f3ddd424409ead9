// A few strings that must outlive the process (a draft, a pasted code): SavedStateHandle on Android, a map in tests.
package chat.clearchat.app

interface SavedValues {
    operator fun get(key: String): String?
    operator fun set(key: String, value: String?)
}

/** [SavedValues] in memory: for tests and for hosts that keep nothing. */
class InMemorySavedValues(initial: Map<String, String> = emptyMap()) : SavedValues {
    private val values = initial.toMutableMap()
    override fun get(key: String): String? = values[key]
    override fun set(key: String, value: String?) {
        if (value == null) values.remove(key) else values[key] = value
    }
}
