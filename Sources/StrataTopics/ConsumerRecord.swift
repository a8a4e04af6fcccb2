import NIOCore
import Strata

/// A record a consumer received.
public struct ConsumerRecord: Sendable, Hashable {
    /// The topic.
    public var topic: String
    /// The partition.
    public var partition: Int32
    /// The record's offset.
    public var offset: Int64
    /// The record's timestamp (CreateTime, or the append time on a LogAppendTime topic).
    public var timestamp: Int64
    /// The key; nil for none.
    public var key: ByteBuffer?
    /// The value; nil for a tombstone.
    public var value: ByteBuffer?
    /// The headers, in order.
    public var headers: [RecordHeader]

    /// The partition as a value.
    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
    /// The key as UTF-8 text (invalid sequences replaced), nil for none.
    public var keyString: String? { key.map { String(buffer: $0) } }
    /// The value as UTF-8 text (invalid sequences replaced), nil for none.
    public var valueString: String? { value.map { String(buffer: $0) } }

    /// Creates a record.
    public init(topic: String, partition: Int32, offset: Int64, timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader]) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// Where a consumer starts when it has no committed offset (or an offset no longer in the log).
public enum AutoOffsetReset: String, Sendable, Hashable, CaseIterable {
    /// The log start.
    case earliest
    /// The log end: only records produced from now on.
    case latest
    /// Fail with ``TopicsError/Code/noOffset``.
    case none
}

/// How a group's partitions are shared among its members.
public enum AssignmentStrategy: String, Sendable, Hashable, CaseIterable {
    /// Kafka's RangeAssignor: per topic, consecutive partitions to each member in member order,
    /// the first `partitions % members` members one more.
    case range
    /// Kafka's RoundRobinAssignor: every subscribed partition, sorted, dealt out in turn.
    case roundRobin
}

/// A consumer's settings, named after Kafka's.
public struct ConsumerConfig: Sendable {
    /// `group.id`: members of one group share partitions and commit offsets; nil for a
    /// consumer that only uses ``Consumer/assign(_:)`` and commits nothing.
    public var groupID: String?
    /// `auto.offset.reset`.
    public var autoOffsetReset: AutoOffsetReset = .latest
    /// `enable.auto.commit` (only with a group).
    public var enableAutoCommit = true
    /// `auto.commit.interval.ms`: auto commits happen at the start of a poll at most this often,
    /// committing what earlier polls returned.
    public var autoCommitIntervalMs: Int64 = 5_000
    /// `max.poll.records`.
    public var maxPollRecords = 500
    /// `fetch.max.bytes`: the most batch bytes read per poll (at least one batch is read).
    public var fetchMaxBytes = 52_428_800
    /// `max.partition.fetch.bytes`: the most batch bytes read from one partition per poll.
    public var maxPartitionFetchBytes = 1_048_576
    /// `partition.assignment.strategy`.
    public var assignmentStrategy: AssignmentStrategy = .range
    /// `session.timeout.ms`: a group member that has not polled for this long is removed from
    /// the group and its partitions go to the others; it joins again at its next poll, dropping
    /// its positions uncommitted (the new holders may already have committed further).
    public var sessionTimeoutMs: Int64 = 45_000
    /// `isolation.level`: `.highWatermark` is read_uncommitted, `.committed` read_committed.
    public var isolation: FetchIsolation = .highWatermark

    /// Kafka's consumer defaults, with a group when one is given.
    public init(groupID: String? = nil, autoOffsetReset: AutoOffsetReset = .latest) {
        self.groupID = groupID
        self.autoOffsetReset = autoOffsetReset
    }
}
