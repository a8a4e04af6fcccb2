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
            // Indexes of the rewritten segments agree with their logs, and reads by offset
            // (which go through them) find every record.
            for segment in log.allSegments { #expect(try segment.indexesAreConsistent(), "seed \(seed): index of \(segment.baseOffset)") }
            let byOffset = try LogTestSupport.allRecords(log).filter { !model.aborted.contains($0.offset) }.map(\.offset)
            #expect(Set(seen.map(\.offset)).isSubset(of: Set(byOffset)), "seed \(seed): a record not found by offset")
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

    /// `cleanup.policy=compact,delete`: after cleaning, time retention removes old segments too.
    @Test func compactAndDeleteAppliesBoth() throws {
        let directory = CleanerTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock()
        var config = CleanerTestSupport.compactedConfig(segmentBytes: 600)
        config.cleanupPolicy = [.compact, .delete]
        config.retentionMs = 60_000
        let log = try CleanerTestSupport.open(directory + "/cd-0", config: config, clock: clock)
        for index in 0..<40 {
            try log.appendAsLeader(try CleanerTestSupport.batch([("k\(index % 5)", "old-\(index)")], timestamp: clock.now))
        }
        clock.advance(by: 120_000)
        for index in 0..<10 {
            try log.appendAsLeader(try CleanerTestSupport.batch([("n\(index % 5)", "new-\(index)")], timestamp: clock.now))
        }
        try log.roll()
        let result = try LogCleaner.clean(log)
        #expect(result.cleaned)
        #expect(!result.retention.isEmpty, "retention.ms deleted nothing")
        let seen = try CleanerTestSupport.storedRecords(log).records
        // The new records all stay; of the old ones only keys' latest values, and only those
        // sharing a segment with new data (retention works on whole segments).
        #expect(Array(seen.suffix(5).map(\.value)) == (5..<10).map { "new-\($0)" })
        let old = seen.dropLast(5)
        #expect(old.count < 5 && old.allSatisfy { Int($0.value!.dropFirst(4))! >= 35 })
        try log.close()
    }
}
