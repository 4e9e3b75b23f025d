import CPortAudio
import PyAcqCore

/// One audio device as PortAudio lists it, under pyaudio's key names (`list_device_specs()`
/// returns the same dicts in pyacq) plus the host API's name and whether it is a default.
public struct AudioDevice: Sendable, Equatable {
    public let index: Int
    public let name: String
    public let hostApi: Int
    public let hostApiName: String
    public let maxInputChannels: Int
    public let maxOutputChannels: Int
    public let defaultSampleRate: Double
    public let defaultLowInputLatency: Double
    public let defaultLowOutputLatency: Double
    public let defaultHighInputLatency: Double
    public let defaultHighOutputLatency: Double
    public let isDefaultInput: Bool
    public let isDefaultOutput: Bool

    public var value: Value {
        .map([
            "index": .int(index), "structVersion": .int(2), "name": .string(name), "hostApi": .int(hostApi),
            "hostApiName": .string(hostApiName), "maxInputChannels": .int(maxInputChannels),
            "maxOutputChannels": .int(maxOutputChannels), "defaultSampleRate": .double(defaultSampleRate),
            "defaultLowInputLatency": .double(defaultLowInputLatency), "defaultLowOutputLatency": .double(defaultLowOutputLatency),
            "defaultHighInputLatency": .double(defaultHighInputLatency), "defaultHighOutputLatency": .double(defaultHighOutputLatency),
            "isDefaultInput": .bool(isDefaultInput), "isDefaultOutput": .bool(isDefaultOutput),
        ])
    }

    /// One line for error messages and the command line.
    public var summary: String {
        "\(index): '\(name)' (\(hostApiName), \(maxInputChannels) in, \(maxOutputChannels) out, \(Int(defaultSampleRate)) Hz"
            + (isDefaultInput ? ", default input" : "") + (isDefaultOutput ? ", default output" : "") + ")"
    }
}

/// PortAudio's process-wide library state. PortAudio counts Pa_Initialize calls and reads the
/// device list only on the first one, so a listing made while no stream is open initialises
/// afresh and sees JACK clients that appeared since; an open stream holds its own reference.
public enum PortAudio {
    private static let lock = Lock()

    static func check(_ code: PaError, _ action: String) throws(PyAcqError) {
        guard code < 0 else { return }
        throw PyAcqError(.io, "\(action): \(errorText(code))", exceptionType: "OSError")
    }

    static func errorText(_ code: PaError) -> String {
        guard let text = Pa_GetErrorText(code) else { return "PortAudio error \(code)" }
        var message = String(cString: text)
        if code == paUnanticipatedHostError.rawValue, let info = Pa_GetLastHostErrorInfo(), let hostText = info.pointee.errorText {
            message += " (\(String(cString: hostText)))"
        }
        return message
    }

    /// Takes a reference on the library (balanced by `release`).
    static func acquire() throws(PyAcqError) {
        try lock.withLock { () throws(PyAcqError) in try check(Pa_Initialize(), "cannot initialise PortAudio") }
    }

    static func release() {
        lock.withLock { _ = Pa_Terminate() }
    }

    /// Runs `body` with the library initialised.
    static func withLibrary<T>(_ body: () throws(PyAcqError) -> T) throws(PyAcqError) -> T {
        try acquire()
        defer { release() }
        return try body()
    }

    /// The devices PortAudio sees now.
    public static func devices() throws(PyAcqError) -> [AudioDevice] {
        try withLibrary { () throws(PyAcqError) in try currentDevices() }
    }

    /// The devices of the current initialisation (the library must be held).
    static func currentDevices() throws(PyAcqError) -> [AudioDevice] {
        let count = Pa_GetDeviceCount()
        try check(count, "cannot list audio devices")
        let defaultIn = Int(Pa_GetDefaultInputDevice()), defaultOut = Int(Pa_GetDefaultOutputDevice())
        return (0..<Int(count)).compactMap { i in
            guard let info = Pa_GetDeviceInfo(PaDeviceIndex(i))?.pointee else { return nil }
            let api = Pa_GetHostApiInfo(info.hostApi)?.pointee
            return AudioDevice(
                index: i, name: info.name.map { String(cString: $0) } ?? "", hostApi: Int(info.hostApi),
                hostApiName: api?.name.map { String(cString: $0) } ?? "", maxInputChannels: Int(info.maxInputChannels),
                maxOutputChannels: Int(info.maxOutputChannels), defaultSampleRate: info.defaultSampleRate,
                defaultLowInputLatency: info.defaultLowInputLatency, defaultLowOutputLatency: info.defaultLowOutputLatency,
                defaultHighInputLatency: info.defaultHighInputLatency, defaultHighOutputLatency: info.defaultHighOutputLatency,
                isDefaultInput: i == defaultIn, isDefaultOutput: i == defaultOut)
        }
    }

    /// The device list as JSON text (C ABI, command line).
    public static func devicesJSON() throws(PyAcqError) -> String {
        try Value.array(devices().map(\.value)).jsonText(style: JSON.Style(indent: 2, sortKeys: true))
    }

    /// Resolves a device given by index, by name (exact, else a unique case-insensitive
    /// substring) or as "default"; nil for None. `direction` is "input" or "output".
    static func resolveDevice(_ given: Value?, direction: String, channels: Int, in devices: [AudioDevice]) throws(PyAcqError) -> AudioDevice? {
        let usable = devices.filter { (direction == "input" ? $0.maxInputChannels : $0.maxOutputChannels) > 0 }
        func listing() -> String {
            usable.isEmpty ? "no \(direction) devices exist" : "\(direction) devices: " + usable.map(\.summary).joined(separator: "; ")
        }
        var found: AudioDevice?
        switch given {
        case nil, .null?:
            return nil
        case .string("default")?:
            found = devices.first { direction == "input" ? $0.isDefaultInput : $0.isDefaultOutput }
            guard found != nil else { throw PyAcqError(.badParams, "there is no default \(direction) device; \(listing())", exceptionType: "ValueError") }
        case .string(let name)?:
            found = devices.first { $0.name == name && usable.contains($0) }
            if found == nil {
                let matches = usable.filter { $0.name.lowercased().contains(name.lowercased()) }
                guard matches.count == 1 else {
                    let why = matches.isEmpty ? "no \(direction) device is named '\(name)'" : "'\(name)' matches \(matches.count) \(direction) devices"
                    throw PyAcqError(.badParams, "\(why); \(listing())", exceptionType: "ValueError")
                }
                found = matches[0]
            }
        case let value?:
            guard let index = value.intValue else {
                throw PyAcqError(.badParams, "\(direction)_device_index must be an int, a device name, 'default' or None; got \(value.kindName)", exceptionType: "TypeError")
            }
            guard let device = devices.first(where: { $0.index == index }) else {
                throw PyAcqError(.badParams, "\(direction) device index \(index) does not exist; \(listing())", exceptionType: "ValueError")
            }
            found = device
        }
        guard let device = found else { return nil }
        let available = direction == "input" ? device.maxInputChannels : device.maxOutputChannels
        guard available >= channels else {
            throw PyAcqError(.badParams, "device \(device.summary) has \(available) \(direction) channels, \(channels) requested; \(listing())",
                             exceptionType: "ValueError")
        }
        return device
    }
}
