import NIOCore
import Strata

/// A batch a producer fills for one partition: its records, already encoded, and the sends
/// waiting for it to be written.
struct PendingBatch {
    var builder: RecordBatchBuilder
    /// One per record, in order; empty with acks=0 (those sends completed when buffered).
    var waiting: [WaitingSend] = []
    /// What its records count against buffer.memory (their largest encoded sizes).
    var bufferedBytes = 0

    var recordCount: Int { Int(builder.recordCount) }
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
/// A value type used under the producer's lock; it does no I/O. Batches are reached only
/// through stored, non-optional paths, so the hot path mutates them in place (an optional
/// batch would be copied, with its buffers retained, on every look).
struct RecordAccumulator {
    /// One partition's batches.
    struct Partition {
        var full: [PendingBatch] = []
        /// The batch being filled; it has no records (and no room reserved) between batches.
        var filling: PendingBatch
        /// The most bytes of a batch: batch.size within the topic's max.message.bytes.
        var limit: Int
        /// In ``ready``: the drain loop will take its batches.
        var isReady = false
        /// A linger timer is pending for the batch being filled (linger.ms > 0).
        var lingerTimerSet = false

        var isEmpty: Bool { full.isEmpty && filling.recordCount == 0 }
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

    /// Where a partition is: its topic's slot and its number.
    struct PartitionSlot: Hashable {
        var slot: Int
        var partition: Int
    }

    /// What ``append(_:timestamp:key:value:headers:maxSize:lingers:waiting:)`` did (a few
    /// flags: this is returned on every send).
    struct Appended {
        /// The partition became ready: run the drain loop unless it is running (set even
        /// when the record itself failed, if a batch was sealed).
        var wakesDrainLoop = false
        /// A batch that lingers started: set a timer of linger.ms for the partition.
        var setsLingerTimer = false
        /// The builder refused the record (nothing of it was added); why is in
        /// ``lastRefusal``.
        var refused = false
    }

    /// How the producer's batches are built (compression; numbered when written).
    let configuration: RecordBatchBuilder.Configuration
    /// batch.size.
    let batchSize: Int
    /// Topics by slot; a slot is never reused, so a queued drain can name one.
    private(set) var topics: [Topic] = []
    private var slots: [String: Int] = [:]
    private var lastSlot = -1
    /// Partitions with batches to write now (a full batch, or any record with linger.ms 0),
    /// in the order they became ready.
    private var ready: [PartitionSlot] = []
    /// Why the builder refused the last record it refused.
    private(set) var lastRefusal: StrataFormatError?

    init(configuration: RecordBatchBuilder.Configuration, batchSize: Int) {
        self.configuration = configuration
        self.batchSize = batchSize
    }

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
            for (index, log) in logs.enumerated() {
                let limit = min(max(batchSize, RecordBatchHeader.size), log.config.maxMessageBytes)
                if index < topics[slot].partitions.count {
                    topics[slot].partitions[index].limit = limit
                } else {
                    topics[slot].partitions.append(Partition(filling: emptyBatch(), limit: limit))
                }
            }
        }
        return slot
    }

    /// The number of partitions a topic had when its logs were last fetched.
    func partitionCount(slot: Int) -> Int { topics[slot].logs.count }

    /// A partition's largest batch (see ``Partition/limit``).
    func limit(_ place: PartitionSlot) -> Int { topics[place.slot].partitions[place.partition].limit }

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

