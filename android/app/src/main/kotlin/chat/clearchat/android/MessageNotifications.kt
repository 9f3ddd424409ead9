// Renders the shared NotificationModel's changes: one MessagingStyle notification per conversation (Person, long-lived
// conversation shortcut, reply and mark-read actions), a group summary, and the channels. No decisions here.
package chat.clearchat.android

import android.Manifest
import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build
import androidx.core.app.NotificationChannelCompat
import androidx.core.app.NotificationCompat
import androidx.core.app.NotificationManagerCompat
import androidx.core.app.Person
import androidx.core.app.RemoteInput
import androidx.core.content.ContextCompat
import androidx.core.content.LocusIdCompat
import androidx.core.content.pm.ShortcutInfoCompat
import androidx.core.content.pm.ShortcutManagerCompat
import androidx.core.graphics.drawable.IconCompat
import chat.clearchat.app.Launches
import chat.clearchat.app.notify.ConversationNotification
import chat.clearchat.app.notify.NotificationChange

class MessageNotifications(private val context: Context) {
    private val manager = NotificationManagerCompat.from(context)
    private val me = Person.Builder().setName(context.getString(R.string.notification_me)).build()

    fun createChannels() {
        manager.createNotificationChannel(
            NotificationChannelCompat.Builder(CHANNEL_MESSAGES, NotificationManagerCompat.IMPORTANCE_HIGH)
                .setName(context.getString(R.string.channel_messages))
                .setDescription(context.getString(R.string.channel_messages_description))
                .build(),
        )
        manager.createNotificationChannel(
            NotificationChannelCompat.Builder(CHANNEL_SYNC, NotificationManagerCompat.IMPORTANCE_MIN)
                .setName(context.getString(R.string.channel_sync))
                .setDescription(context.getString(R.string.channel_sync_description))
                .setShowBadge(false)
                .build(),
        )
    }

    /** Called by the NotificationFeed, on its coroutine, with each batch of changes in order. */
    fun render(changes: List<NotificationChange>) {
        for (change in changes) {
            when (change) {
                is NotificationChange.Show -> show(change.conversation)
                is NotificationChange.Cancel -> manager.cancel(change.buddyId, MESSAGE_ID)
                is NotificationChange.Summary -> post(null, SUMMARY_ID, summary(change))
                NotificationChange.CancelSummary -> manager.cancel(SUMMARY_ID)
                is NotificationChange.Forget -> ShortcutManagerCompat.removeLongLivedShortcuts(context, listOf(change.buddyId))
            }
        }
    }

    private fun show(c: ConversationNotification) {
        val buddy = Person.Builder().setName(c.buddyName).setKey(c.buddyId).build()
        pushShortcut(c.buddyId, c.buddyName, buddy)
        val style = NotificationCompat.MessagingStyle(me)
        for (m in c.messages) style.addMessage(m.text, m.atMs, if (m.fromMe) null else buddy)
        val newest = c.messages.lastOrNull { !it.fromMe }?.id
        val n = NotificationCompat.Builder(context, CHANNEL_MESSAGES)
            .setSmallIcon(R.drawable.ic_notification)
            .setStyle(style)
            .setCategory(NotificationCompat.CATEGORY_MESSAGE)
            .setShortcutId(c.buddyId)
            .setLocusId(LocusIdCompat(c.buddyId))
            .setGroup(GROUP)
            .setSilent(!c.alert)
            .setAutoCancel(true)
            .setContentIntent(openConversation(c.buddyId))
            .addAction(replyAction(c.buddyId))
            .addAction(markReadAction(c.buddyId, newest))
            .build()
        post(c.buddyId, MESSAGE_ID, n)
    }

    private fun summary(s: NotificationChange.Summary) =
        NotificationCompat.Builder(context, CHANNEL_MESSAGES)
            .setSmallIcon(R.drawable.ic_notification)
            .setContentTitle(context.getString(R.string.app_name))
            .setContentText(context.getString(R.string.notification_summary, s.unread, s.conversations))
            .setGroup(GROUP)
            .setGroupSummary(true)
            .setGroupAlertBehavior(NotificationCompat.GROUP_ALERT_CHILDREN)
            .setAutoCancel(true)
            .build()

    /** A long-lived conversation shortcut: Android 11+ shows the notification in the conversation section. */
    private fun pushShortcut(buddyId: String, name: String, person: Person) {
        val shortcut = ShortcutInfoCompat.Builder(context, buddyId)
            .setShortLabel(name)
            .setLongLived(true)
            .setPerson(person)
            .setLocusId(LocusIdCompat(buddyId))
            .setIcon(IconCompat.createWithResource(context, R.mipmap.ic_launcher))
            .setIntent(openIntent(buddyId))
            .build()
        ShortcutManagerCompat.pushDynamicShortcut(context, shortcut)
    }

    private fun openIntent(buddyId: String) = Intent(context, MainActivity::class.java)
        .setAction(Launches.ACTION_OPEN_CONVERSATION)
        .putExtra(Launches.EXTRA_BUDDY, buddyId)

    private fun openConversation(buddyId: String): PendingIntent = PendingIntent.getActivity(
        context, buddyId.hashCode(), openIntent(buddyId),
        PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
    )

    private fun replyAction(buddyId: String): NotificationCompat.Action {
        val input = RemoteInput.Builder(NotificationActionReceiver.KEY_REPLY)
            .setLabel(context.getString(R.string.notification_reply_label))
            .build()
        // Mutable: the system writes the typed reply into it (required for RemoteInput).
        val intent = PendingIntent.getBroadcast(
            context, buddyId.hashCode(), NotificationActionReceiver.reply(context, buddyId),
            PendingIntent.FLAG_MUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
        )
        return NotificationCompat.Action.Builder(R.drawable.ic_reply, context.getString(R.string.notification_reply), intent)
            .addRemoteInput(input)
            .setSemanticAction(NotificationCompat.Action.SEMANTIC_ACTION_REPLY)
            .setShowsUserInterface(false)
            .setAllowGeneratedReplies(true)
            .build()
    }

    private fun markReadAction(buddyId: String, upTo: String?): NotificationCompat.Action {
        val intent = PendingIntent.getBroadcast(
            context, buddyId.hashCode() + 1, NotificationActionReceiver.markRead(context, buddyId, upTo),
            PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
        )
        return NotificationCompat.Action.Builder(R.drawable.ic_done, context.getString(R.string.notification_mark_read), intent)
            .setSemanticAction(NotificationCompat.Action.SEMANTIC_ACTION_MARK_AS_READ)
            .setShowsUserInterface(false)
            .build()
    }

    /** Posts only with the permission (Android 13+); without it the person chose no notifications. */
    private fun post(tag: String?, id: Int, n: android.app.Notification) {
        val allowed = Build.VERSION.SDK_INT < 33 ||
            ContextCompat.checkSelfPermission(context, Manifest.permission.POST_NOTIFICATIONS) == PackageManager.PERMISSION_GRANTED
        if (allowed) manager.notify(tag, id, n)
    }

    companion object {
        const val CHANNEL_MESSAGES = "messages"
        const val CHANNEL_SYNC = "sync"
        private const val GROUP = "chat.clearchat.MESSAGES"
        private const val MESSAGE_ID = 1
        private const val SUMMARY_ID = 2
    }
}
