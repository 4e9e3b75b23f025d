import CPyAcqHeader
import CPyAcqSupport
import PyAcqCore
import PyAcqProcess
import PyAcqRPC
#if canImport(Glibc)
import Glibc
#endif

// The ABI's conventions in one place: status codes + last error, handle boxes, argument
// checks, JSON in/out and view filling. Every exported function goes through `abiCall`.

/// Runs `body`, turning a thrown PyAcqError into its status code and the thread's last error.
/// The first call wires the runtime (a no-op afterwards).
@inline(__always)
func abiCall(_ body: () throws(PyAcqError) -> Void) -> Int32 {
    PyAcqRuntime.bootstrap()
    do {
        try body()
        return 0
    } catch {
        libpyacq_set_last_error(error.message, error.exceptionType, error.traceback)
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

/// Whether a JSON argument may carry pyacq's marker maps (ndarray, bytes, proxy...: PROTOCOL
/// §3.3). Values bound for a remote peer may; local params and options are plain JSON.
enum JSONMarkers { case allowed, plainJSON }

/// The one decoder of JSON arguments; NULL or "" give `fallback`.
func jsonArgument(_ text: UnsafePointer<CChar>?, _ what: String, markers: JSONMarkers, default fallback: Value) throws(PyAcqError) -> Value {
    guard let text, text.pointee != 0 else { return fallback }
    guard let s = String(validatingCString: text) else { throw PyAcqError(.invalidArgument, "\(what) is not valid UTF-8") }
    switch markers {
    case .plainJSON: return try Value.fromJSON(s, what: what)
    case .allowed:
        do { return try Serializer.json.decode(Array(s.utf8)) } catch { throw PyAcqError(.badParams, "\(what): \(error.message)") }
    }
}

/// A JSON object argument; NULL or "" mean an empty object.
func jsonObject(_ text: UnsafePointer<CChar>?, _ what: String, markers: JSONMarkers = .plainJSON) throws(PyAcqError) -> ValueMap {
    guard case .map(let map) = try jsonArgument(text, what, markers: markers, default: .map([:])) else {
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

/// A value bound for C as JSON with pyacq's marker maps (ndarray, bytes, proxy: PROTOCOL §3.3).
func returnWireJSON(_ value: Value, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) throws(PyAcqError) {
    try returnString(String(decoding: try Serializer.json.encode(value), as: UTF8.self), out)
}

// MARK: handles

/// Live handles. A handle is an id, never a pointer to the object, and ids are never reused: a
/// destroyed, foreign or mistyped handle is reported (PYACQ_ERR_HANDLE) instead of crashing the
/// host process or silently reaching whatever object took its place.
enum HandleRegistry {
    /// `owned`: the handle owns its object (destroying it closes the object); a borrowed handle
    /// (a local node's stream) only refers to an object something else owns.
    nonisolated(unsafe) private static var live: [UInt: (object: AnyObject, owned: Bool)] = [:]
    nonisolated(unsafe) private static var nextId: UInt = 0
    /// Every call resolves its handle: producer and consumer threads read it at once.
    private static let lock = ReadWriteLock()
    /// The latest handles by id, in front of `live`: ids are sequential, so finding a stream's
    /// handle on each send or receive is an index, not a hash lookup.
    nonisolated(unsafe) private static var recent = ContiguousArray<(id: UInt, object: AnyObject)?>(repeating: nil, count: recentSlots)
    private static let recentSlots = 1024
    private static func recentSlot(_ id: UInt) -> Int { Int((id >> 4) & UInt(recentSlots - 1)) }

    static func register(_ object: AnyObject, owned: Bool = true) -> OpaquePointer {
        lock.writing {
            // Ids step by 16 and start high, so a small integer or a real pointer is never one.
            nextId = nextId == 0 ? 0x7a00_0000_0000 : nextId + 16
            live[nextId] = (object, owned)
            recent[recentSlot(nextId)] = (nextId, object)
            return OpaquePointer(bitPattern: nextId)!
        }
    }

    static func resolve<T: AnyObject>(_ handle: OpaquePointer?, as type: T.Type, _ what: String) throws(PyAcqError) -> T {
        guard let handle else { throw PyAcqError(.handle, "\(what) handle is NULL") }
        let id = UInt(bitPattern: handle)
        let object = lock.reading { () -> AnyObject? in
            if let hit = recent[recentSlot(id)], hit.id == id { return hit.object }
            return live[id]?.object
        }
        guard let object else { throw PyAcqError(.handle, "\(what) handle is invalid or was already destroyed") }
        guard let typed = object as? T else {
            throw PyAcqError(.handle, "wrong handle kind: expected a \(what) handle, got a \(kindName(of: object)) handle")
        }
        return typed
    }

    /// Forgets the handle; returns its object when the handle owned it (for the caller to close).
    @discardableResult
    static func release(_ handle: OpaquePointer?) -> AnyObject? {
        guard let handle else { return nil }
        let id = UInt(bitPattern: handle)
        let removed = lock.writing { () -> (object: AnyObject, owned: Bool)? in
            if recent[recentSlot(id)]?.id == id { recent[recentSlot(id)] = nil }
            return live.removeValue(forKey: id)
        }
        guard let entry = removed, entry.owned else { return nil }
        return entry.object
    }

    private static func kindName(of object: AnyObject) -> String {
        (object as? NamedHandle).map { type(of: $0).handleKind } ?? String(describing: type(of: object))
    }
}

/// A handle class that names its kind in error messages ("node group", "node"...).
protocol NamedHandle: AnyObject { static var handleKind: String { get } }

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

/// Describes `view` (item size of its own dtype) to C, after checking its dimensions.
func fill(_ out: UnsafeMutablePointer<pyacq_view>, with view: borrowing ArrayView) throws(PyAcqError) {
    try checkedViewDims(view)
    let ndim = view.shape.count
    out.pointee.data = UnsafeRawPointer(view.base)
    out.pointee.itemsize = Int32(view.dtype.itemsize)
    out.pointee.ndim = Int32(ndim)
    withUnsafeMutableBytes(of: &out.pointee.shape) { raw in
        let dst = raw.baseAddress!.assumingMemoryBound(to: Int64.self)
        view.shape.withUnsafeBufferPointer { for i in 0..<ndim { dst[i] = Int64($0[i]) } }
        for i in ndim..<Int(PYACQ_MAX_NDIM) { dst[i] = 0 }
    }
    withUnsafeMutableBytes(of: &out.pointee.strides) { raw in
        let dst = raw.baseAddress!.assumingMemoryBound(to: Int64.self)
        view.strides.withUnsafeBufferPointer { for i in 0..<ndim { dst[i] = Int64($0[i]) } }
        for i in ndim..<Int(PYACQ_MAX_NDIM) { dst[i] = 0 }
    }
}

func checkedViewDims(_ view: ArrayView) throws(PyAcqError) {
    guard view.ndim <= Int(PYACQ_MAX_NDIM) else {
        throw PyAcqError(.invalidArgument, "array has \(view.ndim) dimensions, more than PYACQ_MAX_NDIM")
    }
}
