import ArgumentParser
import PyAcqCore
import PyAcqDevices

/// `pyacq devices`: the audio devices and cameras this machine offers to PyAudio and WebCamAV.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List audio devices (PortAudio) and cameras (Video4Linux).",
        discussion: """
        PyAudio takes an audio device's index or name as input_device_index / output_device_index; \
        WebCamAV takes camera_num=N for /dev/videoN or camera_name=... . Without hardware, \
        `pyacq simulate audio` and `pyacq simulate camera` provide devices to try.
        """)

    @Flag(help: "Print JSON (the audio list has pyaudio's keys).")
    var json = false

    func run() throws {
        let audio: [AudioDevice]
        do { audio = try PortAudio.devices() } catch { throw ValidationError(error.message) }
        let cameras = VideoCameras.list()
        if json {
            let value = Value.map(["audio": .array(audio.map(\.value)),
                                   "video": .array(cameras.map { .map(["path": .string($0.path), "name": .string($0.name)]) })])
            print(try value.jsonText(style: JSON.Style(indent: 2, sortKeys: true)))
            return
        }
        print("Audio devices (PortAudio):")
        if audio.isEmpty { print("  none") }
        for device in audio { print("  " + device.summary) }
        print("Cameras (Video4Linux):")
        if cameras.isEmpty { print("  none") }
        for camera in cameras { print("  \(camera.path)  \(camera.name)") }
    }
}
