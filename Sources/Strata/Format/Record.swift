import NIOCore

/// One record of a batch, with its absolute offset and timestamp.
///
/// Keys, values and header values are slices of the batch's (decompressed) bytes: reading
/// them copies nothing.
public struct Record: Sendable, Hashable {
    /// The record's offset in the partition.
    public var offset: Int64
    /// The timestamp Kafka reports for the record: for LogAppendTime batches the batch's max
    /// timestamp, otherwise ``storedTimestamp``; -1 when there is none (magic 0).
    public var timestamp: Int64
    /// The timestamp stored in the record itself (base timestamp + delta).
    public var storedTimestamp: Int64
    /// The key; nil is a null key.
    public var key: ByteBuffer?
    /// The value; nil is a null value (a tombstone in compacted topics).
    public var value: ByteBuffer?
    /// The headers in their stored order (always empty for magic 0/1).
    public var headers: [RecordHeader]
    /// The record attributes byte (no bits are defined; kept for fidelity).
    public var attributes: Int8

    /// Creates a record; `storedTimestamp` defaults to `timestamp`.
    public init(offset: Int64, timestamp: Int64, storedTimestamp: Int64? = nil, key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader] = [], attributes: Int8 = 0) {
        self.offset = offset
        self.timestamp = timestamp
        self.storedTimestamp = storedTimestamp ?? timestamp
        self.key = key
        self.value = value
        self.headers = headers
        self.attributes = attributes
    }

    /// The key's length, -1 for a null key (as kafka-dump-log prints `keySize`).
    public var keySize: Int { key?.readableBytes ?? -1 }
    /// The value's length, -1 for a null value.
    public var valueSize: Int { value?.readableBytes ?? -1 }
}
