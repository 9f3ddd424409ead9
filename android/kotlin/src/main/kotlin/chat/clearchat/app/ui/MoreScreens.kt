// The screens drawn from state alone, so the JVM tests render them with real data: onboarding's steps, my devices
// with the unlink confirmation, and the paste-a-code fallback of the scanner (the camera preview is the app's,
// passed in as [camera]).
package chat.clearchat.app.ui

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
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import chat.clearchat.app.DevicesState
import chat.clearchat.app.OnboardingState
import chat.clearchat.app.OnboardingStep
import chat.clearchat.app.RedeemState
import chat.clearchat.app.UiText

/** What the onboarding screen's controls do. */
class OnboardingActions(
    val setDeviceName: (String) -> Unit = {},
    val submitDeviceName: () -> Unit = {},
    val chooseLink: () -> Unit = {},
    val chooseNewPerson: () -> Unit = {},
    val setPersonName: (String) -> Unit = {},
    val submitPersonName: () -> Unit = {},
)

/** Onboarding's steps; [link] draws the LINK step (the scanner, with the app's camera). */
@Composable
fun OnboardingContent(
    state: OnboardingState,
    actions: OnboardingActions = OnboardingActions(),
    link: @Composable () -> Unit = {},
) {
    Surface(Modifier.fillMaxSize()) {
        Column(Modifier.fillMaxSize().padding(24.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            Text(text(UiText.ONBOARDING_WELCOME), style = MaterialTheme.typography.headlineSmall)
            state.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
            when (state.step) {
                OnboardingStep.DEVICE_NAME -> {
                    OutlinedTextField(
                        state.deviceName, actions.setDeviceName,
                        label = { Text(text(UiText.ONBOARDING_DEVICE_NAME)) },
                        isError = state.deviceNameError != null,
                        supportingText = state.deviceNameError?.let { { Text(it) } },
                    )
                    Button(actions.submitDeviceName, enabled = !state.busy) { Text(text(UiText.ONBOARDING_NEXT)) }
                }
                OnboardingStep.CHOOSE -> {
                    Button(actions.chooseLink, Modifier.fillMaxWidth()) { Text(text(UiText.ONBOARDING_LINK)) }
                    OutlinedButton(actions.chooseNewPerson, Modifier.fillMaxWidth()) { Text(text(UiText.ONBOARDING_NEW_PERSON)) }
                }
                OnboardingStep.LINK -> link()
                OnboardingStep.PERSON_NAME -> {
                    state.addedBuddy?.let { Text(text(UiText.ONBOARDING_BUDDY_ADDED, it)) }
                    OutlinedTextField(
                        state.personName, actions.setPersonName,
                        label = { Text(text(UiText.ONBOARDING_PERSON_NAME)) },
                        isError = state.personNameError != null,
                        supportingText = state.personNameError?.let { { Text(it) } },
                    )
                    Button(actions.submitPersonName, enabled = !state.busy) { Text(text(UiText.ONBOARDING_START)) }
                }
                OnboardingStep.DONE -> Text(
                    state.linkedTo?.let { text(UiText.ONBOARDING_LINKED, it) } ?: text(UiText.ONBOARDING_ALL_SET),
                )
            }
        }
    }
}

/** My devices, this one first, with "Unlink" for the others and the confirmation while one is asked for. */
@Composable
fun DevicesContent(
    state: DevicesState,
    onLink: () -> Unit = {},
    onAskUnlink: (String) -> Unit = {},
    onConfirmUnlink: () -> Unit = {},
    onCancelUnlink: () -> Unit = {},
) {
    Surface(Modifier.fillMaxSize()) {
        Column(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(text(UiText.DEVICES_TITLE), style = MaterialTheme.typography.headlineSmall)
            state.devices.forEach { d ->
                Row(verticalAlignment = Alignment.CenterVertically) {
                    val suffix = when {
                        d.thisDevice -> text(UiText.DEVICES_THIS)
                        d.online -> text(UiText.DEVICES_ONLINE)
                        else -> ""
                    }
                    Text(d.name + suffix, Modifier.weight(1f))
                    if (!d.thisDevice) TextButton({ onAskUnlink(d.id) }) { Text(text(UiText.DEVICES_UNLINK)) }
                }
            }
            state.error?.let { Text(it, color = MaterialTheme.colorScheme.error) }
            Button(onLink) { Text(text(UiText.DEVICES_LINK)) }
        }
    }
    state.confirmUnlink?.let { d ->
        AlertDialog(
            onDismissRequest = onCancelUnlink,
            title = { Text(text(UiText.DEVICES_UNLINK_TITLE, d.name)) },
            text = { Text(text(UiText.DEVICES_UNLINK_BODY)) },
            confirmButton = { TextButton(onConfirmUnlink) { Text(text(UiText.DEVICES_UNLINK)) } },
            dismissButton = { TextButton(onCancelUnlink) { Text(text(UiText.DEVICES_CANCEL)) } },
        )
    }
}

/** The scanner's screen: [camera] (the app's preview, or why there is none), then the paste-a-code fallback. */
@Composable
fun PasteCodeContent(
    state: RedeemState,
    title: String,
    onInput: (String) -> Unit = {},
    onSubmit: () -> Unit = {},
    camera: @Composable () -> Unit = { Text(text(UiText.SCAN_NO_CAMERA)) },
) {
    Surface(Modifier.fillMaxSize()) {
        Column(Modifier.fillMaxSize().padding(16.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            Text(title, style = MaterialTheme.typography.headlineSmall)
            camera()
            OutlinedTextField(
                value = state.input,
                onValueChange = onInput,
                label = { Text(text(UiText.SCAN_PASTE)) },
                modifier = Modifier.fillMaxWidth(),
                isError = state.error != null,
                supportingText = state.error?.let { { Text(it) } },
            )
            Button(onClick = onSubmit, enabled = state.canSubmit) {
                Text(text(if (state.busy) UiText.SCAN_CONNECTING else UiText.SCAN_USE))
            }
        }
    }
}
