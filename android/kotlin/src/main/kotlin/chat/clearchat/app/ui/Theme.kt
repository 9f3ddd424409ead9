// The app's Material 3 theme, light and dark, and small shared pieces (online dot, time labels), used on Android and
// in desktop renders.
package chat.clearchat.app.ui

import chat.clearchat.app.UiText
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.shape.CircleShape
import androidx.compose.foundation.isSystemInDarkTheme
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter

private val LightColors = lightColorScheme(
    primary = Color(0xFF1F6F5C),
    onPrimary = Color.White,
    primaryContainer = Color(0xFFCDEDE3),
    secondaryContainer = Color(0xFFE6ECEA),
)

private val DarkColors = darkColorScheme(
    primary = Color(0xFF8ED5BF),
    onPrimary = Color(0xFF00382C),
    primaryContainer = Color(0xFF1F5142),
    onPrimaryContainer = Color(0xFFCDEDE3),
    secondaryContainer = Color(0xFF33403B),
    onSecondaryContainer = Color(0xFFE6ECEA),
)

/** Light or dark as the system is set ([dark] is a parameter so renders of both are reproducible). */
@Composable
fun ClearchatTheme(dark: Boolean = isSystemInDarkTheme(), content: @Composable () -> Unit) =
    MaterialTheme(colorScheme = if (dark) DarkColors else LightColors, content = content)

@Composable
fun OnlineDot(online: Boolean, modifier: Modifier = Modifier) {
    val description = text(if (online) UiText.BUDDY_ONLINE else UiText.BUDDY_AWAY)
    Box(
        modifier
            .semantics { contentDescription = description }
            .size(10.dp)
            .background(if (online) Color(0xFF2E9E5B) else Color(0xFFB0B6B4), CircleShape),
    )
}

private val timeFormat = DateTimeFormatter.ofPattern("HH:mm")

/** Hours and minutes in [zone] (a parameter so renders are reproducible). */
fun timeLabel(ms: Long, zone: ZoneId = ZoneId.systemDefault()): String =
    timeFormat.format(Instant.ofEpochMilli(ms).atZone(zone))
