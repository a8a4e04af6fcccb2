import NIOCore

/// A magic 0 or 1 message ("MessageSet" entry), as stored.
///
/// Layout after the 12-byte offset and size: CRC-32 (over magic … end), magic, attributes,
/// a timestamp for magic 1, then int32-length-prefixed key and value.
public struct LegacyMessage: Sendable, Hashable {
    /// The entry's offset: for a compressed wrapper the offset of its last inner message; for
    /// inner messages returned by ``LegacyEntry/innerMessages(limits:context:)`` the absolute offset.
    public var offset: Int64
    /// The stored CRC-32.
    public var crc: UInt32
    /// The CRC-32 computed over the message.
    public var computedCRC: UInt32
    /// 0 or 1.
    public var magic: Int8
    /// Codec (bits 0–2) and, for magic 1, timestamp type (bit 3).
    public var attributes: Int8
    /// The stored timestamp (magic 1), nil for magic 0.
    public var storedTimestamp: Int64?
    /// The timestamp Kafka reports (a LogAppendTime wrapper's for its inner messages).
    public var timestamp: Int64?
    /// The timestamp type as Kafka reports it.
    public var timestampType: TimestampType
    /// The key; nil is null.
    public var key: ByteBuffer?
    /// The value; for a compressed wrapper, the compressed inner message set.
    public var value: ByteBuffer?
    /// Size of the entry including the 12-byte offset and size prefix.
    public var sizeInBytes: Int

    /// True when the stored CRC matches.
    public var isValid: Bool { crc == computedCRC }
    /// The codec id (0–3 are defined for legacy messages; zstd is not allowed).
    public var codecID: Int8 { attributes & 0x07 }
    /// The codec, nil for ids that legacy messages may not use.
    public var codec: CompressionCodec? {
        guard let codec = CompressionCodec(rawValue: codecID), codec != .zstd else { return nil }
        return codec
    }

    /// Header bytes before the key length: CRC, magic, attributes and (v1) timestamp.
    static func headerSize(magic: Int8) -> Int { magic == 0 ? 6 : 14 }

    /// Parses one entry (offset, size, message) that fills `raw` exactly.
    static func parse(_ raw: UnsafeRawBufferPointer, buffer: ByteBuffer, bufferOffset: Int, position: Int) throws(StrataFormatError) -> LegacyMessage {
        var cursor = ByteCursor(raw, basePosition: position)
        let offset = try cursor.readBigEndian(Int64.self, "message offset")
        let size = try cursor.readBigEndian(Int32.self, "message size")
        func fail(_ code: StrataFormatError.Code, _ message: String) -> StrataFormatError {
            StrataFormatError(code, message, position: position, baseOffset: offset)
        }
        guard size >= 14, Int(size) == cursor.remaining else {
            throw fail(.invalidSize, "message size \(size) does not match the \(cursor.remaining) bytes that hold it")
        }
        let crc = try cursor.readBigEndian(UInt32.self, "message CRC")
        let magicPosition = cursor.index
        let magic = Int8(bitPattern: try cursor.readUInt8("magic"))
        guard magic == 0 || magic == 1 else { throw fail(.unsupportedMagic, "legacy message has magic \(magic)") }
        guard Int(size) >= headerSize(magic: magic) + 8 else {
            throw fail(.invalidSize, "message size \(size) is below the magic-\(magic) minimum of \(headerSize(magic: magic) + 8)")
        }
        let attributes = Int8(bitPattern: try cursor.readUInt8("attributes"))
        var storedTimestamp: Int64? = nil
        var timestampType = TimestampType.noTimestampType
        if magic == 1 {
            storedTimestamp = try cursor.readBigEndian(Int64.self, "timestamp")
            timestampType = attributes & 0x08 != 0 ? .logAppendTime : .createTime
        }
        func readBytes(_ what: String) throws(StrataFormatError) -> ByteBuffer? {
            let length = try cursor.readBigEndian(Int32.self, "\(what) length")
            guard length >= 0 else { return nil }
            guard Int(length) <= cursor.remaining else {
                throw fail(.invalidSize, "\(what) length \(length) exceeds the \(cursor.remaining) bytes left in the message")
            }
            let start = try cursor.skip(Int(length), what)
            return buffer.getSlice(at: bufferOffset + start, length: Int(length))
        }
        let key = try readBytes("key")
        let value = try readBytes("value")
        guard cursor.isAtEnd else {
            throw fail(.invalidSize, "\(cursor.remaining) bytes left after the message value")
        }
        let computed = CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[magicPosition...]))
        return LegacyMessage(
            offset: offset, crc: crc, computedCRC: computed, magic: magic, attributes: attributes,
            storedTimestamp: storedTimestamp, timestamp: storedTimestamp, timestampType: timestampType,
            key: key, value: value, sizeInBytes: raw.count)
    }

    /// The message as a record (no headers; timestamp -1 when there is none).
    public var record: Record {
        Record(offset: offset, timestamp: timestamp ?? -1, storedTimestamp: storedTimestamp ?? -1, key: key, value: value)
    }
}

