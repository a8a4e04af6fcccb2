import Foundation
import NIOCore
import Testing
@testable import Strata

@Suite struct ProducerSnapshotFileTests {
    let fs = PosixFileSystem()
    let entry = ProducerSnapshotEntry(producerId: 0x0102_0304_0506_0708, producerEpoch: 0x090A, lastSequence: 0x0B0C_0D0E,
                                      lastOffset: 0x0F10_1112_1314_1516, offsetDelta: 0x1718_191A, timestamp: 0x1B1C_1D1E_1F20_2122,
                                      coordinatorEpoch: 0x2324_2526, currentTxnFirstOffset: -1)

    @Test func anEmptySnapshotIsTenBytes() {
        // CRC-32C of the four zero bytes of the count is 0x48674BC7, as in every empty snapshot a broker wrote.
        #expect(Array(ProducerSnapshotFile.encode([]).readableBytesView) == hexBytes("0001 48674bc7 00000000"))
    }

    @Test func entriesAreFortySixBigEndianBytes() throws {
        let bytes = ProducerSnapshotFile.encode([entry])
        #expect(bytes.readableBytes == 56)
        #expect(Array(bytes.readableBytesView[10...]) == hexBytes("""
            0102030405060708 090a 0b0c0d0e 0f10111213141516 1718191a 1b1c1d1e1f202122 23242526 ffffffffffffffff
            """))
        #expect(Array(bytes.readableBytesView[6..<10]) == [0, 0, 0, 1])
        let crc = Array(bytes.readableBytesView)[6...].withUnsafeBytes { CRC32COracle.checksum($0) }
        #expect(bytes.getInteger(at: 2, as: UInt32.self) == crc)
        #expect(try ProducerSnapshotFile.decode(bytes) == [entry])
    }

    @Test func randomSnapshotsRoundTrip() throws {
        let seed = propertySeed()
        print("ProducerSnapshotFileTests.randomSnapshotsRoundTrip seed \(seed)")
        var random = SeededGenerator(seed: seed)
        for _ in 0..<200 {
            let entries = (0..<Int.random(in: 0...40, using: &random)).map { _ in
                ProducerSnapshotEntry(
                    producerId: .random(in: .min ... .max, using: &random), producerEpoch: .random(in: .min ... .max, using: &random),
                    lastSequence: .random(in: .min ... .max, using: &random), lastOffset: .random(in: .min ... .max, using: &random),
                    offsetDelta: .random(in: .min ... .max, using: &random), timestamp: .random(in: .min ... .max, using: &random),
                    coordinatorEpoch: .random(in: .min ... .max, using: &random), currentTxnFirstOffset: .random(in: .min ... .max, using: &random))
            }
            var bytes = ProducerSnapshotFile.encode(entries)
            #expect(bytes.readableBytes == 10 + 46 * entries.count)
            #expect(try ProducerSnapshotFile.decode(bytes) == entries, "seed \(seed)")
            // Positions are relative to the reader index.
            var prefixed = buffer([9, 9, 9])
            prefixed.writeBuffer(&bytes)
            prefixed.moveReaderIndex(forwardBy: 3)
            #expect(try ProducerSnapshotFile.decode(prefixed) == entries, "seed \(seed)")
        }
    }

    @Test func writesTwentyDigitNamesDurablyAndReadsThemBack() throws {
        let dir = try makeTemporaryDirectory()
        let recording = RecordingFileSystem()
        let path = try ProducerSnapshotFile.write([entry], offset: 42, directory: dir, fileSystem: recording)
        #expect(path == dir + "/00000000000000000042.snapshot")
        #expect(recording.events == atomicWriteEvents("00000000000000000042.snapshot"))
        #expect(try ProducerSnapshotFile.read(path: path) == [entry])
        #expect(try fs.contentsOfDirectory(dir) == ["00000000000000000042.snapshot"])
    }

    @Test func listsSnapshotOffsetsAndNothingElse() throws {
        let dir = try makeTemporaryDirectory()
        for offset: Int64 in [100, 0, 42] { try ProducerSnapshotFile.write([], offset: offset, directory: dir) }
        for name in ["00000000000000000007.snapshot.tmp", "00000000000000000008.snapshot.deleted", "x.snapshot", ".snapshot",
                     "00000000000000000009.x.snapshot", "00000000000000000000.log", "leader-epoch-checkpoint"] {
            try fs.writeAtomically(buffer("x"), to: dir + "/" + name)
        }
        #expect(try ProducerSnapshotFile.offsets(in: dir) == [0, 42, 100])
        #expect(ProducerSnapshotFile.offset(ofFileName: "00000000000000368769.snapshot") == 368769)
        #expect(ProducerSnapshotFile.offset(ofFileName: "5.snapshot") == 5)
        #expect(ProducerSnapshotFile.offset(ofFileName: "00000000000000000005.log") == nil)
    }

    static func damaged(_ edit: (inout [UInt8]) -> Void) -> [UInt8] {
        let good = ProducerSnapshotEntry(producerId: 7, producerEpoch: 1, lastSequence: 4, lastOffset: 9, offsetDelta: 0,
                                         timestamp: 1_728_561_475_581, coordinatorEpoch: 0, currentTxnFirstOffset: -1)
        var bytes = Array(ProducerSnapshotFile.encode([good, good]).readableBytesView)
        edit(&bytes)
        return bytes
    }

    static func withCRC(_ bytes: [UInt8]) -> [UInt8] {
        var fixed = bytes
        let crc = bytes[6...].withUnsafeBytes { CRC32COracle.checksum($0) }
        fixed.replaceSubrange(2..<6, with: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
        return fixed
    }

    @Test(arguments: [
        ([], "truncated", 0, "producer snapshot is 0 bytes, shorter than its 10-byte header"),
        ([0, 1, 0, 0, 0], "truncated", 5, "shorter than its 10-byte header"),
        (damaged { $0[1] = 2 }, "unsupportedVersion", 0, "unsupported producer snapshot version 2 (expected 1)"),
        (damaged { $0[1] = 0 }, "unsupportedVersion", 0, "unsupported producer snapshot version 0"),
        (damaged { $0.removeLast(5) }, "truncated", 97, "declares 2 entries (92 bytes) but 87 bytes follow the header"),
        (damaged { $0.removeLast(46) }, "truncated", 56, "declares 2 entries (92 bytes) but 46 bytes follow the header"),
        (withCRC(damaged { $0.append(0) }), "invalidSize", 102, "1 bytes after the last of 2 producer entries"),
        (withCRC(damaged { $0[6] = 0xFF }), "invalidSize", 6, "negative producer entry count"),
        (damaged { $0[30] ^= 0x01 }, "crcMismatch", 2, "corrupt producer snapshot: CRC mismatch (declared"),
        (damaged { $0[2] ^= 0x80 }, "crcMismatch", 2, "CRC mismatch"),
    ] as [([UInt8], String, Int, String)])
    func rejectsDamagedSnapshotsNamingFileAndByte(bytes: [UInt8], code: String, position: Int, message: String) throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/00000000000000000002.snapshot"
        try fs.writeAtomically(buffer(bytes), to: path)
        let error = try #require(throws: StrataFormatError.self) { try ProducerSnapshotFile.read(path: path) }
        #expect(error.code.name == code)
        #expect(error.position == position)
        #expect(error.file == path)
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.description.hasSuffix("in \(path) at byte \(position)"), "\(error)")
    }

    @Test func hostileSequencesWrapAsKafkasDoInsteadOfTrapping() {
        // A snapshot with a valid CRC can still hold any numbers: a negative offset delta below
        // the largest sequence. Kafka's decrementSequence wraps in Java's int arithmetic.
        let hostile = ProducerSnapshotEntry(producerId: 7, producerEpoch: 0, lastSequence: Int32.max, lastOffset: 10, offsetDelta: -5,
                                            timestamp: 0, coordinatorEpoch: -1, currentTxnFirstOffset: -1)
        let state = ProducerState(snapshot: hostile)
        #expect(state.batches.first?.firstSequence == Int32.min + 4)
        #expect(state.lastSequence == Int32.max)
        let fromBelow = ProducerState(snapshot: ProducerSnapshotEntry(producerId: 8, producerEpoch: 0, lastSequence: 0, lastOffset: 10, offsetDelta: Int32.max,
                                                                      timestamp: 0, coordinatorEpoch: -1, currentTxnFirstOffset: -1))
        #expect(fromBelow.batches.first?.firstSequence == 1)
    }

    @Test func crcMismatchGivesBothValues() throws {
        let bytes = Self.damaged { $0[30] ^= 0x01 }
        let declared = UInt32(bytes[2]) << 24 | UInt32(bytes[3]) << 16 | UInt32(bytes[4]) << 8 | UInt32(bytes[5])
        let computed = bytes[6...].withUnsafeBytes { CRC32COracle.checksum($0) }
        let error = try #require(throws: StrataFormatError.self) { try ProducerSnapshotFile.decode(buffer(bytes), path: "s") }
        #expect(error.message == "corrupt producer snapshot: CRC mismatch (declared \(declared), computed \(computed))")
    }
}
