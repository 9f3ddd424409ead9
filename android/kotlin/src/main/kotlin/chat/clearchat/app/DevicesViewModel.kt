// My devices (this one first), online marks, and unlinking a lost one after a confirmation: the core's observable
// device list with each batch of diffs applied to a copy.
package chat.clearchat.app

import chat.clearchat.core.ClearchatClientInterface
import chat.clearchat.core.Device
import chat.clearchat.core.applyDiffs
import chat.clearchat.core.diffs
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

data class DeviceRow(val id: String, val name: String, val thisDevice: Boolean, val online: Boolean)

data class DevicesState(
    val loading: Boolean = true,
    val devices: List<DeviceRow> = emptyList(),
    /** The device the person asked to unlink; the screen asks "Unlink <name>?" while set. */
    val confirmUnlink: DeviceRow? = null,
    val error: String? = null,
)

class DevicesViewModel(
    private val client: ClearchatClientInterface,
    parent: CoroutineScope,
) : AppViewModel(parent) {
    private val _state = MutableStateFlow(DevicesState())
    val state: StateFlow<DevicesState> = _state.asStateFlow()
    private val list = client.deviceList()

    init {
        scope.launch {
            val copy = mutableListOf<Device>()
            list.diffs().collect { batch ->
                copy.applyDiffs(batch)
                // The list is my home space's members in joining order; the screen shows this device first.
                val rows = copy.filter { !it.revoked }
                    .map { DeviceRow(it.id, it.name, it.me, it.online || it.me) }
                    .sortedWith(compareByDescending<DeviceRow> { it.thisDevice }.thenBy { it.name.lowercase() })
                _state.update { it.copy(loading = false, devices = rows, error = null) }
            }
        }
    }

    fun askUnlink(deviceId: String) {
        val row = _state.value.devices.firstOrNull { it.id == deviceId && !it.thisDevice } ?: return
        _state.update { it.copy(confirmUnlink = row) }
    }

    fun cancelUnlink() = _state.update { it.copy(confirmUnlink = null) }

    fun confirmUnlink() {
        val row = _state.value.confirmUnlink ?: return
        _state.update { it.copy(confirmUnlink = null) }
        scope.launch {
            try {
                client.revokeDevice(row.id)
            } catch (e: Exception) {
                _state.update { it.copy(error = Messages.explain(e)) }
            }
        }
    }

    override fun close() {
        super.close()
        list.close()
    }
}
