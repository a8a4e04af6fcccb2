import NIOCore
import Testing
@testable import Strata

/// Truncated, bit-flipped, random and hostile input is an error naming where, never a crash.
@Suite struct HostileInputTests {
    static func sampleBatch(_ compression: Compression, records: Int = 20) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(.init(baseOffset: 1_000, compression: compression))
        for i in 0..<records {
            try builder.append(timestamp: 1_700_000_000_000 + Int64(i), key: buffer("key-\(i)"),
                               value: buffer(String(repeating: "value \(i) ", count: 20)), headers: [RecordHeader(key: "h", value: buffer("x"))])
        }
        return try builder.build()
    }

    /// Decodes everything decodable; returns whether any error was thrown.
    @discardableResult
    static func decodeAll(_ bytes: ByteBuffer, limits: DecodingLimits = .default) -> Bool {
        var reader = LogEntryReader(bytes, limits: limits)
        do {
            while let entry = try reader.next() {
                _ = entry.isValid
                _ = try entry.records(limits: limits)
            }
            return false
        } catch {
            #expect(!error.message.isEmpty)
            return true
        }
    }

    @Test(arguments: RoundTripPropertyTests.compressions)
    func everyTruncationStopsCleanly(compression: Compression) throws {
        let bytes = try Self.sampleBatch(compression)
        for length in 0..<bytes.readableBytes {
            let cut = bytes.getSlice(at: 0, length: length)!
            var reader = LogEntryReader(cut)
            let entry = try reader.next()
            #expect(entry == nil, "a truncated batch of \(length) bytes must not be returned")
            if length > 17 {
                #expect(reader.stop == .partialEntry(position: 0, declaredSize: bytes.readableBytes, available: length))
            }
        }
    }

    @Test(arguments: RoundTripPropertyTests.compressions)
    func everyBitFlipIsCaughtOrHarmless(compression: Compression) throws {
        let original = try Self.sampleBatch(compression)
        let originalRecords = try RecordBatch(bytes: original).records()
        var flipped = 0
        for byteIndex in 0..<original.readableBytes {
            for bit in [0, 3, 7] {
                var bytes = original
                bytes.setInteger(original.getInteger(at: byteIndex, as: UInt8.self)! ^ (1 << bit), at: byteIndex)
                Self.decodeAll(bytes)
                guard let batch = try? RecordBatch(bytes: bytes) else { continue }
                if byteIndex >= 21 {
                    // Everything from the attributes on is covered by the CRC.
                    #expect(!batch.isValid, "flip at byte \(byteIndex) bit \(bit) went unnoticed")
                    #expect(throws: StrataFormatError.self) { try batch.validate() }
                } else if byteIndex != 17 && byteIndex != 18 && byteIndex != 19 && byteIndex != 20, batch.isValid {
                    // Offset, length and leader epoch are outside the CRC: records shift, but decode.
                    if (0..<8).contains(byteIndex) { #expect(try batch.records().count == originalRecords.count) }
                }
                flipped += 1
            }
        }
        #expect(flipped > 0)
    }

    @Test func randomBytesNeverCrash() {
        var rng = SeededGenerator(seed: propertySeed())
        for _ in 0..<3_000 {
            let count = Int.random(in: 0...300, using: &rng)
            var bytes = ByteBuffer(bytes: (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) })
            if count > 17, Bool.random(using: &rng) {
                // Make the framing plausible so the parsers behind it get exercised.
                bytes.setInteger(Int32(count - 12), at: 8)
                bytes.setInteger(Int8.random(in: 0...2, using: &rng), at: 16)
            }
            Self.decodeAll(bytes)
        }
    }

    @Test func hugeRecordCountIsRejectedWithoutAllocating() throws {
        var bytes = try Self.sampleBatch(.none, records: 1)
        bytes.setInteger(Int32.max, at: 57)
        let batch = try RecordBatch(bytes: bytes)
        let error = try #require(throws: StrataFormatError.self) { try batch.records() }
        #expect(error.code == .invalidRecord)
        #expect(error.baseOffset == 1_000 && error.position == 0)
        bytes.setInteger(Int32(-5), at: 57)
        #expect(throws: StrataFormatError.self) { try RecordBatch(bytes: bytes).records() }
    }

    /// Found by FuzzTools (fuzz/FailCases/FuzzTools/oom-…): strata-dump --json reserved room for
    /// the declared record count before decoding, so a count of 370 million asked for gigabytes.
    @Test func aDeclaredRecordCountNeverSizesAnAllocation() throws {
        var bytes = try Self.sampleBatch(.none, records: 1)
        bytes.setInteger(Int32.max, at: 57)
        #expect(try RecordBatch(bytes: bytes).header.recordCountToReserve == 16_384)
        bytes.setInteger(Int32(-7), at: 57)
        #expect(try RecordBatch(bytes: bytes).header.recordCountToReserve == 0)
        bytes.setInteger(Int32(3), at: 57)
        #expect(try RecordBatch(bytes: bytes).header.recordCountToReserve == 3)
    }

    @Test func hugeKeyLengthIsAnError() throws {
        // One record whose key claims 2^30 bytes.
        var configuration = RecordBatchBuilder.Configuration()
        configuration.partitionLeaderEpoch = 0
        var bytes = try { () throws -> ByteBuffer in
            var builder = RecordBatchBuilder(configuration)
            try builder.append(timestamp: 0, key: buffer("k"), value: buffer("v"))
            return try builder.build()
        }()
        // record: len, attrs, tsΔ, offΔ, keyLen(0x02 = 1) → patch keyLen to a 5-byte varint? keep size: use 0x7E (63)
        let keyLengthIndex = 61 + 4
        #expect(bytes.getInteger(at: keyLengthIndex, as: UInt8.self) == 0x02)
        bytes.setInteger(UInt8(0x7E), at: keyLengthIndex)
        let error = try #require(throws: StrataFormatError.self) { try RecordBatch(bytes: bytes).records() }
        #expect(error.code == .truncated || error.code == .invalidRecord)
        #expect(error.description.contains("at byte"))
    }

    @Test func recordLengthMismatchIsInvalidRecord() throws {
        var bytes = try Self.sampleBatch(.none, records: 2)
        let length = bytes.getInteger(at: 61, as: UInt8.self)!
        bytes.setInteger(length &+ 2, at: 61)
        let error = try #require(throws: StrataFormatError.self) { try RecordBatch(bytes: bytes).records() }
        #expect(error.code == .invalidRecord || error.code == .truncated)
    }

    @Test func invalidCodecIdIsNamed() throws {
        var bytes = try Self.sampleBatch(.none, records: 1)
        bytes.setInteger(Int16(6), at: 21)
        let error = try #require(throws: StrataFormatError.self) { try RecordBatch(bytes: bytes).records() }
        #expect(error.code == .unknownCompression)
        #expect(error.description == "unknown compression type id 6 at byte 0 (base offset 1000)")
    }

    @Test func zeroTailAndBadMagicStopTheWalk() throws {
        let good = try Self.sampleBatch(.lz4)
        var withZeros = good
        withZeros.writeRepeatingByte(0, count: 100)
        var reader = LogEntryReader(withZeros)
        #expect(try reader.next() != nil)
        let error = try #require(throws: StrataFormatError.self) { try reader.next() }
        #expect(error.code == .invalidSize)
        #expect(error.position == good.readableBytes)
        #expect(error.message.contains("zero-filled"))

        var badMagic = good
        badMagic.setInteger(Int8(7), at: 16)
        var magicReader = LogEntryReader(badMagic)
        let magicError = try #require(throws: StrataFormatError.self) { try magicReader.next() }
        #expect(magicError.code == .unsupportedMagic)
        let skipped = magicReader.skipEntry()
        #expect(skipped)
        #expect(try magicReader.next() == nil && magicReader.stop == .endOfData)
    }

    @Test(arguments: [CompressionCodec.gzip, .snappy, .lz4, .zstd])
    func decompressionBombsStopAtTheLimit(codec: CompressionCodec) throws {
        // 8 MiB of one repeated record value compresses to almost nothing.
        var builder = RecordBatchBuilder(.init(compression: Compression(codec)))
        try builder.append(timestamp: 0, key: nil, value: ByteBuffer(repeating: 0x61, count: 8 << 20))
        let bomb = try builder.build()
        #expect(bomb.readableBytes < 1 << 20)
        let batch = try RecordBatch(bytes: bomb)
        let error = try #require(throws: StrataFormatError.self) {
            try batch.records(limits: DecodingLimits(maxDecompressedBytes: 1 << 20))
        }
        #expect(error.code == .decompressedSizeLimitExceeded)
        #expect(error.baseOffset == 0)
        #expect(try batch.records(limits: DecodingLimits(maxDecompressedBytes: 9 << 20)).count == 1)
    }

    @Test func errorDescriptionsNameFilePositionAndOffset() {
        let error = StrataFormatError(.crcMismatch, "corrupt batch: CRC mismatch (declared 1, computed 2)", file: "00000000000000000042.log", position: 1234, baseOffset: 42)
        #expect(error.description == "corrupt batch: CRC mismatch (declared 1, computed 2) in 00000000000000000042.log at byte 1234 (base offset 42)")
    }

    /// A record repeating an empty header 200,000 times compresses to almost nothing: decoding
    /// it stays inside the decompression ceiling, the leader's view-based check walks it without
    /// building the headers, and a header count larger than the bytes left is refused at once.
    @Test(arguments: [CompressionCodec.zstd, .lz4])
    func deeplyRepeatedHeadersStayBounded(codec: CompressionCodec) throws {
        let headers = [RecordHeader](repeating: RecordHeader(key: "", value: nil), count: 200_000)
        var builder = RecordBatchBuilder(.init(compression: Compression(codec)))
        try builder.append(timestamp: 1_700_000_000_000, key: buffer("k"), value: buffer("v"), headers: headers)
        let bytes = try builder.build()
        #expect(bytes.readableBytes < 64 << 10, "\(bytes.readableBytes) bytes")
        let batch = try RecordBatch(bytes: bytes)
        // Under a 256 KiB ceiling the 400 KB of headers are refused before they are decoded.
        #expect((try #require(throws: StrataFormatError.self) { try batch.records(limits: DecodingLimits(maxDecompressedBytes: 256 << 10)) }).code == .decompressedSizeLimitExceeded)
        var counted = 0
        try batch.forEachRecordView { view in counted = view.headerCount }
        #expect(counted == 200_000)
        let log = try PartitionLog.open(directory: try makeTemporaryDirectory() + "/headers-0", config: LogTestSupport.smallConfig(segmentBytes: 1 << 20))
        #expect(try log.appendAsLeader(bytes).lastOffset == 0)
        try log.close()
    }

    @Test func aHeaderCountLargerThanTheRecordIsRefused() throws {
        var builder = RecordBatchBuilder(.init())
        try builder.append(timestamp: 0, key: buffer("k"), value: buffer("v"), headers: [RecordHeader(key: "h", value: buffer("x"))])
        var bytes = try builder.build()
        // The header count is the varint just before the header (key "h" = 0x02 'h'); make it 2^30.
        let view = Array(bytes.readableBytesView)
        let at = try #require((0..<(view.count - 1)).last { view[$0] == 0x02 && view[$0 + 1] == UInt8(ascii: "h") }) - 1
        #expect(view[at] == 0x02)  // one header, zig-zag
        var patched = Array(view[..<at]) + [0x80, 0x80, 0x80, 0x80, 0x08] + Array(view[(at + 1)...])
        let delta = patched.count - view.count
        // Fix the record length varint (first record byte after the 61-byte header) and the batch length.
        patched[61] = UInt8(truncatingIfNeeded: Int(view[61]) + 2 * delta)
        bytes = ByteBuffer(bytes: patched)
        bytes.setInteger(Int32(patched.count - 12), at: 8)
        let batch = try RecordBatch(bytes: bytes)
        let error = try #require(throws: StrataFormatError.self) { try batch.records() }
        #expect(error.code == .invalidRecord && error.message.contains("header"))
    }
}
