import NIOCore
import Testing
@testable import Strata

/// The worked examples of the storage spec (sections 1.5, 1.6, 1.7, 1.9).
@Suite struct SpecVectorTests {
    static let example16 = hexBytes("""
        0000000000000000 00000049 00000000 02 4109046f 0000 00000001 0000018bcfe56800 0000018bcfe56805
        ffffffffffffffff ffff ffffffff 00000002
        14 00 00 00 04 6b31 04 7631 00
        18 00 0a 02 04 6b32 01 02 02 68 02 78
        """)
    static let example17 = hexBytes("""
        0000000000000002 00000042 00000000 02 ad5fd0ff 0030 00000000 0000018bcfe5680a 0000018bcfe5680a
        0000000000000007 0001 ffffffff 00000001 20 00 00 00 08 00000001 0c 0000 00000005 00
        """)
    static let example19 = hexBytes("0000000000000005 0000001a a5da6a62 01 00 0000018bcfe56800 00000002 6b31 00000002 7631")

    @Test func crc32cCheckValue() {
        let bytes = Array("123456789".utf8)
        #expect(bytes.withUnsafeBytes { CRC32C.checksum($0) } == 0xE306_9283)
        #expect(bytes.withUnsafeBytes { CRC32C.portableChecksum($0) } == 0xE306_9283)
        #expect(CRC32COracle.checksum(bytes) == 0xE306_9283)
        #expect(bytes.withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
    }

    @Test(arguments: [(Int64(-1), [UInt8(0x01)]), (0, [0x00]), (1, [0x02]), (63, [0x7E]), (64, [0x80, 0x01]), (-64, [0x7F])] as [(Int64, [UInt8])])
    func varintEncodings(value: Int64, expected: [UInt8]) throws {
        var out = ByteBuffer()
        Varint.write(Int32(value), to: &out)
        #expect(Array(out.readableBytesView) == expected)
        #expect(Varint.size(Int32(value)) == expected.count)
        var long = ByteBuffer()
        Varint.write(value, to: &long)
        #expect(Array(long.readableBytesView) == expected)
        let decoded = try expected.withUnsafeBytes { try Varint.readVarint($0) }
        #expect(decoded.value == Int32(value) && decoded.length == expected.count)
    }

    @Test func overlongVarintsAreRejected() {
        let six: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x80, 0x01]
        #expect(throws: StrataFormatError.self) { try six.withUnsafeBytes { try Varint.readVarint($0) } }
        let eleven = [UInt8](repeating: 0x80, count: 10) + [0x01]
        #expect(throws: StrataFormatError.self) { try eleven.withUnsafeBytes { try Varint.readVarlong($0) } }
        let truncated: [UInt8] = [0x80, 0x80]
        #expect(throws: StrataFormatError.self) { try truncated.withUnsafeBytes { try Varint.readVarint($0) } }
    }

    @Test func decodesSection16Example() throws {
        let batch = try RecordBatch(bytes: buffer(Self.example16))
        #expect(batch.header.batchLength == 73)
        #expect(batch.header.crc == 0x4109_046F)
        #expect(batch.isValid)
        #expect(batch.header.lastOffset == 1)
        let records = try batch.records()
        #expect(records.count == 2)
        #expect(records[0] == Record(offset: 0, timestamp: 1_700_000_000_000, key: buffer("k1"), value: buffer("v1")))
        #expect(records[1] == Record(offset: 1, timestamp: 1_700_000_000_005, key: buffer("k2"), value: nil,
                                     headers: [RecordHeader(key: "h", value: buffer("x"))]))
    }

    @Test func encodesSection16ExampleByteForByte() throws {
        var configuration = RecordBatchBuilder.Configuration()
        configuration.partitionLeaderEpoch = 0
        var builder = RecordBatchBuilder(configuration)
        try builder.append(timestamp: 1_700_000_000_000, key: buffer("k1"), value: buffer("v1"))
        try builder.append(timestamp: 1_700_000_000_005, key: buffer("k2"), value: nil, headers: [RecordHeader(key: "h", value: buffer("x"))])
        #expect(Array(try builder.build().readableBytesView) == Self.example16)
    }

    @Test func baseOffsetAndEpochAreOutsideTheCRC() throws {
        var bytes = Self.example16
        bytes[7] = 42
        bytes[15] = 9
        let batch = try RecordBatch(bytes: buffer(bytes))
        #expect(batch.isValid)
        #expect(try batch.records().map(\.offset) == [42, 43])
    }

    @Test func decodesAndEncodesSection17CommitMarker() throws {
        let batch = try RecordBatch(bytes: buffer(Self.example17))
        #expect(batch.header.sizeInBytes == 78)
        #expect(batch.header.crc == 0xAD5F_D0FF && batch.isValid)
        #expect(batch.header.isControl && batch.header.isTransactional)
        #expect(try batch.controlType() == .commit)
        let marker = try EndTransactionMarker(value: try batch.records()[0].value)
        #expect(marker.coordinatorEpoch == 5)
        let encoded = try RecordBatchBuilder.endTransactionMarker(
            .commit, offset: 2, timestamp: 1_700_000_000_010, producerId: 7, producerEpoch: 1, coordinatorEpoch: 5, partitionLeaderEpoch: 0)
        #expect(Array(encoded.readableBytesView) == Self.example17)
    }

    @Test func decodesSection19LegacyV1Message() throws {
        let entry = try LegacyEntry(bytes: buffer(Self.example19))
        #expect(entry.message.sizeInBytes == 38)
        #expect(entry.message.isValid)
        #expect(entry.message.magic == 1 && entry.message.timestampType == .createTime)
        let records = try entry.records()
        #expect(records == [Record(offset: 5, timestamp: 1_700_000_000_000, key: buffer("k1"), value: buffer("v1"))])
    }

    @Test func walksTheTwoBatchFileOfSection7() throws {
        var reader = LogEntryReader(buffer(Self.example16 + Self.example17))
        var positions: [Int] = []
        while let entry = try reader.next() { positions.append(entry.position) }
        #expect(positions == [0, 85])
        #expect(reader.stop == .endOfData)
    }
}

