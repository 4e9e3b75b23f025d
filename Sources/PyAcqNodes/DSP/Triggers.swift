import PyAcqCore

/// Threshold crossings on one channel, with pyacq's debounce modes (PROTOCOL §14.2). Shared by
/// AnalogTrigger and DigitalTrigger, which differ only in how a channel becomes a value.
public class TriggerBase: Node, @unchecked Sendable {
    public override class var inputSpecs: [(String, ValueMap)] { [("signals", ["streamtype": .string("signals")])] }
    public override class var outputSpecs: [(String, ValueMap)] {
        [("events", ["streamtype": .string("events"), "dtype": .string("int64"), "shape": .array([.int(-1)])])]
    }

    public enum Front: String { case rising = "+", falling = "-" }
    public enum Debounce: String { case none = "no-debounce", afterStable = "after-stable", beforeStable = "before-stable" }

    // Runtime parameters.
    private(set) var channel = 0
    private(set) var threshold = 0.0
    private(set) var front = Front.rising
    private(set) var debounce = Debounce.none
    private(set) var debounceTime = 0.01
    private var maxSize = 2.0

    private let stateLock = Lock()
    private var history: [Double] = []   // channel values for samples [historyStart, historyStart + count)
    private var historyStart = 0
    private var lastPos: Int?
    private var eventCount = 0
    private var sampleRate = 1.0
    private var poller: InputPoller?

    public override func didConfigure(_ kwargs: ValueMap) throws(PyAcqError) {
        if let unknown = kwargs.keys.first(where: { !["max_size", "emit_qt_signal"].contains($0) }) {
            throw PyAcqError(.badParams, "\(Self.typeName).configure() got an unexpected keyword '\(unknown)'", exceptionType: "TypeError")
        }
        maxSize = kwargs["max_size"]?.doubleValue ?? 2.0
        guard maxSize > 0 else { throw PyAcqError(.badParams, "max_size must be > 0 seconds", exceptionType: "ValueError") }
    }

    public override var parameterNames: [String] { ["channel", "threshold", "front", "debounce_mode", "debounce_time"] }

    public override func parameter(_ name: String) -> Value? {
        stateLock.withLock {
            switch name {
            case "channel": return .int(channel)
            case "threshold": return .double(threshold)
            case "front": return .string(front.rawValue)
            case "debounce_mode": return .string(debounce.rawValue)
            case "debounce_time": return .double(debounceTime)
            default: return nil
            }
        }
    }

    public override func setParameter(_ name: String, _ value: Value) throws(PyAcqError) {
        try stateLock.withLock { () throws(PyAcqError) in
            switch name {
            case "channel":
                guard let c = value.intValue, c >= 0 else { throw PyAcqError(.badParams, "channel must be an int ≥ 0", exceptionType: "ValueError") }
                channel = c
            case "threshold":
                guard let t = value.doubleValue else { throw PyAcqError(.badParams, "threshold must be a number", exceptionType: "ValueError") }
                threshold = t
            case "front":
                guard let f = value.stringValue.flatMap(Front.init(rawValue:)) else {
                    throw PyAcqError(.badParams, "front must be '+' (rising) or '-' (falling), got \(value)", exceptionType: "ValueError")
                }
                front = f
            case "debounce_mode":
                guard let d = value.stringValue.flatMap(Debounce.init(rawValue:)) else {
                    throw PyAcqError(.badParams, "debounce_mode must be 'no-debounce', 'after-stable' or 'before-stable', got \(value)", exceptionType: "ValueError")
                }
                debounce = d
            case "debounce_time":
                guard let t = value.doubleValue, t >= 0 else { throw PyAcqError(.badParams, "debounce_time must be ≥ 0 seconds", exceptionType: "ValueError") }
                debounceTime = t
            default:
                throw PyAcqError(.badParams, "\(Self.typeName) has no parameter '\(name)' (parameters: \(parameterNames.joined(separator: ", ")))", exceptionType: "KeyError")
            }
        }
    }

    /// The channel's values of a chunk, as doubles (subclasses decide what a channel is).
    func channelValues(_ data: ArrayView, channel: Int) throws(PyAcqError) -> [Double] { [] }

    public override func didInitialize() throws(PyAcqError) {
        guard let params = try input.params else { throw PyAcqError(.state, "connect the input before initialize()") }
        sampleRate = params["sample_rate"]?.doubleValue ?? 1
    }

    public override func didStart() throws(PyAcqError) {
        stateLock.withLock {
            history = []
            historyStart = 0
            lastPos = nil
            eventCount = 0
        }
        let output = try self.output
        poller = InputPoller(input: try input) { [self] chunk throws(PyAcqError) in
            guard let data = chunk.data else { return }
            let events = try detect(data, end: chunk.index)
            if !events.isEmpty {
                let count = stateLock.withLock { () -> Int in eventCount += events.count; return eventCount }
                try output.send(NDArray(dtype: .int64, shape: [events.count], values: events.map(Int64.init)).view, index: count)
            }
        }
        poller?.start(name: "\(name)-trigger")
    }

