import NIOCore
import Strata

/// A batch a producer fills for one partition: its records, already encoded, and the sends
/// waiting for it to be written.
struct PendingBatch {
    var builder: RecordBatchBuilder
    /// One per record, in order; empty with acks=0 (those sends completed when buffered).
    var waiting: [WaitingSend] = []
}

/// A send waiting for its batch to be written.
struct WaitingSend {
    var completion: Producer.Completion
    /// The record's CreateTime, reported back unless the topic uses LogAppendTime.
    var timestamp: Int64
}

/// What a producer holds between `send` and the write, as Kafka's `RecordAccumulator` does:
/// per topic its partition logs (cached until the topics change) and, per partition, full
/// batches waiting to be written and the batch being filled. A record is encoded into its
/// batch when it is sent, so the send copies its bytes once and keeps no reference to them.
///
/// A value type used under the producer's lock; it does no I/O.
struct RecordAccumulator {
    /// One partition's batches.
    struct Partition {
        var full: [PendingBatch] = []
        var filling: PendingBatch?
        /// A drain is queued: for the linger time of the first record, or at once for a full batch.
        var lingerDrainQueued = false
        var fullDrainQueued = false

        var isEmpty: Bool { full.isEmpty && filling == nil }
    }

    /// One topic: its logs as last fetched, and its partitions' batches.
    struct Topic {
        let name: String
        var logs: [PartitionLog] = []
        /// The topics' version the logs were fetched at (-1: never).
        var logsVersion = -1
        var partitions: [Partition] = []
        /// The partition records without a key go to, until its batch is full or written.
        var sticky: Int32?
    }

    /// A drain to schedule after an append.
    enum Drain {
        case now
        case afterLinger
    }

    /// Topics by slot; a slot is never reused, so a queued drain can name one.
    private(set) var topics: [Topic] = []
    private var slots: [String: Int] = [:]
    private var lastSlot = -1

    /// The slot of topic `name`, with its logs fetched again by `fetchLogs` when the topics'
    /// `version` moved since they were cached.
    mutating func slot(for name: String, version: Int, fetchLogs: (String) throws(TopicsError) -> [PartitionLog]) throws(TopicsError) -> Int {
        var slot = lastSlot
        if slot < 0 || topics[slot].name != name {
            if let known = slots[name] {
                slot = known
            } else {
                slot = topics.count
                topics.append(Topic(name: name))
                slots[name] = slot
            }
            lastSlot = slot
        }
        if topics[slot].logsVersion != version {
            let logs = try fetchLogs(name)
            topics[slot].logs = logs
            topics[slot].logsVersion = version
            if topics[slot].partitions.count < logs.count {
                topics[slot].partitions += Array(repeating: Partition(), count: logs.count - topics[slot].partitions.count)
            }
        }
        return slot
    }

    /// The sticky partition of a topic for a record without a key: kept until its batch is
    /// full or written, then another one (never the same twice in a row when there is a choice).
    mutating func stickyPartition(slot: Int, count: Int) -> Int32 {
        if let sticky = topics[slot].sticky, Int(sticky) < count { return sticky }
        let previous = topics[slot].sticky
        var next = Int32.random(in: 0..<Int32(count))
        if count > 1, next == previous { next = (next + 1) % Int32(count) }
        topics[slot].sticky = next
        return next
    }

    /// What ``append(slot:partition:timestamp:record:maxSize:limit:waiting:makeBuilder:)`` did.
    struct Appended {
        /// The drain to schedule, if one is needed (even when the record itself failed).
        var drain: Drain?
        /// Why the builder refused the record (nothing of it was added).
        var error: StrataFormatError?
    }

    /// Encodes a record into its partition's batch, starting a new batch (by `makeBuilder`)
    /// when the record would take the current one past `limit` bytes.
    mutating func append(
        slot: Int, partition: Int, timestamp: Int64, record: ProducerRecord, maxSize: Int, limit: Int,
        waiting: WaitingSend?, makeBuilder: () -> RecordBatchBuilder
    ) -> Appended {
        // In place through the arrays: a copy of a batch would retain its buffers.
        let (appended, sealed) = Self.append(
            into: &topics[slot].partitions[partition], timestamp: timestamp, record: record, maxSize: maxSize, limit: limit,
            waiting: waiting, makeBuilder: makeBuilder)
        if sealed && topics[slot].sticky == Int32(partition) { topics[slot].sticky = nil }
        return appended
    }

    private static func append(
        into buffer: inout Partition, timestamp: Int64, record: ProducerRecord, maxSize: Int, limit: Int,
        waiting: WaitingSend?, makeBuilder: () -> RecordBatchBuilder
    ) -> (Appended, sealed: Bool) {
        var drain: Drain? = nil
        var sealed = false
        let wasEmpty = buffer.isEmpty
        if buffer.filling != nil, buffer.filling!.builder.recordCount > 0, buffer.filling!.builder.estimatedSizeInBytes + maxSize > limit {
            buffer.full.append(buffer.filling.take()!)
            sealed = true
            if !buffer.fullDrainQueued {
                buffer.fullDrainQueued = true
                drain = .now
            }
        }
        if buffer.filling == nil { buffer.filling = PendingBatch(builder: makeBuilder()) }
        do {
            try buffer.filling!.builder.append(timestamp: timestamp, key: record.key, value: record.value, headers: record.headers)
        } catch {
            return (Appended(drain: drain, error: error), sealed)
        }
        if let waiting { buffer.filling!.waiting.append(waiting) }
        if wasEmpty && !buffer.lingerDrainQueued {
            buffer.lingerDrainQueued = true
            drain = drain ?? .afterLinger
        }
        return (Appended(drain: drain), sealed)
    }

    /// Takes every batch of a partition, full ones first, to be written in this order.
    mutating func takeBatches(slot: Int, partition: Int) -> [PendingBatch] {
        guard slot < topics.count, partition < topics[slot].partitions.count else { return [] }
        var taken = topics[slot].partitions[partition].full
        if let filling = topics[slot].partitions[partition].filling, filling.builder.recordCount > 0 { taken.append(filling) }
        topics[slot].partitions[partition] = Partition()
        if topics[slot].sticky == Int32(partition) { topics[slot].sticky = nil }
        return taken
    }

    /// Every partition holding records, as (slot, partition).
    var partitionsWithRecords: [(slot: Int, partition: Int)] {
        var found: [(slot: Int, partition: Int)] = []
        for slot in topics.indices {
            for partition in topics[slot].partitions.indices where !topics[slot].partitions[partition].isEmpty {
                found.append((slot, partition))
            }
        }
        return found
    }
}
