import CFFTW
import PyAcqCore
#if canImport(Glibc)
import Glibc
#endif

/// The window and wavelet-bank geometry of a Morlet scalogram, from pyacq's QTimeFreq settings:
/// the signal is sub-sampled to about 4 × f_stop and the wavelet length is the next power of two
/// that covers `xsize` seconds at that rate.
public struct TimeFreqGeometry: Equatable, Sendable {
    public let sampleRate: Double
    public let xsize: Double
    public let fStart: Double, fStop: Double, deltaFreq: Double, f0: Double, normalisation: Double
    /// Wavelet length (samples at the sub-sampled rate, a power of two).
    public let lenWavelet: Int
    public let downsampleFactor: Int
    /// Input samples per map (downsampleFactor × lenWavelet).
    public let sigChunkSize: Int
    public let subSampleRate: Double
    /// Rows (time bins) of each map.
    public let plotLength: Int
    /// Analysed frequencies (empty when the bank was given as pyacq's `wavelet_fourrier`).
    public let frequencies: [Double]
    public let frequencyCount: Int

    /// The geometry pyacq's QTimeFreq sends with its own wavelet bank (`on_fly_change_wavelet`).
    public init(sampleRate: Double, lenWavelet: Int, downsampleFactor: Int, plotLength: Int, frequencyCount: Int) throws(PyAcqError) {
        guard sampleRate > 0, lenWavelet >= 2, lenWavelet <= 1 << 24, downsampleFactor >= 1, downsampleFactor <= 1 << 16,
              plotLength >= 1, plotLength <= lenWavelet, frequencyCount >= 1, frequencyCount <= 10_000 else {
            throw Self.bad("inconsistent wavelet params: len_wavelet=\(lenWavelet) downsample_factor=\(downsampleFactor) plot_length=\(plotLength) freqs=\(frequencyCount)")
        }
        self.sampleRate = sampleRate
        self.xsize = Double(plotLength) * Double(downsampleFactor) / sampleRate
        (fStart, fStop, deltaFreq, f0, normalisation) = (0, 0, 0, 0, 0)
        self.lenWavelet = lenWavelet
        self.downsampleFactor = downsampleFactor
        sigChunkSize = downsampleFactor * lenWavelet
        subSampleRate = sampleRate / Double(downsampleFactor)
        self.plotLength = plotLength
        frequencies = []
        self.frequencyCount = frequencyCount
    }

    public init(sampleRate: Double, xsize: Double, fStart: Double, fStop: Double, deltaFreq: Double, f0: Double,
                normalisation: Double) throws(PyAcqError) {
        guard sampleRate > 0, sampleRate.isFinite else { throw Self.bad("sample_rate must be > 0, got \(sampleRate)") }
        guard xsize > 0, xsize.isFinite else { throw Self.bad("xsize must be > 0 seconds, got \(xsize)") }
        guard fStart > 0, fStop > fStart else { throw Self.bad("need 0 < f_start < f_stop, got f_start=\(fStart) f_stop=\(fStop)") }
        guard deltaFreq > 0 else { throw Self.bad("deltafreq must be > 0, got \(deltaFreq)") }
        guard f0 > 0 else { throw Self.bad("f0 must be > 0, got \(f0)") }
        guard normalisation.isFinite else { throw Self.bad("normalisation must be a finite number") }
        let wantedSubRate = fStop * 4 < sampleRate ? fStop * 4 : sampleRate
        let samples = xsize * wantedSubRate
        guard samples >= 2, samples <= Double(1 << 24) else { throw Self.bad("xsize × sub-sampled rate gives \(Int(samples)) samples (need 2 … 2^24)") }
        let l = 1 << Int((log2(samples)).rounded(.up))
        let q = max(1, Int((xsize * sampleRate / Double(l)).rounded(.up)))
        let count = Int(((fStop - fStart) / deltaFreq).rounded(.up))
        guard count >= 1, count <= 10_000 else { throw Self.bad("f_start…f_stop by deltafreq gives \(count) frequencies (1 … 10000)") }
        self.sampleRate = sampleRate
        self.xsize = xsize
        (self.fStart, self.fStop, self.deltaFreq, self.f0, self.normalisation) = (fStart, fStop, deltaFreq, f0, normalisation)
        lenWavelet = l
        downsampleFactor = q
        sigChunkSize = q * l
        subSampleRate = sampleRate / Double(q)
        plotLength = min(l, Int(xsize * subSampleRate))
        frequencies = (0..<count).map { fStart + Double($0) * deltaFreq }
        frequencyCount = count
    }

    private static func bad(_ message: String) -> PyAcqError { PyAcqError(.badParams, "TimeFreqWorker: " + message, exceptionType: "ValueError") }
}

/// FFTW planning is not thread-safe (execution is): every plan is made under this lock.
private let planLock = Lock()

/// One channel's Morlet scalogram: FFT of the window, brick-wall sub-sampling in the frequency
/// domain (keeps the bins below the sub-sampled Nyquist), product with each wavelet's spectrum,
/// inverse FFT, modulus. Output rows are the last `plotLength` time bins (oldest first),
/// columns the frequencies. Not thread-safe: one instance per computing thread.
public final class MorletTransform: @unchecked Sendable {
    public let geometry: TimeFreqGeometry
    private let n: Int, l: Int, nFreq: Int
    private let signal: UnsafeMutablePointer<Float>
    private let spectrum: UnsafeMutablePointer<fftwf_complex>      // n/2+1 bins of the window
    private let bank: UnsafeMutablePointer<fftwf_complex>          // nFreq × l: conj(FFT(wavelet)) / l
    private let work: UnsafeMutablePointer<fftwf_complex>          // nFreq × l products, then wavelet transform
    private let forward: fftwf_plan
    private let inverse: fftwf_plan

