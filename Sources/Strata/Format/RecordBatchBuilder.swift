import NIOCore

/// Builds one v2 record batch: append records, then ``build(context:)`` the encoded bytes.
///
/// The header is written first with zero length and CRC, the records after it (compressed as a whole
/// when a codec is chosen), then the length and CRC-32C are patched in. The estimate
/// ``estimatedSizeInBytes`` lets a producer respect a maximum batch size before encoding.
public struct RecordBatchBuilder: Sendable {
    /// What the batch header says, apart from what the records determine.
    public struct Configuration: Sendable {
        /// Offset of the first record.
        public var baseOffset: Int64 = 0
        /// The codec and level.
        public var compression: Compression = .none
        /// CreateTime, or LogAppendTime with the append time that every record then reports.
        public var logAppendTime: Int64? = nil
        /// Leader epoch; producers write -1 (kafka-python writes 0), brokers stamp theirs.
        public var partitionLeaderEpoch: Int32 = -1
        /// Idempotent producer id, -1 for none.
        public var producerId: Int64 = -1
        /// Idempotent producer epoch, -1 for none.
        public var producerEpoch: Int16 = -1
        /// Sequence of the first record, -1 for none.
        public var baseSequence: Int32 = -1
        /// Part of a transaction.
        public var isTransactional: Bool = false
        /// A control batch (transaction marker, KRaft control records).
        public var isControl: Bool = false
        /// The cleaner's delete horizon, stored as the base timestamp with attribute bit 6.
        public var deleteHorizonMs: Int64? = nil
        /// Overrides the computed base timestamp (re-encoding a decoded batch exactly).
        public var baseTimestamp: Int64? = nil
        /// Overrides the computed max timestamp.
        public var maxTimestamp: Int64? = nil
        /// Overrides the computed last offset delta (the cleaner keeps the original one).
        public var lastOffsetDelta: Int32? = nil
        /// The size the batch should not exceed (with its 12-byte prefix); the first record is
        /// always accepted. Defaults to `max.message.bytes`.
        public var maxBatchBytes: Int = 1_048_588

        /// Creates a configuration with Kafka's producer defaults.
        public init(baseOffset: Int64 = 0, compression: Compression = .none) {
            self.baseOffset = baseOffset
            self.compression = compression
        }

        /// The configuration that re-encodes a decoded batch's header exactly.
        public init(reproducing header: RecordBatchHeader) {
            baseOffset = header.baseOffset
            compression = Compression(header.compression ?? .none)
            logAppendTime = header.timestampType == .logAppendTime ? header.maxTimestamp : nil
            partitionLeaderEpoch = header.partitionLeaderEpoch
            producerId = header.producerId
            producerEpoch = header.producerEpoch
            baseSequence = header.baseSequence
            isTransactional = header.isTransactional
            isControl = header.isControl
            deleteHorizonMs = header.deleteHorizonMs
            baseTimestamp = header.baseTimestamp
            maxTimestamp = header.maxTimestamp
            lastOffsetDelta = header.lastOffsetDelta
            maxBatchBytes = .max
        }
    }

    /// The configuration the batch is built with.
    public private(set) var configuration: Configuration
    private var records: ByteBuffer
    private var firstTimestamp: Int64?
    private var maxRecordTimestamp: Int64 = -1
    private var minRecordTimestamp: Int64 = .max
    private var recordsWithoutKey = 0
    private var lastDelta: Int64 = -1
    /// Number of records appended.
    public private(set) var recordCount: Int32 = 0
    /// Uncompressed size of the records appended so far.
    public var uncompressedRecordBytes: Int { records.readableBytes }

    /// Starts an empty batch, reserving room for `expectedRecordBytes` of records (a producer
    /// passes its `batch.size` so the batch grows without reallocating).
    public init(_ configuration: Configuration, expectedRecordBytes: Int = 0) {
        self.configuration = configuration
        self.records = ByteBufferAllocator().buffer(capacity: max(0, min(expectedRecordBytes, configuration.maxBatchBytes)))
    }

    /// Reserves room for `bytes` of records (within `maxBatchBytes`), so appending that much
    /// reallocates nothing.
    public mutating func reserveCapacity(_ bytes: Int) {
        records.reserveCapacity(minimumWritableBytes: max(0, min(bytes, configuration.maxBatchBytes) - records.readableBytes))
    }

    /// Sets the idempotent producer's header fields, which no record's encoding depends on: a
    /// producer fills a batch as records are sent and numbers it when it is written.
    public mutating func setProducer(id: Int64, epoch: Int16, baseSequence: Int32) {
        configuration.producerId = id
        configuration.producerEpoch = epoch
        configuration.baseSequence = baseSequence
    }

    /// The batch's size so far, exact when uncompressed and an upper estimate otherwise
    /// (compression is assumed to save nothing, as Kafka's first estimate does).
    public var estimatedSizeInBytes: Int { RecordBatchHeader.size + records.readableBytes }

