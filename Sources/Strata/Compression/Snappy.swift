internal import CStrataSnappy
import NIOCore

/// snappy as Kafka's Java producer writes it: snappy-java's stream framing (a 16-byte header,
/// then chunks of at most 32 KiB plaintext, each a big-endian length and a raw snappy block).
/// Reading also accepts a whole payload that is one raw snappy block (no framing), which
/// non-Java clients wrote, and concatenated framed streams.
enum Snappy {
    static let magic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
    static let headerSize = 16
    static let chunkSize = 32 * 1024

    static func compress(_ input: UnsafeRawBufferPointer, into output: inout ByteBuffer) throws(StrataFormatError) {
        output.writeBytes(magic)
        output.writeInteger(Int32(1))  // version
        output.writeInteger(Int32(1))  // minimum compatible version
        var offset = 0
        while offset < input.count {
            let length = min(chunkSize, input.count - offset)
            let bound = snappy_max_compressed_length(length)
            let lengthIndex = output.writerIndex
            output.writeInteger(Int32(0))
            var status = SNAPPY_OK
            let written = output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out in
                var outLength = out.count
                status = snappy_compress(
                    input.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self), length,
                    out.baseAddress!.assumingMemoryBound(to: CChar.self), &outLength)
                return status == SNAPPY_OK ? outLength : 0
            }
            guard status == SNAPPY_OK else {
                throw StrataFormatError(.compressionFailed, "snappy: compression failed with status \(status.rawValue)")
            }
            output.setInteger(Int32(written), at: lengthIndex)
            offset += length
        }
    }

    static func isFramed(_ input: UnsafeRawBufferPointer) -> Bool {
        input.count >= magic.count && zip(input.prefix(magic.count), magic).allSatisfy { $0 == $1 }
    }

    static func decompress(_ input: UnsafeRawBufferPointer, limit: Int, into output: inout ByteBuffer) throws(StrataFormatError) {
        guard isFramed(input) else {
            try decompressBlock(input, limit: limit, into: &output, what: "raw snappy block")
            return
        }
        let start = output.writerIndex
        var cursor = ByteCursor(input, index: headerSize)
        guard input.count >= headerSize else {
            throw StrataFormatError(.decompressionFailed, "snappy: truncated stream header")
        }
        while !cursor.isAtEnd {
            let length = try cursor.readBigEndian(Int32.self, "snappy chunk length")
            if UInt32(bitPattern: length) == 0x8253_4E41 {
                // Another stream's header (concatenated streams): skip its remaining 12 bytes.
                _ = try cursor.skip(headerSize - 4, "snappy stream header")
                continue
            }
            guard length >= 0, Int(length) <= cursor.remaining else {
                throw StrataFormatError(.decompressionFailed, "snappy: chunk length \(length) at byte \(cursor.index - 4) exceeds the \(cursor.remaining) bytes left")
            }
            let chunkStart = try cursor.skip(Int(length))
            let chunk = UnsafeRawBufferPointer(rebasing: input[chunkStart..<(chunkStart + Int(length))])
            try decompressBlock(chunk, limit: limit - (output.writerIndex - start), into: &output, what: "snappy chunk at byte \(chunkStart)")
        }
    }

    private static func decompressBlock(_ block: UnsafeRawBufferPointer, limit: Int, into output: inout ByteBuffer, what: @autoclosure () -> String) throws(StrataFormatError) {
        guard let base = block.baseAddress?.assumingMemoryBound(to: CChar.self), block.count > 0 else {
            throw StrataFormatError(.decompressionFailed, "snappy: empty \(what())")
        }
        var length = 0
        guard snappy_uncompressed_length(base, block.count, &length) == SNAPPY_OK else {
            throw StrataFormatError(.decompressionFailed, "snappy: \(what()) has no valid length preamble")
        }
        guard length <= limit else {
            throw StrataFormatError(.decompressedSizeLimitExceeded, "snappy: \(what()) would decompress to \(length) bytes, over the limit of \(limit)")
        }
        guard length > 0 else { return }
        var status = SNAPPY_OK
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { out in
            var outLength = length
            status = snappy_uncompress(base, block.count, out.baseAddress!.assumingMemoryBound(to: CChar.self), &outLength)
            return status == SNAPPY_OK ? outLength : 0
        }
        guard status == SNAPPY_OK else {
            throw StrataFormatError(.decompressionFailed, "snappy: \(what()) is corrupt")
        }
    }
}
