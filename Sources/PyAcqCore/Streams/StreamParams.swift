/// Stream params (PROTOCOL §8.1–§8.3): a by-value map with pyacq's defaults, plus the typed
/// reading and validation every stream needs. Unknown keys are carried along untouched.
public struct StreamParams: Equatable, Sendable {
    public var map: ValueMap

    public init(_ map: ValueMap) { self.map = map }

    public static var defaults: ValueMap {
        [
            "protocol": .string("tcp"),
            "interface": .string("127.0.0.1"),
            "port": .string("*"),
            "transfermode": .string("plaindata"),
            "streamtype": .string("analogsignal"),
            "dtype": .string("float32"),
            "shape": .array([.int(-1), .int(1)]),
            "axisorder": .null,
            "buffer_size": .int(0),
            "compression": .string(""),
            "scale": .null,
            "offset": .null,
            "units": .string(""),
            "sample_rate": .double(1.0),
            "double": .bool(false),
            "fill": .null,
        ]
    }

    public static let protocols = ["tcp", "ipc", "inproc"]
    public static let transferModes = ["plaindata", "sharedmem"]
    public static let compressions = ["", "blosc-blosclz", "blosc-lz4"]

    public subscript(key: String) -> Value? {
        get { map[key] }
        set { map[key] = newValue }
    }

    func string(_ key: String) throws(PyAcqError) -> String {
        guard case .string(let s)? = map[key] else {
            throw PyAcqError(.badParams, "stream param '\(key)' must be a string, got \(map[key]?.kindName ?? "nothing")")
        }
        return s
    }

    func choice(_ key: String, among allowed: [String]) throws(PyAcqError) -> String {
        let s = try string(key)
        guard allowed.contains(s) else {
            throw PyAcqError(.badParams, "stream param '\(key)' is '\(s)'; expected one of \(allowed.map { "'\($0)'" }.joined(separator: ", "))")
        }
        return s
    }

    public func protocolName() throws(PyAcqError) -> String { try choice("protocol", among: Self.protocols) }
    public func transferMode() throws(PyAcqError) -> String { try choice("transfermode", among: Self.transferModes) }
    public func compression() throws(PyAcqError) -> String {
        if map["compression"] == nil || map["compression"] == .null { return "" }
        return try choice("compression", among: Self.compressions)
    }

    public func dtype() throws(PyAcqError) -> DType {
        guard let v = map["dtype"] else { throw PyAcqError(.badParams, "stream params have no 'dtype'") }
        return try DType(v)
    }

    /// `shape`: first entry -1 (variable chunk length) or > 0, the others > 0.
    public func shape() throws(PyAcqError) -> [Int] {
        guard case .array(let items)? = map["shape"], !items.isEmpty else {
            throw PyAcqError(.badParams, "stream param 'shape' must be a non-empty list of ints")
        }
        var shape: [Int] = []
        for item in items {
            guard let n = item.intValue else { throw PyAcqError(.badParams, "stream param 'shape' must contain ints, got \(item.kindName)") }
            shape.append(n)
        }
        guard shape[0] == -1 || shape[0] > 0 else { throw PyAcqError(.badParams, "shape[0] must be -1 or > 0, got \(shape[0])") }
        guard shape.dropFirst().allSatisfy({ $0 > 0 }) else {
            throw PyAcqError(.badParams, "every entry of shape after the first must be > 0, got \(shape)")
        }
        return shape
    }

    public func int(_ key: String, default fallback: Int) throws(PyAcqError) -> Int {
        guard let v = map[key], !v.isNull else { return fallback }
        guard let i = v.intValue else { throw PyAcqError(.badParams, "stream param '\(key)' must be an int, got \(v.kindName)") }
        return i
    }

    public func bool(_ key: String, default fallback: Bool) throws(PyAcqError) -> Bool {
        guard let v = map[key], !v.isNull else { return fallback }
        if let b = v.boolValue { return b }
        if let i = v.intValue { return i != 0 }
        throw PyAcqError(.badParams, "stream param '\(key)' must be a bool, got \(v.kindName)")
    }

    public func axisOrder() throws(PyAcqError) -> [Int]? {
        guard let v = map["axisorder"], !v.isNull else { return nil }
        guard case .array(let items) = v else { throw PyAcqError(.badParams, "stream param 'axisorder' must be a list of ints or null") }
        var order: [Int] = []
        for item in items {
            guard let i = item.intValue else { throw PyAcqError(.badParams, "stream param 'axisorder' must contain ints") }
            order.append(i)
        }
        return order
    }

    public var fill: Value { map["fill"] ?? .null }

    /// The ZeroMQ endpoint the producer binds and consumers connect to.
    public func url() throws(PyAcqError) -> String {
        let proto = try protocolName()
        let interface = try string("interface")
        if proto == "tcp" {
            let port: String
            switch map["port"] {
            case .string(let s)?: port = s
            case .int(let i)?: port = String(i)
            default: throw PyAcqError(.badParams, "stream param 'port' must be a string such as \"*\" or \"5000\"")
            }
            // libzmq would wrap "99999" to 34463 and "-1" to 65535: only "*" or 0…65535 pass.
            guard port == "*" || (port.count <= 5 && port.allSatisfy({ $0.isASCII && $0.isNumber })
                                  && Int(port).map({ $0 <= 65535 }) == true) else {
                throw PyAcqError(.badParams, "stream param 'port' must be \"*\" or a TCP port 0…65535, got \(port.debugDescription)")
            }
            return "tcp://\(interface):\(port)"
        }
        return "\(proto)://\(interface)"
    }

    /// Applies an input's spec to the producer's params (PROTOCOL §8.3): the four structural
    /// keys must agree, every other spec key overrides the producer's value locally.
    public func applyingInputSpec(_ spec: ValueMap) throws(PyAcqError) -> StreamParams {
        var result = self
        for (key, specValue) in spec {
            let theirs = map[key] ?? .null
            switch key {
            case "protocol", "transfermode":
                guard specValue.looselyEquals(theirs) else {
                    throw PyAcqError(.badParams, "input requires \(key) \(specValue), the output has \(theirs)")
                }
            case "dtype":
                guard try DType(specValue) == DType(theirs) else {
                    throw PyAcqError(.dtype, "input requires dtype \(try DType(specValue)), the output has \(try DType(theirs))")
                }
            case "shape":
                let mine = try StreamParams(["shape": specValue]).shape()
                let other = try shape()
                let compatible = mine.count == other.count && zip(mine, other).allSatisfy { $0 == $1 || $0 == -1 || $1 == -1 }
                guard compatible else { throw PyAcqError(.badParams, "input requires shape \(mine), the output has \(other)") }
            default:
                result.map[key] = specValue
            }
        }
        return result
    }
}
