// Input validation shared by the screens; the rules mirror the core's so mistakes are caught while typing.
package chat.clearchat.app

object Validation {
    const val MAX_NAME_BYTES = 64
    const val MAX_MESSAGE_BYTES = 16 * 1024

    /** A device or person name: null when fine, else what to fix. */
    fun name(input: String): String? {
        val name = input.trim()
        return when {
            name.isEmpty() -> "Enter a name."
            name.toByteArray(Charsets.UTF_8).size > MAX_NAME_BYTES -> "That name is too long. Keep it under $MAX_NAME_BYTES letters."
            name.any { it.isISOControl() } -> "A name can't contain special control characters."
            else -> null
        }
    }

    /** A message draft: null when it can be sent, else why not. */
    fun message(input: String): String? = when {
        input.isBlank() -> "Write something first."
        input.toByteArray(Charsets.UTF_8).size > MAX_MESSAGE_BYTES -> "This message is too long. Split it into shorter ones."
        else -> null
    }

    /** A pasted code: null when worth trying, else why not (the core does the real check). */
    fun code(input: String): String? = if (input.isBlank()) "Paste or scan a code first." else null
}
