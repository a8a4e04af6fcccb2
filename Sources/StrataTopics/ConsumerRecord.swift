import NIOCore
import Strata

/// A record a consumer received.
///
/// Its key and value are slices of the bytes of the batch it was fetched in, shared by every
/// record of that batch: a fetched record costs one reference, and ``key`` and ``value`` are
/// cut from it when asked for.
public struct ConsumerRecord: Sendable, Hashable {
    /// The topic.
    public var topic: String
    /// The partition.
    public var partition: Int32
    /// The record's offset.
    public var offset: Int64
    /// The record's timestamp (CreateTime, or the append time on a LogAppendTime topic).
    public var timestamp: Int64
    /// The headers, in order.
    public var headers: [RecordHeader]
    /// The bytes the key and value lie in.
    @usableFromInline var bytes: ByteBuffer
    @usableFromInline var keyPart: Part
    @usableFromInline var valuePart: Part

    /// Where a key or value lies in ``bytes`` (from its reader index); length -1 for null.
    /// Inlinable with the accessors below, so that reading a record's value in a loop over a
    /// poll's records costs a slice, not a call and a copy of the record.
    @usableFromInline struct Part: Hashable, Sendable {
        @usableFromInline var start: UInt32
        @usableFromInline var length: Int32

        static let null = Part(start: 0, length: -1)

        init(start: UInt32, length: Int32) {
            self.start = start
            self.length = length
        }

        init(_ range: Range<Int>?) {
            self = range.map { Part(start: UInt32($0.lowerBound), length: Int32($0.count)) } ?? .null
        }

        @inlinable func slice(of bytes: ByteBuffer) -> ByteBuffer? {
            length < 0 ? nil : bytes.getSlice(at: bytes.readerIndex + Int(start), length: Int(length))
        }
    }

    /// The key; nil for none.
    public var key: ByteBuffer? {
        @inlinable get { keyPart.slice(of: bytes) }
        set { (bytes, keyPart, valuePart) = Self.store(key: newValue, value: value) }
    }

    /// The value; nil for a tombstone.
    public var value: ByteBuffer? {
        @inlinable get { valuePart.slice(of: bytes) }
        set { (bytes, keyPart, valuePart) = Self.store(key: key, value: newValue) }
    }

    /// The key's length in bytes, -1 for none (without slicing it).
    @inlinable public var keySize: Int { Int(keyPart.length) }
    /// The value's length in bytes, -1 for a tombstone (without slicing it).
    @inlinable public var valueSize: Int { Int(valuePart.length) }

    /// The partition as a value.
    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
    /// The key as UTF-8 text (invalid sequences replaced), nil for none.
    public var keyString: String? { key.map { String(buffer: $0) } }
    /// The value as UTF-8 text (invalid sequences replaced), nil for none.
    public var valueString: String? { value.map { String(buffer: $0) } }

    /// Creates a record (its key and value are copied into one buffer).
    public init(topic: String, partition: Int32, offset: Int64, timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader]) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.headers = headers
        (bytes, keyPart, valuePart) = Self.store(key: key, value: value)
    }

    /// A fetched record: its key and value stay in `payload`, the batch's records' bytes.
    init(topic: String, partition: Int32, view: RecordView, payload: ByteBuffer) {
        self.topic = topic
        self.partition = partition
        self.offset = view.offset
        self.timestamp = view.timestamp
        self.headers = view.headerCount == 0 ? [] : view.recordHeaders(in: payload)
        self.bytes = payload
        self.keyPart = Part(view.keyRange)
        self.valuePart = Part(view.valueRange)
    }

    private static func store(key: ByteBuffer?, value: ByteBuffer?) -> (ByteBuffer, Part, Part) {
        var bytes = ByteBuffer()
        bytes.reserveCapacity((key?.readableBytes ?? 0) + (value?.readableBytes ?? 0))
        let keyPart = key.map { Part(start: 0, length: Int32(bytes.writeImmutableBuffer($0))) } ?? .null
        let valueStart = UInt32(bytes.readableBytes)
        let valuePart = value.map { Part(start: valueStart, length: Int32(bytes.writeImmutableBuffer($0))) } ?? .null
        return (bytes, keyPart, valuePart)
    }

    public static func == (lhs: ConsumerRecord, rhs: ConsumerRecord) -> Bool {
        lhs.topic == rhs.topic && lhs.partition == rhs.partition && lhs.offset == rhs.offset && lhs.timestamp == rhs.timestamp
            && lhs.key == rhs.key && lhs.value == rhs.value && lhs.headers == rhs.headers
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(topic)
        hasher.combine(partition)
        hasher.combine(offset)
        hasher.combine(timestamp)
        hasher.combine(key)
        hasher.combine(value)
        hasher.combine(headers)
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
