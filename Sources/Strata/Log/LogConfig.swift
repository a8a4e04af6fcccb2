/// The storage settings of one partition log, named and defaulted as Kafka's topic configs.
///
/// Parse from Kafka-style `key=value` properties with ``init(properties:)``; unknown keys are
/// rejected so that a typo is not silently ignored.
public struct LogConfig: Sendable, Hashable {
    /// Whether old data is deleted, compacted, or both (`cleanup.policy`).
    public struct CleanupPolicy: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Retention by time and size (`delete`).
        public static let delete = CleanupPolicy(rawValue: 1)
        /// Log compaction (`compact`).
        public static let compact = CleanupPolicy(rawValue: 2)
    }

    /// `segment.bytes`: roll when a segment would exceed this size.
    public var segmentBytes: Int = 1_073_741_824
    /// `segment.ms`: roll when the segment's first record is older than this.
    public var segmentMs: Int64 = 604_800_000
    /// `segment.jitter.ms`: random reduction of `segment.ms` per segment.
    public var segmentJitterMs: Int64 = 0
    /// `segment.index.bytes`: preallocated size of the active segment's indexes.
    public var segmentIndexBytes: Int = 10_485_760
    /// `index.interval.bytes`: bytes between offset index entries.
    public var indexIntervalBytes: Int = 4096
    /// `retention.ms`: -1 keeps data forever.
    public var retentionMs: Int64 = 604_800_000
    /// `retention.bytes`: -1 keeps any size.
    public var retentionBytes: Int64 = -1
    /// `cleanup.policy`.
    public var cleanupPolicy: CleanupPolicy = .delete
    /// `min.cleanable.dirty.ratio`.
    public var minCleanableDirtyRatio: Double = 0.5
    /// `delete.retention.ms`: how long tombstones survive after their first cleaning.
    public var deleteRetentionMs: Int64 = 86_400_000
    /// `min.compaction.lag.ms`.
    public var minCompactionLagMs: Int64 = 0
    /// `max.compaction.lag.ms`.
    public var maxCompactionLagMs: Int64 = .max
    /// `file.delete.delay.ms`: how long `.deleted` files stay before removal.
    public var fileDeleteDelayMs: Int64 = 60_000
    /// `flush.messages`: fsync after this many messages.
    public var flushMessages: Int64 = .max
    /// `flush.ms`: fsync when the last flush is this old.
    public var flushMs: Int64 = .max
    /// `max.message.bytes`: the largest batch accepted, with its 12-byte prefix.
    public var maxMessageBytes: Int = 1_048_588
    /// `message.timestamp.type`: CreateTime or LogAppendTime.
    public var messageTimestampType: TimestampType = .createTime
    /// `message.timestamp.before.max.ms`.
    public var messageTimestampBeforeMaxMs: Int64 = .max
    /// `message.timestamp.after.max.ms`.
    public var messageTimestampAfterMaxMs: Int64 = .max
    /// `compression.type`: nil keeps the producer's codec (`producer`).
    public var compressionType: CompressionCodec? = nil
    /// `compression.gzip.level`.
    public var compressionGzipLevel: Int32 = 6
    /// `compression.lz4.level`.
    public var compressionLZ4Level: Int32 = 9
    /// `compression.zstd.level`.
    public var compressionZstdLevel: Int32 = 3
    /// `preallocate`: create the active `.log` at its full size.
    public var preallocate = false

    /// Kafka's defaults.
    public init() {}

    /// The keys ``init(properties:)`` understands.
    public static let knownKeys: [String] = [
        "segment.bytes", "segment.ms", "segment.jitter.ms", "segment.index.bytes", "index.interval.bytes",
        "retention.ms", "retention.bytes", "cleanup.policy", "min.cleanable.dirty.ratio", "delete.retention.ms",
        "min.compaction.lag.ms", "max.compaction.lag.ms", "file.delete.delay.ms", "flush.messages", "flush.ms",
        "max.message.bytes", "message.timestamp.type", "message.timestamp.before.max.ms",
        "message.timestamp.after.max.ms", "compression.type", "compression.gzip.level", "compression.lz4.level",
        "compression.zstd.level", "preallocate",
    ]

    /// A configuration error naming the key and the value.
    public struct InvalidValue: Error, Sendable, Hashable, CustomStringConvertible {
        /// The config key.
        public var key: String
        /// The rejected value.
        public var value: String
        /// Why it was rejected.
        public var reason: String
        public var description: String { "invalid value \"\(value)\" for \(key): \(reason)" }
    }

    /// Kafka's defaults overridden by `properties` (`segment.bytes` → "1048576", …).
    ///
    /// - Throws: ``InvalidValue`` for unknown keys, unparsable values or values out of range.
    public init(properties: [String: String]) throws(InvalidValue) {
        self.init()
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            try set(key, value)
        }
    }

    /// Sets one property.
    ///
    /// - Throws: ``InvalidValue``.
    public mutating func set(_ key: String, _ value: String) throws(InvalidValue) {
        func fail(_ reason: String) -> InvalidValue { InvalidValue(key: key, value: value, reason: reason) }
        func long(min: Int64 = 0) throws(InvalidValue) -> Int64 {
            guard let number = Int64(value.trimmed) else { throw fail("not a whole number") }
            guard number >= min else { throw fail("must be at least \(min)") }
            return number
        }
        func int(min: Int = 0) throws(InvalidValue) -> Int {
            let number = try long(min: Int64(min))
            guard number <= Int64(Int32.max) else { throw fail("must be at most \(Int32.max)") }
            return Int(number)
        }
        switch key {
        case "segment.bytes": segmentBytes = try int(min: 14)
        case "segment.ms": segmentMs = try long(min: 1)
        case "segment.jitter.ms": segmentJitterMs = try long()
        case "segment.index.bytes": segmentIndexBytes = try int(min: 4)
        case "index.interval.bytes": indexIntervalBytes = try int()
        case "retention.ms": retentionMs = try long(min: -1)
        case "retention.bytes": retentionBytes = try long(min: -1)
        case "cleanup.policy":
            var policy: CleanupPolicy = []
            for part in value.split(separator: ",").map({ $0.trimmed }) {
                switch part {
                case "delete": policy.insert(.delete)
                case "compact": policy.insert(.compact)
                default: throw fail("expected delete, compact or both")
                }
            }
            guard !policy.isEmpty else { throw fail("expected delete, compact or both") }
            cleanupPolicy = policy
        case "min.cleanable.dirty.ratio":
            guard let ratio = Double(value), (0...1).contains(ratio) else { throw fail("must be a number from 0 to 1") }
            minCleanableDirtyRatio = ratio
        case "delete.retention.ms": deleteRetentionMs = try long()
        case "min.compaction.lag.ms": minCompactionLagMs = try long()
        case "max.compaction.lag.ms": maxCompactionLagMs = try long(min: 1)
        case "file.delete.delay.ms": fileDeleteDelayMs = try long()
        case "flush.messages": flushMessages = try long(min: 1)
        case "flush.ms": flushMs = try long()
        case "max.message.bytes": maxMessageBytes = try int()
        case "message.timestamp.type":
            switch value {
            case "CreateTime": messageTimestampType = .createTime
            case "LogAppendTime": messageTimestampType = .logAppendTime
            default: throw fail("expected CreateTime or LogAppendTime")
            }
        case "message.timestamp.before.max.ms": messageTimestampBeforeMaxMs = try long()
        case "message.timestamp.after.max.ms": messageTimestampAfterMaxMs = try long()
        case "compression.type":
            if value == "producer" {
                compressionType = nil
            } else if let codec = CompressionCodec(name: value) {
                compressionType = codec
            } else {
                throw fail("expected producer, uncompressed, gzip, snappy, lz4 or zstd")
            }
        case "compression.gzip.level":
            let level = try long(min: -1)
            guard level == -1 || (1...9).contains(level) else { throw fail("must be -1 or 1..9") }
            compressionGzipLevel = level == -1 ? 6 : Int32(level)
        case "compression.lz4.level":
            let level = try long(min: 1)
            guard level <= 17 else { throw fail("must be 1..17") }
            compressionLZ4Level = Int32(level)
        case "compression.zstd.level":
            guard let level = Int32(value), (-131072...22).contains(level) else { throw fail("must be -131072..22") }
            compressionZstdLevel = level
        case "preallocate":
            guard let flag = Bool(value) else { throw fail("expected true or false") }
            preallocate = flag
        default:
            throw fail("unknown config")
        }
    }

    /// The longest a segment stays active: `segment.ms`, capped by `max.compaction.lag.ms` for
    /// compacted logs (spec 3.10).
    public var maxSegmentMs: Int64 {
        cleanupPolicy.contains(.compact) ? min(segmentMs, maxCompactionLagMs) : segmentMs
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmed: String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return String(text)
    }
}
