import PyAcqCore
#if canImport(Glibc)
import Glibc
#endif

/// pyacq's TimeFreqWorker (PROTOCOL §14.5): the Morlet scalogram of one input channel over the
/// last `xsize` seconds, sent as a `(plot_length, n_freqs)` float32 map on `timefreq` with the
/// head index it ends at.
///
/// Maps are computed on the node's own thread, on request (`compute_one_map(head)`, fire and
/// forget; a request arriving while a map is being computed replaces the waiting one, as pyacq's
/// worker drops calls while busy) or, with `auto_compute=True`, after every received chunk.
/// The transform settings are runtime params (`xsize`, `f_start`, `f_stop`, `deltafreq`, `f0`,
/// `normalisation`) or pyacq's `on_fly_change_wavelet(wavelet_fourrier=…, downsample_factor=…,
/// sig_chunk_size=…, plot_length=…, filter_sos=…)`; the anti-alias filter is an ideal low-pass in
/// the frequency domain, so `filter_sos` is accepted and not used.
public final class TimeFreqWorker: Node, @unchecked Sendable {
    public override class var typeName: String { "TimeFreqWorker" }
    public override class var inputSpecs: [(String, ValueMap)] { [("signals", ["streamtype": .string("signals")])] }
    public override class var outputSpecs: [(String, ValueMap)] {
        [("timefreq", ["streamtype": .string("image"), "dtype": .string("float32")])]
    }

    private static let settingNames = ["xsize", "f_start", "f_stop", "deltafreq", "f0", "normalisation"]

    private let stateLock = Lock()
    private var channel = 0
    private var maxXSize = 60.0
    private var autoCompute = false
    private var settings: [String: Double] = ["xsize": 10, "f_start": 3, "f_stop": 90, "deltafreq": 3, "f0": 2.5, "normalisation": 0]
    private var pyacqBank: (geometry: TimeFreqGeometry, bank: [(Float, Float)])?
    private var transform: MorletTransform?          // rebuilt lazily when the settings change
    private var sampleRate = 1.0
    private var mapsComputed = 0
    private var lastError: String?
    private let requests = MapRequests()
    private var poller: InputPoller?
    private var computeThread: PosixThread?

    public override func didConfigure(_ kwargs: ValueMap) throws(PyAcqError) {
        let allowed = Set(["channel", "local", "max_xsize", "auto_compute"] + Self.settingNames)
        try DSPConfig.reject(kwargs, allowing: allowed, node: Self.typeName)
        if let c = kwargs["channel"], !c.isNull {
            guard let v = c.intValue, v >= 0 else { throw PyAcqError(.badParams, "channel must be an int ≥ 0", exceptionType: "ValueError") }
            channel = v
        }
        maxXSize = kwargs["max_xsize"]?.doubleValue ?? 60
        guard maxXSize > 0 else { throw PyAcqError(.badParams, "max_xsize must be > 0 seconds", exceptionType: "ValueError") }
        autoCompute = kwargs["auto_compute"]?.boolValue ?? false
        for name in Self.settingNames where kwargs[name] != nil {
            try setParameter(name, kwargs[name]!)
        }
    }

    public override func inputConnected(_ streamName: String) {
        guard let params = inputs[0].stream.params else { return }
        stateLock.withLock {
            sampleRate = params["sample_rate"]?.doubleValue ?? 1
            refreshOutputDefaults()
        }
    }

    /// The output's shape is `(-1, n_freqs)`: fixed once it is configured (lock held).
    private func refreshOutputDefaults() {
        let output = outputs[0].stream
        guard !output.isConfigured, let count = pyacqBank?.geometry.frequencyCount ?? (try? geometry(settings))?.frequencyCount else { return }
        output.inheritedDefaults = ["sample_rate": .double(sampleRate), "shape": .array([.int(-1), .int(Int64(count))])]
    }

    /// A new frequency count cannot go through an output already configured for another.
    private func checkOutputShape(_ count: Int) throws(PyAcqError) {
        let output = outputs[0].stream
        guard output.isConfigured, let shape = try? output.params.shape(), shape.count == 2, shape[1] != count else { return }
        throw PyAcqError(.badParams, "these settings give \(count) frequencies but the configured output 'timefreq' has \(shape[1]); configure the output again (or keep the frequency count)", exceptionType: "ValueError")
    }

    public override var parameterNames: [String] { Self.settingNames + ["auto_compute"] }

    public override func parameter(_ name: String) -> Value? {
        stateLock.withLock {
            if name == "auto_compute" { return .bool(autoCompute) }
            return settings[name].map { .double($0) }
        }
    }

