import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Atomics
import Foundation
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
/// A send encodes its record into the partition's batch at once (as Kafka's
/// `RecordAccumulator` does: nothing of the caller's buffers is kept); a writer loop on the
/// producer's own serial queue appends batches once they are full, or after `linger.ms`, and
/// completes their sends in send order per partition. At most ``ProducerConfig/bufferMemory``
/// bytes of records wait to be written: a send beyond it blocks until writes make room, for at
/// most ``ProducerConfig/maxBlockMs``. Three ways to send: ``send(_:completion:)`` (a callback,
/// called on that queue), ``send(_:)`` (async) and ``sendSync(_:)`` (blocks the calling thread).
public final class Producer: Sendable {
    /// The settings.
    public let config: ProducerConfig
    /// The producer id written in every batch; -1 when not idempotent.
    public let producerId: Int64
    let topics: Topics
    private let queue = DispatchQueue(label: "strata.producer")
    private let state: LockedState<State>
    /// Set when a partition becomes ready, for the drain loop watching for work.
    private let workReady = ManagedAtomic<Bool>(false)
    /// The epoch and each partition's next sequence: used by the writes (on `queue`) and
    /// ``epoch``, apart from the sends' lock.
    private let numbering = NIOLockedValueBox(Numbering())

    private struct Numbering {
        var sequences: [TopicPartition: Int32] = [:]
        var epoch: Int16 = 0
    }
    /// Used only on `queue`.
    nonisolated(unsafe) private let context = CodecContext()

    typealias Completion = @Sendable (Result<RecordMetadata, any Error>) -> Void

    private struct State {
        var accumulator: RecordAccumulator
        var closed = false
        /// Bytes of records held (their largest encoded sizes), against buffer.memory.
        var bufferedBytes = 0
        /// Sends waiting for room in buffer.memory.
        var roomWaiters = 0
        /// The drain loop is queued or running: it takes ready batches until there are none,
        /// so sends need not wake it again.
        var drainLoopActive = false
    }

    init(topics: Topics, config: ProducerConfig) {
        self.topics = topics
        self.config = config
        self.producerId = config.idempotent ? topics.allocateProducerId() : -1
        var batches = RecordBatchBuilder.Configuration(compression: config.compression)
        batches.maxBatchBytes = .max
        self.state = LockedState(State(accumulator: RecordAccumulator(configuration: batches, batchSize: config.batchSize)))
    }

    /// The producer epoch of the next batch (it grows when retries run out).
    public var epoch: Int16 { numbering.withLockedValue { $0.epoch } }

    // MARK: - Sending

    /// Sends a record; `completion` is called once with where it landed or why it failed
    /// (for `acks=0`, as soon as it is buffered, with offset -1).
    ///
    /// When buffer.memory is full the call itself waits for writes to make room, up to
    /// max.block.ms, as Kafka's `send` does.
    ///
    /// Errors: ``TopicsError`` `unknownTopic`, `partitionOutOfRange`, `recordTooLarge`
    /// (checked before buffering, so nothing is written), `bufferFull` (no room within
    /// max.block.ms), `appendRefused` (the log refused the batch), `closed`; `StrataIOError`
    /// after the retries.
    public func send(_ record: ProducerRecord, completion: @escaping @Sendable (Result<RecordMetadata, any Error>) -> Void) {
        do {
            try enqueue(record, completion: completion)
        } catch {
            completion(.failure(error))
        }
    }

