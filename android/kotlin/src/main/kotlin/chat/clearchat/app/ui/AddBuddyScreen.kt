// "Add a buddy" (or "Link a device"): my QR code drawn large on a Canvas, the text code, and Share / Scan theirs.
package chat.clearchat.app.ui

import androidx.compose.foundation.Canvas
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.geometry.Size
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.unit.dp
import chat.clearchat.app.AddBuddyState
import chat.clearchat.app.QrModules
import chat.clearchat.core.InvitePurpose

/** Draws the modules black on white with the 4-module quiet zone scanners need. */
@Composable
fun QrCanvas(qr: QrModules, modifier: Modifier = Modifier) {
    Canvas(modifier.aspectRatio(1f).background(Color.White)) {
        val quiet = 4
        val cell = size.minDimension / (qr.width + 2 * quiet)
        for (y in 0 until qr.width) for (x in 0 until qr.width) {
            if (qr[x, y]) {
                drawRect(
                    Color.Black,
                    topLeft = Offset((x + quiet) * cell, (y + quiet) * cell),
                    size = Size(cell + 0.5f, cell + 0.5f), // overlap a little: no hairlines between modules
                )
            }
        }
    }
}

@Composable
fun AddBuddyScreen(
    state: AddBuddyState,
    onShare: (String) -> Unit = {},
    onScanTheirs: () -> Unit = {},
    onNewCode: () -> Unit = {},
) {
    val link = state.purpose == InvitePurpose.LINK
    Surface(Modifier.fillMaxSize()) {
        Column(
            Modifier.fillMaxSize().padding(16.dp),
            horizontalAlignment = Alignment.CenterHorizontally,
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) {
            Text(if (link) "Link a device" else "Add a buddy", style = MaterialTheme.typography.headlineSmall)
            Text(
                if (link) "On your other device, choose \"Link to my laptop\" and scan this code."
                else "Let your buddy scan this code, or send them the text code.",
                style = MaterialTheme.typography.bodyMedium,
            )
            state.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
            val code = state.code
            if (code == null) {
                Text(if (state.busy) "Making a code…" else "")
            } else {
                QrCanvas(code.qr, Modifier.fillMaxWidth())
                Text(code.text, fontFamily = FontFamily.Monospace, style = MaterialTheme.typography.bodySmall)
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    if (!link) Button(onClick = { onShare(code.shareText) }) { Text("Share code") }
                    if (!link) OutlinedButton(onClick = onScanTheirs) { Text("Scan theirs") }
                }
                TextButton(onClick = onNewCode) { Text("Make a new code") }
            }
            state.joined.forEach { Text(if (link) "$it is now linked." else "$it is now your buddy.") }
        }
    }
}
