// The process: opens the one ClearchatClient off the main thread (ClientStartup), then wires the shared, JVM-tested
// parts to Android: the ConnectionOrchestrator to the app's foreground state, the network and SyncService, and the
// NotificationFeed to MessageNotifications. Decisions live in those shared classes; this file only connects them.
package chat.clearchat.android

import android.app.Application
import android.content.Context
import android.net.ConnectivityManager
import android.net.LinkProperties
import android.net.Network
import android.net.wifi.WifiManager
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import androidx.core.content.edit
import androidx.lifecycle.DefaultLifecycleObserver
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.ProcessLifecycleOwner
import chat.clearchat.app.ClientStartup
import chat.clearchat.app.StartupState
import chat.clearchat.app.UiStrings
import chat.clearchat.app.connection.ConnectionOrchestrator
import chat.clearchat.app.connection.LanLock
import chat.clearchat.app.connection.ServiceControl
import chat.clearchat.app.connection.asConnection
import chat.clearchat.app.connection.holding
import chat.clearchat.app.notify.NotificationFeed
import chat.clearchat.app.notify.NotifiedMessage
import chat.clearchat.core.ClearchatClient
import chat.clearchat.core.ClearchatClientInterface
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch

class ClearchatApp : Application() {
    val appScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val prefs by lazy { getSharedPreferences("clearchat", MODE_PRIVATE) }

    lateinit var startup: ClientStartup
        private set
    lateinit var notifications: MessageNotifications
        private set
    /** Compose state, so the screens that show its status recompose once it exists. */
    var orchestrator: ConnectionOrchestrator? by mutableStateOf(null)
        private set
    private var feed: NotificationFeed? = null

    /** The open client, once [startup] is ready. */
    val client: ClearchatClientInterface? get() = (startup.state.value as? StartupState.Ready)?.client

    var stayReachable: Boolean
        get() = prefs.getBoolean(KEY_STAY_REACHABLE, false)
        set(value) {
            prefs.edit { putBoolean(KEY_STAY_REACHABLE, value) }
            orchestrator?.setStayReachable(value)
        }

    /** Whether the notification permission was asked for once already (see NotificationPermissionRule). */
    var notificationPermissionAsked: Boolean
        get() = prefs.getBoolean(KEY_NOTIFICATIONS_ASKED, false)
        set(value) = prefs.edit { putBoolean(KEY_NOTIFICATIONS_ASKED, value) }

    override fun onCreate() {
        super.onCreate()
        UiStrings.current = ResourceStrings(this) // the shared code's words from the string resources
        notifications = MessageNotifications(this)
        notifications.createChannels()
        startup = ClientStartup(
            appScope,
            deviceName = { prefs.getString(KEY_DEVICE_NAME, null) },
            rememberDeviceName = { name -> prefs.edit { putString(KEY_DEVICE_NAME, name) } },
            completed = { prefs.getBoolean(KEY_ONBOARDED, false) },
            rememberCompleted = { prefs.edit { putBoolean(KEY_ONBOARDED, true) } },
        ) { name ->
            // The device key is sealed by the AndroidKeyStore (DeviceKey); a store from before is moved into it.
            ClearchatClient.openWithSecretStore(filesDir.resolve(STORE_DIR).path, name, DeviceKey.secretStore())
        }
        appScope.launch {
            val ready = startup.state.first { it is StartupState.Ready } as StartupState.Ready
            connect(ready.client)
        }
        startup.start()
    }

    /** Called once the client is open: from then on the orchestrator decides when it runs. */
    private fun connect(client: ClearchatClientInterface) {
        val orchestrator = ConnectionOrchestrator(
            client.asConnection().holding(WifiMulticastLock(this)),
            object : ServiceControl {
                override fun startService() = SyncService.start(this@ClearchatApp)
                override fun stopService() = SyncService.stop(this@ClearchatApp)
            },
            appScope,
        )
        this.orchestrator = orchestrator
        orchestrator.setStayReachable(stayReachable)
        feed = NotificationFeed(client, appScope, render = notifications::render)
        appScope.launch(Dispatchers.Main) {
            ProcessLifecycleOwner.get().lifecycle.addObserver(object : DefaultLifecycleObserver {
                override fun onStart(owner: LifecycleOwner) = foreground(true)
                override fun onStop(owner: LifecycleOwner) = foreground(false)
            })
            watchNetwork(orchestrator)
        }
    }

    private fun foreground(on: Boolean) {
        orchestrator?.setForeground(on)
        feed?.setForeground(on)
    }

    /** The conversation on screen (null: none), from the conversation screen's lifecycle. */
    fun setVisibleConversation(buddyId: String?) {
        feed?.setVisibleConversation(buddyId)
    }

    /** My reply sent from a notification, to show in it. */
    fun replied(buddyId: String, message: NotifiedMessage) {
        feed?.replied(buddyId, message)
    }

    /** SyncService reports here that it runs (after startForeground) or ended. */
    fun serviceRunning(running: Boolean) {
        orchestrator?.setServiceRunning(running)
    }

    /**
     * The default network as an id that changes when the network or its addresses change (Wi-Fi to mobile data, a
     * new IPv6 address): the orchestrator restarts the client then. Null when there is no network.
     */
    private fun watchNetwork(orchestrator: ConnectionOrchestrator) {
        val cm = getSystemService(ConnectivityManager::class.java)
        cm.registerDefaultNetworkCallback(object : ConnectivityManager.NetworkCallback() {
            private var addresses: String = ""

            override fun onAvailable(network: Network) = report(network)

            override fun onLinkPropertiesChanged(network: Network, linkProperties: LinkProperties) {
                addresses = linkProperties.linkAddresses.map { it.toString() }.sorted().joinToString(",")
                report(network)
            }

            override fun onLost(network: Network) {
                addresses = ""
                orchestrator.setNetwork(null)
            }

            private fun report(network: Network) = orchestrator.setNetwork("${network.networkHandle}/$addresses")
        })
    }

    companion object {
        const val STORE_DIR = "clearchat"
        private const val KEY_DEVICE_NAME = "deviceName"
        private const val KEY_ONBOARDED = "onboarded"
        private const val KEY_STAY_REACHABLE = "stayReachable"
        private const val KEY_NOTIFICATIONS_ASKED = "notificationsAsked"
    }
}

/** Lets LAN beacons (multicast) through while the client runs; Android filters them otherwise, screen off or not. */
private class WifiMulticastLock(context: Context) : LanLock {
    private val lock = context.applicationContext.getSystemService(WifiManager::class.java)
        .createMulticastLock("clearchat-lan")
        .apply { setReferenceCounted(false) }

    override fun acquire() = lock.acquire()

    override fun release() {
        if (lock.isHeld) lock.release()
    }
}
