// The app's Material 3 theme and small shared pieces (online dot, time labels), used on Android and in desktop renders.
package chat.clearchat.app.ui

import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.shape.CircleShape
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.unit.dp
import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter

private val Colors = lightColorScheme(
    primary = Color(0xFF1F6F5C),
    onPrimary = Color.White,
    primaryContainer = Color(0xFFCDEDE3),
    secondaryContainer = Color(0xFFE6ECEA),
)

@Composable
fun ClearchatTheme(content: @Composable () -> Unit) = MaterialTheme(colorScheme = Colors, content = content)

@Composable
fun OnlineDot(online: Boolean, modifier: Modifier = Modifier) {
    Box(
        modifier
            .size(10.dp)
            .background(if (online) Color(0xFF2E9E5B) else Color(0xFFB0B6B4), CircleShape),
    )
}

private val timeFormat = DateTimeFormatter.ofPattern("HH:mm")

/** Hours and minutes in [zone] (a parameter so renders are reproducible). */
fun timeLabel(ms: Long, zone: ZoneId = ZoneId.systemDefault()): String =
    timeFormat.format(Instant.ofEpochMilli(ms).atZone(zone))
