import NIOCore

/// One top-level entry of a `.log` file: a v2 batch or a legacy (magic 0/1) message.
public enum LogEntry: Sendable {
    /// A magic-2 record batch.
    case batch(RecordBatch)
    /// A magic 0/1 message, possibly a compressed wrapper.
    case legacy(LegacyEntry)

    /// Byte position of the entry in its file.
    public var position: Int {
        switch self {
        case .batch(let batch): batch.position
        case .legacy(let entry): entry.position
        }
    }

    /// The entry's bytes, exactly as stored (with the 12-byte prefix).
    public var bytes: ByteBuffer {
        switch self {
        case .batch(let batch): batch.bytes
        case .legacy(let entry): entry.bytes
        }
    }

    /// Size including the 12-byte offset and length prefix.
    public var sizeInBytes: Int { bytes.readableBytes }

    /// The magic byte.
    public var magic: Int8 {
        switch self {
        case .batch: 2
        case .legacy(let entry): entry.message.magic
        }
    }

    /// Offset of the last record (a legacy entry's own offset).
    public var lastOffset: Int64 {
        switch self {
        case .batch(let batch): batch.header.lastOffset
        case .legacy(let entry): entry.message.offset
        }
    }

    /// The offset the entry's 8-byte prefix stores (base offset for v2, own offset for legacy).
    public var storedOffset: Int64 {
        switch self {
        case .batch(let batch): batch.header.baseOffset
        case .legacy(let entry): entry.message.offset
        }
    }

    /// The codec id stored in the attributes.
    public var compressionCodecID: Int8 {
        switch self {
        case .batch(let batch): batch.header.attributes.codecID
        case .legacy(let entry): entry.message.codecID
        }
    }

    /// The largest timestamp (v2 max timestamp, v1 message timestamp, -1 for v0).
    public var maxTimestamp: Int64 {
        switch self {
        case .batch(let batch): batch.header.maxTimestamp
        case .legacy(let entry): entry.message.timestamp ?? -1
        }
    }

    /// How the entry's timestamps are read.
    public var timestampType: TimestampType {
        switch self {
        case .batch(let batch): batch.header.timestampType
        case .legacy(let entry): entry.message.timestampType
        }
    }

    /// The stored CRC (CRC-32C for v2, CRC-32 for legacy).
    public var storedCRC: UInt32 {
        switch self {
        case .batch(let batch): batch.header.crc
        case .legacy(let entry): entry.message.crc
        }
    }

    /// True when the stored CRC matches the bytes.
    public var isValid: Bool {
        switch self {
        case .batch(let batch): batch.isValid
        case .legacy(let entry): entry.message.isValid
        }
    }

    /// Checks the CRC.
    ///
    /// - Throws: `crcMismatch`.
    public func validate() throws(StrataFormatError) {
        switch self {
        case .batch(let batch): try batch.validate()
        case .legacy(let entry): try entry.validate()
        }
    }

    /// The entry's records, decompressing when needed.
    ///
    /// - Throws: the format and codec errors of the entry kind.
    public func records(limits: DecodingLimits = .default, context: CodecContext = CodecContext()) throws(StrataFormatError) -> [Record] {
        switch self {
        case .batch(let batch): try batch.records(limits: limits, context: context)
        case .legacy(let entry): try entry.records(limits: limits, context: context)
        }
    }

    /// The first offset: a v2 base offset, or a legacy entry's first inner offset (which
    /// needs decompression for a compressed wrapper).
    ///
    /// - Throws: as ``records(limits:context:)`` for compressed legacy wrappers.
    public func firstOffset(limits: DecodingLimits = .default) throws(StrataFormatError) -> Int64 {
        switch self {
        case .batch(let batch): return batch.header.baseOffset
        case .legacy(let entry):
            guard entry.isCompressed else { return entry.message.offset }
            return try entry.innerMessages(limits: limits).first?.offset ?? entry.message.offset
        }
    }
}
