import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import NIOCore
import Strata

/// Sends records to topics: chooses the partition, gathers records into batches per partition
/// (`batch.size`, `linger.ms`), compresses them, and appends them to the partition logs with the
/// durability its ``ProducerConfig/acks`` asks for.
///
/// Partitions: an explicit ``ProducerRecord/partition``; else Kafka's murmur2 of the key
/// (``Murmur2/partition(forKey:partitionCount:)``), bit for bit; else, for a null key, a sticky
/// partition that changes each time a batch for it is written.
///
/// Idempotence (the default): the producer has a producer id unique in the data directory and
/// numbers its records per partition; an append that fails with an I/O error is retried with
/// the same bytes, and a retry of a batch that did reach the log is recognised by the log and
/// answered with the original offsets, never written twice. When the retries run out the
/// producer moves to a new epoch, so the unknown outcome can never be mistaken for a later batch.
///
/// Appends run on the producer's own serial queue, never on the caller's task, and complete in
/// send order per partition. Three ways to send: ``send(_:completion:)`` (a callback, called on
/// that queue), ``send(_:)`` (async) and ``sendSync(_:)`` (blocks the calling thread).
public final class Producer: Sendable {
    /// The settings.
    public let config: ProducerConfig
    /// The producer id written in every batch; -1 when not idempotent.
    public let producerId: Int64
    let topics: Topics
    private let queue = DispatchQueue(label: "strata.producer")
    private let state = NIOLockedValueBox(State())
    /// Used only on `queue`.
    nonisolated(unsafe) private let context = CodecContext()

    typealias Completion = @Sendable (Result<RecordMetadata, any Error>) -> Void

    private struct Pending {
        var record: ProducerRecord
        var timestamp: Int64
        var size: Int
        var completion: Completion?
    }

    private struct PartitionBuffer {
        var records: [Pending] = []
        var bytes = 0
        var drainScheduled = false
        var urgentDrainScheduled = false

        /// Adds a record; sets `schedule` to the delay of a drain to schedule, if one is needed
        /// (at once when the batch is full, after `linger.ms` for the first record).
        mutating func append(_ pending: Pending, batchSize: Int, lingerMs: Int, schedule: inout Int?) {
            records.append(pending)
            bytes += pending.size
            if bytes >= batchSize && !urgentDrainScheduled {
                urgentDrainScheduled = true
                schedule = 0
            } else if !drainScheduled {
                drainScheduled = true
                schedule = lingerMs
            }
        }
    }

    private struct State {
        var buffers: [TopicPartition: PartitionBuffer] = [:]
        var sticky: [String: Int32] = [:]
        var sequences: [TopicPartition: Int32] = [:]
        var epoch: Int16 = 0
        var closed = false
    }

    init(topics: Topics, config: ProducerConfig) {
        self.topics = topics
        self.config = config
        self.producerId = config.idempotent ? topics.allocateProducerId() : -1
    }

    /// The producer epoch of the next batch (it grows when retries run out).
    public var epoch: Int16 { state.withLockedValue { $0.epoch } }

    // MARK: - Sending

    /// Sends a record; `completion` is called once with where it landed or why it failed
    /// (for `acks=0`, as soon as it is buffered, with offset -1).
    ///
    /// Errors: ``TopicsError`` `unknownTopic`, `partitionOutOfRange`, `recordTooLarge`
    /// (checked before buffering, so nothing is written), `appendRefused` (the log refused the
    /// batch), `closed`; `StrataIOError` after the retries.
    public func send(_ record: ProducerRecord, completion: @escaping @Sendable (Result<RecordMetadata, any Error>) -> Void) {
        do {
            try enqueue(record, completion: completion)
        } catch {
            completion(.failure(error))
        }
    }

    /// Sends a record and waits (without blocking a thread of the cooperative pool) until it
    /// is acknowledged as ``ProducerConfig/acks`` says.
    ///
    /// - Throws: as ``send(_:completion:)`` reports.
    @discardableResult
    public func send(_ record: ProducerRecord) async throws -> RecordMetadata {
        try await withCheckedThrowingContinuation { continuation in
            send(record) { continuation.resume(with: $0) }
        }
    }

    /// Sends a record and blocks the calling thread until it is acknowledged. Do not call it
    /// from a completion callback (they run on the queue it waits for).
    ///
    /// - Throws: as ``send(_:completion:)`` reports.
    @discardableResult
    public func sendSync(_ record: ProducerRecord) throws -> RecordMetadata {
        let done = DispatchSemaphore(value: 0)
        let outcome = NIOLockedValueBox<Result<RecordMetadata, any Error>?>(nil)
        send(record) { result in
            outcome.withLockedValue { $0 = result }
            done.signal()
        }
        done.wait()
        return try outcome.withLockedValue { $0! }.get()
    }

