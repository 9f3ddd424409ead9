// The Android-only screens, thin over shared view models: onboarding (its view model outlives the start-up states it
// passes through) and my devices. Texts come from string resources.
package chat.clearchat.android

import android.os.Build
import androidx.activity.compose.BackHandler
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
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.ViewModel
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewModelScope
import chat.clearchat.app.DevicesViewModel
import chat.clearchat.app.OnboardingStep
import chat.clearchat.app.OnboardingViewModel
import chat.clearchat.core.ClearchatClientInterface

/** Holds onboarding across rotation and across the start-up states (creating the device passes through Opening). */
class OnboardingHolder(private val app: ClearchatApp) : ViewModel() {
    private var vm: OnboardingViewModel? = null

    /** True once onboarding has been shown: Root keeps showing it while the device it creates opens. */
    var started by mutableStateOf(false)
        private set

    /** The onboarding view model; [existing] is a device an earlier, unfinished onboarding created. */
    fun get(existing: ClearchatClientInterface?): OnboardingViewModel = vm ?: OnboardingViewModel(
        viewModelScope,
        suggestedDeviceName = Build.MODEL,
        existing = existing,
    ) { name -> app.startup.create(name) }.also {
        vm = it
        started = true
    }
}

/** [onDone] runs at the last step: onboarding is complete only then (OnboardingRule). */
@Composable
fun OnboardingScreen(vm: OnboardingViewModel, onDone: () -> Unit) {
    val st by vm.state.collectAsStateWithLifecycle()
    LaunchedEffect(st.step) { if (st.step == OnboardingStep.DONE) onDone() }
    BackHandler(enabled = st.step == OnboardingStep.LINK || st.step == OnboardingStep.PERSON_NAME) { vm.back() }
    Column(Modifier.fillMaxSize().padding(24.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Text(stringResource(R.string.onboarding_welcome), style = MaterialTheme.typography.headlineSmall)
        st.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        when (st.step) {
            OnboardingStep.DEVICE_NAME -> {
                OutlinedTextField(
                    st.deviceName, vm::setDeviceName,
                    label = { Text(stringResource(R.string.onboarding_device_name)) },
                    isError = st.deviceNameError != null,
                    supportingText = st.deviceNameError?.let { { Text(it) } },
                )
                Button(vm::submitDeviceName, enabled = !st.busy) { Text(stringResource(R.string.onboarding_next)) }
            }
            OnboardingStep.CHOOSE -> {
                Button({ vm.chooseLink() }, Modifier.fillMaxWidth()) { Text(stringResource(R.string.onboarding_link)) }
                OutlinedButton(vm::chooseNewPerson, Modifier.fillMaxWidth()) { Text(stringResource(R.string.onboarding_new_person)) }
            }
            OnboardingStep.LINK -> vm.redeem?.let { ScanScreen(it, stringResource(R.string.onboarding_scan_laptop)) }
            OnboardingStep.PERSON_NAME -> {
                st.addedBuddy?.let { Text(stringResource(R.string.onboarding_buddy_added, it)) }
                OutlinedTextField(
                    st.personName, vm::setPersonName,
                    label = { Text(stringResource(R.string.onboarding_person_name)) },
                    isError = st.personNameError != null,
                    supportingText = st.personNameError?.let { { Text(it) } },
                )
                Button(vm::submitPersonName, enabled = !st.busy) { Text(stringResource(R.string.onboarding_start)) }
            }
            OnboardingStep.DONE -> Text(
                st.linkedTo?.let { stringResource(R.string.onboarding_linked, it) } ?: stringResource(R.string.onboarding_all_set),
            )
        }
    }
}

@Composable
fun DevicesScreen(vm: DevicesViewModel, onLink: () -> Unit) {
    val st by vm.state.collectAsStateWithLifecycle()
    Column(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text(stringResource(R.string.devices_title), style = MaterialTheme.typography.headlineSmall)
        st.devices.forEach { d ->
            Row(verticalAlignment = Alignment.CenterVertically) {
                val suffix = when {
                    d.thisDevice -> stringResource(R.string.devices_this)
                    d.online -> stringResource(R.string.devices_online)
                    else -> ""
                }
                Text(d.name + suffix, Modifier.weight(1f))
                if (!d.thisDevice) TextButton({ vm.askUnlink(d.id) }) { Text(stringResource(R.string.devices_unlink)) }
            }
        }
        st.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
        Button(onLink) { Text(stringResource(R.string.devices_link)) }
    }
    st.confirmUnlink?.let { d ->
        AlertDialog(
            onDismissRequest = vm::cancelUnlink,
            title = { Text(stringResource(R.string.devices_unlink_title, d.name)) },
            text = { Text(stringResource(R.string.devices_unlink_body)) },
            confirmButton = { TextButton(vm::confirmUnlink) { Text(stringResource(R.string.devices_unlink)) } },
            dismissButton = { TextButton(vm::cancelUnlink) { Text(stringResource(R.string.devices_cancel)) } },
        )
    }
}
