import NIOConcurrencyHelpers
import NIOCore
import Strata

/// The committed offsets of every consumer group, kept in the internal compacted topic
/// ``OffsetStore/topic`` (one partition) and in memory.
///
/// A commit is one batch of records keyed by (group, topic, partition), fsynced before the
/// commit returns. Opening replays the topic: the last value of each key wins and a tombstone
/// removes it, which is exactly what compaction keeps, so the answer is the same before and
/// after the log cleaner runs.
final class OffsetStore: Sendable {
    /// The internal topic's name (Kafka's, with its record schemas).
    static let topic = "__consumer_offsets"
    static let partition = TopicPartition(topic: topic, partition: 0)
    /// The topic's configuration: compacted, small segments so the cleaner has closed
    /// segments to work on.
    static let config = ["cleanup.policy": "compact", "segment.bytes": "104857600"]

    let log: PartitionLog
    private let offsets: NIOLockedValueBox<[String: [TopicPartition: CommittedOffset]]>
    private let writeLock = NIOLock()
    /// Used only under `writeLock`.
    nonisolated(unsafe) private let context = CodecContext()

    /// Replays the topic's log.
    ///
    /// - Throws: ``TopicsError`` naming the offset of a record that cannot be decoded; read errors.
    init(log: PartitionLog) throws {
        self.log = log
        var offsets: [String: [TopicPartition: CommittedOffset]] = [:]
        var position = log.logStartOffset
        let end = log.logEndOffset
        while position < end {
            let fetch = try log.read(from: position, maxBytes: 1 << 20, isolation: .logEnd)
            guard !fetch.entries.isEmpty else { break }
            for entry in fetch.entries {
                for record in try entry.records() where record.offset >= position {
                    try Self.apply(record, to: &offsets, in: log.directory)
                }
                position = entry.lastOffset + 1
            }
        }
        self.offsets = NIOLockedValueBox(offsets)
    }

    private static func apply(_ record: Record, to offsets: inout [String: [TopicPartition: CommittedOffset]], in directory: String) throws {
        guard let key = record.key else { return }
        do throws(OffsetCommitCodec.DecodingError) {
            guard let (group, topicPartition) = try OffsetCommitCodec.decodeKey(key) else { return }
            if let value = record.value {
                offsets[group, default: [:]][topicPartition] = try OffsetCommitCodec.decodeValue(value)
            } else {
                offsets[group]?[topicPartition] = nil
            }
        } catch {
            throw TopicsError(.appendRefused, "committed offsets in \(directory): record at offset \(record.offset) cannot be decoded: \(error)")
        }
    }

    /// The group's committed offset for a partition.
    func committed(group: String, _ topicPartition: TopicPartition) -> CommittedOffset? {
        offsets.withLockedValue { $0[group]?[topicPartition] }
    }

    /// All the group's committed offsets.
    func committed(group: String) -> [TopicPartition: CommittedOffset] {
        offsets.withLockedValue { $0[group] ?? [:] }
    }

    /// The groups with commits.
    var groups: [String] { offsets.withLockedValue { $0.keys.sorted() } }

    /// Stores commits durably (fsynced) and then in memory.
    ///
    /// - Throws: format, append and I/O errors; nothing is recorded in memory then.
    func commit(group: String, _ commits: [TopicPartition: CommittedOffset]) throws {
        guard !commits.isEmpty else { return }
        try writeLock.withLock {
            try append(commits.sorted { $0.key < $1.key }.map { (OffsetCommitCodec.key(group: group, topicPartition: $0.key), OffsetCommitCodec.value($0.value)) })
            offsets.withLockedValue { offsets in
                for (topicPartition, committed) in commits { offsets[group, default: [:]][topicPartition] = committed }
            }
        }
    }

    /// Writes tombstones for every commit of a topic (the topic was deleted).
    func forget(topic: String) throws {
        try writeLock.withLock {
            let doomed = offsets.withLockedValue { offsets in
                offsets.flatMap { group, commits in commits.keys.filter { $0.topic == topic }.map { (group, $0) } }
            }
            guard !doomed.isEmpty else { return }
            try append(doomed.map { (OffsetCommitCodec.key(group: $0.0, topicPartition: $0.1), nil) })
            offsets.withLockedValue { offsets in
                for (group, topicPartition) in doomed { offsets[group]?[topicPartition] = nil }
            }
        }
    }

    private func append(_ records: [(key: ByteBuffer, value: ByteBuffer?)]) throws {
        var builder = RecordBatchBuilder(RecordBatchBuilder.Configuration())
        let now = systemMilliseconds()
        for record in records { try builder.append(timestamp: now, key: record.key, value: record.value) }
        try log.appendAsLeader(try builder.build(context: context), durability: .fsynced)
    }
}
