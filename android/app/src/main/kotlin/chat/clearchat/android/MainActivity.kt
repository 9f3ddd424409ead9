// The single activity: Compose + Material 3 over the shared view models; routes deep links and notification taps.
package chat.clearchat.android

import android.content.Intent
import android.os.Build
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.BackHandler
import androidx.activity.compose.setContent
import androidx.activity.viewModels
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope
import chat.clearchat.app.AddBuddyViewModel
import chat.clearchat.app.AppViewModel
import chat.clearchat.app.BuddiesViewModel
import chat.clearchat.app.ConversationViewModel
import chat.clearchat.app.DevicesViewModel
import chat.clearchat.app.Navigation
import chat.clearchat.app.OnboardingStep
import chat.clearchat.app.OnboardingViewModel
import chat.clearchat.app.RedeemViewModel
import chat.clearchat.app.Screen
import chat.clearchat.app.ui.AddBuddyScreen
import chat.clearchat.app.ui.BuddiesScreen
import chat.clearchat.app.ui.ClearchatTheme
import chat.clearchat.app.ui.ConversationScreen
import chat.clearchat.core.InvitePurpose
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

/** Survives rotation: navigation and the onboarding view model. Screen view models live while their screen shows. */
class AppState : ViewModel() {
    lateinit var app: ClearchatApp
    val nav by lazy { Navigation(onboarded = app.onboarded) }
    val onboarding by lazy {
        OnboardingViewModel(viewModelScope, Build.MODEL) { name -> withContext(Dispatchers.IO) { app.open(name) } }
    }
}

class MainActivity : ComponentActivity() {
    private val state: AppState by viewModels()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        state.app = application as ClearchatApp
        handle(intent)
        setContent { ClearchatTheme { App(state) } }
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        handle(intent)
    }

    private fun handle(intent: Intent?) {
        intent?.dataString?.let { state.nav.openUri(it) }
        intent?.getStringExtra(EXTRA_BUDDY)?.let { if (state.app.client != null) state.nav.push(Screen.Conversation(it)) }
    }

    companion object {
        const val EXTRA_BUDDY = "buddy"
    }
}

/** Creates a screen's view model for as long as the screen is composed. */
@Composable
private fun <T : AppViewModel> screenVm(key: Any, make: () -> T): T {
    val vm = remember(key) { make() }
    DisposableEffect(vm) { onDispose { vm.close() } }
    return vm
}

