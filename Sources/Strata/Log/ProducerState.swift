/// What is remembered of one batch of an idempotent producer (Kafka keeps the last five).
public struct ProducerBatchMetadata: Sendable, Hashable {
    /// Sequence of the batch's first record.
    public var firstSequence: Int32
    /// Sequence of its last record.
    public var lastSequence: Int32
    /// Offset of its last record.
    public var lastOffset: Int64
    /// lastSequence − firstSequence (= last offset − first offset).
    public var offsetDelta: Int32
    /// The batch's max timestamp.
    public var timestamp: Int64

    /// Offset of the batch's first record.
    public var firstOffset: Int64 { lastOffset - Int64(offsetDelta) }

    /// Creates batch metadata.
    public init(firstSequence: Int32, lastSequence: Int32, lastOffset: Int64, offsetDelta: Int32, timestamp: Int64) {
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.lastOffset = lastOffset
        self.offsetDelta = offsetDelta
        self.timestamp = timestamp
    }
}

/// The state of one producer id: its epoch, recent batches and open transaction.
public struct ProducerState: Sendable, Hashable {
    /// How many recent batches are kept for duplicate detection (`NUM_BATCHES_TO_RETAIN`).
    public static let batchesRetained = 5

    /// The producer id.
    public var producerId: Int64
    /// The current epoch (-1 before any batch).
    public var producerEpoch: Int16
    /// The transaction coordinator epoch of the last marker, -1 when none.
    public var coordinatorEpoch: Int32
    /// The max timestamp of the producer's last batch (or marker).
    public var lastTimestamp: Int64
    /// First offset of the open transaction, nil when none is open.
    public var currentTransactionFirstOffset: Int64?
    /// The most recent batches, oldest first, at most ``batchesRetained``.
    public var batches: [ProducerBatchMetadata]

    /// Creates an empty state.
    public init(producerId: Int64, producerEpoch: Int16 = -1, coordinatorEpoch: Int32 = -1, lastTimestamp: Int64 = -1,
                currentTransactionFirstOffset: Int64? = nil, batches: [ProducerBatchMetadata] = []) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.coordinatorEpoch = coordinatorEpoch
        self.lastTimestamp = lastTimestamp
        self.currentTransactionFirstOffset = currentTransactionFirstOffset
        self.batches = batches
    }

    /// Sequence of the last record written, -1 when none.
    public var lastSequence: Int32 { batches.last?.lastSequence ?? -1 }
    /// Offset of the last data record written, -1 when none.
    public var lastDataOffset: Int64 { batches.last?.lastOffset ?? -1 }

    /// The earlier batch with the same epoch and sequence range, when `header` repeats one.
    public func duplicate(of header: RecordBatchHeader) -> ProducerBatchMetadata? {
        guard header.producerEpoch == producerEpoch else { return nil }
        return batches.first { $0.firstSequence == header.baseSequence && $0.lastSequence == header.lastSequence }
    }

    mutating func record(_ metadata: ProducerBatchMetadata, epoch: Int16) {
        if epoch != producerEpoch {
            batches.removeAll()
            producerEpoch = epoch
        }
        batches.append(metadata)
        if batches.count > Self.batchesRetained { batches.removeFirst(batches.count - Self.batchesRetained) }
        lastTimestamp = metadata.timestamp
    }
}

/// A transaction whose marker has been appended.
public struct CompletedTransaction: Sendable, Hashable {
    /// The producer.
    public var producerId: Int64
    /// Offset of the transaction's first record.
    public var firstOffset: Int64
    /// Offset of the marker.
    public var lastOffset: Int64
    /// True for ABORT.
    public var isAborted: Bool
}

/// Why an idempotent or transactional append was refused.
public struct ProducerStateError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of refusal.
    public enum Code: String, Sendable {
        /// A batch from an epoch older than the producer's current one (a fenced zombie).
        case invalidProducerEpoch
        /// A sequence that does not follow the last one written.
        case outOfOrderSequence
        /// A transaction marker for a producer with a newer epoch, or a marker without coordinator data.
        case invalidTransactionState
    }

    /// The kind of refusal.
    public var code: Code
    /// A sentence naming the producer, epochs and sequences.
    public var message: String
    public var description: String { message }
}
