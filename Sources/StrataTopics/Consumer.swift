import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import Strata

/// Reads records from partitions it was assigned or, as a member of a consumer group, from its
/// share of the subscribed topics; remembers its position per partition; commits positions to
/// the group's committed offsets.
///
/// Delivery is at-least-once: a committed offset is one past the last record the application
/// got back from a poll *before* the commit (auto commits happen at the start of a poll, so the
/// records of the previous poll count as processed). After a restart the group resumes at its
/// committed offsets: records before them are never delivered again; records after the last
/// commit may be.
///
/// A consumer is meant for one task at a time (calls are serialized by a lock); several
/// consumers may run concurrently. Blocking reads run on the consumer's own queue.
public final class Consumer: Sendable {
    /// The settings.
    public let config: ConsumerConfig
    /// The id of this consumer in its group.
    public let memberID: String
    let topics: Topics
    private let queue = DispatchQueue(label: "strata.consumer")
    private let state: NIOLockedValueBox<State>

    struct State {
        var subscription: Set<String> = []
        var manualAssignment = false
        var held: [TopicPartition] = []
        var generation = -1
        var positions: [TopicPartition: Int64] = [:]
        var buffers: [TopicPartition: ArraySlice<ConsumerRecord>] = [:]
        /// Key and value bytes of each partition's buffered records (for the consumed-bytes
        /// metric without a second pass over a whole fetch).
        var bufferedBytes: [TopicPartition: Int] = [:]
        var lastCommitted: [TopicPartition: Int64] = [:]
        var nextPartition = 0
        var lastAutoCommit: Int64
        var closed = false
    }

    init(topics: Topics, config: ConsumerConfig) {
        self.topics = topics
        self.config = config
        self.memberID = topics.groups.newMemberID()
        self.state = NIOLockedValueBox(State(lastAutoCommit: topics.clock()))
    }

    // MARK: - Assignment

    /// Joins the group with a subscription to `topics`: the group's partitions of those topics
    /// are shared among its members (``ConsumerConfig/assignmentStrategy``) and shared again
    /// whenever a member joins or leaves.
    ///
    /// - Throws: ``TopicsError`` `noGroup` without a ``ConsumerConfig/groupID``,
    ///   `unknownTopic`, `closed`.
    public func subscribe(_ topicNames: [String]) throws {
        guard let group = config.groupID else {
            throw TopicsError(.noGroup, "subscribe needs a group.id; use assign(_:) to read partitions without a group")
        }
        try topics.ensureOpen()
        for name in topicNames { _ = try topics.partitionCount(name) }
        try state.withLockedValue { state in
            try ensureOpen(state)
            state.subscription = Set(topicNames)
            state.manualAssignment = false
            state.generation = -1
        }
        join(group: group, topics: Set(topicNames))
    }

    private func join(group: String, topics names: Set<String>) {
        topics.groups.join(group: group, member: memberID, topics: names, strategy: config.assignmentStrategy,
                           sessionTimeoutMs: config.sessionTimeoutMs, now: topics.clock(), partitionCounts: topics.partitionCounts)
    }

    /// Reads exactly these partitions, outside any group rebalancing (commits still go to the
    /// group, if there is one). Replaces a subscription.
    ///
    /// - Throws: ``TopicsError`` `unknownTopic`, `partitionOutOfRange`, `closed`.
    public func assign(_ partitions: [TopicPartition]) throws {
        for partition in partitions { _ = try topics.partitionLog(partition) }
        let leaving = try state.withLockedValue { state -> Bool in
            try ensureOpen(state)
            let wasSubscribed = !state.subscription.isEmpty
            state.subscription = []
            state.manualAssignment = true
            state.held = Array(Set(partitions)).sorted()
            state.positions = state.positions.filter { partitions.contains($0.key) }
            state.buffers = state.buffers.filter { partitions.contains($0.key) }
            return wasSubscribed
        }
        if leaving, let group = config.groupID { topics.groups.leave(group: group, member: memberID) }
    }

    /// The partitions this consumer holds now (after the latest rebalance it has seen).
    public var assignment: [TopicPartition] {
        state.withLockedValue { state in
            syncGroup(&state)
            return state.held
        }
    }

    // MARK: - Polling

