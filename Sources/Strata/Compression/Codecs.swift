import NIOCore

/// Compresses and decompresses batch payloads with Kafka's framing for each codec.
public enum Codecs {
    /// Appends `input` compressed with `compression` to `output`.
    ///
    /// - Throws: `compressionFailed` when the codec library fails.
    public static func compress(
        _ input: UnsafeRawBufferPointer, with compression: Compression, into output: inout ByteBuffer,
        context: CodecContext = CodecContext()
    ) throws(StrataFormatError) {
        switch compression.codec {
        case .none: output.writeBytes(input)
        case .gzip: try Gzip.compress(input, level: compression.level ?? 6, into: &output, context: context)
        case .snappy: try Snappy.compress(input, into: &output)
        case .lz4: try LZ4Frame.compress(input, level: compression.level ?? 9, into: &output)
        case .zstd: try Zstd.compress(input, level: compression.level ?? 3, into: &output, context: context)
        }
    }

    /// Appends the plaintext of `input`, compressed with `codec`, to `output`.
    ///
    /// - Parameters:
    ///   - limit: the most bytes the plaintext may have; more is an error, not an allocation.
    ///   - legacyLZ4HeaderChecksum: true for magic-0 messages, whose LZ4 header checksum
    ///     Kafka 0.8/0.9 computed over the wrong bytes and which readers must not check.
    /// - Throws: `decompressionFailed` for damaged or foreign data,
    ///   `decompressedSizeLimitExceeded` when the plaintext would exceed `limit`.
    public static func decompress(
        _ input: UnsafeRawBufferPointer, codec: CompressionCodec, limit: Int, into output: inout ByteBuffer,
        legacyLZ4HeaderChecksum: Bool = false, context: CodecContext = CodecContext()
    ) throws(StrataFormatError) {
        switch codec {
        case .none:
            guard input.count <= limit else {
                throw StrataFormatError(.decompressedSizeLimitExceeded, "payload of \(input.count) bytes exceeds the limit of \(limit)")
            }
            output.writeBytes(input)
        case .gzip: try Gzip.decompress(input, limit: limit, into: &output, context: context)
        case .snappy: try Snappy.decompress(input, limit: limit, into: &output)
        case .lz4: try LZ4Frame.decompress(input, limit: limit, ignoreHeaderChecksum: legacyLZ4HeaderChecksum, into: &output)
        case .zstd: try Zstd.decompress(input, limit: limit, into: &output, context: context)
        }
    }
}
