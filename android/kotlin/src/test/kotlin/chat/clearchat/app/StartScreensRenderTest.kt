// Renders the new screens to PNG with real data: "Use this code?" for a real invite from a link, the start error
// with the message a real failed open gives, and the opening screen; light and dark.
package chat.clearchat.app

import chat.clearchat.app.ui.OpeningScreen
import chat.clearchat.app.ui.RedeemConfirmScreen
import chat.clearchat.app.ui.StartupErrorScreen
import chat.clearchat.core.ClearchatClient
import chat.clearchat.core.Harness
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Test
import java.nio.file.Files
import java.nio.file.Paths
import javax.xml.parsers.DocumentBuilderFactory
import androidx.compose.foundation.Image
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.shape.CircleShape
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.draw.clip
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.PathFillType
import androidx.compose.ui.graphics.SolidColor
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.compose.ui.graphics.vector.addPathNodes
import androidx.compose.ui.graphics.vector.rememberVectorPainter
import androidx.compose.ui.unit.dp

class StartScreensRenderTest {
    private val h = Harness()

    @AfterEach
    fun tearDown() = h.close()

    @Test
    fun renderTheConfirmAndStartScreens() = runBlocking {
        val betty = h.open("betty").also { it.setPersonName("Betty") }
        val amy = h.open("amy")
        val link = betty.createBuddyInvite("").uri
        val redeem = RedeemViewModel(amy, h.scope, initialCode = link, confirmFirst = true)
        check(redeem.state.value.confirming)
        Renders.png("redeem-confirm") { RedeemConfirmScreen(redeem.state.value.input) }
        Renders.png("redeem-confirm-dark", dark = true) { RedeemConfirmScreen(redeem.state.value.input) }

        val broken = h.tempDir("broken").resolve("clearchat")
        Files.writeString(broken, "not a directory")
        val startup = ClientStartup(h.scope, { "phone" }, {}, { false }, {}) { name -> ClearchatClient.openLoopback(broken.toString(), name) }
        startup.start()
        val failed = startup.state.await("failed") { it is StartupState.Failed } as StartupState.Failed
        Renders.png("startup-error") { StartupErrorScreen(failed.message) }
        Renders.png("startup-error-dark", dark = true) { StartupErrorScreen(failed.message) }
        Renders.png("opening") { OpeningScreen() }
        Unit
    }

    /** The adaptive launcher icon's foreground, drawn from the app's vector XML on its background colour. */
    @Test
    fun renderTheLauncherIcon() {
        val xml = Paths.get("..", "app", "src", "main", "res", "drawable", "ic_launcher_foreground.xml").toFile()
        val path = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml)
            .getElementsByTagName("path").item(0).attributes
        val data = path.getNamedItem("android:pathData").nodeValue
        val evenOdd = path.getNamedItem("android:fillType")?.nodeValue == "evenOdd"
        val icon = ImageVector.Builder(defaultWidth = 108.dp, defaultHeight = 108.dp, viewportWidth = 108f, viewportHeight = 108f)
            .addPath(addPathNodes(data), pathFillType = if (evenOdd) PathFillType.EvenOdd else PathFillType.NonZero, fill = SolidColor(Color.White))
            .build()
        Renders.png("launcher-icon") {
            Box(Modifier.fillMaxSize(), contentAlignment = Alignment.Center) {
                Image(
                    rememberVectorPainter(icon),
                    contentDescription = null,
                    modifier = Modifier.size(324.dp).clip(CircleShape).background(Color(0xFF1F6F5C)),
                )
            }
        }
    }
}
