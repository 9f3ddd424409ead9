// The shared screens' access to the texts of Texts.kt: a composition local, by default the app-wide UiStrings.
package chat.clearchat.app.ui

import androidx.compose.runtime.Composable
import androidx.compose.runtime.staticCompositionLocalOf
import chat.clearchat.app.Strings
import chat.clearchat.app.UiStrings
import chat.clearchat.app.UiText

/** The [Strings] the screens use; the default follows [UiStrings.current]. */
val LocalStrings = staticCompositionLocalOf<Strings> { Strings { text, args -> UiStrings.current.get(text, *args) } }

@Composable
fun text(text: UiText, vararg args: Any): String = LocalStrings.current.get(text, *args)
