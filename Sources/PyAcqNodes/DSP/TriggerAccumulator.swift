import PyAcqCore

/// Cuts a window `[t + left_sweep, t + right_sweep)` of the signal around each event index `t`
/// and stacks the windows as (stack_size, channels, samples) in a ring, counting them
/// (PROTOCOL §14.2). Windows wait for the signal to reach `t + right_sweep`.
public final class TriggerAccumulator: Node, @unchecked Sendable {
    public override class var typeName: String { "TriggerAccumulator" }
    public override class var inputSpecs: [(String, ValueMap)] {
        [("signals", ["streamtype": .string("signals")]), ("events", ["streamtype": .string("events"), "shape": .array([.int(-1)])])]
    }

    private var maxStackSize = 10
    private var maxXSize = 2.0
    private var eventsField: String?
    private var leftSweep = -1.0, rightSweep = 1.0, stackSize = 1
    private var sampleRate = 1.0
    private var channels = 1
    private var stack: [Double] = []          // stackSize × channels × width
    private var totalTriggers = 0
    private var missedTriggers = 0
    private var pending: [Int] = []
    private var signalPoller: InputPoller?
    private var eventPoller: InputPoller?
    private let stateLock = Lock()

    private var width: Int { Int(rightSweep * sampleRate) - Int(leftSweep * sampleRate) }

    public override func didConfigure(_ kwargs: ValueMap) throws(PyAcqError) {
        if let unknown = kwargs.keys.first(where: { !["max_stack_size", "max_xsize", "events_dtype_field"].contains($0) }) {
            throw PyAcqError(.badParams, "TriggerAccumulator.configure() got an unexpected keyword '\(unknown)'", exceptionType: "TypeError")
        }
        maxStackSize = kwargs["max_stack_size"]?.intValue ?? 10
        maxXSize = kwargs["max_xsize"]?.doubleValue ?? 2.0
        eventsField = kwargs["events_dtype_field"]?.stringValue
        guard maxStackSize > 0, maxXSize > 0 else { throw PyAcqError(.badParams, "max_stack_size and max_xsize must be > 0", exceptionType: "ValueError") }
    }

    public override var parameterNames: [String] { ["left_sweep", "right_sweep", "stack_size"] }

    public override func parameter(_ name: String) -> Value? {
        stateLock.withLock {
            switch name {
            case "left_sweep": return .double(leftSweep)
            case "right_sweep": return .double(rightSweep)
            case "stack_size": return .int(stackSize)
            default: return nil
            }
        }
    }

    /// Changing the window or the stack size empties the stack.
    public override func setParameter(_ name: String, _ value: Value) throws(PyAcqError) {
        try stateLock.withLock { () throws(PyAcqError) in
            var left = leftSweep, right = rightSweep, size = stackSize
            switch name {
            case "left_sweep": left = try number(value, name)
            case "right_sweep": right = try number(value, name)
            case "stack_size":
                guard let n = value.intValue, n >= 1, n <= maxStackSize else {
                    throw PyAcqError(.badParams, "stack_size must be between 1 and max_stack_size (\(maxStackSize))", exceptionType: "ValueError")
                }
                size = n
            default:
                throw PyAcqError(.badParams, "TriggerAccumulator has no parameter '\(name)' (parameters: left_sweep, right_sweep, stack_size)", exceptionType: "KeyError")
            }
            guard right > left, right - left <= maxXSize else {
                throw PyAcqError(.badParams, "need left_sweep < right_sweep and a window of at most max_xsize (\(maxXSize) s)", exceptionType: "ValueError")
            }
            (leftSweep, rightSweep, stackSize) = (left, right, size)
            resetStack()
        }
    }

    private func number(_ v: Value, _ name: String) throws(PyAcqError) -> Double {
        guard let d = v.doubleValue else { throw PyAcqError(.badParams, "\(name) must be a number of seconds", exceptionType: "ValueError") }
        return d
    }

    private func resetStack() {
        stack = [Double](repeating: 0, count: stackSize * channels * max(width, 0))
        totalTriggers = 0
    }

    public override func attribute(_ attributeName: String) -> Value? {
        stateLock.withLock {
            switch attributeName {
            case "total_trig": return .int(totalTriggers)
            case "missed_trig": return .int(missedTriggers)
            case "stack": return .ndarray(NDArray(dtype: .float64, shape: [stackSize, channels, width], values: stack))
            default: return nil
            }
        }
    }

    public override func didInitialize() throws(PyAcqError) {
        let signals = try input(named: "signals")
        guard let params = signals.params, try input(named: "events").params != nil else {
            throw PyAcqError(.state, "connect both inputs (signals, events) before initialize()")
        }
        sampleRate = params["sample_rate"]?.doubleValue ?? 1
        channels = try params.shape().dropFirst().reduce(1, *)
        try signals.setBuffer(size: max(Int(sampleRate * maxXSize) * 2, 16))
        stateLock.withLock { resetStack() }
    }

    public override func didStart() throws(PyAcqError) {
        let signals = try input(named: "signals")
        stateLock.withLock { pending = [] }
        eventPoller = InputPoller(input: try input(named: "events")) { [self] chunk throws(PyAcqError) in
            guard let data = chunk.data else { return }
            let times = try eventTimes(data)
            stateLock.withLock { pending += times }
            try harvest(signals)
        }
        signalPoller = InputPoller(input: signals) { [self] _ throws(PyAcqError) in try harvest(signals) }
        eventPoller?.start(name: "\(name)-events")
        signalPoller?.start(name: "\(name)-signals")
    }

    /// Event sample indexes: the values of an int64 event stream, or one field of a structured one.
    private func eventTimes(_ data: ArrayView) throws(PyAcqError) -> [Int] {
        if data.dtype.isStructured {
            guard let fieldName = eventsField, let field = data.dtype.fields.first(where: { $0.name == fieldName }) else {
                throw PyAcqError(.badParams, "structured events need events_dtype_field naming their index field")
            }
            let view = ArrayView(base: data.base + field.offset, dtype: field.dtype, shape: [data.shape[0]], strides: [data.strides[0]])
            return try view.converted(to: .int64).values(as: Int64.self).map { Int($0) }
        }
        return try data.converted(to: .int64).values(as: Int64.self).map { Int($0) }
    }

    /// Stacks every pending window the signal now covers.
    private func harvest(_ signals: InputStream) throws(PyAcqError) {
        guard let ring = signals.buffer else { return }
        try stateLock.withLock { () throws(PyAcqError) in
            let left = Int(leftSweep * sampleRate), right = Int(rightSweep * sampleRate)
            let w = right - left
            var remaining: [Int] = []
            for t in pending {
                guard t + right <= ring.index else { remaining.append(t); continue }
                guard t + left >= ring.index - ring.length else { missedTriggers += 1; continue }
                let window = try ring.getData(start: t + left, stop: t + right, copy: true).converted(to: .float64).values(as: Double.self)
                let slot = totalTriggers % stackSize
                for c in 0..<channels {
                    for s in 0..<w { stack[(slot * channels + c) * w + s] = window[s * channels + c] }
                }
                totalTriggers += 1
            }
            pending = remaining
        }
    }

    public override func didStop() throws(PyAcqError) {
        eventPoller?.stop()
        signalPoller?.stop()
        eventPoller = nil
        signalPoller = nil
    }
}
