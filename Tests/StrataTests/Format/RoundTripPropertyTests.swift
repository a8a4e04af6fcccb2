import NIOCore
import Testing
@testable import Strata

/// decode(encode(x)) == x for random batches over every codec, and the header says what was asked.
@Suite struct RoundTripPropertyTests {
    static let compressions: [Compression] = [.none, .gzip, .snappy, .lz4, .zstd]

    static func randomRecords(_ rng: inout SeededGenerator, baseOffset: Int64, count: Int) -> [Record] {
        var records: [Record] = []
        var offset = baseOffset
        for i in 0..<count {
            if i > 0 { offset += Int64.random(in: 1...3, using: &rng) }
            let timestamp = Int64(1_700_000_000_000) + Int64.random(in: -5_000...5_000, using: &rng)
            func bytes() -> ByteBuffer? {
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: return nil
                case 1: return ByteBuffer()
                case 2: return ByteBuffer(bytes: (0..<Int.random(in: 1...400, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
                default: return ByteBuffer(string: String(repeating: "event-\(i) ", count: Int.random(in: 1...200, using: &rng)))
                }
            }
            var headers: [RecordHeader] = []
            for h in 0..<Int.random(in: 0...3, using: &rng) {
                headers.append(RecordHeader(key: h == 1 ? "ключ-\(h)" : "h\(h)", value: bytes()))
            }
            records.append(Record(offset: offset, timestamp: timestamp, key: bytes(), value: bytes(), headers: headers))
        }
        return records
    }

    @Test(arguments: compressions)
    func decodeOfEncodeIsIdentity(compression: Compression) throws {
        let seed = propertySeed()
        var rng = SeededGenerator(seed: seed)
        let context = CodecContext()
        for iteration in 0..<60 {
            var configuration = RecordBatchBuilder.Configuration(baseOffset: Int64.random(in: 0...(1 << 40), using: &rng), compression: compression)
            configuration.partitionLeaderEpoch = Int32.random(in: -1...100, using: &rng)
            if Bool.random(using: &rng) {
                configuration.producerId = Int64.random(in: 0...1 << 30, using: &rng)
                configuration.producerEpoch = Int16.random(in: 0...100, using: &rng)
                configuration.baseSequence = Int32.random(in: 0...Int32.max, using: &rng)
                configuration.isTransactional = Bool.random(using: &rng)
            }
            let logAppendTime: Int64? = Int.random(in: 0..<4, using: &rng) == 0 ? 1_700_000_100_000 : nil
            configuration.logAppendTime = logAppendTime
            let records = Self.randomRecords(&rng, baseOffset: configuration.baseOffset, count: Int.random(in: 1...(iteration % 10 == 0 ? 800 : 30), using: &rng))
            var builder = RecordBatchBuilder(configuration)
            for record in records { try builder.append(record) }
            let bytes = try builder.build(context: context)

            let batch = try RecordBatch(bytes: bytes)
            #expect(batch.isValid, "seed \(seed)")
            #expect(batch.header.compression == compression.codec, "seed \(seed)")
            #expect(batch.header.recordsCount == Int32(records.count))
            #expect(batch.header.lastOffset == records.last!.offset)
            #expect(batch.header.producerId == configuration.producerId && batch.header.baseSequence == configuration.baseSequence)
            #expect(batch.header.isTransactional == configuration.isTransactional)
            let expected = records.map { record -> Record in
                var record = record
                if let logAppendTime { record.timestamp = logAppendTime }
                return record
            }
            let decoded = try batch.records(context: context)
            #expect(decoded == expected, "seed \(seed), iteration \(iteration)")
            #expect(batch.header.maxTimestamp == (logAppendTime ?? records.map(\.timestamp).max()!))
            if decoded != expected { return }
        }
    }

    @Test func reencodingADecodedBatchGivesTheSameBytes() throws {
        let seed = propertySeed()
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<40 {
            var configuration = RecordBatchBuilder.Configuration(baseOffset: 77)
            configuration.logAppendTime = Bool.random(using: &rng) ? 1_700_000_000_999 : nil
            configuration.deleteHorizonMs = Bool.random(using: &rng) ? 1_700_000_500_000 : nil
            var builder = RecordBatchBuilder(configuration)
            for record in Self.randomRecords(&rng, baseOffset: 77, count: Int.random(in: 1...20, using: &rng)) { try builder.append(record) }
            let original = try builder.build()
            let batch = try RecordBatch(bytes: original)
            var again = RecordBatchBuilder(.init(reproducing: batch.header))
            for record in try batch.records() { try again.append(record) }
            #expect(try again.build() == original, "seed \(seed)")
        }
    }

    @Test func emptyBatchIsTheCleanersSixtyOneBytes() throws {
        var configuration = RecordBatchBuilder.Configuration(baseOffset: 500, compression: .zstd)
        configuration.producerId = 3
        configuration.producerEpoch = 1
        configuration.baseSequence = 40
        configuration.lastOffsetDelta = 4
        configuration.maxTimestamp = 1_700_000_000_000
        let bytes = try RecordBatchBuilder(configuration).build()
        #expect(bytes.readableBytes == 61)
        let batch = try RecordBatch(bytes: bytes)
        #expect(batch.isValid)
        #expect(batch.header.recordsCount == 0 && batch.header.compression == CompressionCodec.none)
        #expect(batch.header.baseTimestamp == -1 && batch.header.lastOffset == 504 && batch.header.lastSequence == 44)
        #expect(try batch.records().isEmpty)
    }

    @Test func sequencesWrapAtInt32Max() {
        #expect(RecordBatchHeader.sequence(base: Int32.max - 1, plus: 3) == 1)
        #expect(RecordBatchHeader.sequence(base: Int32.max, plus: 0) == Int32.max)
        #expect(RecordBatchHeader.sequence(base: -1, plus: 5) == -1)
        // Hostile deltas wrap as Java's int arithmetic does (what kafka-dump-log prints), never trap.
        #expect(RecordBatchHeader.sequence(base: Int32.max, plus: -5) == -6)
        #expect(RecordBatchHeader.sequence(base: 3, plus: Int32.min) == Int32(truncatingIfNeeded: Int64(Int32.min) - Int64(Int32.max - 3) - 1))
        #expect(RecordBatchHeader.sequence(5, minus: 2) == 3)
        #expect(RecordBatchHeader.sequence(1, minus: 3) == Int32.max - 1)
        #expect(RecordBatchHeader.sequence(Int32.max, minus: -5) == Int32.min + 4)
        #expect(RecordBatchHeader.sequence(Int32.min, minus: Int32.max) == Int32.max &- (Int32.max &- Int32.min) &+ 1)
    }

    @Test func builderRespectsTheMaximumBatchSize() throws {
        var configuration = RecordBatchBuilder.Configuration()
        configuration.maxBatchBytes = 4_096
        var builder = RecordBatchBuilder(configuration)
        let value = ByteBuffer(repeating: 0x41, count: 1_000)
        var appended = 0
        while builder.hasRoomFor(keySize: 3, valueSize: value.readableBytes) {
            try builder.append(timestamp: 1, key: buffer("key"), value: value)
            appended += 1
        }
        #expect(appended == 3)
        #expect(try builder.build().readableBytes <= 4_096)
        #expect(builder.estimatedSizeInBytes == (try builder.build().readableBytes))
        // The first record is always accepted, however large.
        var single = RecordBatchBuilder(configuration)
        #expect(single.hasRoomFor(keySize: 0, valueSize: 100_000))
        try single.append(timestamp: 1, key: nil, value: ByteBuffer(repeating: 0, count: 100_000))
    }

    @Test func offsetsMustIncreaseWithinABatch() throws {
        var builder = RecordBatchBuilder(.init(baseOffset: 10))
        try builder.append(offset: 12, timestamp: 0, key: nil, value: nil)
        #expect(throws: StrataFormatError.self) { try builder.append(offset: 12, timestamp: 0, key: nil, value: nil) }
        #expect(throws: StrataFormatError.self) { try builder.append(offset: 10 + Int64(Int32.max) + 1, timestamp: 0, key: nil, value: nil) }
        #expect(throws: StrataFormatError.self) { try Compression(.zstd, level: 23) }
        #expect(try Compression(.gzip, level: -1).level == 6)
    }
}

/// The borrowed record views agree with the decoded records.
@Suite struct RecordViewTests {
    @Test(arguments: RoundTripPropertyTests.compressions)
    func viewsMatchRecords(compression: Compression) throws {
        var rng = SeededGenerator(seed: propertySeed())
        var builder = RecordBatchBuilder(.init(baseOffset: 9, compression: compression))
        for record in RoundTripPropertyTests.randomRecords(&rng, baseOffset: 9, count: 50) { try builder.append(record) }
        let batch = try RecordBatch(bytes: try builder.build())
        let records = try batch.records()
        var index = 0
        try batch.forEachRecordView { view in
            let record = records[index]
            #expect(view.offset == record.offset && view.timestamp == record.timestamp)
            #expect(view.key.map(Array.init) == record.key.map { Array($0.readableBytesView) })
            #expect(view.value.map(Array.init) == record.value.map { Array($0.readableBytesView) })
            #expect(view.keySize == record.keySize && view.valueSize == record.valueSize)
            #expect(view.headers.map { String(decoding: $0.key, as: UTF8.self) } == record.headers.map(\.key))
            #expect(view.headers.map { $0.value.map(Array.init) } == record.headers.map { $0.value.map { Array($0.readableBytesView) } })
            index += 1
        }
        #expect(index == records.count)
    }
}
