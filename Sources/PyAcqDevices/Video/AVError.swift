import CLibAV
import PyAcqCore

/// FFmpeg's error codes as text, and the one-time registration of its input devices.
enum LibAV {
    static func errorText(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        return buffer.withUnsafeMutableBufferPointer { String(cString: pyacq_av_err2str(code, $0.baseAddress, 256)) }
    }

    static func check(_ code: Int32, _ action: @autoclosure () -> String) throws(PyAcqError) {
        guard code < 0 else { return }
        throw PyAcqError(.io, "\(action()): \(errorText(code))", exceptionType: "OSError")
    }

    /// Registers v4l2, lavfi and the other input devices (they exist only after this) and
    /// keeps FFmpeg's log to errors (libx264 prints statistics at info level).
    static let setUp: Void = {
        avdevice_register_all()
        av_log_set_level(AV_LOG_ERROR)
    }()

    /// A dictionary of FFmpeg options; the caller frees it with av_dict_free.
    static func dictionary(_ options: [(String, String)]) -> OpaquePointer? {
        var dict: OpaquePointer?
        for (key, value) in options { av_dict_set(&dict, key, value, 0) }
        return dict
    }

    static func keys(of dict: OpaquePointer?) -> [String] {
        var keys: [String] = []
        var entry: UnsafeMutablePointer<AVDictionaryEntry>?
        while let e = av_dict_get(dict, "", entry, AV_DICT_IGNORE_SUFFIX) {
            keys.append(String(cString: e.pointee.key))
            entry = e
        }
        return keys
    }

    static func rate(_ r: AVRational) -> Double { r.den == 0 ? 0 : Double(r.num) / Double(r.den) }
}
