// swift-tools-version:6.0
import PackageDescription

// Layers (dependencies point downward only): PyAcqCABI -> PyAcqCore -> C shims.
// The release build of libpyacq.so adds -static-stdlib and a version script on the command
// line (see the Makefile): putting them here would break `swift test`.
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
        .target(name: "PyAcqCore", dependencies: ["CZeroMQ", "CBlosc", "CPyAcqSupport"]),
        .target(name: "PyAcqNodes", dependencies: ["PyAcqCore"]),
        .target(name: "PyAcqRPC", dependencies: ["PyAcqCore", "CMsgPack", "CZeroMQ", "CPyAcqSupport"]),
        .systemLibrary(name: "CPortAudio", pkgConfig: "portaudio-2.0", providers: [.apt(["portaudio19-dev"])]),
        .systemLibrary(name: "CLibAV", pkgConfig: "libavformat", providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavdevice-dev", "libswscale-dev"])]),
        .systemLibrary(name: "CJack", pkgConfig: "jack", providers: [.apt(["libjack-jackd2-dev"])]),
        .target(name: "PyAcqDevices", dependencies: ["PyAcqCore", "PyAcqNodes", "CPortAudio", "CLibAV", "CJack"]),
        .target(name: "PyAcqProcess", dependencies: ["PyAcqCore", "PyAcqRPC", "PyAcqNodes", "PyAcqDevices", "CZeroMQ", "CPyAcqSupport"]),
        .target(name: "PyAcqCABI", dependencies: ["PyAcqCore", "PyAcqRPC", "PyAcqProcess", "PyAcqDevices", "CPyAcqHeader"]),
        .executableTarget(name: "pyacq-nodegroup", dependencies: ["PyAcqProcess"]),
        .executableTarget(name: "pyacq-host", dependencies: ["PyAcqProcess", "PyAcqRPC", "PyAcqCore"]),
        .executableTarget(name: "pyacq", dependencies: [
            "PyAcqCore", "PyAcqRPC", "PyAcqProcess", "PyAcqNodes", "PyAcqDevices", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "pyacq-av-bench", dependencies: ["PyAcqDevices", "PyAcqCore"]),
        .executableTarget(name: "pyacq-bench", dependencies: ["PyAcqRPC", "PyAcqCore", "PyAcqNodes", "CZeroMQ"]),
        .target(name: "PyAcqTestSupport", dependencies: ["PyAcqCore", "CZeroMQ"], path: "Tests/PyAcqTestSupport"),
        .testTarget(name: "PyAcqCoreTests", dependencies: ["PyAcqCore", "PyAcqTestSupport"]),
        .testTarget(name: "PyAcqRPCTests", dependencies: ["PyAcqRPC", "PyAcqCore", "PyAcqTestSupport"]),
        .testTarget(name: "PyAcqDevicesTests", dependencies: ["PyAcqDevices", "PyAcqNodes", "PyAcqCore", "PyAcqTestSupport"]),
        .testTarget(name: "PyAcqProcessTests", dependencies: ["PyAcqProcess", "PyAcqNodes", "PyAcqRPC", "PyAcqCore", "PyAcqTestSupport"]),
    ]
)