    /// Returns the records available now (at most `maxRecords`, else
    /// ``ConsumerConfig/maxPollRecords``), without waiting; empty when there are none.
    ///
    /// - Throws: ``TopicsError`` `noOffset` (no committed offset and `auto.offset.reset`
    ///   none), `closed`; read errors.
    public func poll(maxRecords: Int? = nil) throws -> [ConsumerRecord] {
        try state.withLockedValue { state in try pollLocked(&state, maxRecords: maxRecords ?? config.maxPollRecords) }
    }

    /// Waits up to `timeout` for records (without polling in a loop: it sleeps until a producer
    /// appends to a subscribed topic or the group rebalances) and returns them.
    ///
    /// - Throws: as ``poll(maxRecords:)``.
    public func poll(timeout: Duration, maxRecords: Int? = nil) async throws -> [ConsumerRecord] {
        let deadline = ContinuousClock.now + timeout
        let limit = maxRecords ?? config.maxPollRecords
        while true {
            if let buffered = state.withLockedValue({ takeBufferedIfNothingDue(&$0, maxRecords: limit) }) { return buffered }
            let version = topics.notifier.version
            let records = try await onQueue { try self.poll(maxRecords: limit) }
            if !records.isEmpty { return records }
            let now = ContinuousClock.now
            if now >= deadline || Task.isCancelled || closed { return [] }
            var wait = deadline - now
            if config.groupID != nil && config.enableAutoCommit { wait = Swift.min(wait, .milliseconds(Swift.max(1, config.autoCommitIntervalMs))) }
            // A waiting group member wakes often enough to count as alive (a heartbeat).
            if config.groupID != nil { wait = Swift.min(wait, .milliseconds(Swift.max(1, config.sessionTimeoutMs / 3))) }
            let interesting = state.withLockedValue { Set($0.held.map(\.topic)).union($0.subscription) }
            await topics.notifier.wait(forTopics: interesting, after: version, timeout: wait)
        }
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Already-decoded records, when no commit or rebalance is due (no I/O at all).
    private func takeBufferedIfNothingDue(_ state: inout State, maxRecords: Int) -> [ConsumerRecord]? {
        guard !state.closed, !autoCommitDue(state) else { return nil }
        if let group = config.groupID, !state.manualAssignment, topics.groups.generation(group: group) != state.generation { return nil }
        var out: [ConsumerRecord] = []
        for partition in state.held where out.count < maxRecords {
            take(from: partition, into: &out, limit: maxRecords, state: &state)
        }
        return out.isEmpty ? nil : out
    }

    private func pollLocked(_ state: inout State, maxRecords: Int) throws -> [ConsumerRecord] {
        try ensureOpen(state)
        try topics.ensureOpen()
        if autoCommitDue(state) { try commitPositions(&state, partitions: state.held) }
        syncGroup(&state)
        var out: [ConsumerRecord] = []
        var budget = config.fetchMaxBytes
        let held = state.held
        guard !held.isEmpty else { return [] }
        let start = state.nextPartition % held.count
        state.nextPartition = start + 1
        for step in 0..<held.count where out.count < maxRecords {
            let partition = held[(start + step) % held.count]
            if state.buffers[partition, default: []].isEmpty && budget > 0 {
                budget -= try fetch(partition, maxBytes: Swift.min(config.maxPartitionFetchBytes, budget), state: &state)
            }
            take(from: partition, into: &out, limit: maxRecords, state: &state)
        }
        return out
    }

    private func take(from partition: TopicPartition, into out: inout [ConsumerRecord], limit: Int, state: inout State) {
        guard let buffer = state.buffers.removeValue(forKey: partition), !buffer.isEmpty else { return }
        let taken = buffer.prefix(limit - out.count)
        let rest = buffer.dropFirst(taken.count)
        if !rest.isEmpty { state.buffers[partition] = rest }
        guard let last = taken.last else { return }
        // A whole fetched array handed over as is shares its storage (no copy per record).
        if out.isEmpty { out = Array(taken) } else { out += taken }
        state.positions[partition] = last.offset + 1
        let bytes: Int
        if rest.isEmpty, let all = state.bufferedBytes.removeValue(forKey: partition) {
            bytes = all
        } else {
            bytes = taken.reduce(0) { $0 + Swift.max(0, $1.keySize) + Swift.max(0, $1.valueSize) }
            state.bufferedBytes[partition]? -= bytes
        }
        topics.metrics.consumed(topic: partition.topic, group: config.groupID, records: taken.count, bytes: bytes)
    }

    /// Reads one partition from its position into its buffer; returns the bytes read.
    private func fetch(_ partition: TopicPartition, maxBytes: Int, state: inout State) throws -> Int {
        let log = try topics.partitionLog(partition)
        var position = try resolvePosition(partition, log: log, state: &state)
        let started = monotonicNanoseconds()
        let result: FetchResult
        do {
            result = try log.read(from: position, maxBytes: maxBytes, isolation: config.isolation)
        } catch let error as OffsetOutOfRangeError {
            // The position fell out of the log (retention, or a seek past the end).
            state.positions[partition] = nil
            position = try reset(partition, log: log, reason: "\(error)", state: &state)
            result = try log.read(from: position, maxBytes: maxBytes, isolation: config.isolation)
        }
        topics.metrics.fetched(topic: partition.topic, nanoseconds: monotonicNanoseconds() - started)
        var records: [ConsumerRecord] = []
        var bytes = 0
        var payloadBytes = 0
        func add(_ record: Record) {
            guard record.offset >= position else { return }
            records.append(ConsumerRecord(topic: partition.topic, partition: partition.partition, offset: record.offset,
                                          timestamp: record.timestamp, key: record.key, value: record.value, headers: record.headers))
            payloadBytes += (record.key?.readableBytes ?? 0) + (record.value?.readableBytes ?? 0)
        }
        func add(_ view: RecordView, payload: ByteBuffer) {
            guard view.offset >= position else { return }
            records.append(ConsumerRecord(topic: partition.topic, partition: partition.partition, view: view, payload: payload))
            payloadBytes += Swift.max(0, view.keySize) + Swift.max(0, view.valueSize)
        }
        // Room for the whole fetch at once (growing per batch would copy the array each time),
        // within a ceiling: the declared counts are not checked until the records are decoded.
        records.reserveCapacity(Swift.min(65_536, result.entries.reduce(0) { count, entry in
            if case .batch(let batch) = entry { return count + batch.header.recordCountToReserve }
            return count + 1
        }))
        for entry in result.entries {
            bytes += entry.sizeInBytes
            switch entry {
            case .batch(let batch):
                if batch.header.isControl { continue }
                // Decoded straight into consumer records that share the batch's bytes.
                try batch.forEachRecordInPayload(add)
            case .legacy:
                for record in try entry.records() { add(record) }
            }
        }
        if records.isEmpty, let last = result.entries.last {
            // Only control batches or records below the position: move past them.
            state.positions[partition] = Swift.max(position, last.lastOffset + 1)
        }
        state.buffers[partition] = records[...]
        state.bufferedBytes[partition] = payloadBytes
        let reached = records.last.map { $0.offset + 1 } ?? state.positions[partition] ?? position
        topics.metrics.lag(partition, group: config.groupID, lag: Swift.max(0, result.highWatermark - reached))
        return bytes
    }

    /// The position of a partition: known, else the group's committed offset, else reset.
    private func resolvePosition(_ partition: TopicPartition, log: PartitionLog, state: inout State) throws -> Int64 {
        if let position = state.positions[partition] { return position }
        if let group = config.groupID, let committed = topics.offsets.committed(group: group, partition) {
            if committed.offset >= log.logStartOffset && committed.offset <= log.logEndOffset {
                state.positions[partition] = committed.offset
                state.lastCommitted[partition] = committed.offset
                return committed.offset
            }
            return try reset(partition, log: log, reason: "committed offset \(committed.offset) is outside the log (\(log.logStartOffset) to \(log.logEndOffset))", state: &state)
        }
        return try reset(partition, log: log, reason: "no committed offset", state: &state)
    }

    private func reset(_ partition: TopicPartition, log: PartitionLog, reason: String, state: inout State) throws -> Int64 {
        let position: Int64
        switch config.autoOffsetReset {
        case .earliest: position = log.logStartOffset
        case .latest: position = log.highWatermark
        case .none: throw TopicsError(.noOffset, "\(partition): \(reason), and auto.offset.reset is none")
        }
        state.positions[partition] = position
        return position
    }

    // MARK: - Positions

    /// The offset of the next record this consumer will return from a held partition.
    ///
    /// - Throws: ``TopicsError`` `notAssigned`, `noOffset`.
    public func position(_ partition: TopicPartition) throws -> Int64 {
        try state.withLockedValue { state in
            try requireHeld(partition, state)
            return try resolvePosition(partition, log: try topics.partitionLog(partition), state: &state)
        }
    }

    /// Moves a held partition's position to `offset` (out-of-range offsets are reset by
    /// ``ConsumerConfig/autoOffsetReset`` at the next poll).
    ///
    /// - Throws: ``TopicsError`` `notAssigned`.
    public func seek(_ partition: TopicPartition, to offset: Int64) throws {
        try state.withLockedValue { state in
            syncGroup(&state)
            try requireHeld(partition, state)
            state.positions[partition] = offset
            state.buffers[partition] = nil
        }
    }

    /// Moves held partitions (all when nil) to their log start.
    ///
    /// - Throws: ``TopicsError`` `notAssigned`.
    public func seekToBeginning(_ partitions: [TopicPartition]? = nil) throws {
        try seekEach(partitions) { log in log.logStartOffset }
    }

    /// Moves held partitions (all when nil) to their end: only new records will be returned.
    ///
    /// - Throws: ``TopicsError`` `notAssigned`.
    public func seekToEnd(_ partitions: [TopicPartition]? = nil) throws {
        try seekEach(partitions) { log in log.highWatermark }
    }

    /// Moves held partitions (all when nil) to their first record with a timestamp at or
    /// after `timestamp` (ms), or to their end when every record is older.
    ///
    /// - Throws: ``TopicsError`` `notAssigned`; read errors.
    public func seek(toTimestamp timestamp: Int64, _ partitions: [TopicPartition]? = nil) throws {
        try seekEach(partitions) { log in try log.offset(forTimestamp: timestamp)?.offset ?? log.highWatermark }
    }

    private func seekEach(_ partitions: [TopicPartition]?, _ target: (PartitionLog) throws -> Int64) throws {
        try state.withLockedValue { state in
            syncGroup(&state)
            for partition in partitions ?? state.held {
                try requireHeld(partition, state)
                state.positions[partition] = try target(try topics.partitionLog(partition))
                state.buffers[partition] = nil
            }
        }
    }

    /// The group's committed offset for a partition.
    ///
    /// - Throws: ``TopicsError`` `noGroup`.
    public func committed(_ partition: TopicPartition) throws -> CommittedOffset? {
        guard let group = config.groupID else { throw TopicsError(.noGroup, "committed offsets belong to a group; this consumer has no group.id") }
        return topics.offsets.committed(group: group, partition)
    }

    // MARK: - Committing

    /// Commits the position of every held partition (one past the last record returned),
    /// durably (fsynced) before returning.
    ///
    /// - Throws: ``TopicsError`` `noGroup`, `closed`; I/O errors (nothing is recorded then).
    public func commitSync() throws {
        try state.withLockedValue { state in
            try ensureOpen(state)
            syncGroup(&state)
            try commitPositions(&state, partitions: state.held)
        }
    }

    /// Commits explicit offsets (each the next offset to read) for held partitions.
    ///
    /// - Throws: ``TopicsError`` `noGroup`, `notAssigned`, `closed`; I/O errors.
    public func commitSync(_ offsets: [TopicPartition: Int64], metadata: String = "") throws {
        guard let group = config.groupID else { throw TopicsError(.noGroup, "commit needs a group.id") }
        try state.withLockedValue { state in
            try ensureOpen(state)
            for partition in offsets.keys { try requireHeld(partition, state) }
            let now = topics.clock()
            try topics.offsets.commit(group: group, offsets.mapValues { CommittedOffset(offset: $0, metadata: metadata, commitTimestamp: now) })
            for (partition, offset) in offsets { state.lastCommitted[partition] = offset }
        }
    }

    private func commitPositions(_ state: inout State, partitions: [TopicPartition]) throws {
        guard let group = config.groupID else { throw TopicsError(.noGroup, "commit needs a group.id") }
        state.lastAutoCommit = topics.clock()
        var changed: [TopicPartition: CommittedOffset] = [:]
        for partition in partitions {
            guard let position = state.positions[partition], state.lastCommitted[partition] != position else { continue }
            changed[partition] = CommittedOffset(offset: position, commitTimestamp: state.lastAutoCommit)
        }
        try topics.offsets.commit(group: group, changed)
        for (partition, committed) in changed { state.lastCommitted[partition] = committed.offset }
    }

    private func autoCommitDue(_ state: State) -> Bool {
        config.groupID != nil && config.enableAutoCommit && topics.clock() - state.lastAutoCommit >= config.autoCommitIntervalMs
    }

    // MARK: - Group membership

    /// Adopts the group's latest assignment: partitions no longer targeted are committed
    /// (when auto-committing) and let go; free targeted partitions are taken.
    private func syncGroup(_ state: inout State) {
        guard let group = config.groupID, !state.manualAssignment, !state.subscription.isEmpty, !state.closed else { return }
        var (generation, target, isMember) = topics.groups.target(group: group, member: memberID, now: topics.clock())
        if !isMember {
            // Removed for silence: others hold these partitions now and may have committed
            // further, so the positions are dropped, not committed; then join again.
            topics.logger.warning("consumer was removed from its group for silence; joining again", metadata: ["group": "\(group)", "member": "\(memberID)"])
            state.held = []
            state.positions = [:]
            state.buffers = [:]
            state.lastCommitted = [:]
            join(group: group, topics: state.subscription)
            (generation, target, _) = topics.groups.target(group: group, member: memberID, now: topics.clock())
        }
        guard generation != state.generation || Set(state.held) != target else { return }
        let revoking = Set(state.held).subtracting(target)
        if !revoking.isEmpty && config.enableAutoCommit {
            do {
                // Not for a deleted topic: its commits were just removed with it.
                try commitPositions(&state, partitions: revoking.filter { topics.exists($0.topic) })
            } catch {
                topics.logger.error("commit before a rebalance failed", metadata: ["group": "\(group)", "error": "\(error)"])
            }
        }
        for partition in revoking {
            state.positions[partition] = nil
            state.buffers[partition] = nil
            state.lastCommitted[partition] = nil
        }
        let held = topics.groups.exchange(group: group, member: memberID, releasing: revoking)
        state.held = held.sorted()
        if held == target { state.generation = generation }
    }

    private func requireHeld(_ partition: TopicPartition, _ state: State) throws(TopicsError) {
        guard state.held.contains(partition) else {
            throw TopicsError(.notAssigned, "\(partition) is not assigned to this consumer (it holds \(state.held.isEmpty ? "no partitions" : state.held.map(\.description).joined(separator: ", ")))")
        }
    }

    // MARK: - Closing

    /// Commits (when auto-committing), leaves the group (its partitions go to the other
    /// members) and refuses further calls.
    ///
    /// - Throws: I/O errors of the final commit (the consumer is closed anyway).
    public func close() throws {
        let finalCommit: Result<Void, any Error> = state.withLockedValue { state in
            guard !state.closed else { return .success(()) }
            defer { state.closed = true }
            guard config.groupID != nil, config.enableAutoCommit, !topics.closed else { return .success(()) }
            syncGroup(&state)
            return Result { try commitPositions(&state, partitions: state.held) }
        }
        if let group = config.groupID { topics.groups.leave(group: group, member: memberID) }
        // Wakes this consumer's own waiting poll or iteration, which then ends.
        topics.notifier.signal(topic: nil)
        try finalCommit.get()
    }

    /// Whether ``close()`` was called.
    public var closed: Bool { state.withLockedValue { $0.closed } }

    private func ensureOpen(_ state: State) throws(TopicsError) {
        if state.closed { throw TopicsError(.closed, "the consumer is closed") }
    }
}

extension Consumer: AsyncSequence {
    public typealias Element = ConsumerRecord

    /// Records one at a time, waiting (without polling in a loop) for new ones; ends when the
    /// consumer or its data directory is closed or the task is cancelled.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: Consumer

        public mutating func next() async throws -> ConsumerRecord? {
            while !consumer.closed && !consumer.topics.closed && !Task.isCancelled {
                do {
                    if let record = try await consumer.poll(timeout: .seconds(60), maxRecords: 1).first { return record }
                } catch {
                    // Closed while waiting: the sequence ends rather than fails.
                    if let refused = error as? TopicsError, refused.code == .closed { return nil }
                    throw error
                }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: self) }
}
