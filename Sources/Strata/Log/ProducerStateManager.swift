/// Tracks idempotent and transactional producers of one partition, as Kafka's
/// `ProducerStateManager` does: detects retried batches, rejects out-of-order sequences and
/// fenced epochs, and knows the open transactions (for the last stable offset) and the ones
/// that completed.
///
/// Not thread-safe: the partition log's single writer owns it.
public struct ProducerStateManager: Sendable {
    /// Producers by id.
    public private(set) var producers: [Int64: ProducerState] = [:]
    /// Offset up to which batches were applied (exclusive).
    public private(set) var mapEndOffset: Int64
    /// How long an idle producer is remembered (`producer.id.expiration.ms`).
    public var expirationMs: Int64

    /// Starts empty at `mapEndOffset`.
    public init(mapEndOffset: Int64 = 0, expirationMs: Int64 = 86_400_000) {
        self.mapEndOffset = mapEndOffset
        self.expirationMs = expirationMs
    }

    /// Starts from snapshot entries (the state at `mapEndOffset`).
    public init(states: [ProducerState], mapEndOffset: Int64, expirationMs: Int64 = 86_400_000) {
        self.init(mapEndOffset: mapEndOffset, expirationMs: expirationMs)
        for state in states { producers[state.producerId] = state }
    }

    /// The earlier batch that `header` repeats (a producer retry), if any.
    public func duplicate(of header: RecordBatchHeader) -> ProducerBatchMetadata? {
        guard header.producerId >= 0, header.baseSequence >= 0, !header.isControl else { return nil }
        return producers[header.producerId]?.duplicate(of: header)
    }

    /// Checks that a batch from a client may be appended (epoch not fenced, sequence in order).
    ///
    /// - Throws: ``ProducerStateError``.
    public func validate(_ header: RecordBatchHeader) throws(ProducerStateError) {
        guard header.producerId >= 0 else { return }
        // An unknown producer (new, or whose state expired or was deleted with old segments)
        // may start at any sequence, as in Kafka.
        guard let state = producers[header.producerId], state.producerEpoch >= 0 else { return }
        if header.producerEpoch < state.producerEpoch {
            throw ProducerStateError(code: .invalidProducerEpoch, message: "producer \(header.producerId): epoch \(header.producerEpoch) is older than the current epoch \(state.producerEpoch)")
        }
        guard !header.isControl, header.baseSequence >= 0 else { return }
        if header.producerEpoch != state.producerEpoch {
            guard header.baseSequence == 0 else {
                throw ProducerStateError(code: .outOfOrderSequence, message: "producer \(header.producerId): new epoch \(header.producerEpoch) must start at sequence 0, got \(header.baseSequence)")
            }
            return
        }
        let last = state.lastSequence
        let expected = last == Int32.max ? 0 : last + 1
        guard last < 0 || header.baseSequence == expected else {
            throw ProducerStateError(code: .outOfOrderSequence, message: "producer \(header.producerId) epoch \(header.producerEpoch): sequence \(header.baseSequence) does not follow \(last)")
        }
    }

    /// Applies an appended batch; returns the transaction a marker completed.
    ///
    /// - Parameters:
    ///   - controlType: the marker type of a control batch (nil for data batches).
    ///   - coordinatorEpoch: the marker's coordinator epoch.
    @discardableResult
    public mutating func apply(_ header: RecordBatchHeader, controlType: ControlRecordType? = nil, coordinatorEpoch: Int32 = -1) -> CompletedTransaction? {
        defer { mapEndOffset = max(mapEndOffset, header.nextOffset) }
        guard header.producerId >= 0 else { return nil }
        var state = producers[header.producerId] ?? ProducerState(producerId: header.producerId)
        defer { producers[header.producerId] = state }
        if header.isControl {
            if header.producerEpoch > state.producerEpoch {
                state.producerEpoch = header.producerEpoch
                state.batches.removeAll()
            }
            state.lastTimestamp = header.maxTimestamp
            guard let controlType, controlType.isTransactionMarker else { return nil }
            state.coordinatorEpoch = coordinatorEpoch
            guard let first = state.currentTransactionFirstOffset else { return nil }
            state.currentTransactionFirstOffset = nil
            return CompletedTransaction(producerId: header.producerId, firstOffset: first, lastOffset: header.lastOffset, isAborted: controlType == .abort)
        }
        if header.baseSequence >= 0 || header.recordsCount > 0 || header.producerEpoch != state.producerEpoch {
            let metadata = ProducerBatchMetadata(
                firstSequence: header.baseSequence, lastSequence: header.lastSequence, lastOffset: header.lastOffset,
                offsetDelta: header.lastOffsetDelta, timestamp: header.maxTimestamp)
            state.record(metadata, epoch: header.producerEpoch)
        }
        if header.isTransactional && state.currentTransactionFirstOffset == nil {
            state.currentTransactionFirstOffset = header.baseOffset
        }
        return nil
    }

    /// The first offset of the earliest open transaction, nil when none is open.
    public var firstUnstableOffset: Int64? {
        producers.values.compactMap(\.currentTransactionFirstOffset).min()
    }

    /// The last stable offset to record with an aborted transaction when its marker is appended
    /// (Kafka's `lastStableOffset(completedTxn)`): the first offset of the earliest other open
    /// transaction, or the offset after the marker.
    public func lastStableOffset(after completed: CompletedTransaction) -> Int64 {
        let others = producers.values.filter { $0.producerId != completed.producerId }.compactMap(\.currentTransactionFirstOffset)
        return others.min() ?? completed.lastOffset + 1
    }

    /// Forgets producers idle for longer than ``expirationMs`` that have no open transaction.
    public mutating func removeExpired(now: Int64) {
        producers = producers.filter { _, state in
            state.currentTransactionFirstOffset != nil || now - state.lastTimestamp < expirationMs
        }
    }

    /// Forgets everything and restarts at `offset` (a truncation below every snapshot).
    public mutating func reset(to offset: Int64) {
        producers = [:]
        mapEndOffset = offset
    }

    /// The state to store in a snapshot: each producer with only its last batch.
    public var snapshotStates: [ProducerState] {
        producers.values.sorted { $0.producerId < $1.producerId }.map { state in
            var copy = state
            copy.batches = state.batches.suffix(1)
            return copy
        }
    }
}

extension ProducerStateManager {
    /// Applies a stored batch, reading a control batch's marker type and coordinator epoch
    /// from its record; returns the transaction a marker completed.
    ///
    /// - Throws: format errors decoding a control batch's record.
    @discardableResult
    public mutating func apply(_ batch: RecordBatch, limits: DecodingLimits = .default) throws -> CompletedTransaction? {
        var controlType: ControlRecordType? = nil
        var coordinatorEpoch: Int32 = -1
        if batch.header.isControl, let record = try batch.records(limits: limits).first {
            controlType = try? ControlRecordType(key: record.key)
            if controlType?.isTransactionMarker == true {
                coordinatorEpoch = (try? EndTransactionMarker(value: record.value))?.coordinatorEpoch ?? -1
            }
        }
        return apply(batch.header, controlType: controlType, coordinatorEpoch: coordinatorEpoch)
    }

    /// The `.txnindex` entry for a completed transaction, when it was aborted.
    public func abortedTransaction(for completed: CompletedTransaction?) -> AbortedTransaction? {
        guard let completed, completed.isAborted else { return nil }
        return AbortedTransaction(producerId: completed.producerId, firstOffset: completed.firstOffset,
                                  lastOffset: completed.lastOffset, lastStableOffset: lastStableOffset(after: completed))
    }
}
