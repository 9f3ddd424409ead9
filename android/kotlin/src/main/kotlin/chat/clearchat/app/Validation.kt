// Input validation shared by the screens; the rules mirror the core's so mistakes are caught while typing.
// The hints are texts of Texts.kt.
package chat.clearchat.app

object Validation {
    const val MAX_NAME_BYTES = 64
    const val MAX_MESSAGE_BYTES = 16 * 1024

    /** A device or person name: null when fine, else what to fix. */
    fun name(input: String): String? {
        val name = input.trim()
        return when {
            name.isEmpty() -> UiText.NAME_EMPTY.say()
            name.toByteArray(Charsets.UTF_8).size > MAX_NAME_BYTES -> UiText.NAME_TOO_LONG.say(MAX_NAME_BYTES)
            name.any { it.isISOControl() } -> UiText.NAME_CONTROL.say()
            else -> null
        }
    }

    /** A message draft: null when it can be sent, else why not. */
    fun message(input: String): String? = when {
        input.isBlank() -> UiText.MESSAGE_EMPTY.say()
        input.toByteArray(Charsets.UTF_8).size > MAX_MESSAGE_BYTES -> UiText.MESSAGE_TOO_LONG.say()
        else -> null
    }

    /** A pasted code: null when worth trying, else why not (the core does the real check). */
    fun code(input: String): String? = if (input.isBlank()) UiText.CODE_EMPTY.say() else null
}