    public override func setParameter(_ name: String, _ value: Value) throws(PyAcqError) {
        if name == "auto_compute" {
            guard let b = value.boolValue else { throw PyAcqError(.badParams, "auto_compute must be a bool", exceptionType: "ValueError") }
            stateLock.withLock { autoCompute = b }
            return
        }
        guard Self.settingNames.contains(name) else {
            throw PyAcqError(.badParams, "TimeFreqWorker has no parameter '\(name)' (parameters: \(parameterNames.joined(separator: ", ")))", exceptionType: "KeyError")
        }
        guard let v = value.doubleValue, v.isFinite else { throw PyAcqError(.badParams, "\(name) must be a number", exceptionType: "ValueError") }
        try stateLock.withLock { () throws(PyAcqError) in
            var next = settings
            next[name] = v
            if inputs[0].stream.params != nil {  // reject a bad combination now, not on the compute thread
                try checkOutputShape(try geometry(next).frequencyCount)
            }
            settings = next
            pyacqBank = nil
            transform = nil
            refreshOutputDefaults()
        }
    }

    private func geometry(_ s: [String: Double]) throws(PyAcqError) -> TimeFreqGeometry {
        let g = try TimeFreqGeometry(sampleRate: sampleRate, xsize: s["xsize"]!, fStart: s["f_start"]!, fStop: s["f_stop"]!,
                                     deltaFreq: s["deltafreq"]!, f0: s["f0"]!, normalisation: s["normalisation"]!)
        guard Double(g.sigChunkSize) <= maxXSize * sampleRate else {
            throw PyAcqError(.badParams, "xsize \(g.xsize) s needs \(g.sigChunkSize) samples, more than max_xsize (\(maxXSize) s) keeps", exceptionType: "ValueError")
        }
        return g
    }

    public override func attribute(_ attributeName: String) -> Value? {
        stateLock.withLock {
            switch attributeName {
            case "channel": return .int(channel)
            case "maps_computed": return .int(mapsComputed)
            case "last_error": return lastError.map { .string($0) } ?? .null
            case "frequencies": return .array((transform?.geometry.frequencies ?? (try? geometry(settings))?.frequencies ?? []).map { .double($0) })
            case "worker_params": return workerParams()
            default: return nil
            }
        }
    }

    /// The derived sizes pyacq's QTimeFreq computes (lock held).
    private func workerParams() -> Value {
        guard let g = pyacqBank?.geometry ?? (try? geometry(settings)) else { return .null }
        return .map(["len_wavelet": .int(g.lenWavelet), "downsample_factor": .int(g.downsampleFactor), "sig_chunk_size": .int(g.sigChunkSize),
                     "plot_length": .int(g.plotLength), "sub_sample_rate": .double(g.subSampleRate), "nb_freq": .int(g.frequencyCount)])
    }

    public override func callMethod(_ method: String, args: [Value], kwargs: ValueMap) throws(PyAcqError) -> Value? {
        switch method {
        case "compute_one_map":
            guard let head = (args.first ?? kwargs["head"])?.intValue else {
                throw PyAcqError(.badParams, "compute_one_map needs the head index (an int)", exceptionType: "TypeError")
            }
            guard isRunning else { throw PyAcqError(.state, "TimeFreqWorker is not running", exceptionType: "AssertionError") }
            requests.post(head)
            return .null
        case "on_fly_change_wavelet":
            try changeWavelet(kwargs)
            return .null
        default:
            return nil
        }
    }

    /// pyacq's on_fly_change_wavelet: a bank computed by the caller, or settings by name.
    private func changeWavelet(_ kwargs: ValueMap) throws(PyAcqError) {
        guard case .ndarray(let wf)? = kwargs["wavelet_fourrier"] else {
            for (name, value) in kwargs { try setParameter(name, value) }
            return
        }
        guard wf.shape.count == 2, wf.dtype.kind == .complex, wf.dtype.itemsize == 8 || wf.dtype.itemsize == 16, wf.dtype.isNativeOrder else {
            throw PyAcqError(.badParams, "wavelet_fourrier must be a 2-D complex64/complex128 array (len_wavelet, n_freqs), got \(wf.dtype) \(wf.shape)", exceptionType: "ValueError")
        }
        let q = kwargs["downsample_factor"]?.intValue ?? 1
        let rows = kwargs["plot_length"]?.intValue ?? wf.shape[0]
        if let chunk = kwargs["sig_chunk_size"]?.intValue, chunk != q * wf.shape[0] {
            throw PyAcqError(.badParams, "sig_chunk_size \(chunk) must be downsample_factor × len(wavelet_fourrier) = \(q * wf.shape[0])", exceptionType: "ValueError")
        }
        var bank: [(Float, Float)]
        if wf.dtype.itemsize == 8 {
            bank = wf.values(as: SIMD2<Float>.self).map { ($0.x, $0.y) }
        } else {
            bank = wf.values(as: SIMD2<Double>.self).map { (Float($0.x), Float($0.y)) }
        }
        try stateLock.withLock { () throws(PyAcqError) in
            let g = try TimeFreqGeometry(sampleRate: sampleRate, lenWavelet: wf.shape[0], downsampleFactor: q, plotLength: rows, frequencyCount: wf.shape[1])
            guard Double(g.sigChunkSize) <= maxXSize * sampleRate else {
                throw PyAcqError(.badParams, "sig_chunk_size \(g.sigChunkSize) exceeds max_xsize (\(maxXSize) s)", exceptionType: "ValueError")
            }
            try checkOutputShape(g.frequencyCount)
            pyacqBank = (g, bank)
            bank = []
            transform = nil
            refreshOutputDefaults()
        }
    }

