import Synchronization

/// Bounds the memory a slow consumer can make a plaindata producer hold: the bytes of chunk
/// data libzmq still keeps (queued for a subscriber, or being written) are counted from send
/// until libzmq releases the frame. A chunk that would pass `limit` is not sent (the producer
/// counts it; consumers see the gap in the indexes). One chunk is always let through, so a
/// chunk larger than the limit still goes out when nothing else is held.
final class QueueBudget: @unchecked Sendable {
    let limit: Int
    /// Bytes libzmq still holds (also updated by PlainDataSender's tracked copies).
    let held = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    var heldBytes: Int { held.load(ordering: .acquiring) }

    /// `frame` wrapped so that its bytes count until libzmq lets go of it; nil when over budget.
    func admit(_ frame: ZMQMessage) throws(PyAcqError) -> ZMQMessage? {
        let n = frame.size
        let after = held.add(n, ordering: .acquiringAndReleasing).newValue
        if after > limit && after != n {
            held.subtract(n, ordering: .acquiringAndReleasing)
            return nil
        }
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
