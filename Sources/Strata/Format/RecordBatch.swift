import NIOCore

/// A v2 record batch (magic 2) as stored: its parsed header and its bytes, untouched.
///
/// Creating a batch checks only its framing; the CRC is checked by ``validate()`` (or read as
/// ``isValid`` by tools that report a bad CRC and still show the batch), and records are
/// decoded on request by ``records(limits:context:)``.
public struct RecordBatch: Sendable {
    /// The parsed header.
    public let header: RecordBatchHeader
    /// The whole batch including its 12-byte offset and length prefix, exactly as stored.
    public let bytes: ByteBuffer
    /// Byte position of the batch in its file (or region); used in errors.
    public let position: Int

    /// Frames a batch whose bytes are exactly one v2 entry.
    ///
    /// - Throws: `invalidSize` when the bytes are shorter than a header or disagree with the
    ///   batch length; `unsupportedMagic` when the magic is not 2.
    public init(bytes: ByteBuffer, position: Int = 0) throws(StrataFormatError) {
        guard bytes.readableBytes >= RecordBatchHeader.size else {
            throw StrataFormatError(.invalidSize, "record batch of \(bytes.readableBytes) bytes is shorter than the 61-byte header", position: position)
        }
        let header = try bytes.withUnsafeReadableBytes { raw throws(StrataFormatError) in
            try RecordBatchHeader(parsing: raw, position: position)
        }
        guard header.magic == 2 else {
            throw StrataFormatError(.unsupportedMagic, "expected magic 2, found \(header.magic)", position: position, baseOffset: header.baseOffset)
        }
        guard header.batchLength >= RecordBatchHeader.size - RecordBatchHeader.logOverhead,
              header.sizeInBytes == bytes.readableBytes
        else {
            throw StrataFormatError(.invalidSize, "batch length \(header.batchLength) does not match the \(bytes.readableBytes - RecordBatchHeader.logOverhead) bytes that follow it", position: position, baseOffset: header.baseOffset)
        }
        self.header = header
        self.bytes = bytes
        self.position = position
    }

