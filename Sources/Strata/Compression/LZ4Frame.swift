internal import CStrataLZ4
internal import CStrataShims
import NIOCore

/// The LZ4 frame subset Kafka writes (`Lz4BlockOutputStream`): FLG 0x60 (version 1,
/// independent blocks, no checksums, no content size), BD 0x40 (64 KiB blocks), the header
/// checksum, blocks each prefixed by a little-endian length whose high bit marks a stored
/// (uncompressed) block, and an end mark of four zero bytes.
///
/// Level 9 (Kafka's default) uses lz4's fast compressor; any other level uses LZ4-HC at that
/// level, as Kafka does. Reading accepts every frame Kafka's reader does and more (linked
/// blocks, content size, block and content checksums); magic-0 messages were written with a
/// header checksum computed over the wrong bytes, so for them the checksum is not checked.
enum LZ4Frame {
    static let magic: UInt32 = 0x184D_2204
    static let blockSize = 64 * 1024

    /// The header checksum byte: bits 8–15 of XXH32 over the frame descriptor.
    static func headerChecksum(_ descriptor: UnsafeRawBufferPointer) -> UInt8 {
        UInt8(truncatingIfNeeded: strata_xxh32(descriptor.baseAddress, descriptor.count, 0) >> 8)
    }

    static func compress(_ input: UnsafeRawBufferPointer, level: Int32, into output: inout ByteBuffer) throws(StrataFormatError) {
        output.writeInteger(magic, endianness: .little)
        let descriptor: [UInt8] = [0x60, 0x40]
        output.writeBytes(descriptor)
        output.writeInteger(descriptor.withUnsafeBytes { headerChecksum($0) })
        var offset = 0
        while offset < input.count {
            let length = min(blockSize, input.count - offset)
            // A full bound selects lz4's unchecked (faster) path; a block that does not shrink
            // is then stored as it is.
            let bound = Int(LZ4_compressBound(Int32(length)))
            let source = input.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self)
            let lengthIndex = output.writerIndex
            output.writeInteger(UInt32(0))
            var compressed: Int32 = 0
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out in
                let target = out.baseAddress!.assumingMemoryBound(to: CChar.self)
                if level == 9 {
                    compressed = LZ4_compress_default(source, target, Int32(length), Int32(bound))
                } else {
                    compressed = LZ4_compress_HC(source, target, Int32(length), Int32(bound), level)
                }
                if compressed > 0 && Int(compressed) < length { return Int(compressed) }
                compressed = 0
                // Did not shrink: store the block as it is, flagged by the high bit.
                out.copyMemory(from: UnsafeRawBufferPointer(start: source, count: length))
                return length
            }
            let header = compressed > 0 ? UInt32(compressed) : UInt32(length) | 0x8000_0000
            output.setInteger(header, at: lengthIndex, endianness: .little)
            offset += length
        }
        output.writeInteger(UInt32(0))  // end mark
    }

    static func decompress(_ input: UnsafeRawBufferPointer, limit: Int, ignoreHeaderChecksum: Bool, into output: inout ByteBuffer) throws(StrataFormatError) {
        var cursor = ByteCursor(input)
        func fail(_ message: String) -> StrataFormatError {
            StrataFormatError(.decompressionFailed, "lz4: \(message)")
        }
        guard input.count >= 7 else { throw fail("\(input.count) bytes is shorter than a frame header") }
        let frameMagic = UInt32(littleEndian: input.loadUnaligned(as: UInt32.self))
        guard frameMagic == magic else { throw fail("bad frame magic 0x\(String(frameMagic, radix: 16))") }
        _ = try cursor.skip(4)
        let flags = try cursor.readUInt8()
        let descriptorByte = try cursor.readUInt8()
        guard flags >> 6 == 1 else { throw fail("unsupported frame version \(flags >> 6)") }
        guard flags & 0x03 == 0 else { throw fail("reserved or dictionary bits set in FLG 0x\(String(flags, radix: 16))") }
        let independent = flags & 0x20 != 0
        let blockChecksums = flags & 0x10 != 0
        let contentSize = flags & 0x08 != 0
        let contentChecksum = flags & 0x04 != 0
        let sizeCode = (descriptorByte >> 4) & 0x07
        guard descriptorByte & 0x8F == 0, (4...7).contains(sizeCode) else {
            throw fail("invalid block descriptor 0x\(String(descriptorByte, radix: 16))")
        }
        let maxBlock = 1 << (2 * Int(sizeCode) + 8)
        if contentSize { _ = try cursor.skip(8, "lz4 content size") }
        let descriptorEnd = cursor.index
        let storedChecksum = try cursor.readUInt8("lz4 header checksum")
        if !ignoreHeaderChecksum {
            let computed = headerChecksum(UnsafeRawBufferPointer(rebasing: input[4..<descriptorEnd]))
            guard computed == storedChecksum else {
                throw fail("header checksum mismatch (declared 0x\(String(storedChecksum, radix: 16)), computed 0x\(String(computed, radix: 16)))")
            }
        }
        let start = output.writerIndex
        // Size the output once: count the blocks (each at most maxBlock plaintext bytes) by
        // walking their headers, instead of growing the buffer block by block.
        var blocks = 0
        var scan = cursor.index
        while scan + 4 <= input.count {
            let word = UInt32(littleEndian: input.loadUnaligned(fromByteOffset: scan, as: UInt32.self))
            if word == 0 { break }
            blocks += 1
            scan += 4 + Int(word & 0x7FFF_FFFF) + (blockChecksums ? 4 : 0)
        }
        output.reserveCapacity(minimumWritableBytes: min(blocks * maxBlock, limit + maxBlock))
        while true {
            let header = try cursor.readLittleEndian(UInt32.self, "lz4 block size")
            if header == 0 { break }
            let stored = header & 0x8000_0000 != 0
            let length = Int(header & 0x7FFF_FFFF)
            guard length <= maxBlock else { throw fail("block of \(length) bytes exceeds the frame's \(maxBlock)-byte maximum") }
            let blockStart = try cursor.skip(length, "lz4 block")
            let block = UnsafeRawBufferPointer(rebasing: input[blockStart..<(blockStart + length)])
            if blockChecksums {
                let declared = try cursor.readLittleEndian(UInt32.self, "lz4 block checksum")
                guard declared == strata_xxh32(block.baseAddress, block.count, 0) else { throw fail("block checksum mismatch") }
            }
            let produced = output.writerIndex - start
            let room = min(maxBlock, limit - produced)
            if stored {
                guard length <= room else {
                    throw StrataFormatError(.decompressedSizeLimitExceeded, "lz4: decompressed data exceeds the limit of \(limit) bytes")
                }
                output.writeBytes(block)
                continue
            }
            var decoded: Int32 = 0
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: maxBlock) { out in
                let target = out.baseAddress!.assumingMemoryBound(to: CChar.self)
                let source = block.baseAddress!.assumingMemoryBound(to: CChar.self)
                // A whole block's room (at most 64 KiB past the limit), so that output reaching
                // past the limit is seen as such and not as corruption.
                let capacity = Int32(maxBlock)
                if independent || produced == 0 {
                    decoded = LZ4_decompress_safe(source, target, Int32(length), capacity)
                } else {
                    // Linked blocks: the previous output (up to 64 KiB) directly precedes the target.
                    let dictionary = min(produced, 64 * 1024)
                    decoded = LZ4_decompress_safe_usingDict(source, target, Int32(length), capacity, target - dictionary, Int32(dictionary))
                }
                return decoded > 0 ? Int(decoded) : 0
            }
            guard decoded >= 0 else { throw fail("corrupt block at byte \(blockStart)") }
            if Int(decoded) > room {
                throw StrataFormatError(.decompressedSizeLimitExceeded, "lz4: decompressed data exceeds the limit of \(limit) bytes")
            }
        }
        if contentChecksum { _ = try cursor.skip(4, "lz4 content checksum") }
    }
}
