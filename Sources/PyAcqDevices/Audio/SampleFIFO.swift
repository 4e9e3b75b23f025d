import PyAcqCore

/// Frames waiting to be played: the input stream's thread writes whole chunks of any length,
/// the audio callback takes exactly what the device asks for. Bounded: when the producer runs
/// ahead of the device the oldest frames are dropped (and counted) so latency cannot grow.
final class SampleFIFO: @unchecked Sendable {
    let frameBytes: Int
    let capacity: Int
    private let storage: AlignedBuffer
    private var head = 0
    private var count = 0
    private let lock = Lock()

    init(capacityFrames: Int, frameBytes: Int) {
        self.capacity = max(1, capacityFrames)
        self.frameBytes = frameBytes
        storage = AlignedBuffer(count: self.capacity * frameBytes, zeroed: true)
    }

    var framesQueued: Int { lock.withLock { count } }

    /// Appends `frames` frames; returns how many old frames were dropped to make room.
    @discardableResult
    func write(_ source: UnsafeRawPointer, frames: Int) -> Int {
        lock.withLock {
            var src = source, n = frames, dropped = 0
            if n > capacity {  // only the newest `capacity` frames can ever be played
                dropped += n - capacity
                src += (n - capacity) * frameBytes
                n = capacity
            }
            let overflow = max(0, count + n - capacity)
            if overflow > 0 {
                head = (head + overflow) % capacity
                count -= overflow
                dropped += overflow
            }
            var tail = (head + count) % capacity
            var remaining = n
            while remaining > 0 {
                let part = min(remaining, capacity - tail)
                (storage.pointer + tail * frameBytes).copyMemory(from: src, byteCount: part * frameBytes)
                src += part * frameBytes
                remaining -= part
                tail = (tail + part) % capacity
            }
            count += n
            return dropped
        }
    }

    /// Moves up to `frames` frames into `destination`; returns how many it moved.
    func read(into destination: UnsafeMutableRawPointer, frames: Int) -> Int {
        lock.withLock {
            let n = min(frames, count)
            var dst = destination, remaining = n
            while remaining > 0 {
                let part = min(remaining, capacity - head)
                dst.copyMemory(from: storage.pointer + head * frameBytes, byteCount: part * frameBytes)
                dst += part * frameBytes
                remaining -= part
                head = (head + part) % capacity
            }
            count -= n
            return n
        }
    }

    func clear() { lock.withLock { head = 0; count = 0 } }
}
