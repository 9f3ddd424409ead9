// Process-wide state: the one ClearchatClient, started while the app or SyncService runs, and new-message notifications.
package chat.clearchat.android

import android.app.Application
import android.app.NotificationChannel
import android.app.NotificationManager
import android.app.PendingIntent
import android.content.Intent
import androidx.core.app.NotificationCompat
import androidx.core.app.NotificationManagerCompat
import chat.clearchat.core.ClearchatClient
import chat.clearchat.core.Event
import chat.clearchat.core.EventListener
import chat.clearchat.core.SubscriptionHandle
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch

class ClearchatApp : Application() {
    val appScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val prefs by lazy { getSharedPreferences("clearchat", MODE_PRIVATE) }
    private var notifications: SubscriptionHandle? = null

    /** The buddy whose conversation is on screen: no notification for it. */
    @Volatile var shownBuddy: String? = null

    var client: ClearchatClient? = null
        private set

    val onboarded: Boolean get() = prefs.getString("deviceName", null) != null
    var stayReachable: Boolean
        get() = prefs.getBoolean("stayReachable", false)
        set(value) { prefs.edit().putBoolean("stayReachable", value).apply() }

    override fun onCreate() {
        super.onCreate()
        val nm = getSystemService(NotificationManager::class.java)
        nm.createNotificationChannel(NotificationChannel(CHANNEL_MESSAGES, getString(R.string.channel_messages), NotificationManager.IMPORTANCE_HIGH))
        nm.createNotificationChannel(NotificationChannel(CHANNEL_SYNC, getString(R.string.channel_sync), NotificationManager.IMPORTANCE_MIN))
        prefs.getString("deviceName", null)?.let { open(it) }
    }

    /** Opens (first run: creates) this device and starts syncing; events drive notifications, nothing polls. */
    @Synchronized
    fun open(deviceName: String): ClearchatClient {
        client?.let { return it }
        val c = ClearchatClient.open(filesDir.resolve("clearchat").path, deviceName)
        prefs.edit().putString("deviceName", deviceName).apply()
        client = c
        appScope.launch { c.start() }
        notifications = c.subscribe(object : EventListener {
            override fun onEvent(event: Event) {
                if (event is Event.MessageAdded && !event.message.fromMe && event.buddyId != shownBuddy) notify(event)
            }
        })
        return c
    }

    private fun notify(e: Event.MessageAdded) {
        val open = PendingIntent.getActivity(
            this, e.buddyId.hashCode(),
            Intent(this, MainActivity::class.java).putExtra(MainActivity.EXTRA_BUDDY, e.buddyId),
            PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
        )
        val n = NotificationCompat.Builder(this, CHANNEL_MESSAGES)
            .setSmallIcon(android.R.drawable.stat_notify_chat)
            .setContentTitle(e.message.from)
            .setContentText(e.message.text)
            .setAutoCancel(true)
            .setContentIntent(open)
            .build()
        runCatching { NotificationManagerCompat.from(this).notify(e.buddyId.hashCode(), n) } // no permission: silent
    }

    companion object {
        const val CHANNEL_MESSAGES = "messages"
        const val CHANNEL_SYNC = "sync"
    }
}
