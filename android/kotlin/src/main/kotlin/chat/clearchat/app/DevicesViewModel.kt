// My devices (this one first), online marks, and unlinking a lost one after a confirmation.
package chat.clearchat.app

import chat.clearchat.core.ClearchatClientInterface
import chat.clearchat.core.Event
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.conflate
import kotlinx.coroutines.flow.filter
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

    init {
        scope.launch {
            client.changes()
                .filter { c ->
                    c !is Change.Core || c.event.let {
                        it is Event.DeviceLinked || it is Event.DeviceRevoked || it is Event.PeerOnline ||
                            it is Event.PeerOffline || it is Event.SyncProgress
                    }
                }
                .conflate()
                .collect { reload() }
        }
    }

    private suspend fun reload() {
        try {
            // devices() lists the members of my home space: my own devices only.
            val rows = client.devices()
                .filter { !it.revoked }
                .map { DeviceRow(it.id, it.name, it.me, it.online || it.me) }
                .sortedWith(compareByDescending<DeviceRow> { it.thisDevice }.thenBy { it.name.lowercase() })
            _state.update { it.copy(loading = false, devices = rows, error = null) }
        } catch (e: Exception) {
            _state.update { it.copy(loading = false, error = Messages.explain(e)) }
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
}
