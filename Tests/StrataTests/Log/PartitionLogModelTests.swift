import Foundation
import NIOCore
import Testing
@testable import Strata

/// Support for partition log tests: a small config and a batch maker.
enum LogTestSupport {
    /// Small segments and a dense index so that rolls and index lookups happen often.
    static func smallConfig(segmentBytes: Int = 6_000, indexInterval: Int = 300) -> LogConfig {
        var config = LogConfig()
        config.segmentBytes = segmentBytes
        config.indexIntervalBytes = indexInterval
        config.segmentIndexBytes = 4_096
        config.fileDeleteDelayMs = 0
        config.retentionMs = -1
        return config
    }

    /// A produced batch (offsets from 0) of `values` with keys "k<n>".
    static func batch(_ values: [String], compression: Compression = .none, timestamp: Int64 = 1_700_000_000_000,
                      producerId: Int64 = -1, epoch: Int16 = -1, sequence: Int32 = -1, transactional: Bool = false) throws -> ByteBuffer {
        try CleanerTestSupport.batch(values.enumerated().map { (key: "k\($0.offset)", value: $0.element) }, timestamp: timestamp, producerId: producerId,
                                     epoch: epoch, sequence: sequence, transactional: transactional, compression: compression)
    }

    /// Every record of the log, in order (values as strings).
    static func allRecords(_ log: PartitionLog, isolation: FetchIsolation = .logEnd) throws -> [(offset: Int64, value: String?)] {
        var result: [(Int64, String?)] = []
        var offset = log.logStartOffset
        while offset < log.logEndOffset {
            let fetch = try log.read(from: offset, maxBytes: 64 * 1024, isolation: isolation)
            guard !fetch.entries.isEmpty else { break }
            for entry in fetch.entries {
                for record in try entry.records() where record.offset >= offset {
                    result.append((record.offset, record.value.map { String(buffer: $0) }))
                }
                offset = entry.lastOffset + 1
            }
        }
        return result
    }
}

