// swift-tools-version:6.0
import PackageDescription

// Layers (dependencies point downward only): PyAcqCABI -> PyAcqProcess -> PyAcqRPC, PyAcqNodes ->
// PyAcqCore -> C shims. Each target lists exactly the modules it imports
// (tests/python/test_architecture.py checks it).
// The release build of libpyacq.so adds -static-stdlib and a version script on the command
// line (see the Makefile): putting them here would break `swift test`.
// Release builds of the modules on the per-chunk paths skip the run-time exclusivity checks
// (~200 instructions a chunk); debug builds, which the Swift tests use, keep them.
let perChunkPaths: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "libpyacq",
    products: [
        // Built as libPyAcqShared.so; `make lib` installs it as libpyacq.so.<ABI> (the `pyacq` name
        // belongs to the command-line tool).
        .library(name: "PyAcqShared", type: .dynamic, targets: ["PyAcqCABI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CBlosc", pkgConfig: "blosc", providers: [.apt(["libblosc-dev"])]),
        .systemLibrary(name: "CMsgPack", pkgConfig: "msgpack", providers: [.apt(["libmsgpack-dev"])]),
        .systemLibrary(name: "CPyAcqHeader"),
        .target(name: "CPyAcqSupport"),
        .target(name: "PyAcqCore", dependencies: ["CZeroMQ", "CBlosc", "CPyAcqSupport"], swiftSettings: perChunkPaths),
        // FFTW3 (single precision): the FFTs of the TimeFreqWorker's wavelet transform.
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .target(name: "PyAcqNodes", dependencies: ["PyAcqCore", "CFFTW"]),
        .target(name: "PyAcqRPC", dependencies: ["PyAcqCore", "CMsgPack", "CZeroMQ"]),
        // OpenSSL's libcrypto: AES-128 for the Emotiv EPOC reports.
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // libusb: the Emotiv EPOC dongle opened by vendor/product id (no hidraw node needed).
        .systemLibrary(name: "CLibUSB", pkgConfig: "libusb-1.0", providers: [.apt(["libusb-1.0-0-dev"])]),
        // PortAudio (audio devices) and FFmpeg's libraries (cameras, files, video encoding).
        .systemLibrary(name: "CPortAudio", pkgConfig: "portaudio-2.0", providers: [.apt(["portaudio19-dev"])]),
        .systemLibrary(name: "CLibAV", pkgConfig: "libavformat", providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavdevice-dev", "libswscale-dev"])]),
        // libjack: PortAudio does not report a JACK client that disappears; the audio node watches it.
        .systemLibrary(name: "CJack", pkgConfig: "jack", providers: [.apt(["libjack-jackd2-dev"])]),
        // Device drivers and their simulators (EEG amplifiers, audio, video).
        .target(name: "PyAcqDevices", dependencies: ["PyAcqCore", "PyAcqNodes", "COpenSSL", "CLibUSB", "CPortAudio", "CLibAV", "CJack"]),
        .target(name: "PyAcqProcess", dependencies: ["PyAcqCore", "PyAcqRPC", "PyAcqNodes", "PyAcqDevices", "CZeroMQ", "CPyAcqSupport"]),
        .target(name: "PyAcqCABI", dependencies: ["PyAcqCore", "PyAcqRPC", "PyAcqProcess", "PyAcqDevices", "CPyAcqHeader", "CPyAcqSupport"],
                swiftSettings: perChunkPaths),
        .executableTarget(name: "pyacq-nodegroup", dependencies: ["PyAcqProcess"]),
        .executableTarget(name: "pyacq-host", dependencies: ["PyAcqProcess", "PyAcqRPC", "PyAcqCore"]),
        .executableTarget(name: "pyacq", dependencies: [
            "PyAcqCore", "PyAcqRPC", "PyAcqProcess", "CPyAcqHeader", "PyAcqDevices", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "pyacq-device-bench", dependencies: ["PyAcqDevices"]),
        .executableTarget(name: "pyacq-av-bench", dependencies: ["PyAcqDevices", "PyAcqCore"]),
        .executableTarget(name: "pyacq-bench", dependencies: ["PyAcqRPC", "PyAcqCore", "PyAcqNodes", "CZeroMQ"]),
        // libFuzzer target over the decoders (built only by scripts/fuzz.sh, with -sanitize=fuzzer).
        .executableTarget(name: "pyacq-fuzz", dependencies: ["PyAcqCore", "PyAcqRPC"]),
        .target(name: "PyAcqTestSupport", dependencies: ["PyAcqCore", "CZeroMQ"], path: "Tests/PyAcqTestSupport"),
        .testTarget(name: "PyAcqCoreTests", dependencies: ["PyAcqCore", "PyAcqTestSupport", "CZeroMQ"]),
        .testTarget(name: "PyAcqRPCTests", dependencies: ["PyAcqRPC", "PyAcqCore", "PyAcqTestSupport", "CZeroMQ"]),
        .testTarget(name: "PyAcqDevicesTests", dependencies: ["PyAcqDevices", "PyAcqProcess", "PyAcqNodes", "PyAcqRPC", "PyAcqCore", "PyAcqTestSupport", "CLibUSB"]),
        .testTarget(name: "PyAcqProcessTests", dependencies: ["PyAcqProcess", "PyAcqNodes", "PyAcqRPC", "PyAcqCore", "PyAcqTestSupport"]),
    ]
)
