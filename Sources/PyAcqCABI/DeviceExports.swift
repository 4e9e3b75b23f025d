import CPyAcqHeader
import PyAcqCore
import PyAcqDevices

// Device discovery behind pyacq_audio_devices and pyacq_video_devices.

@c @implementation
public func pyacq_audio_devices(_ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in try returnString(try PortAudio.devicesJSON(), out) }
}

@c @implementation
public func pyacq_video_devices(_ out: StringOut?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let cameras = VideoCameras.list().map { Value.map(["path": .string($0.path), "name": .string($0.name)]) }
        try returnString(try Value.array(cameras).jsonText(), out)
    }
}