    public override func didStop() throws(PyAcqError) {
        poller?.stop()
        poller = nil
    }

    /// Appends a chunk ending at `end` and returns the crossings that can now be decided.
    func detect(_ data: ArrayView, end: Int) throws(PyAcqError) -> [Int] {
        let (ch, thr, fr, mode, dbTime) = stateLock.withLock { (channel, threshold, front, debounce, debounceTime) }
        let values = try channelValues(data, channel: ch)
        return stateLock.withLock { () -> [Int] in
            if history.isEmpty { historyStart = end - values.count }
            if historyStart + history.count != end - values.count {
                // A gap or a restart: start over from this chunk.
                history = []
                historyStart = end - values.count
                lastPos = nil
            }
            history += values
            let db = Int(dbTime * sampleRate)
            let keep = max(Int(maxSize * sampleRate), values.count + 3 * db + 2)
            if history.count > keep {
                history.removeFirst(history.count - keep)
                historyStart = end - history.count
            }
            let withheld = mode == .afterStable ? db : mode == .beforeStable ? 2 * db : 0
            let first = max((lastPos ?? (end - values.count)) + 1, historyStart + 1)
            let limit = end - withheld
            var events: [Int] = []
            func x(_ k: Int) -> Double { history[k - historyStart] }
            func crosses(_ k: Int) -> Bool {
                fr == .rising ? (x(k - 1) <= thr && x(k) > thr) : (x(k - 1) >= thr && x(k) < thr)
            }
            func wrongSide(_ k: Int) -> Bool { fr == .rising ? x(k) < thr : x(k) > thr }
            func beforeWrongSide(_ k: Int) -> Bool { fr == .rising ? x(k) > thr : x(k) < thr }
            if first < limit {
                for k in first..<limit where crosses(k) {
                    switch mode {
                    case .none: events.append(k)
                    case .afterStable:
                        if !(k..<(k + db)).contains(where: wrongSide) { events.append(k) }
                    case .beforeStable:
                        let lowStart = max(k - db, historyStart)
                        if !(lowStart..<k).contains(where: beforeWrongSide) && !((k + db)..<(k + 2 * db)).contains(where: wrongSide) {
                            events.append(k)
                        }
                    }
                }
            }
            lastPos = max(limit - 1, lastPos ?? Int.min)
            return events
        }
    }
}

/// Crossings of an analog channel's value.
public final class AnalogTrigger: TriggerBase, @unchecked Sendable {
    public override class var typeName: String { "AnalogTrigger" }

    override func channelValues(_ data: ArrayView, channel: Int) throws(PyAcqError) -> [Double] {
        guard data.ndim == 2, channel < data.shape[1] else {
            throw PyAcqError(.invalidArgument, "AnalogTrigger channel \(channel) does not exist in chunks of shape \(data.shape)")
        }
        let numeric: Set<DType.Kind> = [.bool, .int, .uint, .float]
        guard numeric.contains(data.dtype.kind), data.dtype.isNativeOrder else {
            throw PyAcqError(.dtype, "AnalogTrigger needs a numeric stream, got \(data.dtype)")
        }
        let column = ArrayView(base: data.base + channel * data.strides[1], dtype: data.dtype, shape: [data.shape[0]], strides: [data.strides[0]])
        return try column.converted(to: .float64).values(as: Double.self)
    }
}

/// Edges of one bit of a digital stream: channel c is bit c % 8 of byte c / 8 of each sample
/// (pyacq divides by the item size instead of 8; PROTOCOL §15.3 lets us fix that).
public final class DigitalTrigger: TriggerBase, @unchecked Sendable {
    public override class var typeName: String { "DigitalTrigger" }

    public override func didInitialize() throws(PyAcqError) {
        try super.didInitialize()
        try? setParameter("threshold", .double(0.5))
    }

    override func channelValues(_ data: ArrayView, channel: Int) throws(PyAcqError) -> [Double] {
        let bytesPerRow = data.count / max(data.shape[0], 1) * data.dtype.itemsize
        guard channel / 8 < bytesPerRow else {
            throw PyAcqError(.invalidArgument, "DigitalTrigger bit \(channel) is outside the \(bytesPerRow)-byte samples")
        }
        let rows = data.toNDArray()
        let bytes = rows.bytes
        let mask = UInt8(1 << (channel % 8))
        return (0..<data.shape[0]).map { r in bytes[r * bytesPerRow + channel / 8] & mask != 0 ? 1 : 0 }
    }
}