    /// The encoded size of a record with these parts, at most (offset and timestamp deltas
    /// are taken at their widest).
    public static func maxRecordSize(keySize: Int, valueSize: Int, headers: [RecordHeader]) -> Int {
        var size = 21 + max(keySize, 0) + max(valueSize, 0) + 5 + 5 + 5
        for header in headers {
            size += 5 + header.key.utf8.count + 5 + (header.value?.readableBytes ?? 0)
        }
        return size
    }

    /// Whether a record with these parts fits within `maxBatchBytes` (always true for the first).
    public func hasRoomFor(keySize: Int, valueSize: Int, headers: [RecordHeader] = []) -> Bool {
        recordCount == 0 || estimatedSizeInBytes + Self.maxRecordSize(keySize: keySize, valueSize: valueSize, headers: headers) <= configuration.maxBatchBytes
    }

    /// Appends a record at the next offset (base offset + records appended so far, or one
    /// past the last explicit offset).
    ///
    /// - Throws: `unrepresentable` when the offset delta would exceed Int32.max.
    @discardableResult
    public mutating func append(timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader] = []) throws(StrataFormatError) -> Int64 {
        let offset = configuration.baseOffset &+ lastDelta &+ 1
        try append(offset: offset, timestamp: timestamp, key: key, value: value, headers: headers)
        return offset
    }

    /// Appends a record with its full description (its offset and stored timestamp are used).
    public mutating func append(_ record: Record) throws(StrataFormatError) {
        try append(offset: record.offset, timestamp: record.storedTimestamp, key: record.key, value: record.value, headers: record.headers, attributes: record.attributes)
    }

    /// Appends a record at an explicit offset, which must be above the previous record's.
    ///
    /// - Throws: `unrepresentable` when the offset is not above the last one or its delta
    ///   from the base offset is outside 0…Int32.max.
    public mutating func append(offset: Int64, timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader] = [], attributes: Int8 = 0) throws(StrataFormatError) {
        let delta = offset &- configuration.baseOffset
        guard delta > lastDelta, delta <= Int64(Int32.max) else {
            throw StrataFormatError(.unrepresentable, "offset \(offset) cannot follow offset \(configuration.baseOffset + lastDelta) in a batch based at \(configuration.baseOffset)")
        }
        guard recordCount < Int32.max else {
            throw StrataFormatError(.unrepresentable, "a batch holds at most \(Int32.max) records")
        }
        let base = configuration.deleteHorizonMs ?? configuration.baseTimestamp ?? firstTimestamp ?? timestamp
        if firstTimestamp == nil { firstTimestamp = timestamp }
        let timestampDelta = timestamp &- base
        let offsetDelta = Int32(delta)
        var bodySize = 1 + Varint.size(timestampDelta) + Varint.size(offsetDelta)
        bodySize += Self.bytesFieldSize(key?.readableBytes) + Self.bytesFieldSize(value?.readableBytes)
        bodySize += Varint.size(Int32(headers.count))
        for header in headers {
            bodySize += Self.bytesFieldSize(header.key.utf8.count) + Self.bytesFieldSize(header.value?.readableBytes)
        }
        guard bodySize <= Int(Int32.max) else {
            throw StrataFormatError(.unrepresentable, "record of \(bodySize) bytes is too large for a batch")
        }
        // The whole record in one reserved region: one bounds check instead of one per field.
        records.writeWithUnsafeMutableBytes(minimumWritableBytes: bodySize + 5) { out in
            var at = Varint.store(Int32(bodySize), into: out, at: 0)
            out[at] = UInt8(bitPattern: attributes)
            at += 1
            at = Varint.store(timestampDelta, into: out, at: at)
            at = Varint.store(offsetDelta, into: out, at: at)
            at = Self.storeBytesField(key, into: out, at: at)
            at = Self.storeBytesField(value, into: out, at: at)
            at = Varint.store(Int32(headers.count), into: out, at: at)
            for header in headers {
                var name = header.key
                at = name.withUTF8 { Self.storeBytesField(UnsafeRawBufferPointer($0), into: out, at: at) }
                at = Self.storeBytesField(header.value, into: out, at: at)
            }
            return at
        }
        lastDelta = delta
        recordCount += 1
        maxRecordTimestamp = max(maxRecordTimestamp, timestamp)
        minRecordTimestamp = min(minRecordTimestamp, timestamp)
        if key == nil { recordsWithoutKey += 1 }
    }

    @inline(__always)
    private static func bytesFieldSize(_ length: Int?) -> Int {
        guard let length else { return 1 }
        return Varint.size(Int32(truncatingIfNeeded: length)) + length
    }

    @inline(__always)
    private static func storeBytesField(_ bytes: ByteBuffer?, into out: UnsafeMutableRawBufferPointer, at index: Int) -> Int {
        guard let bytes else { return Varint.store(Int32(-1), into: out, at: index) }
        return bytes.withUnsafeReadableBytes { storeBytesField($0, into: out, at: index) }
    }

    @inline(__always)
    private static func storeBytesField(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, at index: Int) -> Int {
        let start = Varint.store(Int32(bytes.count), into: out, at: index)
        UnsafeMutableRawBufferPointer(rebasing: out[start..<(start + bytes.count)]).copyMemory(from: bytes)
        return start + bytes.count
    }

    /// Encodes the batch.
    ///
    /// An empty batch (no records) is written as the cleaner writes one: no payload, codec
    /// bits 0, base timestamp -1.
    ///
    /// - Throws: the codec's `compressionFailed`; `unrepresentable` when the batch exceeds
    ///   2 GiB.
    public func build(context: CodecContext = CodecContext()) throws(StrataFormatError) -> ByteBuffer {
        let isEmpty = recordCount == 0
        let codec = isEmpty ? CompressionCodec.none : configuration.compression.codec
        let attributes = BatchAttributes(
            codec: codec,
            timestampType: configuration.logAppendTime == nil ? .createTime : .logAppendTime,
            isTransactional: configuration.isTransactional, isControl: configuration.isControl,
            hasDeleteHorizon: configuration.deleteHorizonMs != nil)
        let baseTimestamp = configuration.deleteHorizonMs ?? configuration.baseTimestamp ?? (isEmpty ? -1 : firstTimestamp!)
        let maxTimestamp = configuration.maxTimestamp ?? configuration.logAppendTime ?? maxRecordTimestamp
        let lastOffsetDelta = configuration.lastOffsetDelta ?? Int32(max(lastDelta, 0))
        var header = RecordBatchHeader(
            baseOffset: configuration.baseOffset, batchLength: 0, partitionLeaderEpoch: configuration.partitionLeaderEpoch,
            crc: 0, attributes: attributes, lastOffsetDelta: lastOffsetDelta, baseTimestamp: baseTimestamp,
            maxTimestamp: maxTimestamp, producerId: configuration.producerId, producerEpoch: configuration.producerEpoch,
            baseSequence: configuration.baseSequence, recordsCount: recordCount)
        var output = ByteBuffer()
        // Room for the worst-case expansion of any codec, so the output is allocated once.
        output.reserveCapacity(RecordBatchHeader.size + records.readableBytes + records.readableBytes / 64 + 1024)
        header.write(to: &output)
        if codec == .none {
            output.writeImmutableBuffer(records)
        } else {
            try records.withUnsafeReadableBytes { raw throws(StrataFormatError) in
                try Codecs.compress(raw, with: configuration.compression, into: &output, context: context)
            }
        }
        guard output.readableBytes - RecordBatchHeader.logOverhead <= Int(Int32.max) else {
            throw StrataFormatError(.unrepresentable, "batch of \(output.readableBytes) bytes exceeds 2 GiB")
        }
        header.batchLength = Int32(output.readableBytes - RecordBatchHeader.logOverhead)
        output.setInteger(header.batchLength, at: output.readerIndex + 8)
        let crc = output.withUnsafeReadableBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[RecordBatchHeader.crcCoverageStart...]))
        }
        output.setInteger(crc, at: output.readerIndex + 17)
        return output
    }

    /// Encodes the batch for an append in this process, with the facts about its records that
    /// let the leader skip decompressing it (see ``ProducedBatch``).
    ///
    /// - Throws: as ``build(context:)``.
    public func buildProduced(context: CodecContext = CodecContext()) throws(StrataFormatError) -> ProducedBatch {
        let bytes = try build(context: context)
        let isEmpty = recordCount == 0
        return ProducedBatch(
            bytes: bytes, codec: isEmpty ? .none : configuration.compression.codec, recordCount: recordCount,
            hasConsecutiveOffsets: lastDelta == Int64(recordCount) - 1 && (configuration.lastOffsetDelta ?? Int32(max(lastDelta, 0))) == Int32(max(lastDelta, 0)),
            recordsWithoutKey: recordsWithoutKey,
            timestampRange: isEmpty ? nil : minRecordTimestamp...maxRecordTimestamp,
            isControl: configuration.isControl)
    }

    /// Encodes a transaction marker: a control batch of one record, always 78 bytes.
    public static func endTransactionMarker(
        _ type: ControlRecordType, offset: Int64, timestamp: Int64, producerId: Int64, producerEpoch: Int16,
        coordinatorEpoch: Int32, partitionLeaderEpoch: Int32 = -1
    ) throws(StrataFormatError) -> ByteBuffer {
        guard type.isTransactionMarker else {
            throw StrataFormatError(.invalidControlRecord, "\(type.name) is not a transaction marker type")
        }
        var configuration = Configuration(baseOffset: offset)
        configuration.producerId = producerId
        configuration.producerEpoch = producerEpoch
        configuration.isTransactional = true
        configuration.isControl = true
        configuration.partitionLeaderEpoch = partitionLeaderEpoch
        var builder = RecordBatchBuilder(configuration)
        try builder.append(offset: offset, timestamp: timestamp, key: type.key, value: EndTransactionMarker(coordinatorEpoch: coordinatorEpoch).value)
        return try builder.build()
    }
}
