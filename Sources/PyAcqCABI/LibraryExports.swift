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

@c @implementation
public func pyacq_last_error_type() -> UnsafePointer<CChar>! { libpyacq_last_error_type() }

@c @implementation
public func pyacq_last_error_traceback() -> UnsafePointer<CChar>! { libpyacq_last_error_traceback() }

/// Static C strings for pyacq_status_name, built once from PyAcqError.Code (the Swift status table).
nonisolated(unsafe) private let statusNames: [Int32: UnsafePointer<CChar>] = {
    var table: [Int32: UnsafePointer<CChar>] = [PYACQ_OK.rawValue: UnsafePointer(strdup("PYACQ_OK")!)]
    for code in PyAcqError.Code.all { table[code.rawValue] = UnsafePointer(strdup(code.name)!) }
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