    /// The CRC-32C computed over attributes … end (the bytes the stored CRC covers).
    public var computedCRC: UInt32 {
        bytes.withUnsafeReadableBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[RecordBatchHeader.crcCoverageStart...]))
        }
    }

    /// True when the stored CRC matches the bytes (Kafka's `isValid`).
    public var isValid: Bool { computedCRC == header.crc }

    /// Checks the CRC.
    ///
    /// - Throws: `crcMismatch` with the declared and computed values.
    public func validate() throws(StrataFormatError) {
        let computed = computedCRC
        guard computed == header.crc else {
            throw StrataFormatError(.crcMismatch, "corrupt batch: CRC mismatch (declared \(header.crc), computed \(computed))", position: position, baseOffset: header.baseOffset)
        }
    }

    /// The payload as stored: the concatenated records, or their compressed form.
    public var storedPayload: ByteBuffer {
        bytes.getSlice(at: bytes.readerIndex + RecordBatchHeader.size, length: bytes.readableBytes - RecordBatchHeader.size)!
    }

    /// The concatenated records, decompressed when the batch is compressed.
    ///
    /// - Throws: `unknownCompression` for codec ids 5–7; the codec's errors, including
    ///   `decompressedSizeLimitExceeded`.
    public func plaintextPayload(limits: DecodingLimits = .default, context: CodecContext = CodecContext()) throws(StrataFormatError) -> ByteBuffer {
        guard let codec = header.compression else {
            throw error(.unknownCompression, "unknown compression type id \(header.attributes.codecID)")
        }
        let stored = storedPayload
        if codec == .none || header.recordsCount == 0 && stored.readableBytes == 0 { return stored }
        // Decompress into the context's buffer: when the previous payload is no longer held
        // (records were only viewed), its memory is reused; otherwise copy-on-write gives a
        // fresh one, so nothing returned earlier ever changes.
        var output = context.plaintext
        context.plaintext = ByteBuffer()
        output.clear()
        do {
            try stored.withUnsafeReadableBytes { raw throws(StrataFormatError) in
                try Codecs.decompress(raw, codec: codec, limit: limits.maxDecompressedBytes, into: &output, context: context)
            }
        } catch {
            throw error.adding(position: position, baseOffset: header.baseOffset)
        }
        if output.capacity <= 8 << 20 { context.plaintext = output }
        return output
    }

    /// Decodes every record.
    ///
    /// Checks what Kafka's reader checks: each record's length matches its fields, the
    /// record count is met exactly, no bytes remain. The CRC is not checked here (see
    /// ``validate()``).
    ///
    /// - Throws: `invalidRecord`, `truncated`, `invalidVarint`, or the codec's errors, each
    ///   naming the batch position and base offset.
    public func records(limits: DecodingLimits = .default, context: CodecContext = CodecContext()) throws(StrataFormatError) -> [Record] {
        var result: [Record] = []
        try forEachRecord(limits: limits, context: context) { result.append($0) }
        return result
    }

    /// Calls `body` with every record in order, without collecting them.
    ///
    /// - Throws: as ``records(limits:context:)``.
    public func forEachRecord(limits: DecodingLimits = .default, context: CodecContext = CodecContext(), _ body: (Record) -> Void) throws(StrataFormatError) {
        // One record value reused for every record: its fields are overwritten in place, so no
        // Record is copied between the parser and `body`.
        var record = Record(offset: 0, timestamp: 0, key: nil, value: nil)
        try withPayload(limits: limits, context: context) { view, payload in
            record.offset = view.offset
            record.timestamp = view.timestamp
            record.storedTimestamp = view.storedTimestamp
            record.attributes = view.attributes
            record.key = view.keyRange.map { payload.getSlice(at: payload.readerIndex + $0.lowerBound, length: $0.count)! }
            record.value = view.valueRange.map { payload.getSlice(at: payload.readerIndex + $0.lowerBound, length: $0.count)! }
            record.headers = view.headerCount == 0 ? [] : view.recordHeaders(in: payload)
            body(record)
        }
    }

    /// Calls `body` with a borrowed view of every record: its fields and its key, value and
    /// headers as raw bytes, valid only during the call. Nothing is copied or retained, so a
    /// check of every record (a verifier, a CRC-and-parse pass) costs no allocation per record.
    ///
    /// - Throws: as ``records(limits:context:)``.
    public func forEachRecordView(limits: DecodingLimits = .default, context: CodecContext = CodecContext(), _ body: (RecordView) -> Void) throws(StrataFormatError) {
        try withPayload(limits: limits, context: context) { view, _ in body(view) }
    }

    /// Calls `body` with a borrowed view of every record and the buffer of the records' bytes
    /// (decompressed for a compressed batch) that the view's ranges index: a caller keeps a
    /// record by keeping that buffer (shared, not copied) and the ranges, with one reference
    /// per record instead of a slice per key and value.
    ///
    /// - Throws: as ``records(limits:context:)``.
    public func forEachRecordInPayload(limits: DecodingLimits = .default, context: CodecContext = CodecContext(), _ body: (RecordView, ByteBuffer) -> Void) throws(StrataFormatError) {
        try withPayload(limits: limits, context: context, body)
    }

    /// Decompresses the payload and parses every record into a view, checking what Kafka's
    /// reader checks, and annotates errors with the batch's position and base offset.
    private func withPayload(limits: DecodingLimits, context: CodecContext, _ body: (RecordView, ByteBuffer) -> Void) throws(StrataFormatError) {
        let count = header.recordsCount
        guard count >= 0 else { throw error(.invalidRecord, "negative record count \(count)") }
        let payload = try plaintextPayload(limits: limits, context: context)
        let compressed = header.compression != CompressionCodec.none
        // Positions in errors: file positions for plain batches, payload positions otherwise.
        let basePosition = compressed ? 0 : position + RecordBatchHeader.size
        do {
            try payload.withUnsafeReadableBytes { raw throws(StrataFormatError) in
                // Each record takes at least 7 bytes: a count beyond that cannot be real.
                guard Int(count) <= raw.count / 7 else {
                    throw StrataFormatError(.invalidRecord, "record count \(count) cannot fit in \(raw.count) bytes of records")
                }
                var cursor = ByteCursor(raw, basePosition: basePosition)
                for _ in 0..<count {
                    body(try parseRecord(&cursor), payload)
                }
                guard cursor.isAtEnd else {
                    throw StrataFormatError(.invalidRecord, "incorrect declared batch size, \(cursor.remaining) bytes still remaining after \(count) records", position: cursor.position)
                }
            }
        } catch {
            if compressed {
                var annotated = error
                if let at = error.position { annotated.message += " (at byte \(at) of the decompressed payload)" }
                annotated.position = position
                throw annotated.adding(baseOffset: header.baseOffset)
            }
            throw error.adding(position: position, baseOffset: header.baseOffset)
        }
    }

    @inline(__always)
    private func parseRecord(_ cursor: inout ByteCursor) throws(StrataFormatError) -> RecordView {
        let recordStart = cursor.position
        let length = try cursor.readVarint("record length")
        guard length >= 0, Int(length) <= cursor.remaining else {
            throw StrataFormatError(.invalidRecord, "record length \(length) exceeds the \(cursor.remaining) bytes left", position: recordStart)
        }
        let bodyStart = cursor.index
        let attributes = Int8(bitPattern: try cursor.readUInt8("record attributes"))
        let timestampDelta = try cursor.readVarlong("timestamp delta")
        let offsetDelta = try cursor.readVarint("offset delta")
        let key = try Self.bytesField(&cursor, what: "key")
        let value = try Self.bytesField(&cursor, what: "value")
        let headerCount = try cursor.readVarint("header count")
        guard headerCount >= 0, Int(headerCount) <= cursor.remaining else {
            throw StrataFormatError(.invalidRecord, "invalid number of record headers \(headerCount)", position: cursor.position)
        }
        let headersStart = cursor.index
        for _ in 0..<headerCount {
            let keyLength = try cursor.readVarint("header key length")
            guard keyLength >= 0 else {
                throw StrataFormatError(.invalidRecord, "invalid negative header key size \(keyLength)", position: cursor.position)
            }
            _ = try cursor.skip(Int(keyLength), "header key")
            _ = try Self.bytesField(&cursor, what: "header value")
        }
        guard cursor.index - bodyStart == Int(length) else {
            throw StrataFormatError(.invalidRecord, "invalid record size: expected \(length) bytes in record payload, read \(cursor.index - bodyStart)", position: recordStart)
        }
        let stored = header.baseTimestamp &+ timestampDelta
        return RecordView(
            offset: header.baseOffset &+ Int64(offsetDelta),
            timestamp: header.timestampType == .logAppendTime ? header.maxTimestamp : stored,
            storedTimestamp: stored, attributes: attributes, payload: cursor.bytes, keyRange: key, valueRange: value,
            headerCount: Int(headerCount), headersRange: headersStart..<cursor.index)
    }

    /// The range of a length-prefixed bytes field, nil for a null one (negative length).
    @inline(__always)
    static func bytesField(_ cursor: inout ByteCursor, what: @autoclosure () -> String) throws(StrataFormatError) -> Range<Int>? {
        let length = try cursor.readVarint(what())
        guard length >= 0 else { return nil }
        let start = try cursor.skip(Int(length), what())
        return start..<(start + Int(length))
    }

    /// The control type of a control batch's first record (nil for data batches).
    ///
    /// - Throws: as ``records(limits:context:)``, or `invalidControlRecord`.
    public func controlType(limits: DecodingLimits = .default) throws(StrataFormatError) -> ControlRecordType? {
        guard header.isControl else { return nil }
        guard let first = try records(limits: limits).first else { return nil }
        do {
            return try ControlRecordType(key: first.key)
        } catch {
            throw error.adding(position: position, baseOffset: header.baseOffset)
        }
    }

    private func error(_ code: StrataFormatError.Code, _ message: String) -> StrataFormatError {
        StrataFormatError(code, message, position: position, baseOffset: header.baseOffset)
    }
}
