// The single activity: edge to edge, the start screens while the device opens, then the shared Navigation's stack
// rendered with Navigation 3's entry decorators, so every destination has its own androidx ViewModel and
// SavedStateHandle. Intents go through Launches (handled once) and Navigation.open (nothing stacked twice).
package chat.clearchat.android

import android.Manifest
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.BackHandler
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.activity.result.contract.ActivityResultContracts
import androidx.activity.viewModels
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.safeDrawingPadding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.core.content.ContextCompat
import androidx.lifecycle.SavedStateHandle
import androidx.lifecycle.ViewModel
import androidx.lifecycle.compose.LifecycleResumeEffect
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.createSavedStateHandle
import androidx.lifecycle.viewModelScope
import androidx.lifecycle.viewmodel.compose.viewModel
import androidx.lifecycle.viewmodel.navigation3.rememberViewModelStoreNavEntryDecorator
import androidx.navigation3.runtime.NavEntry
import androidx.navigation3.runtime.rememberDecoratedNavEntries
import androidx.navigation3.runtime.rememberSaveableStateHolderNavEntryDecorator
import chat.clearchat.app.AddBuddyViewModel
import chat.clearchat.app.AppViewModel
import chat.clearchat.app.BuddiesViewModel
import chat.clearchat.app.ConversationViewModel
import chat.clearchat.app.DevicesViewModel
import chat.clearchat.app.IncomingIntent
import chat.clearchat.app.Launches
import chat.clearchat.app.Navigation
import chat.clearchat.app.RedeemViewModel
import chat.clearchat.app.SavedValues
import chat.clearchat.app.Screen
import chat.clearchat.app.StartupState
import chat.clearchat.app.connection.ConnectionStatus
import chat.clearchat.app.notify.NotificationPermissionRule
import chat.clearchat.app.ui.AddBuddyScreen
import chat.clearchat.app.ui.BuddiesScreen
import chat.clearchat.app.ui.ClearchatTheme
import chat.clearchat.app.ui.ConversationScreen
import chat.clearchat.app.ui.OpeningScreen
import chat.clearchat.app.ui.RedeemConfirmScreen
import chat.clearchat.app.ui.StartupErrorScreen
import chat.clearchat.core.ClearchatClientInterface
import chat.clearchat.core.InvitePurpose
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.launchIn
import kotlinx.coroutines.flow.onEach

/** The activity's navigation, kept across rotation and, as strings in its SavedStateHandle, across process death. */
class NavigationHolder(handle: SavedStateHandle) : ViewModel() {
    val navigation = Navigation(onboarded = false)

    init {
        handle.get<ArrayList<String>>(KEY)?.let(navigation::restore)
        navigation.stack.onEach { handle[KEY] = ArrayList(navigation.save()) }.launchIn(viewModelScope)
    }

    private companion object {
        const val KEY = "navigation.stack"
    }
}

/** A shared view model owned by an androidx ViewModel: cleared with its destination, its scope is viewModelScope. */
class Holder<T : AppViewModel>(handle: SavedStateHandle, make: (CoroutineScope, SavedValues) -> T) : ViewModel() {
    val vm: T = make(viewModelScope, handle.asSavedValues())
}

fun SavedStateHandle.asSavedValues(): SavedValues = object : SavedValues {
    override fun get(key: String): String? = this@asSavedValues.get<String>(key)
    override fun set(key: String, value: String?) {
        this@asSavedValues[key] = value
    }
}

/** The view model of the destination being composed (one per Navigation 3 entry, so per destination). */
@Composable
inline fun <reified T : AppViewModel> destinationViewModel(key: String, noinline make: (CoroutineScope, SavedValues) -> T): T =
    viewModel<Holder<T>>(key = key) { Holder(createSavedStateHandle(), make) }.vm

class MainActivity : ComponentActivity() {
    private val holder: NavigationHolder by viewModels()