    public override func didInitialize() throws(PyAcqError) {
        let signals = try input
        guard let params = signals.params else { throw PyAcqError(.state, "connect the input before initialize()") }
        let shape = try params.shape()
        guard shape.count == 2 else { throw PyAcqError(.badParams, "TimeFreqWorker needs a 2-D (samples, channels) signal, got shape \(shape)", exceptionType: "ValueError") }
        guard channel < shape[1] else { throw PyAcqError(.badParams, "channel \(channel) is out of range: the input has \(shape[1]) channels", exceptionType: "ValueError") }
        let dtype = try params.dtype()
        guard [.float, .int, .uint].contains(dtype.kind) else { throw PyAcqError(.dtype, "TimeFreqWorker needs a numeric signal, got \(dtype)") }
        sampleRate = params["sample_rate"]?.doubleValue ?? 1
        try stateLock.withLock { () throws(PyAcqError) in _ = try geometry(settings) }
        if params["transfermode"]?.stringValue != "sharedmem" {
            try signals.setBuffer(size: max(Int(sampleRate * maxXSize), 16))
        }
    }

    public override func didStart() throws(PyAcqError) {
        let signals = try input, output = try self.output
        // Taken once: InputStream.buffer waits for the input's lock, which the poller holds
        // while it waits for a chunk (up to 50 ms a map otherwise).
        guard let ring = signals.buffer else { throw PyAcqError(.state, "the input has no buffer") }
        requests.open()
        poller = InputPoller(input: signals) { [self] chunk throws(PyAcqError) in
            if stateLock.withLock({ autoCompute }) { requests.post(chunk.index) }
        }
        computeThread = PosixThread(name: "\(name)-tfr") { [self] in
            while let head = requests.next() {
                do throws(PyAcqError) {
                    try computeMap(head: head, ring: ring, output: output)
                } catch {
                    stateLock.withLock { lastError = error.message }
                    Diagnostics.report(30, "\(name): \(error.message)")
                }
            }
        }
        poller?.start(name: "\(name)-signals")
    }

    private func computeMap(head requested: Int, ring: RingBuffer, output: OutputStream) throws(PyAcqError) {
        let t = try stateLock.withLock { () throws(PyAcqError) -> MorletTransform in
            if let transform { return transform }
            let made: MorletTransform
            if let b = pyacqBank {
                made = try MorletTransform(b.geometry, bank: b.bank)
            } else {
                made = try MorletTransform(try geometry(settings))
            }
            transform = made
            return made
        }
        let g = t.geometry
        let head = requested - requested % g.downsampleFactor
        let start = head - g.sigChunkSize
        guard head <= ring.index, start >= ring.index - ring.length else {
            throw PyAcqError(.index, "map at head \(requested) needs samples \(start)..<\(head); the buffer holds \(ring.index - ring.length)..<\(ring.index)")
        }
        let window = try ring.getData(start: max(start, 0), stop: head)
        let missing = max(0, -start)   // before the stream's first sample: zeros, as pyacq's zero-filled ring
        let column = ArrayView(base: window.base + channel * window.strides[1], dtype: window.dtype, shape: [window.shape[0]],
                               strides: [window.strides[0]], owner: window.owner)
        let values: [Float]? = column.dtype == .float32 ? nil : try column.converted(to: .float32).values(as: Float.self)
        let map = NDArray(dtype: .float32, shape: [g.plotLength, g.frequencyCount])
        t.compute(fill: { dst in
            for i in 0..<missing { dst[i] = 0 }
            if let values {
                for i in 0..<values.count { dst[missing + i] = values[i] }
            } else {
                let stride = column.strides[0]
                for i in 0..<column.shape[0] { dst[missing + i] = (column.base + i * stride).loadUnaligned(as: Float.self) }
            }
        }, into: map.storage.pointer.assumingMemoryBound(to: Float.self))
        stateLock.withLock { mapsComputed += 1 }
        try output.send(map.view, index: head)
    }

    public override func didStop() throws(PyAcqError) {
        poller?.stop()
        poller = nil
        requests.close()
        computeThread?.join()
        computeThread = nil
    }
}

/// The latest map request waiting for the compute thread (newer requests replace older ones).
final class MapRequests: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var pending: Int?
    private var isOpen = false

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func open() {
        pthread_mutex_lock(mutex)
        isOpen = true
        pending = nil
        pthread_mutex_unlock(mutex)
    }

    func post(_ head: Int) {
        pthread_mutex_lock(mutex)
        pending = head
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// The next request, or nil once closed.
    func next() -> Int? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while isOpen && pending == nil { pthread_cond_wait(condition, mutex) }
        guard isOpen, let head = pending else { return nil }
        pending = nil
        return head
    }

    func close() {
        pthread_mutex_lock(mutex)
        isOpen = false
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }
}
