import NIOCore
import Strata

/// A record to send.
public struct ProducerRecord: Sendable {
    /// The topic.
    public var topic: String
    /// An explicit partition; nil lets the producer choose (murmur2 of the key, or the sticky
    /// partition for a null key).
    public var partition: Int32?
    /// The key; nil for none.
    public var key: ByteBuffer?
    /// The value; nil is a tombstone on a compacted topic.
    public var value: ByteBuffer?
    /// Headers, in order.
    public var headers: [RecordHeader]
    /// The record's CreateTime (ms since the epoch); nil uses the time of the send.
    public var timestamp: Int64?

    /// Creates a record from bytes.
    public init(topic: String, partition: Int32? = nil, key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader] = [], timestamp: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// Creates a record from text (UTF-8).
    public init(topic: String, partition: Int32? = nil, key: String?, value: String?, headers: [(String, String)] = [], timestamp: Int64? = nil) {
        self.init(topic: topic, partition: partition, key: key.map { ByteBuffer(string: $0) }, value: value.map { ByteBuffer(string: $0) },
                  headers: headers.map { RecordHeader(key: $0.0, value: ByteBuffer(string: $0.1)) }, timestamp: timestamp)
    }
}

/// Where a sent record landed.
public struct RecordMetadata: Sendable, Hashable {
    /// The topic.
    public var topic: String
    /// The partition.
    public var partition: Int32
    /// The record's offset; -1 with `acks=0`, which does not wait for the log.
    public var offset: Int64
    /// The record's timestamp: its CreateTime, or the log's append time when the topic uses
    /// LogAppendTime.
    public var timestamp: Int64
}

/// How much of the write a send waits for.
public enum Acks: String, Sendable, Hashable, CaseIterable {
    /// `acks=0`: the send returns once the record is buffered in the producer; its offset is
    /// unknown (-1) and a later failure is only logged and counted.
    case none = "0"
    /// `acks=1`: the send returns once the record is written to the partition's log (in the
    /// page cache: a process crash keeps it, a power cut may not).
    case leader = "1"
    /// `acks=all`: the send returns once the record is fsynced (a power cut keeps it).
    case all = "all"
}

/// A producer's settings, named after Kafka's.
public struct ProducerConfig: Sendable {
    /// `acks` (Kafka's default: all).
    public var acks: Acks = .all
    /// `batch.size`: the most bytes of records gathered into one batch per partition.
    public var batchSize = 16_384
    /// `linger.ms`: how long a batch that is not full waits for more records. With 0, records
    /// sent while the previous batch is being written still share the next batch.
    public var lingerMs = 0
    /// `compression.type` with its level (the topic may recompress, as a broker does).
    public var compression: Compression = .none
    /// `enable.idempotence`: batches carry a producer id, epoch and sequence so that a retry of
    /// a batch that did reach the log is recognised and not written twice.
    public var idempotent = true
    /// `retries` after an I/O error.
    public var retries = 3
    /// `retry.backoff.ms`.
    public var retryBackoffMs = 100
    /// `max.request.size`: the largest record (as encoded in a batch) accepted by ``Producer/send(_:)``.
    public var maxRequestSize = 1_048_576
    /// `buffer.memory`: the most bytes of records the producer holds before they are written;
    /// a send that would exceed it waits (blocking its thread) for writes to make room.
    public var bufferMemory = 33_554_432
    /// `max.block.ms`: how long a send waits for room in `buffer.memory` before it fails
    /// with ``TopicsError/Code/bufferFull``.
    public var maxBlockMs = 60_000

    /// Kafka's producer defaults.
    public init(acks: Acks = .all, lingerMs: Int = 0, compression: Compression = .none) {
        self.acks = acks
        self.lingerMs = lingerMs
        self.compression = compression
    }
}
