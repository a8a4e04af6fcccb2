import Foundation
import NIOCore
import Testing
@testable import Strata
import StrataSimulation

/// The cleaner against a model: random keyed streams with updates, tombstones, committed and
/// aborted transactions; after each cleaning a reader sees exactly the latest record of each
/// key at its original offset, in order, with tombstones present until their delete horizon
/// and gone after it, and no record of an aborted transaction.
@Suite struct CompactionModelTests {
    static let retention: Int64 = 10_000

    func run(seed: UInt64, compression: Compression, mapBytes: Int) throws {
        var rng = SeededGenerator(seed: seed)
        let directory = CleanerTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock()
        let config = CleanerTestSupport.compactedConfig(deleteRetentionMs: Self.retention)
        let log = try CleanerTestSupport.open(directory + "/t-0", config: config, clock: clock)
        var model = CompactionModel()
        var options = CleanerOptions()
        options.dedupeBufferBytes = mapBytes
        for round in 0..<4 {
            try model.write(to: log, operations: 40, keys: 25, clock: clock, using: &rng, compression: compression)
            try log.roll()
            let before = try CleanerTestSupport.storedRecords(log).records.count
            let result = try LogCleaner.clean(log, options: options)
            model.cleaned(at: clock.now)
            let seen = try CleanerTestSupport.storedRecords(log).records
            let problems = model.problems(seen, cleanedAt: clock.now, deleteRetentionMs: Self.retention)
            #expect(problems.isEmpty, "seed \(seed), round \(round): \(problems.prefix(5)) \(result.assessment) \(result.stats) \(log.segmentBaseOffsets)")
            #expect(result.cleaned && seen.count <= before, "seed \(seed)")
            // The read_committed view holds the same records (no committed data hidden).
            #expect(try CleanerTestSupport.committedRecords(log) == seen, "seed \(seed), round \(round): read_committed differs")
            clock.advance(by: Self.retention / 3)
        }
        // Past every horizon: a full re-clean removes every tombstone and discardable marker.
        clock.advance(by: Self.retention * 2)
        try LogCleaner.clean(log, checkpoint: nil, options: options)
        try LogCleaner.clean(log, checkpoint: nil, options: options)
        let seen = try CleanerTestSupport.storedRecords(log).records
        #expect(model.problems(seen, cleanedAt: clock.now, deleteRetentionMs: Self.retention).isEmpty, "seed \(seed) after the horizon")
        #expect(!seen.contains { $0.value == nil }, "seed \(seed): tombstones left after the horizon")
        let producersBefore = log.producers.mapValues { $0.lastSequence }
        try log.close()
        // Reopened from nothing (no snapshots, full recovery): the same records, no open
        // transaction, every producer's last sequence intact.
        for file in try FileManager.default.contentsOfDirectory(atPath: directory + "/t-0") where file.hasSuffix(".snapshot") {
            try FileManager.default.removeItem(atPath: directory + "/t-0/" + file)
        }
        let reopened = try CleanerTestSupport.open(directory + "/t-0", config: config, clock: clock, cleanShutdown: false, recoveryPoint: 0)
        #expect(reopened.lastStableOffset == reopened.logEndOffset, "seed \(seed): a transaction looks open after compaction")
        #expect(try CleanerTestSupport.storedRecords(reopened).records == seen)
        #expect(try CleanerTestSupport.committedRecords(reopened) == seen, "seed \(seed): read_committed differs after recovery")
        #expect(reopened.producers.mapValues { $0.lastSequence } == producersBefore, "seed \(seed): producer state lost")
        try reopened.close()
    }

    @Test(arguments: [CompressionCodec.none, .lz4, .zstd])
    func randomStreamsMatchTheModel(codec: CompressionCodec) throws {
        let seed = propertySeed()
        for iteration in 0..<2 { try run(seed: seed &+ UInt64(iteration), compression: Compression(codec), mapBytes: 1 << 20) }
    }

    /// A map that holds 14 keys forces several passes; the result is the same.
    @Test func tinyOffsetMapCleansInSeveralPasses() throws {
        let seed = propertySeed()
        try run(seed: seed, compression: .none, mapBytes: 24 * 16)
        // And it does take several passes.
        let directory = CleanerTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock()
        let log = try CleanerTestSupport.open(directory + "/p-0", config: CleanerTestSupport.compactedConfig(), clock: clock)
        for index in 0..<200 {
            try log.appendAsLeader(try CleanerTestSupport.batch([("k\(index % 40)", "v\(index)")], timestamp: clock.now))
        }
        try log.roll()
        var options = CleanerOptions()
        options.dedupeBufferBytes = 24 * 10
        let result = try LogCleaner.clean(log, options: options)
        #expect(result.stats.passes >= 4)
        let seen = try CleanerTestSupport.storedRecords(log).records
        #expect(seen.map(\.value) == (160..<200).map { "v\($0)" })
        #expect(seen.map(\.offset) == (160..<200).map { Int64($0) })
    }
}
