/// How a batch's timestamps are to be read.
public enum TimestampType: Sendable, Hashable, CustomStringConvertible {
    /// Set by the producer (attribute bit 3 clear).
    case createTime
    /// Set by the broker when appending (attribute bit 3 set): every record reports the
    /// batch's max timestamp.
    case logAppendTime
    /// Magic-0 data, which has no timestamps.
    case noTimestampType

    /// The name kafka-dump-log prints.
    public var description: String {
        switch self {
        case .createTime: "CreateTime"
        case .logAppendTime: "LogAppendTime"
        case .noTimestampType: "NoTimestampType"
        }
    }
}

/// The attributes of a v2 batch (an int16 of which Kafka uses the low byte).
public struct BatchAttributes: Sendable, Hashable, CustomStringConvertible {
    /// The raw value as stored.
    public var rawValue: Int16

    /// Creates attributes from the stored value.
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// Creates attributes from their parts.
    public init(codec: CompressionCodec, timestampType: TimestampType = .createTime, isTransactional: Bool = false, isControl: Bool = false, hasDeleteHorizon: Bool = false) {
        var raw = Int16(codec.rawValue)
        if timestampType == .logAppendTime { raw |= 0x08 }
        if isTransactional { raw |= 0x10 }
        if isControl { raw |= 0x20 }
        if hasDeleteHorizon { raw |= 0x40 }
        rawValue = raw
    }

    /// The codec id in bits 0–2 (5–7 are invalid).
    public var codecID: Int8 { Int8(rawValue & 0x07) }
    /// The codec, nil for the invalid ids 5–7.
    public var codec: CompressionCodec? { CompressionCodec(rawValue: codecID) }
    /// CreateTime or LogAppendTime (bit 3).
    public var timestampType: TimestampType { rawValue & 0x08 != 0 ? .logAppendTime : .createTime }
    /// Part of a transaction (bit 4).
    public var isTransactional: Bool { rawValue & 0x10 != 0 }
    /// A control batch, e.g. a transaction marker (bit 5).
    public var isControl: Bool { rawValue & 0x20 != 0 }
    /// The base timestamp holds the cleaner's delete horizon (bit 6, KIP-534).
    public var hasDeleteHorizon: Bool { rawValue & 0x40 != 0 }

    public var description: String { "0x" + String(UInt16(bitPattern: rawValue), radix: 16) }
}
