import NIOCore

/// Why the log refused an append.
public struct AppendError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of refusal, named after Kafka's error codes where one exists.
    public enum Code: String, Sendable {
        /// The batch (with its prefix) exceeds `max.message.bytes` (RECORD_TOO_LARGE).
        case recordTooLarge
        /// The append exceeds `segment.bytes` (RECORD_BATCH_TOO_LARGE).
        case batchTooLarge
        /// The bytes are not one valid v2 batch: bad CRC, bad framing, bad records (CORRUPT_MESSAGE).
        case corruptMessage
        /// The batch breaks a rule: offsets, magic, null key on a compacted topic (INVALID_RECORD).
        case invalidRecord
        /// A record timestamp is outside the allowed window (INVALID_TIMESTAMP).
        case invalidTimestamp
        /// A follower append whose offsets do not follow the log end (OFFSET_OUT_OF_ORDER).
        case offsetOutOfOrder
        /// The producer's epoch or sequence is refused.
        case producerState
        /// The log is open read-only.
        case readOnly
        /// An earlier I/O error left the log's files out of step with what it published (an
        /// abort marker written but not indexed); the log must be opened again, which
        /// rebuilds them.
        case storageFailed
    }

    /// The kind of refusal.
    public var code: Code
    /// A sentence with the declared and allowed values.
    public var message: String
    public var description: String { message }
}

/// Checks a batch a client produced and prepares it for the log (Kafka's `LogValidator` for
/// magic 2): framing and CRC, size limits, record structure and offsets, timestamps, null keys
/// on compacted topics; then recompresses when the topic's codec differs, and stamps
/// LogAppendTime when the topic uses it.
struct LeaderAppendValidator {
    let config: LogConfig
    let limits: DecodingLimits
    let now: Int64
    let context: CodecContext

    /// The batch checked and, if needed, rewritten; offsets are not assigned yet.
    func validate(_ bytes: ByteBuffer) throws(AppendError) -> RecordBatch {
        try checkSize(bytes.readableBytes)
        var reader = LogEntryReader(bytes, limits: limits)
        let entry: LogEntry?
        do { entry = try reader.next() } catch { throw Self.fail(.corruptMessage, "\(error)") }
        guard let entry, reader.position == bytes.readableBytes else {
            throw Self.fail(.corruptMessage, "expected exactly one whole batch in \(bytes.readableBytes) bytes")
        }
        guard case .batch(let batch) = entry else {
            throw Self.fail(.invalidRecord, "magic \(entry.magic) batches cannot be produced; only magic 2")
        }
        do { try batch.validate() } catch { throw Self.fail(.corruptMessage, "\(error)") }
        let header = batch.header
        try checkHeader(header)
        let wanted = config.compressionType ?? header.compression ?? .none
        let needsRecords = wanted != header.compression
        var records: [Record] = []
        var failure: AppendError? = nil
        var index = 0
        let checksTimestamps = header.timestampType == .createTime
        func check(offset: Int64, hasKey: Bool, storedTimestamp: Int64) {
            guard failure == nil else { return }
            if offset - header.baseOffset != Int64(index) {
                failure = Self.fail(.invalidRecord, "record \(index) has offset delta \(offset - header.baseOffset), expected \(index)")
            } else if keysRequired && !hasKey {
                failure = Self.fail(.invalidRecord, "compacted topic cannot accept a record without a key (offset delta \(index))")
            } else if checksTimestamps {
                failure = timestampFailure(storedTimestamp, record: index)
            }
            index += 1
        }
        do {
            if needsRecords {
                try batch.forEachRecord(limits: limits, context: context) { record in
                    check(offset: record.offset, hasKey: record.key != nil, storedTimestamp: record.storedTimestamp)
                    records.append(record)
                }
            } else {
                try batch.forEachRecordView(limits: limits, context: context) { view in
                    check(offset: view.offset, hasKey: view.keySize >= 0, storedTimestamp: view.storedTimestamp)
                }
            }
        } catch { throw Self.fail(.corruptMessage, "\(error)") }
        if let failure { throw failure }
        return try prepare(batch, records: records, codec: wanted)
    }

    /// A batch built in this process, checked from the facts its builder recorded instead of
    /// by decompressing it; falls back to ``validate(_:)-(ByteBuffer)`` when the topic's codec
    /// differs (the records must then be decoded to be recompressed). A batch that breaks both
    /// the key rule and the timestamp rule is refused for the key rule first, where the
    /// decoding path reports whichever the earlier record breaks.
    func validate(_ produced: ProducedBatch) throws(AppendError) -> RecordBatch {
        let wanted = config.compressionType ?? produced.codec
        guard wanted == produced.codec else { return try validate(produced.bytes) }
        try checkSize(produced.bytes.readableBytes)
        let batch: RecordBatch
        do { batch = try RecordBatch(bytes: produced.bytes) } catch { throw Self.fail(.corruptMessage, "\(error)") }
        guard !produced.isControl else { throw Self.fail(.invalidRecord, "clients may not produce control batches") }
        try checkHeader(batch.header)
        guard produced.hasConsecutiveOffsets, produced.recordCount == batch.header.recordsCount else {
            throw Self.fail(.invalidRecord, "the batch's \(produced.recordCount) records do not have consecutive offset deltas from 0")
        }
        if keysRequired && produced.recordsWithoutKey > 0 {
            throw Self.fail(.invalidRecord, "compacted topic cannot accept a record without a key (\(produced.recordsWithoutKey) in the batch)")
        }
        if batch.header.timestampType == .createTime, let range = produced.timestampRange {
            if let failure = timestampFailure(range.lowerBound, record: nil) ?? timestampFailure(range.upperBound, record: nil) { throw failure }
        }
        return try prepare(batch, records: [], codec: wanted)
    }