    override fun onCreate(savedInstanceState: Bundle?) {
        enableEdgeToEdge()
        super.onCreate(savedInstanceState)
        Launches.onCreate(incoming(intent), restored = savedInstanceState != null)?.let(holder.navigation::open)
        val app = application as ClearchatApp
        setContent { ClearchatTheme { Root(app, holder.navigation) } }
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        setIntent(intent)
        Launches.onNewIntent(incoming(intent))?.let(holder.navigation::open)
    }

    private fun incoming(intent: Intent?) = IncomingIntent(
        action = intent?.action,
        data = intent?.dataString,
        buddyId = intent?.getStringExtra(Launches.EXTRA_BUDDY),
        fromHistory = (intent?.flags ?: 0) and Intent.FLAG_ACTIVITY_LAUNCHED_FROM_HISTORY != 0,
    )
}

@Composable
private fun Root(app: ClearchatApp, nav: Navigation) {
    val startup by app.startup.state.collectAsStateWithLifecycle()
    val onboarding: OnboardingHolder = viewModel { OnboardingHolder(app) }
    Surface(Modifier.fillMaxSize()) {
        // Edge to edge (enforced from Android 15): the content stays clear of the bars, the cutout and the keyboard.
        Box(Modifier.fillMaxSize().safeDrawingPadding()) {
            when (val s = startup) {
                is StartupState.Ready -> if (s.onboarded) {
                    LaunchedEffect(Unit) { if (nav.current == Screen.Onboarding) nav.onboardingDone() }
                    Destinations(app, nav, s.client)
                } else {
                    OnboardingScreen(onboarding.get(s.client)) { app.startup.onboarded() }
                }
                // Onboarding creating the device also passes through Opening/Failed: it shows those itself.
                StartupState.Opening -> if (onboarding.started) OnboardingScreen(onboarding.get(null)) {} else OpeningScreen()
                is StartupState.Failed -> if (onboarding.started) OnboardingScreen(onboarding.get(null)) {}
                    else StartupErrorScreen(s.message, onRetry = app.startup::retry)
                StartupState.NotCreated -> OnboardingScreen(onboarding.get(null)) { app.startup.onboarded() }
            }
        }
    }
}

@Composable
private fun Destinations(app: ClearchatApp, nav: Navigation, client: ClearchatClientInterface) {
    val stack by nav.stack.collectAsStateWithLifecycle()
    BackHandler(enabled = stack.size > 1) { nav.pop() }
    val entries = rememberDecoratedNavEntries(
        backStack = stack,
        entryDecorators = listOf(
            rememberSaveableStateHolderNavEntryDecorator<Screen>(),
            rememberViewModelStoreNavEntryDecorator<Screen>(),
        ),
        entryProvider = { screen -> NavEntry(screen) { key -> Destination(app, nav, client, key) } },
    )
    entries.last().Content()
}

