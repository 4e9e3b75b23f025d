import CJack
import PyAcqCore
import Synchronization

/// Watches whether a JACK client (a PortAudio "device" of the JACK host API) still exists.
/// PortAudio keeps calling back with silence when the client it is connected to dies; this
/// small JACK client of our own lets the PyAudio node report it instead.
final class JackClientWatch: @unchecked Sendable {
    let clientName: String
    private let client: OpaquePointer
    private let serverGone = Atomic<Bool>(false)

    /// nil when no JACK server answers (the node then relies on PortAudio alone).
    init?(clientName: String) {
        guard let client = pyacq_jack_open("pyacq-watch") else { return nil }
        self.clientName = clientName
        self.client = client
        jack_on_shutdown(client, { arg in
            guard let arg else { return }
            Unmanaged<JackClientWatch>.fromOpaque(arg).takeUnretainedValue().serverGone.store(true, ordering: .releasing)
        }, Unmanaged.passUnretained(self).toOpaque())
        guard jack_activate(client) == 0 else {
            jack_client_close(client)
            return nil
        }
    }

    /// False once the client has no port left (or the server went away).
    var clientExists: Bool {
        if serverGone.load(ordering: .acquiring) { return false }
        let pattern = "^" + clientName.map { "\\()[]{}*+?|$^.".contains($0) ? "\\\($0)" : String($0) }.joined() + ":"
        guard let ports = jack_get_ports(client, pattern, nil, 0) else { return false }
        jack_free(ports)
        return true
    }

    deinit {
        // Closing a client of a dead server can block in libjack: leave that one to the process exit.
        if !serverGone.load(ordering: .acquiring) {
            jack_deactivate(client)
            jack_client_close(client)
        }
    }
}
