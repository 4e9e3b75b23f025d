import Synchronization

/// Bounds the memory slow consumers can make a plaindata producer hold: the bytes of chunk
/// data libzmq still keeps (queued for a subscriber, or being written) are counted from send
/// until libzmq releases the frame. The bound is `perConsumer` bytes for each subscribed
/// consumer (each consumer's own queue is cut at that size by its message high-water mark,
/// QueueLimits, so one slow consumer does not make the others lose chunks). A chunk that
/// would pass the bound is not sent (the producer counts it; consumers see the gap in the
/// indexes). One chunk is always let through, so a chunk larger than the bound still goes out
/// when nothing else is held.
final class QueueBudget: @unchecked Sendable {
    let perConsumer: Int
    /// Bytes libzmq still holds (also updated by PlainDataSender's tracked copies).
    let held = Atomic<Int>(0)
    private let peak = Atomic<Int>(0)
    /// Blocks of tracked copies libzmq released, reused by the next ones (PlainDataSender.swift).
    let recycled = RecycledBlocks()
    private let limit: Atomic<Int>

    init(perConsumer: Int) {
        self.perConsumer = perConsumer
        limit = Atomic(perConsumer)
    }

    /// Subscribed consumers (at least one is assumed, so a chunk sent before anyone subscribed
    /// still counts against one consumer's share).
    var consumers: Int {
        get { limit.load(ordering: .relaxed) / perConsumer }
        set {
            let (total, overflow) = perConsumer.multipliedReportingOverflow(by: max(newValue, 1))
            limit.store(overflow ? Int.max : total, ordering: .relaxed)
        }
    }

    var heldBytes: Int { held.load(ordering: .acquiring) }
    var peakBytes: Int { peak.load(ordering: .relaxed) }

    /// Counts `n` more bytes as held; false (nothing counted) when that passes the bound.
    func take(_ n: Int) -> Bool {
        let after = held.add(n, ordering: .acquiringAndReleasing).newValue
        if after > limit.load(ordering: .relaxed) && after != n {
            held.subtract(n, ordering: .acquiringAndReleasing)
            return false
        }
        var seen = peak.load(ordering: .relaxed)
        while after > seen {
            let (exchanged, current) = peak.compareExchange(expected: seen, desired: after, ordering: .relaxed)
            if exchanged { break }
            seen = current
        }
        return true
    }

    /// `frame` wrapped so that its bytes count until libzmq lets go of it; nil when over budget.
    func admit(_ frame: ZMQMessage) throws(PyAcqError) -> ZMQMessage? {
        let n = frame.size
        guard take(n) else { return nil }
        do {
            return try ZMQMessage(borrowing: frame.data, length: n, owner: Held(frame: frame, budget: self))
        } catch {
            held.subtract(n, ordering: .acquiringAndReleasing)
            throw error
        }
    }

    /// Keeps the original frame alive and gives its bytes back when libzmq releases the copy-free wrapper.
    private final class Held {
        let frame: ZMQMessage
        let budget: QueueBudget
        init(frame: ZMQMessage, budget: QueueBudget) {
            self.frame = frame
            self.budget = budget
        }
        deinit { budget.held.subtract(frame.size, ordering: .acquiringAndReleasing) }
    }
}