/// A top-level magic 0/1 entry in a log: one message, possibly a compressed wrapper.
public struct LegacyEntry: Sendable {
    /// The outer message.
    public let message: LegacyMessage
    /// The whole entry, exactly as stored.
    public let bytes: ByteBuffer
    /// Byte position of the entry in its file.
    public let position: Int

    /// Parses an entry whose bytes are exactly one legacy message.
    ///
    /// - Throws: `invalidSize` or `unsupportedMagic` when it is malformed.
    public init(bytes: ByteBuffer, position: Int = 0) throws(StrataFormatError) {
        self.message = try bytes.withUnsafeReadableBytes { raw throws(StrataFormatError) in
            try LegacyMessage.parse(raw, buffer: bytes, bufferOffset: bytes.readerIndex, position: position)
        }
        self.bytes = bytes
        self.position = position
    }

    /// True for a compressed wrapper.
    public var isCompressed: Bool { message.codecID != 0 }

    /// Checks the outer CRC-32.
    ///
    /// - Throws: `crcMismatch` with the declared and computed values.
    public func validate() throws(StrataFormatError) {
        guard message.isValid else {
            throw StrataFormatError(.crcMismatch, "corrupt message: CRC mismatch (declared \(message.crc), computed \(message.computedCRC))", position: position, baseOffset: message.offset)
        }
    }

    /// The messages the entry holds: itself when uncompressed, else its decompressed inner
    /// messages with absolute offsets (v1 inner offsets are relative to the wrapper's) and the
    /// timestamps Kafka reports.
    ///
    /// - Throws: `unknownCompression` for zstd or ids 4–7; codec errors; `invalidRecord` for
    ///   an empty or nested-compressed inner set.
    public func innerMessages(limits: DecodingLimits = .default, context: CodecContext = CodecContext()) throws(StrataFormatError) -> [LegacyMessage] {
        guard isCompressed else { return [message] }
        func fail(_ code: StrataFormatError.Code, _ text: String) -> StrataFormatError {
            StrataFormatError(code, text, position: position, baseOffset: message.offset)
        }
        guard let codec = message.codec else {
            throw fail(.unknownCompression, "compression type id \(message.codecID) is not valid for magic \(message.magic)")
        }
        guard let compressed = message.value else { throw fail(.invalidRecord, "compressed wrapper message has a null value") }
        var plaintext = ByteBuffer()
        do {
            try compressed.withUnsafeReadableBytes { raw throws(StrataFormatError) in
                try Codecs.decompress(raw, codec: codec, limit: limits.maxDecompressedBytes, into: &plaintext,
                                      legacyLZ4HeaderChecksum: message.magic == 0, context: context)
            }
        } catch {
            throw error.adding(position: position, baseOffset: message.offset)
        }
        var inner: [LegacyMessage] = []
        try plaintext.withUnsafeReadableBytes { raw throws(StrataFormatError) in
            var index = 0
            while index < raw.count {
                guard raw.count - index >= 12 else {
                    throw fail(.truncated, "inner message set ends with \(raw.count - index) stray bytes")
                }
                let size = Int(Int32(bigEndian: raw.loadUnaligned(fromByteOffset: index + 8, as: Int32.self)))
                guard size >= 14, size <= raw.count - index - 12 else {
                    throw fail(.invalidSize, "inner message size \(size) at byte \(index) of the decompressed set exceeds the \(raw.count - index - 12) bytes left")
                }
                let entry = UnsafeRawBufferPointer(rebasing: raw[index..<(index + 12 + size)])
                var parsed: LegacyMessage
                do throws(StrataFormatError) {
                    parsed = try LegacyMessage.parse(entry, buffer: plaintext, bufferOffset: plaintext.readerIndex + index, position: position)
                } catch {
                    throw error.adding(position: position, baseOffset: message.offset)
                }
                guard parsed.codecID == 0 else {
                    throw fail(.invalidRecord, "compressed message set cannot contain compressed messages")
                }
                inner.append(parsed)
                index += 12 + size
            }
        }
        guard let last = inner.last else { throw fail(.invalidRecord, "compressed wrapper holds no messages") }
        let wrapperOffset = message.offset
        let relative = message.magic == 1 && wrapperOffset != 0
        for i in inner.indices {
            if relative { inner[i].offset = wrapperOffset - last.offset + inner[i].offset }
            if message.magic == 1 && message.timestampType == .logAppendTime {
                inner[i].timestamp = message.timestamp
                inner[i].timestampType = .logAppendTime
            }
        }
        return inner
    }

    /// The entry's records (see ``innerMessages(limits:context:)``).
    public func records(limits: DecodingLimits = .default, context: CodecContext = CodecContext()) throws(StrataFormatError) -> [Record] {
        try innerMessages(limits: limits, context: context).map(\.record)
    }
}