    /// `bank`: pyacq's `wavelet_fourrier` (lenWavelet × frequencies, already conjugated), else
    /// the Morlet bank of `g`'s frequencies is computed.
    public init(_ g: TimeFreqGeometry, bank given: [(Float, Float)]? = nil) throws(PyAcqError) {
        geometry = g
        n = g.sigChunkSize
        l = g.lenWavelet
        nFreq = g.frequencyCount
        if let given, given.count != l * nFreq {
            throw PyAcqError(.badParams, "TimeFreqWorker: wavelet_fourrier has \(given.count) values, expected \(l) × \(nFreq)", exceptionType: "ValueError")
        }
        guard let s = fftwf_alloc_real(n), let sp = fftwf_alloc_complex(n / 2 + 1), let b = fftwf_alloc_complex(nFreq * l),
              let w = fftwf_alloc_complex(nFreq * l) else {
            throw PyAcqError(.badParams, "TimeFreqWorker: cannot allocate the FFT buffers for \(nFreq) × \(l) bins")
        }
        (signal, spectrum, bank, work) = (s, sp, b, w)
        let (nn, ll, ff) = (Int32(n), Int32(l), Int32(nFreq))
        var size = ll
        (forward, inverse) = planLock.withLock {
            (fftwf_plan_dft_r2c_1d(nn, s, sp, UInt32(FFTW_ESTIMATE)),
             fftwf_plan_many_dft(1, &size, ff, w, nil, 1, ll, w, nil, 1, ll, FFTW_BACKWARD, UInt32(FFTW_ESTIMATE)))
        }
        if let given {
            let norm = 1 / Float(l)
            for k in 0..<l { for j in 0..<nFreq { let v = given[k * nFreq + j]; bank[j * l + k] = (v.0 * norm, v.1 * norm) } }
        } else {
            fillBank()
        }
    }

    deinit {
        planLock.withLock {
            fftwf_destroy_plan(forward)
            fftwf_destroy_plan(inverse)
        }
        fftwf_free(signal)
        fftwf_free(spectrum)
        fftwf_free(bank)
        fftwf_free(work)
    }

    /// conj(FFT(wavelet)) for each scale, with the 1/l of the inverse FFT folded in.
    private func fillBank() {
        let g = geometry
        let inPlan = fftwf_alloc_complex(l)!, outPlan = fftwf_alloc_complex(l)!
        defer { fftwf_free(inPlan); fftwf_free(outPlan) }
        let plan = planLock.withLock { fftwf_plan_dft_1d(Int32(l), inPlan, outPlan, FFTW_FORWARD, UInt32(FFTW_ESTIMATE))! }
        defer { planLock.withLock { fftwf_destroy_plan(plan) } }
        for (j, f) in g.frequencies.enumerated() {
            let scale = g.f0 / f * g.subSampleRate
            let weight = pow(scale, -(1 + g.normalisation))
            for i in 0..<l {
                let x = (Double(i) - Double(l) / 2) / scale
                let envelope = exp(-x * x / 2) * weight
                let phase = 2 * Double.pi * g.f0 * x
                inPlan[i] = (Float(cos(phase) * envelope), Float(sin(phase) * envelope))
            }
            fftwf_execute(plan)
            let row = bank + j * l
            let norm = 1 / Float(l)
            for k in 0..<l { row[k] = (outPlan[k].0 * norm, -outPlan[k].1 * norm) }
        }
    }

    /// Fills `window` (sigChunkSize samples) and computes; `out` receives plotLength × nFreq floats.
    public func compute(fill window: (UnsafeMutablePointer<Float>) -> Void, into out: UnsafeMutablePointer<Float>) {
        window(signal)
        fftwf_execute(forward)
        let q = geometry.downsampleFactor
        let scale = 1 / Float(q)
        let half = l / 2
        // The sub-sampled signal's spectrum: bins |k| < l/2 of the window's (the Nyquist bin is
        // kept only without sub-sampling, where it is exact).
        for j in 0..<nFreq {
            let row = bank + j * l, dst = work + j * l
            for k in 0..<l {
                let y: (Float, Float)
                if k < half {
                    y = (spectrum[k].0 * scale, spectrum[k].1 * scale)
                } else if k == half {
                    y = q == 1 ? spectrum[k] : (0, 0)
                } else {
                    let m = spectrum[l - k]
                    y = (m.0 * scale, -m.1 * scale)
                }
                let w = row[k]
                dst[k] = (y.0 * w.0 - y.1 * w.1, y.0 * w.1 + y.1 * w.0)
            }
        }
        fftwf_execute(inverse)
        // fftshift along time, keep the newest plotLength bins.
        let rows = geometry.plotLength
        for i in 0..<rows {
            let t = (l - rows + i + half) % l
            let dst = out + i * nFreq
            for j in 0..<nFreq {
                let z = work[j * l + t]
                dst[j] = (z.0 * z.0 + z.1 * z.1).squareRoot()
            }
        }
    }
}
