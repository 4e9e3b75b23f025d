import PyAcqCore

extension Node {
    /// Stops the node after its device failed. Called from the device's own worker thread,
    /// which `stop()` joins: the stop runs on a short-lived thread of its own instead.
    func stopAfterDeviceFailure(_ message: String) {
        Diagnostics.report(40, message)
        _ = PosixThread(name: "\(name)-stop") { [self] in try? stop() }
    }
}
