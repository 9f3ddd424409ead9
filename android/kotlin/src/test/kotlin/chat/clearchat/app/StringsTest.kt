// The shared screens' texts exist as Android string resources with the same words, so the app never falls back to
// a missing key and the desktop renders show what the phone shows.
package chat.clearchat.app


import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.nio.file.Paths
import javax.xml.parsers.DocumentBuilderFactory

class StringsTest {
    /** name -> text of android/app/src/main/res/values/strings.xml, with Android's escapes undone. */
    private fun resources(): Map<String, String> {
        val file = Paths.get("..", "app", "src", "main", "res", "values", "strings.xml").toFile()
        val doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file)
        val nodes = doc.getElementsByTagName("string")
        return (0 until nodes.length).associate { i ->
            val n = nodes.item(i)
            val raw = n.textContent
            n.attributes.getNamedItem("name").nodeValue to raw.replace("\\n", "\n").replace("\\'", "'").replace("\\\"", "\"")
        }
    }

    @Test
    fun everySharedTextIsAResourceWithTheSameWords() {
        val res = resources()
        val missing = UiText.entries.filter { it.resName !in res }
        assertTrue(missing.isEmpty(), "missing in strings.xml: ${missing.map { it.resName }}")
        for (t in UiText.entries) assertEquals(t.english, res.getValue(t.resName), t.resName)
    }
}