@Composable
private fun Destination(app: ClearchatApp, nav: Navigation, client: ClearchatClientInterface, screen: Screen) {
    val key = screen.toString()
    when (screen) {
        Screen.Onboarding -> Unit // shown by Root until the device is onboarded
        Screen.Buddies -> {
            val vm = destinationViewModel(key) { scope, _ -> BuddiesViewModel(client, scope) }
            val state by vm.state.collectAsStateWithLifecycle()
            var stayReachable by remember { mutableStateOf(app.stayReachable) }
            AskForNotifications(app, hasBuddy = state.buddies.isNotEmpty(), stayReachable = stayReachable)
            Column {
                TopRow(
                    app,
                    stayReachable = stayReachable,
                    onStayReachable = { stayReachable = it; app.stayReachable = it },
                    onDevices = { nav.push(Screen.Devices) },
                )
                BuddiesScreen(state, onOpen = { nav.push(Screen.Conversation(it.id)) }, onAddBuddy = { nav.push(Screen.AddBuddy) })
            }
        }
        is Screen.Conversation -> {
            val vm = destinationViewModel(key) { scope, saved -> ConversationViewModel(client, scope, screen.buddyId, saved = saved) }
            // On screen only while resumed: a conversation left open in the background marks nothing read.
            LifecycleResumeEffect(vm) {
                vm.visible = true
                app.setVisibleConversation(screen.buddyId)
                onPauseOrDispose {
                    vm.visible = false
                    app.setVisibleConversation(null)
                }
            }
            val state by vm.state.collectAsStateWithLifecycle()
            ConversationScreen(state, onDraft = vm::setDraft, onSend = vm::send, onLoadOlder = vm::loadOlder, onRetry = vm::retry)
        }
        Screen.AddBuddy, Screen.LinkDevice -> {
            val purpose = if (screen == Screen.LinkDevice) InvitePurpose.LINK else InvitePurpose.BUDDY
            val vm = destinationViewModel(key) { scope, _ -> AddBuddyViewModel(client, scope, purpose) }
            val context = LocalContext.current
            val chooser = stringResource(R.string.share_chooser)
            AddBuddyScreen(
                vm.state.collectAsStateWithLifecycle().value,
                onShare = { text ->
                    val send = Intent(Intent.ACTION_SEND).setType("text/plain").putExtra(Intent.EXTRA_TEXT, text)
                    context.startActivity(Intent.createChooser(send, chooser))
                },
                onScanTheirs = { nav.push(Screen.Redeem()) },
                onNewCode = vm::refresh,
            )
        }
        is Screen.Redeem -> {
            val vm = destinationViewModel(key) { scope, saved -> RedeemViewModel(client, scope, screen.code, screen.confirm, saved) }
            val state by vm.state.collectAsStateWithLifecycle()
            LaunchedEffect(state.result, state.declined) { if (state.result != null || state.declined) nav.pop() }
            if (state.confirming) RedeemConfirmScreen(state.input, onConfirm = vm::confirm, onCancel = vm::decline)
            else ScanScreen(vm, stringResource(R.string.scan_title_buddy))
        }
        Screen.Devices -> {
            val vm = destinationViewModel(key) { scope, _ -> DevicesViewModel(client, scope) }
            DevicesScreen(vm, onLink = { nav.push(Screen.LinkDevice) })
        }
    }
}

/** "Stay reachable", the devices, and what the connection is doing when it is not simply running. */
@Composable
private fun TopRow(app: ClearchatApp, stayReachable: Boolean, onStayReachable: (Boolean) -> Unit, onDevices: () -> Unit) {
    val status = app.orchestrator?.status?.collectAsStateWithLifecycle()?.value
    Row(Modifier.fillMaxWidth().padding(horizontal = 16.dp), verticalAlignment = Alignment.CenterVertically) {
        Text(stringResource(R.string.stay_reachable), Modifier.weight(1f))
        Switch(stayReachable, onStayReachable)
        TextButton(onDevices) { Text(stringResource(R.string.nav_devices)) }
    }
    val line = when (status?.state) {
        ConnectionStatus.State.NO_NETWORK -> stringResource(R.string.status_no_network)
        ConnectionStatus.State.STARTING -> stringResource(R.string.status_connecting)
        ConnectionStatus.State.RETRYING -> stringResource(R.string.status_retrying, status.lastError.orEmpty())
        else -> null
    }
    line?.let { Text(it, Modifier.padding(horizontal = 16.dp), color = MaterialTheme.colorScheme.error) }
}

/** Asks for POST_NOTIFICATIONS (Android 13+) once there is a reason, per NotificationPermissionRule. */
@Composable
private fun AskForNotifications(app: ClearchatApp, hasBuddy: Boolean, stayReachable: Boolean) {
    val context = LocalContext.current
    val launcher = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) {}
    LaunchedEffect(hasBuddy, stayReachable) {
        val granted = Build.VERSION.SDK_INT < NotificationPermissionRule.FIRST_SDK ||
            ContextCompat.checkSelfPermission(context, Manifest.permission.POST_NOTIFICATIONS) == PackageManager.PERMISSION_GRANTED
        val ask = NotificationPermissionRule.shouldAsk(
            sdk = Build.VERSION.SDK_INT,
            granted = granted,
            askedBefore = app.notificationPermissionAsked,
            onboarded = true,
            hasBuddy = hasBuddy,
            stayReachable = stayReachable,
        )
        if (ask) {
            app.notificationPermissionAsked = true
            launcher.launch(Manifest.permission.POST_NOTIFICATIONS)
        }
    }
}
