// Scan a code: camera permission flow, CameraX preview with a zxing-cpp QR analyzer (no Play services), in the
// shared PasteCodeContent (the paste fallback).
// What the camera reads goes to RedeemViewModel.scanned, whose gate decides (no latch here that could stick); a phone
// without a usable camera gets the paste field only.
package chat.clearchat.android

import android.Manifest
import android.content.pm.PackageManager
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.Preview
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.material3.Button
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.lifecycle.compose.LocalLifecycleOwner
import androidx.compose.ui.unit.dp
import androidx.compose.ui.viewinterop.AndroidView
import androidx.core.content.ContextCompat
import chat.clearchat.app.DeepLink
import chat.clearchat.app.RedeemViewModel
import chat.clearchat.app.ui.PasteCodeContent
import java.util.concurrent.Executors
import zxingcpp.BarcodeReader

@Composable
fun ScanScreen(vm: RedeemViewModel, title: String) {
    val state by vm.state.collectAsState()
    val context = LocalContext.current
    val hasCamera = remember { context.packageManager.hasSystemFeature(PackageManager.FEATURE_CAMERA_ANY) }
    var cameraFailed by remember { mutableStateOf(false) }
    var granted by remember {
        mutableStateOf(ContextCompat.checkSelfPermission(context, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED)
    }
    var asked by remember { mutableStateOf(false) }
    val ask = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted = it; asked = true }

    PasteCodeContent(state, title, onInput = vm::setInput, onSubmit = vm::submit) {
        when {
            !hasCamera || cameraFailed -> Text(stringResource(R.string.scan_no_camera))
            granted -> CameraPreview(onCode = { vm.scanned(it) }, onNoCamera = { cameraFailed = true })
            asked -> Text(stringResource(R.string.scan_denied))
            else -> Button(onClick = { ask.launch(Manifest.permission.CAMERA) }) { Text(stringResource(R.string.scan_with_camera)) }
        }
    }
}

/** The back camera (or, failing that, the front one) with a QR analyzer; [onNoCamera] when neither can be used. */
@Composable
private fun CameraPreview(onCode: (String) -> Unit, onNoCamera: () -> Unit) {
    val context = LocalContext.current
    val owner = LocalLifecycleOwner.current
    val executor = remember { Executors.newSingleThreadExecutor() }
    val preview = remember { PreviewView(context) }
    val description = stringResource(R.string.scan_preview_description)
    DisposableEffect(owner) {
        val future = ProcessCameraProvider.getInstance(context)
        future.addListener({
            val provider = try {
                future.get()
            } catch (e: Exception) {
                onNoCamera() // CameraX found no usable camera at all
                return@addListener
            }
            val reader = BarcodeReader().apply { options.formats = setOf(BarcodeReader.Format.QR_CODE) }
            val analysis = ImageAnalysis.Builder()
                .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
                .build()
                .also {
                    // Hand over a code when it differs from the last one, or again after a while (the view model
                    // drops a code that just failed; a fixed latch here would never let a second code through).
                    var last: String? = null
                    var lastAt = 0L
                    it.setAnalyzer(executor) { image ->
                        image.use { img ->
                            val text = reader.read(img).firstNotNullOfOrNull { r -> r.text?.let(DeepLink::code) }
                            val now = System.nanoTime()
                            if (text != null && (text != last || now - lastAt > 2_000_000_000L)) {
                                last = text
                                lastAt = now
                                ContextCompat.getMainExecutor(context).execute { onCode(text) }
                            }
                        }
                    }
                }
            val p = Preview.Builder().build().also { it.surfaceProvider = preview.surfaceProvider }
            val selector = listOf(CameraSelector.DEFAULT_BACK_CAMERA, CameraSelector.DEFAULT_FRONT_CAMERA)
                .firstOrNull { runCatching { provider.hasCamera(it) }.getOrDefault(false) }
            if (selector == null) {
                onNoCamera()
                return@addListener
            }
            try {
                provider.unbindAll()
                provider.bindToLifecycle(owner, selector, p, analysis)
            } catch (e: Exception) {
                // IllegalArgumentException / IllegalStateException: the camera is there but cannot be used now.
                onNoCamera()
            }
        }, ContextCompat.getMainExecutor(context))
        onDispose {
            runCatching { future.get().unbindAll() }
            executor.shutdown()
        }
    }
    AndroidView({ preview }, Modifier.fillMaxWidth().aspectRatio(1f).semantics { contentDescription = description })
}
