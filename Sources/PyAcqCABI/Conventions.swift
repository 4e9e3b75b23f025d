import CPyAcqHeader
import CPyAcqSupport
import PyAcqCore
#if canImport(Glibc)
import Glibc
#endif

// The ABI's conventions in one place: status codes + last error, handle boxes, argument
// checks, JSON in/out and view filling. Every exported function goes through `abiCall`.

/// Runs `body`, turning a thrown PyAcqError into its status code and the thread's last error.
@inline(__always)
func abiCall(_ body: () throws(PyAcqError) -> Void) -> Int32 {
    do {
        try body()
        return 0
    } catch {
        libpyacq_set_last_error(error.message)
        return error.code.rawValue
    }
}

func required<T>(_ pointer: T?, _ name: String) throws(PyAcqError) -> T {
    guard let pointer else { throw PyAcqError(.invalidArgument, "\(name) must not be NULL") }
    return pointer
}

func string(_ text: UnsafePointer<CChar>?, _ name: String) throws(PyAcqError) -> String {
    let p = try required(text, name)
    guard let s = String(validatingCString: p) else { throw PyAcqError(.invalidArgument, "\(name) is not valid UTF-8") }
    return s
}

/// A JSON object argument; NULL or "" mean an empty object.
func jsonObject(_ text: UnsafePointer<CChar>?, _ what: String) throws(PyAcqError) -> ValueMap {
    guard let text, text.pointee != 0 else { return [:] }
    guard let s = String(validatingCString: text) else { throw PyAcqError(.invalidArgument, "\(what) is not valid UTF-8") }
    guard case .map(let map) = try Value.fromJSON(s, what: what) else {
        throw PyAcqError(.badParams, "\(what) must be a JSON object")
    }
    return map
}

/// A string the caller frees with pyacq_free.
func returnString(_ s: String, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) throws(PyAcqError) {
    let out = try required(out, "output pointer")
    guard let copy = strdup(s) else { throw PyAcqError(.internalError, "out of memory") }
    out.pointee = copy
}

func returnJSON(_ map: ValueMap, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) throws(PyAcqError) {
    try returnString(try Value.map(map).jsonText(), out)
}

// MARK: handles

/// Live handles, so a destroyed or foreign pointer is reported instead of crashing the host.
enum HandleRegistry {
    nonisolated(unsafe) private static var live = Set<UInt>()
    private static let lock = Lock()

    static func register(_ object: AnyObject) -> OpaquePointer {
        let pointer = Unmanaged.passRetained(object).toOpaque()
        lock.withLock { _ = live.insert(UInt(bitPattern: pointer)) }
        return OpaquePointer(pointer)
    }

    static func resolve<T: AnyObject>(_ handle: OpaquePointer?, as type: T.Type, _ what: String) throws(PyAcqError) -> T {
        guard let handle else { throw PyAcqError(.invalidArgument, "\(what) handle is NULL") }
        let raw = UnsafeRawPointer(handle)
        let known = lock.withLock { live.contains(UInt(bitPattern: raw)) }
        guard known, let object = Unmanaged<AnyObject>.fromOpaque(raw).takeUnretainedValue() as? T else {
            throw PyAcqError(.invalidArgument, "\(what) handle is invalid or was already destroyed")
        }
        return object
    }

    static func release(_ handle: OpaquePointer?) {
        guard let handle else { return }
        let raw = UnsafeRawPointer(handle)
        let removed = lock.withLock { live.remove(UInt(bitPattern: raw)) != nil }
        if removed { Unmanaged<AnyObject>.fromOpaque(raw).release() }
    }
}

// MARK: arrays

/// Builds a view of caller memory from (data, dtype, ndim, shape, strides).
func callerArray(data: UnsafeRawPointer?, dtype: UnsafePointer<CChar>?, defaultDType: DType, ndim: Int32,
                 shape: UnsafePointer<Int64>?, strides: UnsafePointer<Int64>?) throws(PyAcqError) -> ArrayView {
    guard ndim >= 1, ndim <= PYACQ_MAX_NDIM else {
        throw PyAcqError(.invalidArgument, "ndim must be between 1 and \(PYACQ_MAX_NDIM), got \(ndim)")
    }
    let type = dtype == nil ? defaultDType : try DType(parsing: try string(dtype, "dtype"))
    let shapePtr = try required(shape, "shape")
    let dims = (0..<Int(ndim)).map { Int(shapePtr[$0]) }
    guard dims.allSatisfy({ $0 >= 0 }) else { throw PyAcqError(.invalidArgument, "shape \(dims) has a negative dimension") }
    let strideList = strides.map { s in (0..<Int(ndim)).map { Int(s[$0]) } } ?? cStrides(shape: dims, itemsize: type.itemsize)
    let count = try Extent.byteCount(shape: dims, itemsize: type.itemsize, "array of shape \(dims) and dtype \(type)")
    let base = count == 0 ? (data ?? UnsafeRawPointer(bitPattern: 64)!) : try required(data, "data")
    return ArrayView(base: base, dtype: type, shape: dims, strides: strideList)
}

func fill(_ out: UnsafeMutablePointer<pyacq_view>, with view: ArrayView?, itemsize: Int) {
    out.pointee.data = view.map { UnsafeRawPointer($0.base) }
    out.pointee.itemsize = Int32(itemsize)
    let shape = view?.shape ?? []
    let strides = view?.strides ?? []
    out.pointee.ndim = Int32(shape.count)
    withUnsafeMutableBytes(of: &out.pointee.shape) { raw in
        let dst = raw.bindMemory(to: Int64.self)
        for i in 0..<dst.count { dst[i] = i < shape.count ? Int64(shape[i]) : 0 }
    }
    withUnsafeMutableBytes(of: &out.pointee.strides) { raw in
        let dst = raw.bindMemory(to: Int64.self)
        for i in 0..<dst.count { dst[i] = i < strides.count ? Int64(strides[i]) : 0 }
    }
}

func checkedViewDims(_ view: ArrayView) throws(PyAcqError) {
    guard view.ndim <= Int(PYACQ_MAX_NDIM) else {
        throw PyAcqError(.invalidArgument, "array has \(view.ndim) dimensions, more than PYACQ_MAX_NDIM")
    }
}
