import NIOCore

/// What a `.log` file holds, counted entry by entry: batches, records, magics, codecs, CRC
/// verdicts, control records, offsets and timestamps, and how the data ends.
public struct LogFileSummary: Sendable, Hashable {
    /// Top-level entries (a compressed legacy wrapper counts once).
    public var batches = 0
    /// Records (inner messages of legacy wrappers, records of v2 batches).
    public var records = 0
    /// Entries by magic.
    public var magics: [Int8: Int] = [:]
    /// Entries by codec name.
    public var codecs: [String: Int] = [:]
    /// Entries whose stored CRC does not match.
    public var invalidCRCs = 0
    /// v2 batches with the transactional bit.
    public var transactionalBatches = 0
    /// v2 control batches.
    public var controlBatches = 0
    /// Control records by type name (`COMMIT`, `LEADER_CHANGE`, …).
    public var controlRecords: [String: Int] = [:]
    /// Distinct producer ids ≥ 0 seen in v2 batches.
    public var producerIds: Set<Int64> = []
    /// First offset of the first entry.
    public var firstOffset: Int64?
    /// Last offset of the last entry.
    public var lastOffset: Int64?
    /// Smallest timestamp stored in a record (≥ 0; for LogAppendTime batches the producer's
    /// create time, which the record still carries), nil for v0 data.
    public var minTimestamp: Int64?
    /// Largest timestamp Kafka reports for a record (≥ 0), nil for v0 data.
    public var maxTimestamp: Int64?
    /// Bytes up to the end of the last whole entry.
    public var validBytes = 0
    /// Why reading stopped.
    public var stop: LogStop = .endOfData

    /// Reads every entry of the file at `path` and decodes every record.
    ///
    /// - Throws: `StrataFormatError.notKafkaFormat` when the file does not start with a Kafka
    ///   log entry (e.g. another system's segment format); other `StrataFormatError`s for
    ///   corruption later in the file; `StrataIOError` when reading fails.
    public static func scan(path: String, limits: DecodingLimits = .default) throws -> LogFileSummary {
        var reader = try LogFileReader(path: path, limits: limits)
        var summary = LogFileSummary()
        let context = CodecContext()
        do {
            while let entry = try reader.next() {
                try summary.add(entry, limits: limits, context: context)
                summary.validBytes = reader.position
            }
        } catch let error as StrataFormatError where reader.position == 0 {
            throw StrataFormatError(.notKafkaFormat, "not a Kafka segment: the first entry is unreadable (\(error.message))", file: path, position: 0)
        }
        summary.stop = reader.stop ?? .endOfData
        if summary.batches == 0, reader.end > 0 {
            let reason: String
            switch summary.stop {
            case .partialEntry(_, let size, let available):
                reason = "its first entry declares \(size) bytes but the file has \(available)"
            case .trailingBytes(_, let count):
                reason = "its \(count) bytes are too few to hold an entry"
            case .endOfData:
                reason = "it holds no entries"
            }
            throw StrataFormatError(.notKafkaFormat, "not a Kafka segment: \(reason)", file: path, position: 0)
        }
        return summary
    }

    mutating func add(_ entry: LogEntry, limits: DecodingLimits, context: CodecContext) throws {
        batches += 1
        magics[entry.magic, default: 0] += 1
        let codecName = CompressionCodec(rawValue: entry.compressionCodecID)?.name ?? "id\(entry.compressionCodecID)"
        codecs[codecName, default: 0] += 1
        if !entry.isValid { invalidCRCs += 1 }
        let decoded = try entry.records(limits: limits, context: context)
        records += decoded.count
        if firstOffset == nil { firstOffset = try entry.firstOffset(limits: limits) }
        lastOffset = entry.lastOffset
        for record in decoded {
            if record.storedTimestamp >= 0 { minTimestamp = min(minTimestamp ?? record.storedTimestamp, record.storedTimestamp) }
            if record.timestamp >= 0 { maxTimestamp = max(maxTimestamp ?? record.timestamp, record.timestamp) }
        }
        guard case .batch(let batch) = entry else { return }
        if batch.header.isTransactional { transactionalBatches += 1 }
        if batch.header.producerId >= 0 { producerIds.insert(batch.header.producerId) }
        guard batch.header.isControl else { return }
        controlBatches += 1
        for record in decoded {
            let type = try ControlRecordType(key: record.key)
            controlRecords[type.name, default: 0] += 1
        }
    }
}
