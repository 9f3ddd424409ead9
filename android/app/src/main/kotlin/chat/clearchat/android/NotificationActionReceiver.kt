// The notification's actions: reply (RemoteInput) and mark as read. My reply is appended to the notification through
// the NotificationFeed; the core's decisions cancel it once read (here or on any other of my devices).
package chat.clearchat.android

import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import chat.clearchat.app.notify.NotifiedMessage
import androidx.core.app.RemoteInput
import chat.clearchat.app.Launches
import chat.clearchat.app.StartupState
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout

class NotificationActionReceiver : BroadcastReceiver() {
    override fun onReceive(context: Context, intent: Intent) {
        val app = context.applicationContext as ClearchatApp
        val buddy = intent.getStringExtra(Launches.EXTRA_BUDDY) ?: return
        val done = goAsync()
        app.appScope.launch {
            try {
                // The process may have been started for this action: wait (briefly) for the device to open.
                val ready = withTimeout(8_000) { app.startup.state.first { it is StartupState.Ready } } as StartupState.Ready
                app.orchestrator?.nudge() // online long enough to deliver it
                when (intent.action) {
                    ACTION_REPLY -> {
                        val text = RemoteInput.getResultsFromIntent(intent)?.getCharSequence(KEY_REPLY)?.toString()
                        if (!text.isNullOrBlank()) {
                            val sent = ready.client.send(buddy, text)
                            // The core never notifies my own messages: the feed shows the reply in the notification.
                            app.replied(buddy, NotifiedMessage(sent.id, sent.text, sent.sentAtMs.toLong(), fromMe = true))
                        }
                    }
                    ACTION_MARK_READ -> ready.client.markRead(buddy, intent.getStringExtra(EXTRA_UP_TO))
                }
            } catch (e: Exception) {
                // Not opened in time, or the buddy is gone: the notification stays as it was.
            } finally {
                done.finish()
            }
        }
    }

    companion object {
        const val KEY_REPLY = "chat.clearchat.REPLY"
        private const val ACTION_REPLY = "chat.clearchat.action.REPLY"
        private const val ACTION_MARK_READ = "chat.clearchat.action.MARK_READ"
        private const val EXTRA_UP_TO = "chat.clearchat.extra.UP_TO"

        fun reply(context: Context, buddyId: String): Intent =
            Intent(context, NotificationActionReceiver::class.java).setAction(ACTION_REPLY).putExtra(Launches.EXTRA_BUDDY, buddyId)

        fun markRead(context: Context, buddyId: String, upTo: String?): Intent =
            Intent(context, NotificationActionReceiver::class.java).setAction(ACTION_MARK_READ)
                .putExtra(Launches.EXTRA_BUDDY, buddyId)
                .putExtra(EXTRA_UP_TO, upTo)
    }
}