    /// Writes every buffered record now and waits until all are acknowledged.
    public func flush() {
        scheduleAllDrains()
        queue.sync {}
    }

    /// Writes every buffered record now and waits until all are acknowledged.
    public func flush() async {
        scheduleAllDrains()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { continuation.resume() }
        }
    }

    /// Flushes, then refuses further sends (`closed`).
    public func close() {
        flush()
        state.withLockedValue { $0.closed = true }
    }

    // MARK: - Partitioning and buffering

    /// The partition a record goes to.
    func choosePartition(_ record: ProducerRecord, count: Int) -> Int32 {
        if let partition = record.partition { return partition }
        if let key = record.key {
            return Int32(key.withUnsafeReadableBytes { Murmur2.partition(forKey: $0, partitionCount: count) })
        }
        return state.withLockedValue { state in
            if let sticky = state.sticky[record.topic], Int(sticky) < count { return sticky }
            let previous = state.sticky[record.topic]
            var next = Int32.random(in: 0..<Int32(count))
            if count > 1, next == previous { next = (next + 1) % Int32(count) }
            state.sticky[record.topic] = next
            return next
        }
    }

    private func enqueue(_ record: ProducerRecord, completion: @escaping Completion) throws {
        if state.withLockedValue({ $0.closed }) { throw TopicsError(.closed, "the producer is closed") }
        let logs = try topics.logs(ofTopic: record.topic)
        let topicPartition = TopicPartition(topic: record.topic, partition: choosePartition(record, count: logs.count))
        guard topicPartition.partition >= 0, Int(topicPartition.partition) < logs.count else {
            throw Topics.outOfRange(topicPartition, count: logs.count)
        }
        let log = logs[Int(topicPartition.partition)]
        let size = RecordBatchBuilder.maxRecordSize(keySize: record.key?.readableBytes ?? 0, valueSize: record.value?.readableBytes ?? 0, headers: record.headers)
        let batchSize = RecordBatchHeader.size + size
        guard batchSize <= config.maxRequestSize else {
            throw TopicsError(.recordTooLarge, "record of up to \(batchSize) bytes (as a batch) for \(topicPartition) exceeds max.request.size \(config.maxRequestSize)")
        }
        guard batchSize <= log.config.maxMessageBytes else {
            throw TopicsError(.recordTooLarge, "record of up to \(batchSize) bytes (as a batch) for \(topicPartition) exceeds the topic's max.message.bytes \(log.config.maxMessageBytes)")
        }
        let timestamp = record.timestamp ?? topics.clock()
        let acksNone = config.acks == .none
        var delay: Int? = nil
        try state.withLockedValue { state in
            if state.closed { throw TopicsError(.closed, "the producer is closed") }
            // Mutated in place: a copy out of the dictionary would copy the pending records.
            state.buffers[topicPartition, default: PartitionBuffer()].append(
                Pending(record: record, timestamp: timestamp, size: size, completion: acksNone ? nil : completion),
                batchSize: config.batchSize, lingerMs: config.lingerMs, schedule: &delay)
        }
        if let delay { scheduleDrain(topicPartition, afterMilliseconds: delay) }
        if acksNone {
            completion(.success(RecordMetadata(topic: record.topic, partition: topicPartition.partition, offset: -1, timestamp: timestamp)))
        }
    }

    private func scheduleDrain(_ topicPartition: TopicPartition, afterMilliseconds delay: Int) {
        if delay <= 0 {
            queue.async { self.drain(topicPartition) }
        } else {
            queue.asyncAfter(deadline: .now() + .milliseconds(delay)) { self.drain(topicPartition) }
        }
    }

    private func scheduleAllDrains() {
        let pending = state.withLockedValue { state in state.buffers.filter { !$0.value.records.isEmpty }.map(\.key) }
        for topicPartition in pending { queue.async { self.drain(topicPartition) } }
    }

    // MARK: - Writing (on `queue`)

    private func drain(_ topicPartition: TopicPartition) {
        let records = state.withLockedValue { state -> [Pending] in
            guard let buffer = state.buffers.removeValue(forKey: topicPartition) else { return [] }
            if state.sticky[topicPartition.topic] == topicPartition.partition { state.sticky[topicPartition.topic] = nil }
            return buffer.records
        }
        guard !records.isEmpty else { return }
        let log: PartitionLog
        do {
            log = try topics.partitionLog(topicPartition)
        } catch {
            fail(records[...], error)
            return
        }
        // Batches of at most batch.size (a larger record alone), as slices: no record is copied.
        let limit = min(max(config.batchSize, RecordBatchHeader.size), log.config.maxMessageBytes)
        var start = records.startIndex
        var chunkBytes = RecordBatchHeader.size
        for index in records.indices {
            if index > start && chunkBytes + records[index].size > limit {
                append(records[start..<index], bytes: chunkBytes, to: log)
                start = index
                chunkBytes = RecordBatchHeader.size
            }
            chunkBytes += records[index].size
        }
        append(records[start...], bytes: chunkBytes, to: log)
    }

    private func append(_ chunk: ArraySlice<Pending>, bytes expected: Int, to partitionLog: PartitionLog) {
        var log = partitionLog
        let topicPartition = log.topicPartition
        var attempt = 0
        while true {
            let (epoch, sequence) = state.withLockedValue { ($0.epoch, $0.sequences[topicPartition] ?? 0) }
            let batch: ProducedBatch
            do {
                batch = try encode(chunk, epoch: epoch, sequence: sequence, expectedBytes: expected)
            } catch {
                fail(chunk, error)
                return
            }
            let started = monotonicNanoseconds()
            do {
                // Built here, so the log checks the builder's facts instead of decompressing it.
                let result = try log.appendAsLeader(batch, durability: config.acks == .all ? .fsynced : .written)
                // A retry answered as a duplicate returns before any fsync: acks=all still needs one.
                if config.acks == .all && log.recoveryPoint <= result.lastOffset { try log.flush(upTo: result.lastOffset + 1) }
                if producerId >= 0 {
                    state.withLockedValue { state in
                        let next = (Int64(sequence) + Int64(chunk.count)) % (Int64(Int32.max) + 1)
                        state.sequences[topicPartition] = Int32(next)
                    }
                }
                topics.metrics.produced(topic: topicPartition.topic, records: chunk.count, bytes: batch.bytes.readableBytes, nanoseconds: monotonicNanoseconds() - started)
                topics.notifier.signal(topic: topicPartition.topic)
                var offset = result.firstOffset
                for index in chunk.indices {
                    chunk[index].completion?(.success(RecordMetadata(
                        topic: topicPartition.topic, partition: topicPartition.partition, offset: offset,
                        timestamp: result.logAppendTime ?? chunk[index].timestamp)))
                    offset += 1
                }
                return
            } catch {
                if let refused = error as? AppendError, refused.code == .storageFailed, attempt < config.retries {
                    // The log stopped after an fsync failed: open it again (recovery makes what
                    // it holds durable) and retry; the retry is recognised if it was written.
                    attempt += 1
                    topics.logger.warning("partition log stopped; reopening it and retrying", metadata: ["partition": "\(topicPartition)", "error": "\(refused.message)"])
                    do {
                        log = try topics.reopenPartition(log)
                    } catch {
                        fail(chunk, error)
                        return
                    }
                    continue
                }
                if let refused = error as? AppendError {
                    let code: TopicsError.Code = refused.code == .recordTooLarge || refused.code == .batchTooLarge ? .recordTooLarge : .appendRefused
                    fail(chunk, TopicsError(code, "\(topicPartition) refused a batch of \(chunk.count) records: \(refused.message)"))
                    if refused.code == .producerState { startNewEpoch() }
                    return
                }
                attempt += 1
                guard attempt <= config.retries else {
                    topics.logger.error("append failed after retries", metadata: ["partition": "\(topicPartition)", "error": "\(error)"])
                    startNewEpoch()
                    fail(chunk, error)
                    return
                }
                topics.logger.warning("append failed; retrying", metadata: ["partition": "\(topicPartition)", "attempt": "\(attempt)", "error": "\(error)"])
                usleep(useconds_t(max(0, config.retryBackoffMs) * 1000))
            }
        }
    }

    private func encode(_ chunk: ArraySlice<Pending>, epoch: Int16, sequence: Int32, expectedBytes: Int) throws -> ProducedBatch {
        var configuration = RecordBatchBuilder.Configuration(compression: config.compression)
        configuration.maxBatchBytes = .max
        if producerId >= 0 {
            configuration.producerId = producerId
            configuration.producerEpoch = epoch
            configuration.baseSequence = sequence
        }
        var builder = RecordBatchBuilder(configuration, expectedRecordBytes: expectedBytes)
        for index in chunk.indices {
            try builder.append(timestamp: chunk[index].timestamp, key: chunk[index].record.key, value: chunk[index].record.value, headers: chunk[index].record.headers)
        }
        return try builder.buildProduced(context: context)
    }

    /// After an unknown outcome: a new epoch restarts every partition's sequence at 0, which
    /// the log accepts, and no later batch can be taken for a retry of the lost one.
    private func startNewEpoch() {
        state.withLockedValue { state in
            state.epoch = state.epoch == Int16.max ? 0 : state.epoch + 1
            state.sequences = [:]
        }
    }

    private func fail(_ records: ArraySlice<Pending>, _ error: any Error) {
        if config.acks == .none {
            topics.logger.error("a record sent with acks=0 was lost", metadata: ["error": "\(error)"])
        }
        for pending in records { pending.completion?(.failure(error)) }
    }
}
