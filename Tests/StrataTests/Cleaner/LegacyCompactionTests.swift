import Foundation
import NIOCore
import Testing
@testable import Strata

/// v0/v1 data (spec 6.4, 6.7, KAFKA-4298): plain messages are kept or dropped whole; a
/// compressed set that loses messages is rebuilt with its magic and codec, the survivors at
/// their offsets; the last entry of a group stays whole.
@Suite struct LegacyCompactionTests {
    /// A compressed legacy wrapper of `records` starting at `firstOffset`.
    static func wrapper(magic: Int8, codec: CompressionCodec, firstOffset: Int64, _ records: [(String, String?)]) throws -> ByteBuffer {
        let messages = records.enumerated().map { index, record in
            LegacyMessage(offset: firstOffset + Int64(index), crc: 0, computedCRC: 0, magic: magic, attributes: 0,
                          storedTimestamp: magic == 1 ? 1_700_000_000_000 + Int64(index) : nil, timestamp: nil, timestampType: .createTime,
                          key: ByteBuffer(string: record.0), value: record.1.map { ByteBuffer(string: $0) }, sizeInBytes: 0)
        }
        let outer = LegacyMessage(offset: 0, crc: 0, computedCRC: 0, magic: magic, attributes: Int8(codec.rawValue),
                                  storedTimestamp: magic == 1 ? 0 : nil, timestamp: nil, timestampType: magic == 1 ? .createTime : .noTimestampType,
                                  key: nil, value: nil, sizeInBytes: 0)
        return try LegacyMessageWriter.wrapper(messages, like: outer, codec: codec, context: CodecContext())
    }

    @Test(arguments: [(Int8(0), CompressionCodec.gzip), (1, .gzip), (1, .snappy), (1, .lz4)] as [(Int8, CompressionCodec)])
    func compressedSetsAreRebuiltWithTheirMagicAndCodec(magic: Int8, codec: CompressionCodec) throws {
        let directory = CleanerTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock()
        let log = try CleanerTestSupport.open(directory + "/l-0", config: CleanerTestSupport.compactedConfig(segmentBytes: 100_000), clock: clock)
        try log.appendAsFollower(try Self.wrapper(magic: magic, codec: codec, firstOffset: 0, [("a", "1"), ("b", "2"), ("c", "3")]))
        try log.appendAsFollower(try Self.wrapper(magic: magic, codec: codec, firstOffset: 3, [("a", "4"), ("d", "5")]))
        try log.appendAsFollower(try Self.wrapper(magic: magic, codec: codec, firstOffset: 5, [("e", "6")]))
        try log.roll()
        try LogCleaner.clean(log, checkpoint: nil)
        let seen = try CleanerTestSupport.storedRecords(log).records
        #expect(seen == [SeenRecord(offset: 1, key: "b", value: "2"), SeenRecord(offset: 2, key: "c", value: "3"),
                         SeenRecord(offset: 3, key: "a", value: "4"), SeenRecord(offset: 4, key: "d", value: "5"),
                         SeenRecord(offset: 5, key: "e", value: "6")])
        // The first set was rebuilt: same magic and codec, a valid CRC, the wrapper at its last offset.
        var reader = try log.allSegments[0].entries()
        guard case .legacy(let first)? = try reader.next() else { Issue.record("not a legacy entry"); return }
        #expect(first.message.magic == magic && first.message.codec == codec && first.message.isValid)
        #expect(first.message.offset == 2)
        try log.close()
        // It reopens (recovery walks every entry) with the same records.
        let reopened = try CleanerTestSupport.open(directory + "/l-0", config: CleanerTestSupport.compactedConfig(segmentBytes: 100_000), clock: clock,
                                                   cleanShutdown: false, recoveryPoint: 0)
        #expect(try CleanerTestSupport.storedRecords(reopened).records == seen)
        try reopened.close()
    }
}

/// A corrupt batch stops the cleaning with an error naming the file and byte; nothing changes.
@Suite struct CorruptInputCompactionTests {
    @Test func aCorruptBatchIsNeverRewritten() throws {
        let directory = CleanerTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock()
        let config = CleanerTestSupport.compactedConfig(segmentBytes: 100_000)
        let log = try CleanerTestSupport.open(directory + "/bad-0", config: config, clock: clock)
        for index in 0..<10 { try log.appendAsLeader(try CleanerTestSupport.batch([("k\(index % 2)", "value-\(index)")], timestamp: clock.now)) }
        try log.roll()
        try log.close()
        // Flip a byte inside the fourth batch's value.
        let path = directory + "/bad-0/00000000000000000000.log"
        var bytes = try #require(FileManager.default.contents(atPath: path))
        let batchSize = bytes.count / 10
        bytes[3 * batchSize + batchSize - 3] ^= 0x55
        try bytes.write(to: URL(fileURLWithPath: path))
        let untouched = bytes
        let reopened = try CleanerTestSupport.open(directory + "/bad-0", config: config, clock: clock)
        do {
            try LogCleaner.clean(reopened, checkpoint: nil)
            Issue.record("a corrupt batch was cleaned")
        } catch let error as StrataFormatError {
            #expect(error.code == .crcMismatch)
            #expect(error.description.contains("00000000000000000000.log") && error.position == 3 * batchSize)
        }
        #expect(FileManager.default.contents(atPath: path) == untouched)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: directory + "/bad-0")).contains { $0.contains(".cleaned") || $0.contains(".swap") })
        try reopened.close()
    }
}
