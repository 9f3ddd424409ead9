// Screens around the real ones: "Use this code?" for a code that came from a link, and the start screens (opening,
// and the error with a retry when the device could not be opened).
package chat.clearchat.app.ui

import chat.clearchat.app.UiText
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.unit.dp

/** Asks before redeeming [code], which came from outside the app (a web page, a message, the system camera). */
@Composable
fun RedeemConfirmScreen(code: String, onConfirm: () -> Unit = {}, onCancel: () -> Unit = {}) {
    Surface(Modifier.fillMaxSize()) {
        Column(Modifier.fillMaxSize().padding(24.dp), verticalArrangement = Arrangement.spacedBy(16.dp)) {
            Text(text(UiText.CONFIRM_TITLE), style = MaterialTheme.typography.headlineSmall)
            Text(text(UiText.CONFIRM_BODY), style = MaterialTheme.typography.bodyLarge)
            Surface(color = MaterialTheme.colorScheme.surfaceVariant, shape = MaterialTheme.shapes.medium) {
                Text(
                    code,
                    Modifier.fillMaxWidth().padding(12.dp),
                    fontFamily = FontFamily.Monospace,
                    style = MaterialTheme.typography.bodySmall,
                    maxLines = 4,
                )
            }
            Row(Modifier.fillMaxWidth(), horizontalArrangement = Arrangement.spacedBy(12.dp, Alignment.End)) {
                OutlinedButton(onClick = onCancel) { Text(text(UiText.CONFIRM_CANCEL)) }
                Button(onClick = onConfirm) { Text(text(UiText.CONFIRM_USE)) }
            }
        }
    }
}

/** While the device opens (off the main thread). */
@Composable
fun OpeningScreen() {
    Surface(Modifier.fillMaxSize()) {
        Column(
            Modifier.fillMaxSize(),
            horizontalAlignment = Alignment.CenterHorizontally,
            verticalArrangement = Arrangement.spacedBy(16.dp, Alignment.CenterVertically),
        ) {
            CircularProgressIndicator()
            Text(text(UiText.STARTUP_OPENING))
        }
    }
}

/** The device could not be opened: [message] in plain words, and a retry. */
@Composable
fun StartupErrorScreen(message: String, onRetry: () -> Unit = {}) {
    Surface(Modifier.fillMaxSize()) {
        Column(Modifier.fillMaxSize().padding(24.dp), verticalArrangement = Arrangement.spacedBy(16.dp, Alignment.CenterVertically)) {
            Text(text(UiText.STARTUP_FAILED_TITLE), style = MaterialTheme.typography.headlineSmall)
            Text(message, color = MaterialTheme.colorScheme.error)
            Button(onClick = onRetry) { Text(text(UiText.STARTUP_RETRY)) }
        }
    }
}