/// The partition log against an in-memory model, over thousands of random operations.
@Suite struct PartitionLogModelTests {
    @Test func randomOperationsMatchTheModel() throws {
        let seed = propertySeed()
        var rng = SeededGenerator(seed: seed)
        // Many shorter sequences: 40 logs of 150 random operations each.
        for round in 0..<40 {
            let dir = try makeTemporaryDirectory() + "/model-0"
            let config = LogTestSupport.smallConfig(segmentBytes: Int.random(in: 2_000...9_000, using: &rng), indexInterval: Int.random(in: 0...700, using: &rng))
            var log = try PartitionLog.open(directory: dir, config: config)
            var model: [(offset: Int64, value: String)] = []
            var counter = 0
            for step in 0..<150 {
                let context = "seed \(seed) round \(round) step \(step)"
                let operation = Int.random(in: 0..<100, using: &rng)
                if ProcessInfo.processInfo.environment["STRATA_TRACE"] != nil { print("TRACE \(context) op \(operation) leo \(log.logEndOffset) segs \(log.segmentBaseOffsets)") }
                switch operation {
                case 0..<55:
                    let count = Int.random(in: 1...12, using: &rng)
                    let values = (0..<count).map { _ -> String in
                        counter += 1
                        return "value-\(counter)-" + String(repeating: "x", count: Int.random(in: 0...120, using: &rng))
                    }
                    let codec = [Compression.none, .gzip, .snappy, .lz4, .zstd].randomElement(using: &rng)!
                    let result = try log.appendAsLeader(try LogTestSupport.batch(values, compression: codec))
                    #expect(result.firstOffset == log.logEndOffset - Int64(count), "\(context)")
                    for (index, value) in values.enumerated() { model.append((result.firstOffset + Int64(index), value)) }
                case 55..<70:
                    // Read from a random offset: the first record returned must be the model's.
                    guard let pick = model.randomElement(using: &rng) else { continue }
                    let fetch = try log.read(from: pick.offset, maxBytes: Int.random(in: 1...3_000, using: &rng))
                    let records = try fetch.entries.flatMap { try $0.records() }.filter { $0.offset >= pick.offset }
                    let first = try #require(records.first, "\(context)")
                    #expect(first.offset == pick.offset && String(buffer: first.value!) == pick.value, "\(context)")
                    // Everything returned is the model's run of records from there, with no gap.
                    let start = model.firstIndex { $0.offset == pick.offset }!
                    let expected = model[start...].prefix(records.count)
                    #expect(records.map(\.offset) == expected.map(\.offset), "\(context)")
                case 70..<76:
                    guard !model.isEmpty else { continue }
                    let target = model[Int.random(in: 0..<model.count, using: &rng)].offset
                    let end = try log.truncate(to: target)
                    #expect(end <= target, "\(context)")
                    model.removeAll { $0.offset >= end }
                    #expect(log.logEndOffset == end, "\(context)")
                case 76..<82:
                    try log.roll()
                case 82..<88:
                    try log.close()
                    var options = PartitionOpenOptions()
                    options.cleanShutdown = Bool.random(using: &rng)
                    options.recoveryPoint = options.cleanShutdown ? nil : 0
                    log = try PartitionLog.open(directory: dir, config: config, options: options)
                case 88..<92:
                    // Retention by size keeps the newest segments.
                    var sizeConfig = config
                    sizeConfig.retentionBytes = Int64(config.segmentBytes * 2)
                    try log.close()
                    log = try PartitionLog.open(directory: dir, config: sizeConfig, options: { var o = PartitionOpenOptions(); o.cleanShutdown = true; return o }())
                    try log.applyRetention()
                    model.removeAll { $0.offset < log.logStartOffset }
                    try log.close()
                    log = try PartitionLog.open(directory: dir, config: config, options: { var o = PartitionOpenOptions(); o.cleanShutdown = true; o.logStartOffset = log.logStartOffset; return o }())
                default:
                    try log.flush()
                }
                #expect(log.logEndOffset == (model.last.map { $0.offset + 1 } ?? log.logEndOffset), "\(context)")
            }
            let all = try LogTestSupport.allRecords(log)
            #expect(all.map(\.offset) == model.map(\.offset), "seed \(seed) round \(round)")
            #expect(all.map { $0.value ?? "" } == model.map(\.value), "seed \(seed) round \(round)")
            try log.close()
        }
    }

    @Test func offsetsForTimesFindTheFirstRecordAtOrAfter() throws {
        let log = try PartitionLog.open(directory: try makeTemporaryDirectory() + "/times-0", config: LogTestSupport.smallConfig())
        for batch in 0..<40 {
            try log.appendAsLeader(try LogTestSupport.batch((0..<5).map { "v\(batch)-\($0)" }, timestamp: 1_000 + Int64(batch) * 10))
        }
        // Record timestamps are 1000+10b+i for batch b, record i.
        for target: Int64 in [0, 1_000, 1_004, 1_005, 1_013, 1_200, 1_394] {
            let found = try log.offset(forTimestamp: target)
            let expectedOffset: Int64? = (0..<200).first { (n: Int) -> Bool in
                let timestamp: Int64 = 1_000 + Int64(n / 5) * 10 + Int64(n % 5)
                return timestamp >= target
            }.map { Int64($0) }
            #expect(found?.offset == expectedOffset, "target \(target)")
        }
        #expect(try log.offset(forTimestamp: 5_000) == nil)
        try log.close()
    }