    /// Sends a record and waits (without blocking a thread of the cooperative pool, unless
    /// buffer.memory is full) until it is acknowledged as ``ProducerConfig/acks`` says.
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
        queue.sync { drainAll() }
    }

    /// Writes every buffered record now and waits until all are acknowledged.
    public func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.drainAll()
                continuation.resume()
            }
        }
    }

    /// Flushes, then refuses further sends (`closed`); sends waiting for room fail.
    public func close() {
        flush()
        state.withLock { $0.closed = true }
        state.signalChange()
    }

    // MARK: - Partitioning and buffering

    /// Chooses the partition and encodes the record into its batch, under one lock; the
    /// topic's logs come from a cache that is refreshed when the topics change. Waits (up to
    /// max.block.ms) while buffer.memory is full.
    private func enqueue(_ record: ProducerRecord, completion: @escaping Completion) throws {
        let version = topics.topologyVersion.load(ordering: .acquiring)
        let maxSize = RecordBatchBuilder.maxRecordSize(keySize: record.key?.readableBytes ?? 0, valueSize: record.value?.readableBytes ?? 0, headers: record.headers)
        let keyHash = record.partition == nil ? record.key.map { key in key.withUnsafeReadableBytes { Murmur2.hash($0) } } : nil
        let timestamp = record.timestamp ?? topics.clock()
        let waiting = config.acks == .none ? nil : WaitingSend(completion: completion, timestamp: timestamp)
        var deadline: Double? = nil
        var placed: Queued? = nil
        while placed == nil {
            placed = try state.withLock { state throws -> Queued? in
                try place(record, maxSize: maxSize, keyHash: keyHash, timestamp: timestamp, waiting: waiting, version: version, in: &state)
            }
            if placed == nil { try waitForRoom(maxSize, deadline: &deadline) }
        }
        let queued = placed!
        if queued.startsDrainLoop { queue.async { self.drainLoop() } }
        if queued.setsLingerTimer {
            queue.asyncAfter(deadline: .now() + .milliseconds(config.lingerMs)) { self.drainLingered(queued.place) }
        }
        let partition = Int32(queued.place.partition)
        if queued.refused {
            let reason = state.withLock { $0.accumulator.lastRefusal?.message ?? "refused" }
            throw TopicsError(.appendRefused, "\(record.topic)-\(partition) cannot take the record: \(reason)")
        }
        if config.acks == .none {
            completion(.success(RecordMetadata(topic: record.topic, partition: partition, offset: -1, timestamp: timestamp)))
        }
    }

    /// The locked part of a send: checks, then encodes the record into its partition's batch;
    /// nil when buffer.memory has no room for it yet.
    private func place(
        _ record: ProducerRecord, maxSize: Int, keyHash: Int32?, timestamp: Int64, waiting: WaitingSend?, version: Int,
        in state: inout State
    ) throws -> Queued? {
        if state.closed { throw TopicsError(.closed, "the producer is closed") }
        let slot = try state.accumulator.slot(for: record.topic, version: version) { name throws(TopicsError) in try topics.logs(ofTopic: name) }
        let count = state.accumulator.partitionCount(slot: slot)
        let partition: Int32
        if let explicit = record.partition {
            partition = explicit
        } else if let keyHash {
            partition = Int32(Murmur2.partition(forHash: keyHash, partitionCount: count))
        } else {
            partition = state.accumulator.stickyPartition(slot: slot, count: count)
        }
        guard partition >= 0, Int(partition) < count else {
            throw Topics.outOfRange(TopicPartition(topic: record.topic, partition: partition), count: count)
        }
        let place = RecordAccumulator.PartitionSlot(slot: slot, partition: Int(partition))
        try checkSize(maxSize, of: record, partition: partition, limit: state.accumulator.limit(place))
        if state.bufferedBytes > 0 && state.bufferedBytes + maxSize > config.bufferMemory {
            state.roomWaiters += 1
            return nil
        }
        let appended = state.accumulator.append(
            place, timestamp: timestamp, key: record.key, value: record.value, headers: record.headers, maxSize: maxSize,
            lingers: config.lingerMs > 0, waiting: waiting)
        if !appended.refused { state.bufferedBytes += maxSize }
        let startsDrainLoop = appended.wakesDrainLoop && !state.drainLoopActive
        if startsDrainLoop { state.drainLoopActive = true }
        if appended.wakesDrainLoop { workReady.store(true, ordering: .releasing) }
        return Queued(place: place, startsDrainLoop: startsDrainLoop, setsLingerTimer: appended.setsLingerTimer, refused: appended.refused)
    }

    /// Blocks until writes free room for `maxSize` bytes in buffer.memory, or throws
    /// `bufferFull` once max.block.ms (counted from the first wait, kept in `deadline`) passed.
    private func waitForRoom(_ maxSize: Int, deadline: inout Double?) throws(TopicsError) {
        let until = deadline ?? Date().timeIntervalSince1970 + Double(config.maxBlockMs) / 1000
        deadline = until
        let bufferMemory = config.bufferMemory
        let hasRoom = state.wait(while: { state in
            !state.closed && state.bufferedBytes > 0 && state.bufferedBytes + maxSize > bufferMemory
        }, deadline: until)
        state.withLock { $0.roomWaiters -= 1 }
        guard hasRoom else {
            throw TopicsError(.bufferFull, "buffer.memory (\(bufferMemory) bytes) stayed full for max.block.ms (\(config.maxBlockMs) ms): the log takes records slower than they are sent")
        }
    }

    /// Where a send's record went and what to start for it.
    private struct Queued {
        var place: RecordAccumulator.PartitionSlot
        var startsDrainLoop: Bool
        var setsLingerTimer: Bool
        /// The builder refused the record (the accumulator's `lastRefusal` says why).
        var refused: Bool
    }

    /// Refuses a record larger (as a batch of its own) than max.request.size or the topic's
    /// max.message.bytes (which the partition's batch `limit` never exceeds).
    private func checkSize(_ maxSize: Int, of record: ProducerRecord, partition: Int32, limit: Int) throws(TopicsError) {
        let batchSize = RecordBatchHeader.size + maxSize
        if batchSize > config.maxRequestSize {
            throw TopicsError(.recordTooLarge, "record of up to \(batchSize) bytes (as a batch) for \(record.topic)-\(partition) exceeds max.request.size \(config.maxRequestSize)")
        }
        guard batchSize > limit else { return }
        let maxMessageBytes = try topics.partitionLog(TopicPartition(topic: record.topic, partition: partition)).config.maxMessageBytes
        if batchSize > maxMessageBytes {
            throw TopicsError(.recordTooLarge, "record of up to \(batchSize) bytes (as a batch) for \(record.topic)-\(partition) exceeds the topic's max.message.bytes \(maxMessageBytes)")
        }
    }

    // MARK: - Writing (on `queue`)

    /// Writes the batches of ready partitions, a round at a time, until none is left (the loop
    /// that sends wake only when it is not running). After a round that wrote something it
    /// queues its next round behind whatever else is queued (a flush, a linger timer), so a
    /// steady stream of sends never holds those up. When it runs dry it watches ``workReady``
    /// for a moment before it stops: under a steady stream of sends the next batch is ready
    /// within microseconds, and waking the loop again would cost each batch a thread wake-up.
    ///
    /// - Parameter written: buffer.memory of the last round's batches, given back under the
    ///   lock this round takes anyway.
    private func drainLoop(releasing written: Int = 0) {
        var written = written
        while true {
            workReady.store(false, ordering: .relaxed)
            let (work, waiters) = state.withLock { state in
                state.bufferedBytes -= written
                return (state.accumulator.takeReady(lingers: config.lingerMs > 0), state.roomWaiters)
            }
            if waiters > 0 && written > 0 { state.signalChange() }
            written = 0
            if !work.isEmpty {
                for (topicPartition, batches) in work { written += write(batches, to: topicPartition) }
                let releasing = written
                queue.async { self.drainLoop(releasing: releasing) }
                return
            }
            if awaitWork(forNanoseconds: Self.drainLoopPatience) { continue }
            let stopped = state.withLock { state in
                state.drainLoopActive = !state.accumulator.isReadyEmpty
                return !state.drainLoopActive
            }
            if stopped { return }
        }
    }

    /// How long the drain loop watches for more work before it stops.
    private static let drainLoopPatience: UInt64 = 50_000

    /// Watches ``workReady`` for up to `nanoseconds`; true when it was set. It yields the
    /// processor between looks, so a sender sharing the core is not held up.
    private func awaitWork(forNanoseconds nanoseconds: UInt64) -> Bool {
        let deadline = monotonicNanoseconds() + nanoseconds
        while true {
            if workReady.load(ordering: .acquiring) { return true }
            sched_yield()
            if monotonicNanoseconds() >= deadline { return workReady.load(ordering: .acquiring) }
        }
    }

    /// A partition's linger time is over: writes everything it holds.
    private func drainLingered(_ place: RecordAccumulator.PartitionSlot) {
        let (topicPartition, batches) = state.withLock { state in
            (state.accumulator.topicPartition(place), state.accumulator.takeBatches(place))
        }
        release(write(batches, to: topicPartition))
    }

    /// Writes everything every partition holds (for `flush`).
    private func drainAll() {
        for (topicPartition, batches) in state.withLock({ $0.accumulator.takeAll() }) {
            release(write(batches, to: topicPartition))
        }
    }

    /// Writes a partition's batches in order; returns the buffer.memory they held, to give back.
    private func write(_ batches: [PendingBatch], to topicPartition: TopicPartition) -> Int {
        guard !batches.isEmpty else { return 0 }
        let held = batches.reduce(0) { $0 + $1.bufferedBytes }
        var log: PartitionLog
        do {
            log = try topics.partitionLog(topicPartition)
        } catch {
            for batch in batches { fail(batch, error) }
            return held
        }
        if config.acks == .all && producerId >= 0 && batches.count > 1 {
            writeGroupCommitted(batches, to: &log)
        } else {
            writeEach(batches, to: &log)
        }
        return held
    }

    /// Gives back buffer.memory held by written (or failed) batches and wakes sends waiting
    /// for it.
    private func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        let waiters = state.withLock { state in
            state.bufferedBytes -= bytes
            return state.roomWaiters
        }
        if waiters > 0 { state.signalChange() }
    }

    /// A batch numbered for the log: its encoded bytes carry the producer id, epoch and sequence.
    private struct NumberedBatch {
        var pending: PendingBatch
        var batch: ProducedBatch
        var sequence: Int32
        var count: Int { pending.recordCount }
    }

    /// Numbers a batch (producer id, epoch, the partition's next sequence) and encodes it; nil,
    /// after failing its sends, when encoding fails.
    private func number(_ pending: PendingBatch, for topicPartition: TopicPartition) -> NumberedBatch? {
        let (epoch, sequence) = numbering.withLockedValue { ($0.epoch, $0.sequences[topicPartition] ?? 0) }
        var builder = pending.builder
        if producerId >= 0 { builder.setProducer(id: producerId, epoch: epoch, baseSequence: sequence) }
        do {
            return NumberedBatch(pending: pending, batch: try builder.buildProduced(context: context), sequence: sequence)
        } catch {
            fail(pending, error)
            return nil
        }
    }

    /// Writes batches one at a time: each is acknowledged as ``ProducerConfig/acks`` asks
    /// (fsynced first for acks=all) and its sends completed.
    private func writeEach(_ batches: [PendingBatch], to log: inout PartitionLog) {
        let durability: AppendDurability = config.acks == .all ? .fsynced : .written
        for pending in batches {
            guard let numbered = number(pending, for: log.topicPartition),
                  let result = append(numbered, to: &log, durability: durability, advancesSequence: true) else { continue }
            complete(pending, at: result, in: log.topicPartition)
        }
    }

    /// acks=all with several batches of a partition ready: appends them all, then one fsync
    /// makes them durable together, then completes their sends. If that fsync fails, each batch
    /// is appended again with its own fsync, the same bytes, so the log answers a batch it
    /// already holds with its offsets instead of writing it twice (idempotent producers only).
    private func writeGroupCommitted(_ batches: [PendingBatch], to log: inout PartitionLog) {
        let topicPartition = log.topicPartition
        var appended: [(numbered: NumberedBatch, result: AppendResult)] = []
        for pending in batches {
            guard let numbered = number(pending, for: topicPartition),
                  let result = append(numbered, to: &log, durability: .written, advancesSequence: true) else { continue }
            appended.append((numbered, result))
        }
        guard let last = appended.last?.result else { return }
        do {
            if log.recoveryPoint <= last.lastOffset { try log.flush(upTo: last.lastOffset + 1) }
            for (numbered, result) in appended { complete(numbered.pending, at: result, in: topicPartition) }
        } catch {
            topics.logger.warning("fsync of a group of batches failed; appending each again with its own", metadata: ["partition": "\(topicPartition)", "error": "\(error)"])
            for (numbered, _) in appended {
                guard let result = append(numbered, to: &log, durability: .fsynced, advancesSequence: false) else { continue }
                complete(numbered.pending, at: result, in: topicPartition)
            }
        }
    }

    /// Appends a numbered batch with `durability`, retrying the same bytes after an I/O error
    /// (reopening a log that stopped after a failed fsync; the log recognises a retry of a batch
    /// it holds); moves the partition's sequence on when `advancesSequence`. Returns where it
    /// landed, or nil after failing its sends.
    private func append(_ numbered: NumberedBatch, to log: inout PartitionLog, durability: AppendDurability, advancesSequence: Bool) -> AppendResult? {
        let topicPartition = log.topicPartition
        let (pending, batch, count) = (numbered.pending, numbered.batch, numbered.count)
        var attempt = 0
        while true {
            let started = monotonicNanoseconds()
            do {
                // Built here, so the log checks the builder's facts instead of decompressing it.
                let result = try log.appendAsLeader(batch, durability: durability)
                // A retry answered as a duplicate returns before any fsync: it still needs one.
                if durability == .fsynced && log.recoveryPoint <= result.lastOffset { try log.flush(upTo: result.lastOffset + 1) }
                if producerId >= 0 && advancesSequence {
                    numbering.withLockedValue { state in
                        let next = (Int64(numbered.sequence) + Int64(count)) % (Int64(Int32.max) + 1)
                        state.sequences[topicPartition] = Int32(next)
                    }
                }
                topics.metrics.produced(topic: topicPartition.topic, records: count, bytes: batch.bytes.readableBytes, nanoseconds: monotonicNanoseconds() - started)
                topics.notifier.signal(topic: topicPartition.topic)
                return result
            } catch {
                if let refused = error as? AppendError, refused.code == .storageFailed, attempt < config.retries {
                    // The log stopped after an fsync failed: open it again (recovery makes what
                    // it holds durable) and retry; the retry is recognised if it was written.
                    attempt += 1
                    topics.logger.warning("partition log stopped; reopening it and retrying", metadata: ["partition": "\(topicPartition)", "error": "\(refused.message)"])
                    do {
                        log = try topics.reopenPartition(log)
                    } catch {
                        fail(pending, error)
                        return nil
                    }
                    continue
                }
                if let refused = error as? AppendError {
                    let code: TopicsError.Code = refused.code == .recordTooLarge || refused.code == .batchTooLarge ? .recordTooLarge : .appendRefused
                    fail(pending, TopicsError(code, "\(topicPartition) refused a batch of \(count) records: \(refused.message)"))
                    if refused.code == .producerState { startNewEpoch() }
                    return nil
                }
                attempt += 1
                guard attempt <= config.retries else {
                    topics.logger.error("append failed after retries", metadata: ["partition": "\(topicPartition)", "error": "\(error)"])
                    startNewEpoch()
                    fail(pending, error)
                    return nil
                }
                topics.logger.warning("append failed; retrying", metadata: ["partition": "\(topicPartition)", "attempt": "\(attempt)", "error": "\(error)"])
                usleep(useconds_t(max(0, config.retryBackoffMs) * 1000))
            }
        }
    }

    /// Completes a written batch's sends in order with their offsets.
    private func complete(_ pending: PendingBatch, at result: AppendResult, in topicPartition: TopicPartition) {
        var offset = result.firstOffset
        for waiting in pending.waiting {
            waiting.completion(.success(RecordMetadata(
                topic: topicPartition.topic, partition: topicPartition.partition, offset: offset,
                timestamp: result.logAppendTime ?? waiting.timestamp)))
            offset += 1
        }
    }

    /// After an unknown outcome: a new epoch restarts every partition's sequence at 0, which
    /// the log accepts, and no later batch can be taken for a retry of the lost one.
    private func startNewEpoch() {
        numbering.withLockedValue { state in
            state.epoch = state.epoch == Int16.max ? 0 : state.epoch + 1
            state.sequences = [:]
        }
    }

    private func fail(_ batch: PendingBatch, _ error: any Error) {
        if config.acks == .none {
            topics.logger.error("records sent with acks=0 were lost", metadata: ["records": "\(batch.builder.recordCount)", "error": "\(error)"])
        }
        for waiting in batch.waiting { waiting.completion(.failure(error)) }
    }
}
