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
        case handle = -13
        case internalError = -99

        /// The C enumerator's name (include/pyacq.h); the one status table of the Swift side.
        public var name: String {
            switch self {
            case .invalidArgument: return "PYACQ_ERR_INVALID_ARGUMENT"
            case .badParams: return "PYACQ_ERR_BAD_PARAMS"
            case .dtype: return "PYACQ_ERR_DTYPE"
            case .state: return "PYACQ_ERR_STATE"
            case .timeout: return "PYACQ_ERR_TIMEOUT"
            case .io: return "PYACQ_ERR_IO"
            case .malformed: return "PYACQ_ERR_MALFORMED"
            case .index: return "PYACQ_ERR_INDEX"
            case .bufferTooSmall: return "PYACQ_ERR_BUFFER_TOO_SMALL"
            case .overrun: return "PYACQ_ERR_OVERRUN"
            case .closed: return "PYACQ_ERR_CLOSED"
            case .remote: return "PYACQ_ERR_REMOTE"
            case .handle: return "PYACQ_ERR_HANDLE"
            case .internalError: return "PYACQ_ERR_INTERNAL"
            }
        }

        public static let all: [Code] = [.invalidArgument, .badParams, .dtype, .state, .timeout, .io, .malformed, .index,
                                         .bufferTooSmall, .overrun, .closed, .remote, .handle, .internalError]
    }

    public let code: Code
    public let message: String
    /// The Python exception type a remote peer sees (or reported), e.g. "KeyError".
    public let exceptionType: String
    /// The remote peer's formatted traceback (for `.remote`), empty otherwise.
    public let traceback: String

    public init(_ code: Code, _ message: String, exceptionType: String? = nil, traceback: String = "") {
        self.code = code
        self.message = message
        self.exceptionType = exceptionType ?? PyAcqError.defaultExceptionType(code)
        self.traceback = traceback
    }

    static func defaultExceptionType(_ code: Code) -> String {
        switch code {
        case .invalidArgument, .dtype, .handle: return "TypeError"
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
