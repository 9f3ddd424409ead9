// The buddy list: online dot, name, last message and an unread badge; "Add a buddy" at the bottom.
package chat.clearchat.app.ui

import chat.clearchat.app.UiText
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Badge
import androidx.compose.material3.Button
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import chat.clearchat.app.BuddiesState
import chat.clearchat.app.BuddyRow
import java.time.ZoneId

@Composable
fun BuddiesScreen(
    state: BuddiesState,
    onOpen: (BuddyRow) -> Unit = {},
    onAddBuddy: () -> Unit = {},
    zone: ZoneId = ZoneId.systemDefault(),
) {
    Surface(Modifier.fillMaxSize()) {
        Column(Modifier.fillMaxSize()) {
            Text(text(UiText.BUDDIES_TITLE), style = MaterialTheme.typography.headlineSmall, modifier = Modifier.padding(16.dp))
            state.error?.let { Text(it, color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(16.dp)) }
            if (!state.loading && state.buddies.isEmpty()) {
                Text(
                    text(UiText.BUDDIES_EMPTY),
                    modifier = Modifier.padding(16.dp),
                    style = MaterialTheme.typography.bodyLarge,
                )
            }
            LazyColumn(Modifier.weight(1f)) {
                items(state.buddies, key = { it.id }) { b ->
                    BuddyItem(b, zone, Modifier.clickable { onOpen(b) })
                    HorizontalDivider()
                }
            }
            Button(onClick = onAddBuddy, modifier = Modifier.fillMaxWidth().padding(16.dp)) { Text(text(UiText.BUDDIES_ADD)) }
        }
    }
}

@Composable
private fun BuddyItem(b: BuddyRow, zone: ZoneId, modifier: Modifier) {
    Row(
        modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 12.dp),
        verticalAlignment = Alignment.CenterVertically,
        horizontalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        OnlineDot(b.online)
        Column(Modifier.weight(1f)) {
            Text(b.name, fontWeight = if (b.unread > 0) FontWeight.Bold else FontWeight.Normal)
            val last = b.lastText?.let { if (b.lastFromMe) text(UiText.BUDDIES_LAST_FROM_ME, it) else it } ?: text(UiText.BUDDIES_SAY_HELLO)
            Text(
                last,
                style = MaterialTheme.typography.bodyMedium,
                color = MaterialTheme.colorScheme.onSurfaceVariant,
                maxLines = 1,
                overflow = TextOverflow.Ellipsis,
            )
        }
        Column(horizontalAlignment = Alignment.End) {
            b.lastAtMs?.let { Text(timeLabel(it, zone), style = MaterialTheme.typography.labelSmall) }
            Spacer(Modifier.width(4.dp))
            if (b.unread > 0) {
                val unread = text(UiText.BUDDY_UNREAD, b.unread)
                Badge(Modifier.semantics { contentDescription = unread }) { Text(b.unread.toString()) }
            }
        }
    }
}