@Composable
private fun App(s: AppState) {
    val stack by s.nav.stack.collectAsState()
    val app = s.app
    BackHandler(enabled = stack.size > 1) { s.nav.pop() }
    val scope = s.viewModelScope
    when (val screen = stack.last()) {
        Screen.Onboarding -> Onboarding(s)
        Screen.Buddies -> {
            val vm = screenVm(screen) { BuddiesViewModel(app.client!!, scope) }
            Column {
                Row(Modifier.fillMaxWidth().padding(horizontal = 16.dp), verticalAlignment = Alignment.CenterVertically) {
                    var on by remember { mutableStateOf(app.stayReachable) }
                    Text("Stay reachable", Modifier.weight(1f))
                    Switch(on, { on = it; app.stayReachable = it; SyncService.update(app, it) })
                    TextButton({ s.nav.push(Screen.Devices) }) { Text("Devices") }
                }
                BuddiesScreen(
                    vm.state.collectAsState().value,
                    onOpen = { s.nav.push(Screen.Conversation(it.id)) },
                    onAddBuddy = { s.nav.push(Screen.AddBuddy) },
                )
            }
        }
        is Screen.Conversation -> {
            val vm = screenVm(screen) { ConversationViewModel(app.client!!, scope, screen.buddyId) }
            DisposableEffect(vm) {
                vm.visible = true; app.shownBuddy = screen.buddyId
                onDispose { vm.visible = false; app.shownBuddy = null }
            }
            val st by vm.state.collectAsState()
            ConversationScreen(st, onDraft = vm::setDraft, onSend = vm::send)
        }
        Screen.AddBuddy, Screen.LinkDevice -> {
            val purpose = if (screen == Screen.LinkDevice) InvitePurpose.LINK else InvitePurpose.BUDDY
            val vm = screenVm(screen) { AddBuddyViewModel(app.client!!, scope, purpose) }
            val ctx = androidx.compose.ui.platform.LocalContext.current
            AddBuddyScreen(
                vm.state.collectAsState().value,
                onShare = { text ->
                    val send = Intent(Intent.ACTION_SEND).setType("text/plain").putExtra(Intent.EXTRA_TEXT, text)
                    ctx.startActivity(Intent.createChooser(send, null))
                },
                onScanTheirs = { s.nav.push(Screen.Redeem()) },
                onNewCode = vm::refresh,
            )
        }
        is Screen.Redeem -> {
            val vm = screenVm(screen) { RedeemViewModel(app.client!!, scope, screen.code) }
            val st by vm.state.collectAsState()
            LaunchedEffect(st.result) { if (st.result != null) s.nav.pop() }
            ScanScreen(vm, "Scan your buddy's code")
        }
        Screen.Devices -> {
            val vm = screenVm(screen) { DevicesViewModel(app.client!!, scope) }
            val st by vm.state.collectAsState()
            Column(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                Text("My devices", style = MaterialTheme.typography.headlineSmall)
                st.devices.forEach { d ->
                    Row(verticalAlignment = Alignment.CenterVertically) {
                        Text(d.name + if (d.thisDevice) " (this device)" else if (d.online) " · online" else "", Modifier.weight(1f))
                        if (!d.thisDevice) TextButton({ vm.askUnlink(d.id) }) { Text("Unlink") }
                    }
                }
                st.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
                Button({ s.nav.push(Screen.LinkDevice) }) { Text("Link a device") }
            }
            st.confirmUnlink?.let { d ->
                AlertDialog(
                    onDismissRequest = vm::cancelUnlink,
                    title = { Text("Unlink ${d.name}?") },
                    text = { Text("It will no longer receive your messages.") },
                    confirmButton = { TextButton(vm::confirmUnlink) { Text("Unlink") } },
                    dismissButton = { TextButton(vm::cancelUnlink) { Text("Cancel") } },
                )
            }
        }
    }
}

@Composable
private fun Onboarding(s: AppState) {
    val vm = s.onboarding
    val st by vm.state.collectAsState()
    LaunchedEffect(st.step) { if (st.step == OnboardingStep.DONE) s.nav.onboardingDone() }
    BackHandler(enabled = st.step == OnboardingStep.LINK || st.step == OnboardingStep.PERSON_NAME) { vm.back() }
    Column(Modifier.fillMaxSize().padding(24.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Text("Welcome to Clearchat", style = MaterialTheme.typography.headlineSmall)
        st.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        when (st.step) {
            OnboardingStep.DEVICE_NAME -> {
                OutlinedTextField(st.deviceName, vm::setDeviceName, label = { Text("Name of this device") },
                    isError = st.deviceNameError != null, supportingText = st.deviceNameError?.let { { Text(it) } })
                Button(vm::submitDeviceName, enabled = !st.busy) { Text("Next") }
            }
            OnboardingStep.CHOOSE -> {
                Button({ vm.chooseLink() }, Modifier.fillMaxWidth()) { Text("Link to my laptop") }
                OutlinedButton(vm::chooseNewPerson, Modifier.fillMaxWidth()) { Text("Start as a new person") }
            }
            OnboardingStep.LINK -> vm.redeem?.let { ScanScreen(it, "Scan the code on your laptop") }
            OnboardingStep.PERSON_NAME -> {
                OutlinedTextField(st.personName, vm::setPersonName, label = { Text("Your name, as buddies see it") },
                    isError = st.personNameError != null, supportingText = st.personNameError?.let { { Text(it) } })
                Button(vm::submitPersonName, enabled = !st.busy) { Text("Start") }
            }
            OnboardingStep.DONE -> Text(st.linkedTo?.let { "Linked to $it." } ?: "All set.")
        }
    }
}