    private static func fail(_ code: AppendError.Code, _ message: String) -> AppendError { AppendError(code: code, message: message) }

    /// Null keys are refused when the topic is compacted.
    private var keysRequired: Bool { config.cleanupPolicy.contains(.compact) }

    /// Refuses a batch larger than `max.message.bytes` or `segment.bytes`.
    private func checkSize(_ size: Int) throws(AppendError) {
        guard size <= config.maxMessageBytes else {
            throw Self.fail(.recordTooLarge, "batch of \(size) bytes exceeds max.message.bytes \(config.maxMessageBytes)")
        }
        guard size <= config.segmentBytes else {
            throw Self.fail(.batchTooLarge, "batch of \(size) bytes exceeds segment.bytes \(config.segmentBytes)")
        }
    }

    /// The header rules for a produced batch: records present, a last offset delta that
    /// matches their count, not a control batch.
    private func checkHeader(_ header: RecordBatchHeader) throws(AppendError) {
        guard header.recordsCount > 0 else { throw Self.fail(.invalidRecord, "a produced batch must hold at least one record") }
        guard header.lastOffsetDelta == header.recordsCount - 1 else {
            throw Self.fail(.invalidRecord, "last offset delta \(header.lastOffsetDelta) does not match \(header.recordsCount) records")
        }
        guard !header.isControl else { throw Self.fail(.invalidRecord, "clients may not produce control batches") }
    }

    /// The refusal of a CreateTime timestamp outside the topic's window, if it is (only when
    /// the topic keeps CreateTime; LogAppendTime replaces it).
    private func timestampFailure(_ timestamp: Int64, record: Int?) -> AppendError? {
        guard config.messageTimestampType == .createTime else { return nil }
        guard timestamp < now && now - timestamp > config.messageTimestampBeforeMaxMs
            || timestamp > now && timestamp - now > config.messageTimestampAfterMaxMs else { return nil }
        let which = record.map { "of record \($0) " } ?? "in the batch "
        return Self.fail(.invalidTimestamp, "timestamp \(timestamp) \(which)is out of range (now \(now), before.max \(config.messageTimestampBeforeMaxMs) ms, after.max \(config.messageTimestampAfterMaxMs) ms)")
    }

    /// The checked batch recompressed to the topic's codec, or stamped with LogAppendTime.
    private func prepare(_ batch: RecordBatch, records: [Record], codec wanted: CompressionCodec) throws(AppendError) -> RecordBatch {
        let logAppendTime = config.messageTimestampType == .logAppendTime ? now : nil
        do {
            if wanted != batch.header.compression {
                return try Self.rebuild(batch, records: records, codec: wanted, config: config, logAppendTime: logAppendTime, context: context)
            } else if let logAppendTime {
                return try Self.stampLogAppendTime(batch, time: logAppendTime)
            }
        } catch {
            throw Self.fail(.corruptMessage, "\(error)")
        }
        return batch
    }

    /// The batch re-encoded with another codec, producer fields kept.
    static func rebuild(_ batch: RecordBatch, records: [Record], codec: CompressionCodec, config: LogConfig, logAppendTime: Int64?, context: CodecContext) throws(StrataFormatError) -> RecordBatch {
        var configuration = RecordBatchBuilder.Configuration(reproducing: batch.header)
        let level: Int32? = switch codec {
        case .gzip: config.compressionGzipLevel
        case .lz4: config.compressionLZ4Level
        case .zstd: config.compressionZstdLevel
        case .none, .snappy: nil
        }
        configuration.compression = try Compression(codec, level: level)
        configuration.logAppendTime = logAppendTime ?? configuration.logAppendTime
        configuration.maxTimestamp = logAppendTime ?? configuration.maxTimestamp
        var builder = RecordBatchBuilder(configuration)
        for record in records { try builder.append(record) }
        return try RecordBatch(bytes: try builder.build(context: context))
    }

    /// The batch with the LogAppendTime attribute and max timestamp set, CRC recomputed (no
    /// recompression, as Kafka patches in place).
    static func stampLogAppendTime(_ batch: RecordBatch, time: Int64) throws(StrataFormatError) -> RecordBatch {
        var bytes = ByteBuffer()
        bytes.writeImmutableBuffer(batch.bytes)
        let attributes = batch.header.attributes.rawValue | 0x08
        bytes.setInteger(attributes, at: 21)
        bytes.setInteger(time, at: 35)
        let crc = bytes.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }
        bytes.setInteger(crc, at: 17)
        return try RecordBatch(bytes: bytes)
    }

    /// The batch with its base offset and leader epoch set (both outside the CRC).
    static func assign(_ batch: RecordBatch, baseOffset: Int64, leaderEpoch: Int32, position: Int) throws(StrataFormatError) -> RecordBatch {
        var bytes = ByteBuffer()
        bytes.writeImmutableBuffer(batch.bytes)
        bytes.setInteger(baseOffset, at: 0)
        bytes.setInteger(leaderEpoch, at: 12)
        return try RecordBatch(bytes: bytes, position: position)
    }
}