    @Test func idempotentRetriesAreNotWrittenTwice() throws {
        let log = try PartitionLog.open(directory: try makeTemporaryDirectory() + "/idem-0", config: LogTestSupport.smallConfig())
        let first = try LogTestSupport.batch(["a", "b"], producerId: 7, epoch: 0, sequence: 0)
        let second = try LogTestSupport.batch(["c"], producerId: 7, epoch: 0, sequence: 2)
        #expect(try log.appendAsLeader(first).firstOffset == 0)
        #expect(try log.appendAsLeader(second).firstOffset == 2)
        let retry = try log.appendAsLeader(first)
        #expect(retry.isDuplicate && retry.firstOffset == 0 && retry.lastOffset == 1)
        #expect(log.logEndOffset == 3)
        let gap = try LogTestSupport.batch(["d"], producerId: 7, epoch: 0, sequence: 5)
        let error = try #require(throws: AppendError.self) { try log.appendAsLeader(gap) }
        #expect(error.code == .producerState)
        let fenced = try LogTestSupport.batch(["e"], producerId: 7, epoch: -1 + 0, sequence: 3)
        _ = fenced
        // Producer state survives a restart through the snapshot written at close.
        try log.close()
        let reopened = try PartitionLog.open(directory: log.directory, config: LogTestSupport.smallConfig(), options: { var o = PartitionOpenOptions(); o.cleanShutdown = true; return o }())
        #expect(try reopened.appendAsLeader(second).isDuplicate)
        try reopened.close()
    }

    @Test func leaderValidationRefusesBadBatches() throws {
        var config = LogTestSupport.smallConfig()
        config.cleanupPolicy = .compact
        config.maxMessageBytes = 2_000
        let log = try PartitionLog.open(directory: try makeTemporaryDirectory() + "/valid-0", config: config)
        var builder = RecordBatchBuilder(.init())
        try builder.append(timestamp: 1, key: nil, value: buffer("no key"))
        #expect((try #require(throws: AppendError.self) { try log.appendAsLeader(try builder.build()) }).code == .invalidRecord)
        let big = try LogTestSupport.batch([String(repeating: "z", count: 3_000)])
        #expect((try #require(throws: AppendError.self) { try log.appendAsLeader(big) }).code == .recordTooLarge)
        var corrupt = try LogTestSupport.batch(["a"])
        corrupt.setInteger(UInt8(0xFF), at: corrupt.writerIndex - 1)
        #expect((try #require(throws: AppendError.self) { try log.appendAsLeader(corrupt) }).code == .corruptMessage)
        #expect(log.logEndOffset == 0)
        try log.close()
    }

    @Test func logAppendTimeAndTopicCompressionRewriteTheBatch() throws {
        var config = LogTestSupport.smallConfig()
        config.messageTimestampType = .logAppendTime
        config.compressionType = .zstd
        let log = try PartitionLog.open(directory: try makeTemporaryDirectory() + "/rewrite-0", config: config, options: { var o = PartitionOpenOptions(); o.clock = { 1_800_000_000_000 }; return o }())
        let result = try log.appendAsLeader(try LogTestSupport.batch(["a", "b"], compression: .gzip))
        #expect(result.logAppendTime == 1_800_000_000_000)
        let entry = try #require(try log.read(from: 0, maxBytes: 10_000).entries.first)
        guard case .batch(let batch) = entry else { Issue.record("expected a v2 batch"); return }
        #expect(batch.header.compression == .zstd && batch.header.timestampType == .logAppendTime && batch.isValid)
        #expect(try batch.records().map(\.timestamp) == [1_800_000_000_000, 1_800_000_000_000])
        try log.close()
    }

    @Test func followerAppendsKeepOffsetsAndRejectGoingBackwards() throws {
        let log = try PartitionLog.open(directory: try makeTemporaryDirectory() + "/follower-0", config: LogTestSupport.smallConfig())
        var stamped = try LogTestSupport.batch(["a", "b", "c"])
        stamped.setInteger(Int64(100), at: 0)
        stamped.setInteger(Int32(4), at: 12)
        try log.truncateFullyAndStart(at: 100)
        try log.appendAsFollower(stamped)
        #expect(log.logEndOffset == 103 && log.logStartOffset == 100)
        #expect(log.leaderEpochs.map(\.epoch) == [4])
        #expect(throws: AppendError.self) { try log.appendAsFollower(stamped) }
        try log.close()
    }
}
