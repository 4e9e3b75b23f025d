import CPyAcqHeader
import CPyAcqSupport
import PyAcqCore
#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) private let versionText: UnsafePointer<CChar> = {
    let text = "\(PYACQ_VERSION_MAJOR).\(PYACQ_VERSION_MINOR).\(PYACQ_VERSION_PATCH)"
    return UnsafePointer(strdup(text)!)
}()

@c @implementation
public func pyacq_version() -> UnsafePointer<CChar>! { versionText }

@c @implementation
public func pyacq_version_number() -> Int32 {
    PYACQ_VERSION_MAJOR * 10000 + PYACQ_VERSION_MINOR * 100 + PYACQ_VERSION_PATCH
}

@c @implementation
public func pyacq_abi_version() -> Int32 { PYACQ_ABI_VERSION }

@c @implementation
public func pyacq_last_error() -> UnsafePointer<CChar>! { libpyacq_last_error() }

nonisolated(unsafe) private let statusNames: [Int32: UnsafePointer<CChar>] = {
    let names: [(pyacq_status, String)] = [
        (PYACQ_OK, "PYACQ_OK"), (PYACQ_ERR_INVALID_ARGUMENT, "PYACQ_ERR_INVALID_ARGUMENT"),
        (PYACQ_ERR_BAD_PARAMS, "PYACQ_ERR_BAD_PARAMS"), (PYACQ_ERR_DTYPE, "PYACQ_ERR_DTYPE"),
        (PYACQ_ERR_STATE, "PYACQ_ERR_STATE"), (PYACQ_ERR_TIMEOUT, "PYACQ_ERR_TIMEOUT"),
        (PYACQ_ERR_IO, "PYACQ_ERR_IO"), (PYACQ_ERR_MALFORMED, "PYACQ_ERR_MALFORMED"),
        (PYACQ_ERR_INDEX, "PYACQ_ERR_INDEX"), (PYACQ_ERR_BUFFER_TOO_SMALL, "PYACQ_ERR_BUFFER_TOO_SMALL"),
        (PYACQ_ERR_OVERRUN, "PYACQ_ERR_OVERRUN"), (PYACQ_ERR_CLOSED, "PYACQ_ERR_CLOSED"),
        (PYACQ_ERR_REMOTE, "PYACQ_ERR_REMOTE"), (PYACQ_ERR_INTERNAL, "PYACQ_ERR_INTERNAL"),
    ]
    var table: [Int32: UnsafePointer<CChar>] = [:]
    for (code, name) in names { table[code.rawValue] = UnsafePointer(strdup(name)!) }
    return table
}()
nonisolated(unsafe) private let unknownStatus: UnsafePointer<CChar> = UnsafePointer(strdup("PYACQ_UNKNOWN_STATUS")!)

@c @implementation
public func pyacq_status_name(_ status: Int32) -> UnsafePointer<CChar>! { statusNames[status] ?? unknownStatus }

@c @implementation
public func pyacq_free(_ pointer: UnsafeMutableRawPointer?) { free(pointer) }

@c @implementation
public func pyacq_dtype_itemsize(_ dtype: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        let type = try DType(parsing: try string(dtype, "dtype"))
        try required(out, "itemsize_out").pointee = Int64(type.itemsize)
    }
}

@c @implementation
public func pyacq_dtype_normalize(_ dtype: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    abiCall { () throws(PyAcqError) in
        try returnString(try DType(parsing: try string(dtype, "dtype")).description, out)
    }
}
