package chat.clearchat.core

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

class VersionTest {
    @Test
    fun coreVersionComesFromRustThroughJna() {
        assertEquals("0.1.0", coreVersion())
    }

    @Test
    fun helperMatchesGeneratedBinding() {
        assertEquals(coreVersion(), Clearchat.version)
    }
}
