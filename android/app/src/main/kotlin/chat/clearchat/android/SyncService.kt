// Foreground service that keeps the client running while "stay reachable" is on; the core syncs by events, not polling.
package chat.clearchat.android

import android.content.Context
import android.content.Intent
import android.content.pm.ServiceInfo
import androidx.core.app.NotificationCompat
import androidx.core.app.ServiceCompat
import androidx.core.content.ContextCompat
import androidx.lifecycle.LifecycleService

class SyncService : LifecycleService() {
    override fun onStartCommand(intent: Intent?, flags: Int, startId: Int): Int {
        super.onStartCommand(intent, flags, startId)
        val app = application as ClearchatApp
        if (!app.stayReachable || app.client == null) {
            stopSelf()
            return START_NOT_STICKY
        }
        val n = NotificationCompat.Builder(this, ClearchatApp.CHANNEL_SYNC)
            .setSmallIcon(android.R.drawable.stat_notify_sync)
            .setContentText(getString(R.string.sync_running))
            .setOngoing(true)
            .build()
        ServiceCompat.startForeground(this, 1, n, ServiceInfo.FOREGROUND_SERVICE_TYPE_REMOTE_MESSAGING)
        return START_STICKY
    }

    companion object {
        fun update(context: Context, on: Boolean) {
            val intent = Intent(context, SyncService::class.java)
            if (on) ContextCompat.startForegroundService(context, intent) else context.stopService(intent)
        }
    }
}
