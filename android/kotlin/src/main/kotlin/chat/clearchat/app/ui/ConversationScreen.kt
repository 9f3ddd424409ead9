// One conversation: bubbles (mine right), newest at the bottom and scrolled to on arrival, older pages in when
// scrolled to the top, delivery state under my messages, a "Read" marker, a failed send with Retry, the composer.
package chat.clearchat.app.ui

import chat.clearchat.app.UiText
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.widthIn
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.LazyListState
import androidx.compose.foundation.lazy.rememberLazyListState
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.shape.RoundedCornerShape
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.derivedStateOf
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import chat.clearchat.app.ConversationState
import chat.clearchat.app.MessageRow
import chat.clearchat.core.MessageState
import java.time.ZoneId

@Composable
fun ConversationScreen(
    state: ConversationState,
    onDraft: (String) -> Unit = {},
    onSend: () -> Unit = {},
    onLoadOlder: () -> Unit = {},
    onRetry: () -> Unit = {},
    zone: ZoneId = ZoneId.systemDefault(),
    listState: LazyListState = rememberLazyListState(
        initialFirstVisibleItemIndex = (state.messages.size - 1).coerceAtLeast(0),
    ),
) {
    // The newest message is the last item: follow it as messages arrive.
    val newest = state.messages.lastOrNull()?.id
    LaunchedEffect(newest) {
        if (state.messages.isNotEmpty()) listState.scrollToItem(state.messages.size - 1)
    }
    // At the top of the window: page older messages in.
    val atTop by remember { derivedStateOf { listState.firstVisibleItemIndex == 0 } }
    LaunchedEffect(atTop, state.hasOlder) {
        if (atTop && state.hasOlder && state.messages.isNotEmpty()) onLoadOlder()
    }
    Surface(Modifier.fillMaxSize()) {
        Column(Modifier.fillMaxSize()) {
            Row(Modifier.padding(16.dp), verticalAlignment = Alignment.CenterVertically) {
                OnlineDot(state.online)
                Text(
                    "  ${state.buddyName}",
                    style = MaterialTheme.typography.headlineSmall,
                )
                Text(
                    "  " + text(if (state.online) UiText.BUDDY_ONLINE else UiText.BUDDY_AWAY),
                    style = MaterialTheme.typography.labelMedium,
                    color = MaterialTheme.colorScheme.onSurfaceVariant,
                )
            }
            state.error?.let { Text(it, color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(16.dp)) }
            val marker = state.readMarker
            LazyColumn(
                Modifier.weight(1f).padding(horizontal = 12.dp),
                state = listState,
                verticalArrangement = Arrangement.spacedBy(6.dp),
            ) {
                if (state.hasOlder) {
                    item(key = "older") {
                        Text(
                            text(UiText.CONVERSATION_OLDER),
                            style = MaterialTheme.typography.labelMedium,
                            color = MaterialTheme.colorScheme.onSurfaceVariant,
                            modifier = Modifier.fillMaxWidth().padding(4.dp),
                        )
                    }
                }
                items(state.messages, key = { it.id }) { m -> Bubble(m, showState = m.fromMe && (m.id == marker || m.state != MessageState.READ), zone) }
            }
            state.failed?.let { failed ->
                Row(Modifier.fillMaxWidth().padding(horizontal = 12.dp), verticalAlignment = Alignment.CenterVertically) {
                    Text(
                        text(UiText.CONVERSATION_NOT_SENT, failed),
                        color = MaterialTheme.colorScheme.error,
                        modifier = Modifier.weight(1f),
                    )
                    TextButton(onClick = onRetry, enabled = !state.sending) { Text(text(UiText.CONVERSATION_RETRY)) }
                }
            }
            Row(Modifier.fillMaxWidth().padding(12.dp), verticalAlignment = Alignment.CenterVertically) {
                OutlinedTextField(
                    value = state.draft,
                    onValueChange = onDraft,
                    modifier = Modifier.weight(1f),
                    placeholder = { Text(text(UiText.CONVERSATION_PLACEHOLDER)) },
                    isError = state.draftError != null,
                    supportingText = state.draftError?.let { { Text(it) } },
                )
                Button(onClick = onSend, enabled = state.canSend, modifier = Modifier.padding(start = 8.dp)) { Text(text(UiText.CONVERSATION_SEND)) }
            }
        }
    }
}

@Composable
private fun Bubble(m: MessageRow, showState: Boolean, zone: ZoneId) {
    Column(Modifier.fillMaxWidth(), horizontalAlignment = if (m.fromMe) Alignment.End else Alignment.Start) {
        Text(
            m.text,
            modifier = Modifier
                .widthIn(max = 280.dp)
                .background(
                    if (m.fromMe) MaterialTheme.colorScheme.primaryContainer else MaterialTheme.colorScheme.secondaryContainer,
                    RoundedCornerShape(14.dp),
                )
                .padding(horizontal = 12.dp, vertical = 8.dp),
        )
        val meta = timeLabel(m.sentAtMs, zone) + if (showState) " · " + text(m.stateText) else ""
        Text(meta, style = MaterialTheme.typography.labelSmall, color = MaterialTheme.colorScheme.onSurfaceVariant)
    }
}

