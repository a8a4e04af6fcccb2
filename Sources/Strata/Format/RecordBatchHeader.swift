import NIOCore

/// The 61-byte header of a v2 record batch (magic 2), every field as stored.
public struct RecordBatchHeader: Sendable, Hashable {
    /// Size of the header in bytes (`RECORD_BATCH_OVERHEAD`).
    public static let size = 61
    /// Bytes before the batch length field counts (`LOG_OVERHEAD`): base offset and length.
    public static let logOverhead = 12
    /// Where the CRC-covered bytes start (the attributes field).
    static let crcCoverageStart = 21

    /// Offset of the first record.
    public var baseOffset: Int64
    /// Bytes after the length field (total batch size − 12).
    public var batchLength: Int32
    /// Leader epoch stamped by the broker, -1 when unknown.
    public var partitionLeaderEpoch: Int32
    /// The format version, 2.
    public var magic: Int8
    /// The stored CRC-32C over attributes … end.
    public var crc: UInt32
    /// Codec, timestamp type and flags.
    public var attributes: BatchAttributes
    /// Last offset − base offset (also the sequence delta).
    public var lastOffsetDelta: Int32
    /// Timestamp of the first record, or the delete horizon when that flag is set, or -1.
    public var baseTimestamp: Int64
    /// Max record timestamp (CreateTime) or the append time (LogAppendTime).
    public var maxTimestamp: Int64
    /// Producer id, -1 when not idempotent.
    public var producerId: Int64
    /// Producer epoch, -1 when not idempotent.
    public var producerEpoch: Int16
    /// Sequence of the first record, -1 when not idempotent.
    public var baseSequence: Int32
    /// Number of records stored (may be below lastOffsetDelta + 1 after compaction, even 0).
    public var recordsCount: Int32

    /// How many records a caller may reserve room for before decoding: the declared count, but
    /// never more than 16,384 — the count is not checked until the records are decoded, and a
    /// corrupt or hostile one must not become a huge allocation.
    public var recordCountToReserve: Int { min(max(0, Int(recordsCount)), 16_384) }

    /// Offset of the last record (`baseOffset + lastOffsetDelta`).
    public var lastOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) }
    /// The offset after this batch.
    public var nextOffset: Int64 { lastOffset &+ 1 }
    /// Total size of the batch including the 12-byte offset and length prefix.
    public var sizeInBytes: Int { Int(batchLength) + Self.logOverhead }
    /// The codec (nil for the invalid ids 5–7).
    public var compression: CompressionCodec? { attributes.codec }
    /// CreateTime or LogAppendTime.
    public var timestampType: TimestampType { attributes.timestampType }
    /// Part of a transaction.
    public var isTransactional: Bool { attributes.isTransactional }
    /// A control batch.
    public var isControl: Bool { attributes.isControl }
    /// The cleaner's delete horizon (ms), when the batch carries one.
    public var deleteHorizonMs: Int64? { attributes.hasDeleteHorizon ? baseTimestamp : nil }

    /// The sequence of the last record, wrapping from Int32.max to 0; -1 when not idempotent.
    public var lastSequence: Int32 { Self.sequence(base: baseSequence, plus: lastOffsetDelta) }

    /// `base + delta` with Kafka's sequence wrap-around; -1 stays -1. The arithmetic wraps as
    /// Java's does, so a hostile header (a negative delta) gives the number Kafka's tools print.
    public static func sequence(base: Int32, plus delta: Int32) -> Int32 {
        guard base >= 0 else { return -1 }
        if base > Int32.max &- delta { return delta &- (Int32.max &- base) &- 1 }
        return base &+ delta
    }

    /// `sequence - decrement` with Kafka's wrap-around (its `decrementSequence`): below zero it
    /// continues down from Int32.max. The arithmetic wraps as Java's does, for hostile values.
    public static func sequence(_ sequence: Int32, minus decrement: Int32) -> Int32 {
        sequence < decrement ? Int32.max &- (decrement &- sequence) &+ 1 : sequence &- decrement
    }

    /// Creates a header from its fields.
    public init(
        baseOffset: Int64, batchLength: Int32, partitionLeaderEpoch: Int32, magic: Int8 = 2, crc: UInt32,
        attributes: BatchAttributes, lastOffsetDelta: Int32, baseTimestamp: Int64, maxTimestamp: Int64,
        producerId: Int64, producerEpoch: Int16, baseSequence: Int32, recordsCount: Int32
    ) {
        self.baseOffset = baseOffset
        self.batchLength = batchLength
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.magic = magic
        self.crc = crc
        self.attributes = attributes
        self.lastOffsetDelta = lastOffsetDelta
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = maxTimestamp
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.recordsCount = recordsCount
    }

    /// Parses the 61 header bytes at the start of `bytes`; checks nothing but their presence.
    init(parsing bytes: UnsafeRawBufferPointer, position: Int) throws(StrataFormatError) {
        var cursor = ByteCursor(bytes, basePosition: position)
        baseOffset = try cursor.readBigEndian(Int64.self, "batch header")
        batchLength = try cursor.readBigEndian(Int32.self, "batch header")
        partitionLeaderEpoch = try cursor.readBigEndian(Int32.self, "batch header")
        magic = Int8(bitPattern: try cursor.readUInt8("batch header"))
        crc = try cursor.readBigEndian(UInt32.self, "batch header")
        attributes = BatchAttributes(rawValue: try cursor.readBigEndian(Int16.self, "batch header"))
        lastOffsetDelta = try cursor.readBigEndian(Int32.self, "batch header")
        baseTimestamp = try cursor.readBigEndian(Int64.self, "batch header")
        maxTimestamp = try cursor.readBigEndian(Int64.self, "batch header")
        producerId = try cursor.readBigEndian(Int64.self, "batch header")
        producerEpoch = try cursor.readBigEndian(Int16.self, "batch header")
        baseSequence = try cursor.readBigEndian(Int32.self, "batch header")
        recordsCount = try cursor.readBigEndian(Int32.self, "batch header")
    }

    /// Appends the 61 header bytes.
    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(baseOffset)
        buffer.writeInteger(batchLength)
        buffer.writeInteger(partitionLeaderEpoch)
        buffer.writeInteger(magic)
        buffer.writeInteger(crc)
        buffer.writeInteger(attributes.rawValue)
        buffer.writeInteger(lastOffsetDelta)
        buffer.writeInteger(baseTimestamp)
        buffer.writeInteger(maxTimestamp)
        buffer.writeInteger(producerId)
        buffer.writeInteger(producerEpoch)
        buffer.writeInteger(baseSequence)
        buffer.writeInteger(recordsCount)
    }
}
