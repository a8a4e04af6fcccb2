internal import CStrataZlib
import NIOCore

/// gzip as Kafka writes it (`GZIPOutputStream`): a 10-byte header with MTIME 0, XFL 0 and OS
/// 255, one raw deflate stream, then CRC-32 and length, little-endian. Reading accepts any
/// RFC 1952 member (optional header fields, other OS/XFL values) and concatenated members.
enum Gzip {
    static let header: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF]

    static func compress(_ input: UnsafeRawBufferPointer, level: Int32, into output: inout ByteBuffer, context: CodecContext) throws(StrataFormatError) {
        let stream = try deflater(level: level, context: context)
        output.writeBytes(header)
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        var status = Z_OK
        while status != Z_STREAM_END {
            let wanted = Int(deflateBound(stream, uLong(stream.pointee.avail_in))) + 64
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { out in
                stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(out.count)
                status = deflate(stream, Z_FINISH)
                return out.count - Int(stream.pointee.avail_out)
            }
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw StrataFormatError(.compressionFailed, "gzip: deflate failed with zlib status \(status)")
            }
        }
        let crc = UInt32(crc32(0, input.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(input.count)))
        output.writeInteger(crc, endianness: .little)
        output.writeInteger(UInt32(truncatingIfNeeded: input.count), endianness: .little)
    }

    private static func deflater(level: Int32, context: CodecContext) throws(StrataFormatError) -> UnsafeMutablePointer<z_stream> {
        if let stream = context.deflateStream {
            if context.deflateLevel == level, deflateReset(stream) == Z_OK { return stream }
            deflateEnd(stream)
            stream.deallocate()
            context.deflateStream = nil
        }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // Negative window bits: a raw deflate stream; the gzip header and trailer are ours.
        let status = strata_deflate_init2(stream, level, -15, 8)
        guard status == Z_OK else {
            stream.deallocate()
            throw StrataFormatError(.compressionFailed, "gzip: deflateInit2 failed with zlib status \(status)")
        }
        context.deflateStream = stream
        context.deflateLevel = level
        return stream
    }

    private static func inflater(context: CodecContext) throws(StrataFormatError) -> UnsafeMutablePointer<z_stream> {
        if let stream = context.inflateStream, inflateReset(stream) == Z_OK { return stream }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 + 16: expect a gzip wrapper (zlib checks the header, CRC-32 and length).
        let status = strata_inflate_init2(stream, 15 + 16)
        guard status == Z_OK else {
            stream.deallocate()
            throw StrataFormatError(.decompressionFailed, "gzip: inflateInit2 failed with zlib status \(status)")
        }
        context.inflateStream = stream
        return stream
    }

    static func decompress(_ input: UnsafeRawBufferPointer, limit: Int, into output: inout ByteBuffer, context: CodecContext) throws(StrataFormatError) {
        guard input.count >= 18 else {
            throw StrataFormatError(.decompressionFailed, "gzip: \(input.count) bytes is shorter than the smallest gzip member (18)")
        }
        let stream = try inflater(context: context)
        // The trailer's ISIZE is a hint for the first allocation, never trusted beyond the limit.
        let hint = Int(input.loadUnaligned(fromByteOffset: input.count - 4, as: UInt32.self).littleEndian)
        let start = output.writerIndex
        var consumed = 0
        var firstChunk = max(1024, min(hint, limit) + 1)
        while true {
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.advanced(by: consumed).assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(input.count - consumed)
            var status = Z_OK
            while status != Z_STREAM_END {
                let produced = output.writerIndex - start
                if produced > limit {
                    throw StrataFormatError(.decompressedSizeLimitExceeded, "gzip: decompressed data exceeds the limit of \(limit) bytes")
                }
                let room = min(max(firstChunk, produced / 2, 4096), limit - produced + 1)
                firstChunk = 0
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { out in
                    let window = min(out.count, room)
                    stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_out = uInt(window)
                    status = inflate(stream, Z_NO_FLUSH)
                    return window - Int(stream.pointee.avail_out)
                }
                switch status {
                case Z_OK, Z_STREAM_END:
                    break
                case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                    throw StrataFormatError(.decompressionFailed, "gzip: compressed data ends before the end of the stream")
                case Z_BUF_ERROR:
                    continue
                default:
                    let reason = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    throw StrataFormatError(.decompressionFailed, "gzip: \(reason)")
                }
            }
            if output.writerIndex - start > limit {
                throw StrataFormatError(.decompressedSizeLimitExceeded, "gzip: decompressed data exceeds the limit of \(limit) bytes")
            }
            consumed = input.count - Int(stream.pointee.avail_in)
            // Another member may follow (concatenated gzip); anything else is ignored, as Java does.
            guard input.count - consumed >= 18, input[consumed] == 0x1F, input[consumed + 1] == 0x8B else { return }
            guard inflateReset(stream) == Z_OK else {
                throw StrataFormatError(.decompressionFailed, "gzip: inflateReset failed")
            }
        }
    }
}
