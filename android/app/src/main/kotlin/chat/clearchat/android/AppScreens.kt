// The Android-only wiring of onboarding (its view model outlives the start-up states it passes through) and my
// devices: lifecycle, back handling, view models; what is drawn is the shared OnboardingContent / DevicesContent.
package chat.clearchat.android

import android.os.Build
import androidx.activity.compose.BackHandler
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.ViewModel
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import androidx.lifecycle.viewModelScope
import chat.clearchat.app.DevicesViewModel
import chat.clearchat.app.OnboardingStep
import chat.clearchat.app.OnboardingViewModel
import chat.clearchat.app.ui.DevicesContent
import chat.clearchat.app.ui.OnboardingActions
import chat.clearchat.app.ui.OnboardingContent
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
    val actions = OnboardingActions(
        setDeviceName = vm::setDeviceName,
        submitDeviceName = vm::submitDeviceName,
        chooseLink = { vm.chooseLink() },
        chooseNewPerson = vm::chooseNewPerson,
        setPersonName = vm::setPersonName,
        submitPersonName = vm::submitPersonName,
    )
    OnboardingContent(st, actions) {
        vm.redeem?.let { ScanScreen(it, stringResource(R.string.onboarding_scan_laptop)) }
    }
}

@Composable
fun DevicesScreen(vm: DevicesViewModel, onLink: () -> Unit) {
    val st by vm.state.collectAsStateWithLifecycle()
    DevicesContent(st, onLink, onAskUnlink = vm::askUnlink, onConfirmUnlink = vm::confirmUnlink, onCancelUnlink = vm::cancelUnlink)
}
