import NIOCore

/// Writes magic 0/1 messages, for the cleaner's rebuild of a compressed legacy wrapper that
/// lost some of its inner messages (Kafka keeps the magic and codec of such sets, KAFKA-4298).
enum LegacyMessageWriter {
    /// Appends one entry: offset, size, CRC-32 over magic … end, magic, attributes, (v1)
    /// timestamp, key and value with int32 lengths.
    static func write(offset: Int64, magic: Int8, attributes: Int8, timestamp: Int64?, key: ByteBuffer?, value: ByteBuffer?, to output: inout ByteBuffer) {
        let start = output.writerIndex
        output.writeInteger(offset)
        output.writeInteger(Int32(0))  // size, patched below
        output.writeInteger(UInt32(0))  // CRC, patched below
        let magicAt = output.writerIndex
        output.writeInteger(magic)
        output.writeInteger(attributes)
        if magic == 1 { output.writeInteger(timestamp ?? -1) }
        for field in [key, value] {
            if let field {
                output.writeInteger(Int32(field.readableBytes))
                output.writeImmutableBuffer(field)
            } else {
                output.writeInteger(Int32(-1))
            }
        }
        output.setInteger(Int32(output.writerIndex - start - 12), at: start + 8)
        let crc = output.withUnsafeReadableBytes { raw in
            CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[(magicAt - output.readerIndex)...]))
        }
        output.setInteger(crc, at: start + 12)
    }

    /// A compressed wrapper holding `messages` (absolute offsets, inner order kept), with the
    /// wrapper's magic, attributes and codec; v1 inner offsets are written relative to the
    /// first kept message, and the wrapper's offset is the last message's absolute offset.
    ///
    /// - Throws: the codec's `compressionFailed`.
    static func wrapper(_ messages: [LegacyMessage], like outer: LegacyMessage, codec: CompressionCodec, context: CodecContext) throws(StrataFormatError) -> ByteBuffer {
        var inner = ByteBuffer()
        let first = messages[0].offset
        for message in messages {
            let offset = outer.magic == 1 ? message.offset - first : message.offset
            write(offset: offset, magic: message.magic, attributes: message.attributes, timestamp: message.storedTimestamp,
                  key: message.key, value: message.value, to: &inner)
        }
        var compressed = ByteBuffer()
        try inner.withUnsafeReadableBytes { raw throws(StrataFormatError) in
            try Codecs.compress(raw, with: Compression(codec), into: &compressed, context: context)
        }
        let timestamp = outer.timestampType == .logAppendTime ? outer.storedTimestamp : messages.compactMap(\.storedTimestamp).max()
        var output = ByteBuffer()
        write(offset: messages[messages.count - 1].offset, magic: outer.magic, attributes: outer.attributes, timestamp: timestamp,
              key: outer.key, value: compressed, to: &output)
        return output
    }
}
