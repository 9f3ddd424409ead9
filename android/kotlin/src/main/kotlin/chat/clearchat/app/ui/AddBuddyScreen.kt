// "Add a buddy" (or "Link a device"): my QR code drawn large on a Canvas, the text code, and Share / Scan theirs.
package chat.clearchat.app.ui

import chat.clearchat.app.UiText
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
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.unit.dp
import chat.clearchat.app.AddBuddyState
import chat.clearchat.app.QrModules
import chat.clearchat.core.InvitePurpose

/** Draws the modules black on white with the 4-module quiet zone scanners need. */
@Composable
fun QrCanvas(qr: QrModules, modifier: Modifier = Modifier) {
    val description = text(UiText.QR_DESCRIPTION)
    Canvas(modifier.aspectRatio(1f).background(Color.White).semantics { contentDescription = description }) {
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
            Text(text(if (link) UiText.LINK_TITLE else UiText.ADD_TITLE), style = MaterialTheme.typography.headlineSmall)
            Text(
                text(if (link) UiText.LINK_HINT else UiText.ADD_HINT),
                style = MaterialTheme.typography.bodyMedium,
            )
            state.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
            val code = state.code
            if (code == null) {
                Text(if (state.busy) text(UiText.ADD_MAKING) else "")
            } else {
                QrCanvas(code.qr, Modifier.fillMaxWidth())
                Text(code.text, fontFamily = FontFamily.Monospace, style = MaterialTheme.typography.bodySmall)
                Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                    val share = text(UiText.SHARE_TEXT, code.text)
                    if (!link) Button(onClick = { onShare(share) }) { Text(text(UiText.ADD_SHARE)) }
                    if (!link) OutlinedButton(onClick = onScanTheirs) { Text(text(UiText.ADD_SCAN_THEIRS)) }
                }
                TextButton(onClick = onNewCode) { Text(text(UiText.ADD_NEW_CODE)) }
            }
            state.joined.forEach { Text(text(if (link) UiText.ADD_JOINED_DEVICE else UiText.ADD_JOINED_BUDDY, it)) }
        }
    }
}
