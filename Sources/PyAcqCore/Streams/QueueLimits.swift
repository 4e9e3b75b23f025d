/// How deep the ZeroMQ queues of a plaindata stream are, so that `max_queued_bytes` bounds
/// what one slow consumer can make either end hold (README "Slow consumers and lost samples").
/// libzmq counts its high-water marks in messages: for fixed-length chunks the byte bound
/// becomes a message count; variable-length chunks keep fixed counts and the producer's byte
/// budget (QueueBudget) does the bounding.
public enum QueueLimits {
    /// Bytes a queued message costs besides its chunk data (header frame, libzmq's bookkeeping).
    static let messageOverhead = 256
    /// Per-consumer queue at the producer, in messages, for variable-length chunks.
    public static let producerMessagesVariable: Int32 = 1000
    /// The deepest per-consumer queue at the producer (small chunks cost little each).
    static let producerMessagesMax = 100_000
    /// Fewest messages a producer queues per consumer. libzmq learns what a consumer's
    /// connection has taken only every half high-water mark, and late: below ~8 it drops
    /// chunks for a consumer that keeps up (measured: 4% of 1 MiB chunks at 4).
    static let producerMessagesMin = 16
    /// Consumer-side queue, in messages: short, so what a slow reader leaves unread stays at the
    /// producer, where it is bounded and counted.
    public static let consumerMessagesMax: Int32 = 100
    static let consumerMessagesMin = 2
    /// sharedmem notifications are 16 bytes and the ring bounds the data: they queue deep so a
    /// consumer that keeps up never loses one to libzmq's lagging count.
    public static let notificationMessages: Int32 = 100_000

    /// Bytes of one chunk when the stream's chunks have a fixed length (`shape[0] > 0`).
    public static func chunkBytes(shape: [Int], itemsize: Int) -> Int? {
        guard let rows = shape.first, rows > 0 else { return nil }
        return try? Extent.byteCount(shape: shape, itemsize: itemsize, "one chunk")
    }

    /// The producer's send high-water mark for each consumer.
    public static func producerMessages(chunkBytes: Int?, maxQueuedBytes: Int) -> Int32 {
        guard let chunkBytes else { return producerMessagesVariable }
        return Int32(min(max(messages(chunkBytes, fitting: maxQueuedBytes), producerMessagesMin), producerMessagesMax))
    }

    /// What one consumer may make the producer hold: `maxQueuedBytes`, or the smallest queue
    /// of fixed-length chunks when that is more.
    public static func producerBytes(chunkBytes: Int?, maxQueuedBytes: Int) -> Int {
        guard let chunkBytes else { return maxQueuedBytes }
        let (least, overflow) = (chunkBytes + messageOverhead).multipliedReportingOverflow(by: producerMessagesMin)
        return overflow ? Int.max : max(maxQueuedBytes, least)
    }

    /// The consumer's receive high-water mark.
    public static func consumerMessages(chunkBytes: Int?, maxQueuedBytes: Int) -> Int32 {
        guard let chunkBytes else { return consumerMessagesMax }
        return Int32(min(max(messages(chunkBytes, fitting: maxQueuedBytes), consumerMessagesMin), Int(consumerMessagesMax)))
    }

    /// Messages of `chunkBytes` chunks that fit in `bytes`.
    private static func messages(_ chunkBytes: Int, fitting bytes: Int) -> Int {
        bytes / (chunkBytes + messageOverhead)
    }
}
