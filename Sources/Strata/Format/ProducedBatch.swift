import NIOCore

/// A batch encoded in this process by ``RecordBatchBuilder/buildProduced(context:)``, with the
/// facts about its records that the builder saw while encoding them.
///
/// A leader append of bytes from elsewhere (the network, a file) must decompress the batch to
/// check its records, as Kafka's `LogValidator` does. A batch built here was encoded from
/// records whose offsets, keys and timestamps the builder already knows, so
/// ``PartitionLog/appendAsLeader(_:leaderEpoch:durability:)-(ProducedBatch,_,_)`` checks those
/// facts instead and writes the compressed bytes without decompressing them. Only the builder can
/// make one: its fields cannot be set from outside, so the facts always describe the bytes.
public struct ProducedBatch: Sendable {
    /// The encoded batch, with its 12-byte offset and length prefix.
    public let bytes: ByteBuffer
    /// The codec the records are compressed with.
    public let codec: CompressionCodec
    /// Number of records.
    public let recordCount: Int32
    /// Whether the records' offset deltas run 0, 1, 2, … without a gap.
    public let hasConsecutiveOffsets: Bool
    /// Number of records without a key (refused by a compacted topic).
    public let recordsWithoutKey: Int
    /// The smallest and largest record timestamps (CreateTime), nil for an empty batch.
    public let timestampRange: ClosedRange<Int64>?
    /// Whether the batch is a control batch (never produced by clients).
    public let isControl: Bool

    init(bytes: ByteBuffer, codec: CompressionCodec, recordCount: Int32, hasConsecutiveOffsets: Bool,
         recordsWithoutKey: Int, timestampRange: ClosedRange<Int64>?, isControl: Bool) {
        self.bytes = bytes
        self.codec = codec
        self.recordCount = recordCount
        self.hasConsecutiveOffsets = hasConsecutiveOffsets
        self.recordsWithoutKey = recordsWithoutKey
        self.timestampRange = timestampRange
        self.isControl = isControl
    }
}
