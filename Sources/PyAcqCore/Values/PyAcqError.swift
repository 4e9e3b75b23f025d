/// The one error type of the library. `code` maps one to one onto the C ABI's status codes
/// (include/pyacq.h), so every layer reports failures the same way.
public struct PyAcqError: Error, CustomStringConvertible, Equatable {
    public enum Code: Int32, Sendable {
        case invalidArgument = -1
        case badParams = -2
        case dtype = -3
        case state = -4
        case timeout = -5
        case io = -6
        case malformed = -7
        case index = -8
        case bufferTooSmall = -9
        case overrun = -10
        case closed = -11
        case remote = -12
        case internalError = -99
    }

    public let code: Code
    public let message: String
    /// The Python exception type a remote peer sees (or reported), e.g. "KeyError".
    public let exceptionType: String

    public init(_ code: Code, _ message: String, exceptionType: String? = nil) {
        self.code = code
        self.message = message
        self.exceptionType = exceptionType ?? PyAcqError.defaultExceptionType(code)
    }

    static func defaultExceptionType(_ code: Code) -> String {
        switch code {
        case .invalidArgument, .dtype: return "TypeError"
        case .badParams, .malformed: return "ValueError"
        case .state, .closed, .internalError, .overrun: return "RuntimeError"
        case .timeout: return "TimeoutError"
        case .io: return "OSError"
        case .index: return "IndexError"
        case .bufferTooSmall: return "ValueError"
        case .remote: return "RemoteCallException"
        }
    }

    public var description: String { message }
}

/// `withUnsafeBytes` for closures with typed throws (the standard one erases them).
public func withBytes<R>(of array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(PyAcqError) -> R) throws(PyAcqError) -> R {
    let result: Result<R, PyAcqError> = array.withUnsafeBytes { raw in Result { () throws(PyAcqError) in try body(raw) } }
    return try result.get()
}
