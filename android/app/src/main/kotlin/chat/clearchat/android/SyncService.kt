// The foreground service behind "stay reachable": it only keeps the process alive and tells the orchestrator that it
// runs; the orchestrator keeps the client running meanwhile. startForeground comes first, always (Android ends an
// app whose service started with startForegroundService but never called it); only then may it stop itself.
package chat.clearchat.android

import android.app.PendingIntent
import android.content.Context
import android.content.Intent
import android.content.pm.ServiceInfo
import android.os.Build
import androidx.core.app.NotificationCompat
import androidx.core.app.ServiceCompat
import androidx.core.content.ContextCompat
import androidx.lifecycle.LifecycleService

class SyncService : LifecycleService() {
    override fun onStartCommand(intent: Intent?, flags: Int, startId: Int): Int {
        super.onStartCommand(intent, flags, startId)
        val app = application as ClearchatApp
        if (intent?.action == ACTION_STOP) app.stayReachable = false // from the notification's "Stop"
        val stop = PendingIntent.getService(
            this, 0, Intent(this, SyncService::class.java).setAction(ACTION_STOP),
            PendingIntent.FLAG_IMMUTABLE or PendingIntent.FLAG_UPDATE_CURRENT,
        )
        val n = NotificationCompat.Builder(this, MessageNotifications.CHANNEL_SYNC)
            .setSmallIcon(R.drawable.ic_notification)
            .setContentText(getString(R.string.sync_running))
            .setOngoing(true)
            .setCategory(NotificationCompat.CATEGORY_SERVICE)
            .addAction(0, getString(R.string.sync_stop), stop)
            .build()
        val type = if (Build.VERSION.SDK_INT >= 34) ServiceInfo.FOREGROUND_SERVICE_TYPE_SPECIAL_USE else 0
        ServiceCompat.startForeground(this, NOTIFICATION_ID, n, type)
        if (!app.stayReachable) {
            stopSelf()
            return START_NOT_STICKY
        }
        app.serviceRunning(true)
        return START_STICKY
    }

    override fun onDestroy() {
        (application as ClearchatApp).serviceRunning(false)
        super.onDestroy()
    }

    companion object {
        private const val NOTIFICATION_ID = 100
        private const val ACTION_STOP = "chat.clearchat.action.STOP_SYNC"

        /** Only from the foreground (the orchestrator asks for it then); Android 12+ refuses otherwise. */
        fun start(context: Context) = ContextCompat.startForegroundService(context, Intent(context, SyncService::class.java))

        fun stop(context: Context) {
            context.stopService(Intent(context, SyncService::class.java))
        }
    }
}