/// The spec's three worked examples as one parameterised table: each decodes, checks its CRC
/// and re-encodes to the same bytes.
@Suite struct SpecExampleTableTests {
    struct Example: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var crc: UInt32
        var offsets: [Int64]
        var testDescription: String { name }
    }

    static let examples: [Example] = [
        Example(name: "1.6 batch", bytes: SpecVectorTests.example16, crc: 0x4109_046F, offsets: [0, 1]),
        Example(name: "1.7 COMMIT marker", bytes: SpecVectorTests.example17, crc: 0xAD5F_D0FF, offsets: [2]),
        Example(name: "1.9 v1 message", bytes: SpecVectorTests.example19, crc: 0xA5DA_6A62, offsets: [5]),
    ]

    @Test(arguments: examples)
    func decodesChecksAndReencodes(example: Example) throws {
        var reader = LogEntryReader(buffer(example.bytes))
        let entry = try #require(try reader.next())
        #expect(entry.storedCRC == example.crc && entry.isValid)
        #expect(try entry.records().map(\.offset) == example.offsets)
        if case .batch(let batch) = entry {
            var again = RecordBatchBuilder(.init(reproducing: batch.header))
            for record in try batch.records() { try again.append(record) }
            #expect(Array(try again.build().readableBytesView) == example.bytes)
        }
    }
}

/// The README's library example, compiled and run.
@Suite struct ReadmeExampleTests {
    @Test func theReadmeExampleWorks() throws {
        var builder = RecordBatchBuilder(.init(baseOffset: 0, compression: .zstd))
        try builder.append(timestamp: 1_700_000_000_000, key: ByteBuffer(string: "k1"), value: ByteBuffer(string: "v1"),
                           headers: [RecordHeader(key: "trace", value: ByteBuffer(string: "abc"))])
        let bytes = try builder.build()
        let batch = try RecordBatch(bytes: bytes)
        try batch.validate()
        let values = try batch.records().map { String(buffer: $0.value!) }
        #expect(values == ["v1"])

        let directory = try makeTemporaryDirectory() + "/strata-data"
        let manager = try LogManager.open(directory: directory)
        let log = try manager.createPartition(TopicPartition(topic: "orders", partition: 0))
        let appended = try log.appendAsLeader(bytes, durability: .fsynced)
        let fetch = try log.read(from: appended.firstOffset, maxBytes: 1 << 20, isolation: .committed)
        #expect(fetch.entries.count == 1 && log.logEndOffset == 1)
        try manager.close()
        var reader = try LogFileReader(path: directory + "/orders-0/00000000000000000000.log")
        #expect(try reader.next()?.lastOffset == 0)
    }
}
