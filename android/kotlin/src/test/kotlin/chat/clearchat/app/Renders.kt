// Renders a composable to PNG with Compose desktop (Skia) into target/screens/, so a person can look at it.
package chat.clearchat.app

import androidx.compose.runtime.Composable
import androidx.compose.ui.ImageComposeScene
import androidx.compose.ui.unit.Density
import chat.clearchat.app.ui.ClearchatTheme
import org.jetbrains.skia.EncodedImageFormat
import org.junit.jupiter.api.Assertions.assertTrue
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths

object Renders {
    private val out: Path = Paths.get("target", "screens")

    /** Renders [content] in the app's theme (light, or [dark]) at 400x720 and returns the PNG file. */
    fun png(name: String, dark: Boolean = false, content: @Composable () -> Unit): Path {
        Files.createDirectories(out)
        val scene = ImageComposeScene(width = 400, height = 720, density = Density(1f)) { ClearchatTheme(dark = dark, content = content) }
        try {
            scene.render() // first frame lays out; the second draws after any effects settled
            val image = scene.render(16_000_000L)
            val bytes = image.encodeToData(EncodedImageFormat.PNG)!!.bytes
            val file = out.resolve("$name.png")
            Files.write(file, bytes)
            assertTrue(bytes.size > 2_000, "$file looks empty")
            println("rendered ${file.toAbsolutePath()}")
            return file
        } finally {
            scene.close()
        }
    }
}