    /// Encodes a record into its partition's batch, sealing the batch first when the record
    /// (of at most `maxSize` bytes) would take it past the partition's limit. The partition
    /// becomes ready when a batch is sealed, or at once unless `lingers` (linger.ms > 0).
    mutating func append(
        _ place: PartitionSlot, timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader], maxSize: Int,
        lingers: Bool, waiting: WaitingSend?
    ) -> Appended {
        let (appended, sealed) = Self.append(
            into: &topics[place.slot].partitions[place.partition], timestamp: timestamp, key: key, value: value, headers: headers,
            maxSize: maxSize, lingers: lingers, waiting: waiting, configuration: configuration, refusal: &lastRefusal)
        if sealed && topics[place.slot].sticky == Int32(place.partition) { topics[place.slot].sticky = nil }
        if appended.wakesDrainLoop { ready.append(place) }
        return appended
    }

    private static func append(
        into buffer: inout Partition, timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader], maxSize: Int,
        lingers: Bool, waiting: WaitingSend?, configuration: RecordBatchBuilder.Configuration, refusal: inout StrataFormatError?
    ) -> (Appended, sealed: Bool) {
        var sealed = false
        if buffer.filling.recordCount > 0 && buffer.filling.builder.estimatedSizeInBytes + maxSize > buffer.limit {
            buffer.full.append(buffer.filling)
            buffer.filling = PendingBatch(builder: RecordBatchBuilder(configuration))
            sealed = true
        }
        if buffer.filling.recordCount == 0 {
            buffer.filling.builder.reserveCapacity(buffer.limit)
            if waiting != nil { buffer.filling.waiting.reserveCapacity(buffer.limit / max(maxSize, 1)) }
        }
        var appended = Appended()
        do {
            try buffer.filling.builder.append(timestamp: timestamp, key: key, value: value, headers: headers)
            buffer.filling.bufferedBytes += maxSize
            if let waiting { buffer.filling.waiting.append(waiting) }
        } catch {
            appended.refused = true
            refusal = error
        }
        if (sealed || !lingers) && !buffer.isReady {
            buffer.isReady = true
            appended.wakesDrainLoop = true
        }
        if lingers && !buffer.lingerTimerSet && !appended.refused {
            buffer.lingerTimerSet = true
            appended.setsLingerTimer = true
        }
        return (appended, sealed)
    }

    /// Takes the batches of every ready partition: its full batches, and the one being filled
    /// too unless `lingers` (linger.ms > 0 leaves it to its timer).
    mutating func takeReady(lingers: Bool) -> [(TopicPartition, [PendingBatch])] {
        let taking = ready
        ready.removeAll(keepingCapacity: true)
        return taking.map { place in
            topics[place.slot].partitions[place.partition].isReady = false
            return (topicPartition(place), takeBatches(place, includingFilling: !lingers))
        }
    }

    /// Whether no partition is ready.
    var isReadyEmpty: Bool { ready.isEmpty }

    /// The topic and partition at a place.
    func topicPartition(_ place: PartitionSlot) -> TopicPartition {
        TopicPartition(topic: topics[place.slot].name, partition: Int32(place.partition))
    }

    /// Takes a partition's batches, in the order to write them (full ones first), and the
    /// one being filled when `includingFilling`.
    mutating func takeBatches(_ place: PartitionSlot, includingFilling: Bool = true) -> [PendingBatch] {
        let (slot, partition) = (place.slot, place.partition)
        guard slot < topics.count, partition < topics[slot].partitions.count else { return [] }
        var taken: [PendingBatch] = []
        swap(&taken, &topics[slot].partitions[partition].full)
        if includingFilling && topics[slot].partitions[partition].filling.recordCount > 0 {
            taken.append(topics[slot].partitions[partition].filling)
            topics[slot].partitions[partition].filling = emptyBatch()
            topics[slot].partitions[partition].lingerTimerSet = false
            if topics[slot].sticky == Int32(partition) { topics[slot].sticky = nil }
        }
        return taken
    }

    /// Takes the batches of every partition holding records.
    mutating func takeAll() -> [(TopicPartition, [PendingBatch])] {
        var taken: [(TopicPartition, [PendingBatch])] = []
        for slot in topics.indices {
            for partition in topics[slot].partitions.indices where !topics[slot].partitions[partition].isEmpty {
                let place = PartitionSlot(slot: slot, partition: partition)
                taken.append((topicPartition(place), takeBatches(place)))
            }
        }
        return taken
    }

    /// A batch with no records and no room reserved yet.
    private func emptyBatch() -> PendingBatch {
        PendingBatch(builder: RecordBatchBuilder(configuration))
    }
}
