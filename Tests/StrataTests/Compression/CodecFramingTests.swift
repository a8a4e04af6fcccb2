import NIOCore
import Testing
@testable import Strata

/// The framing each codec writes is Kafka's, byte for byte where Kafka's is fixed.
@Suite struct CodecFramingTests {
    static let plaintext: [UInt8] = Array(String(repeating: "{\"customer\":\"alice\",\"amount\":42}", count: 5_000).utf8)

    static func compress(_ input: [UInt8], _ compression: Compression) throws -> [UInt8] {
        var out = ByteBuffer()
        try input.withUnsafeBytes { try Codecs.compress($0, with: compression, into: &out) }
        return Array(out.readableBytesView)
    }

    static func decompress(_ input: [UInt8], _ codec: CompressionCodec, limit: Int = 1 << 24, legacy: Bool = false) throws -> [UInt8] {
        var out = ByteBuffer()
        try input.withUnsafeBytes { try Codecs.decompress($0, codec: codec, limit: limit, into: &out, legacyLZ4HeaderChecksum: legacy) }
        return Array(out.readableBytesView)
    }

    @Test(arguments: [Compression.gzip, .snappy, .lz4, .zstd, try! Compression(.gzip, level: 1), try! Compression(.lz4, level: 3), try! Compression(.zstd, level: -5)])
    func roundTripsAcrossBlockBoundaries(compression: Compression) throws {
        for size in [0, 1, 100, 32 * 1024, 32 * 1024 + 1, 64 * 1024, 64 * 1024 + 7, Self.plaintext.count] {
            let input = Array(Self.plaintext.prefix(size))
            let compressed = try Self.compress(input, compression)
            #expect(try Self.decompress(compressed, compression.codec) == input, "\(compression) size \(size)")
        }
    }

    @Test func gzipHeaderIsJavas() throws {
        let compressed = try Self.compress(Self.plaintext, .gzip)
        #expect(Array(compressed.prefix(10)) == [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF])
        let isize = compressed.suffix(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self).littleEndian }
        #expect(Int(isize) == Self.plaintext.count)
    }

    @Test func gzipReadsConcatenatedMembersAndForeignHeaders() throws {
        let a = Array("first member ".utf8), b = Array("second member".utf8)
        var both = try Self.compress(a, .gzip) + Self.compress(b, .gzip)
        #expect(try Self.decompress(both, .gzip) == a + b)
        both[9] = 0x03  // OS = Unix, as Python and zlib write it
        #expect(try Self.decompress(both, .gzip) == a + b)
    }

    @Test func lz4FrameIsKafkasSubset() throws {
        let compressed = try Self.compress(Self.plaintext, .lz4)
        // Magic, FLG 0x60 (independent blocks, no checksums), BD 0x40 (64 KiB), HC 0x82.
        #expect(Array(compressed.prefix(7)) == [0x04, 0x22, 0x4D, 0x18, 0x60, 0x40, 0x82])
        #expect(Array(compressed.suffix(4)) == [0, 0, 0, 0])
    }

    @Test func lz4StoresIncompressibleBlocksWithTheHighBit() throws {
        var rng = SeededGenerator(seed: 7)
        let noise = (0..<1_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let compressed = try Self.compress(noise, .lz4)
        let blockHeader = compressed[7..<11].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self).littleEndian }
        #expect(blockHeader == 0x8000_0000 | 1_000)
        #expect(try Self.decompress(compressed, .lz4) == noise)
    }

    @Test func lz4HeaderChecksumIsCheckedExceptForMagicZero() throws {
        var compressed = try Self.compress(Self.plaintext, .lz4)
        compressed[6] = 0x1A  // the checksum Kafka 0.8/0.9 wrote (over magic + FLG + BD)
        let error = try #require(throws: StrataFormatError.self) { try Self.decompress(compressed, .lz4) }
        #expect(error.code == .decompressionFailed && error.message.contains("header checksum"))
        #expect(try Self.decompress(compressed, .lz4, legacy: true) == Self.plaintext)
    }

    @Test func snappyUsesXerialFramingWith32KiBChunks() throws {
        let compressed = try Self.compress(Self.plaintext, .snappy)
        #expect(Array(compressed.prefix(16)) == [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
        // Walk the chunks: each decompresses to at most 32 KiB.
        var index = 16, chunks = 0
        while index < compressed.count {
            let length = compressed[index..<index + 4].withUnsafeBytes { Int(UInt32(bigEndian: $0.loadUnaligned(as: UInt32.self))) }
            index += 4 + length
            chunks += 1
        }
        #expect(index == compressed.count)
        #expect(chunks == (Self.plaintext.count + 32 * 1024 - 1) / (32 * 1024))
    }

    @Test func snappyReadsRawBlocksAndConcatenatedStreams() throws {
        let framed = try Self.compress(Array("hello snappy ".utf8), .snappy)
        let raw = Array(framed.dropFirst(20))  // the single chunk's raw block
        #expect(try Self.decompress(raw, .snappy) == Array("hello snappy ".utf8))
        #expect(try Self.decompress(framed + framed, .snappy) == Array("hello snappy hello snappy ".utf8))
    }

    @Test func zstdReadsConcatenatedFrames() throws {
        let a = try Self.compress(Array("frame one, ".utf8), .zstd)
        let b = try Self.compress(Array("frame two".utf8), .zstd)
        #expect(Array(a.prefix(4)) == [0x28, 0xB5, 0x2F, 0xFD])
        #expect(try Self.decompress(a + b, .zstd) == Array("frame one, frame two".utf8))
    }

    @Test(arguments: [CompressionCodec.gzip, .snappy, .lz4, .zstd])
    func damagedStreamsAreErrorsNotCrashes(codec: CompressionCodec) throws {
        let compressed = try Self.compress(Self.plaintext, Compression(codec))
        var rng = SeededGenerator(seed: propertySeed())
        for _ in 0..<300 {
            var damaged = compressed
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: damaged = Array(damaged.prefix(Int.random(in: 0..<damaged.count, using: &rng)))
            case 1:
                let i = Int.random(in: 0..<damaged.count, using: &rng)
                damaged[i] ^= UInt8.random(in: 1...255, using: &rng)
            default:
                for _ in 0..<8 { damaged[Int.random(in: 0..<damaged.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            }
            do {
                let output = try Self.decompress(damaged, codec, limit: 1 << 20)
                #expect(output.count <= 1 << 20)
            } catch let error as StrataFormatError {
                #expect(error.code == .decompressionFailed || error.code == .decompressedSizeLimitExceeded || error.code == .truncated)
            }
        }
    }

    @Test func crc32cFastPathMatchesTheOracle() {
        var rng = SeededGenerator(seed: propertySeed())
        for length in [0, 1, 7, 8, 63, 255, 256, 4_095, 12_289, 100_003] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let expected = CRC32COracle.checksum(bytes)
            #expect(bytes.withUnsafeBytes { CRC32C.checksum($0) } == expected)
            #expect(bytes.withUnsafeBytes { CRC32C.portableChecksum($0) } == expected)
            let split = length / 3
            let continued = bytes.withUnsafeBytes { raw in
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[split...]), continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[..<split])))
            }
            #expect(continued == expected)
        }
    }
}
