import Foundation
import NIOCore
import Testing
@testable import Strata

/// Spec 6.5: compaction never turns committed data into aborted data or the reverse, however
/// many times it runs past the markers' horizons, and a reopened log (producer state and
/// `.txnindex` rebuilt from the segments) agrees.
@Suite struct TransactionCompactionTests {
    static let retention: Int64 = 1_000

    func transaction(_ log: PartitionLog, producerId: Int64, sequence: inout Int32, records: [(key: String, value: String?)], commit: Bool, clock: TestClock) throws {
        try log.appendAsLeader(try CleanerTestSupport.batch(records, timestamp: clock.now, producerId: producerId, epoch: 0, sequence: sequence, transactional: true))
        sequence += Int32(records.count)
        try log.appendTransactionMarker(commit ? .commit : .abort, producerId: producerId, producerEpoch: 0, coordinatorEpoch: 3)
    }

    func cleanPastHorizons(_ log: PartitionLog, clock: TestClock) throws {
        try log.roll()
        for _ in 0..<3 {
            try LogCleaner.clean(log, checkpoint: nil)
            clock.advance(by: Self.retention * 2)
        }
    }

    func committedValues(_ log: PartitionLog) throws -> [String: String?] {
        Dictionary(try CleanerTestSupport.committedRecords(log).map { ($0.key!, $0.value) }, uniquingKeysWith: { _, b in b })
    }

    @Test func committedDataStaysCommittedWhenTheProducerLaterAborts() throws {
        let directory = CleanerTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock()
        let config = CleanerTestSupport.compactedConfig(segmentBytes: 400, deleteRetentionMs: Self.retention)
        let log = try CleanerTestSupport.open(directory + "/x-0", config: config, clock: clock)
        var sequence: Int32 = 0
        // A committed transaction whose data stays the latest of its key.
        try transaction(log, producerId: 7, sequence: &sequence, records: [("k1", "committed")], commit: true, clock: clock)
        for index in 0..<10 { try log.appendAsLeader(try CleanerTestSupport.batch([("other\(index % 3)", "v\(index)")], timestamp: clock.now)) }
        try cleanPastHorizons(log, clock: clock)
        // The COMMIT marker is still there: its transaction's data is.
        let headers = try CleanerTestSupport.storedRecords(log).headers
        #expect(headers.contains { $0.isControl && $0.producerId == 7 })
        // The same producer then aborts a transaction; the cleaner runs past every horizon.
        try transaction(log, producerId: 7, sequence: &sequence, records: [("k2", "aborted")], commit: false, clock: clock)
        try log.appendAsLeader(try CleanerTestSupport.batch([("tail", "x")], timestamp: clock.now))
        try cleanPastHorizons(log, clock: clock)
        var values = try committedValues(log)
        #expect(values["k1"] == .some("committed"))
        #expect(values["k2"] == nil)
        try log.close()
        // Rebuilt from the segments alone: no transaction looks open, k1 is still committed.
        for file in try FileManager.default.contentsOfDirectory(atPath: directory + "/x-0") where file.hasSuffix(".snapshot") || file.hasSuffix(".txnindex") {
            try FileManager.default.removeItem(atPath: directory + "/x-0/" + file)
        }
        let reopened = try CleanerTestSupport.open(directory + "/x-0", config: config, clock: clock, cleanShutdown: false, recoveryPoint: 0)
        #expect(reopened.lastStableOffset == reopened.logEndOffset)
        values = try committedValues(reopened)
        #expect(values["k1"] == .some("committed"))
        #expect(values["k2"] == nil)
        try reopened.close()
    }

    @Test func markersGoOnlyWhenTheirDataIsGoneAndTheirHorizonPassed() throws {
        let directory = CleanerTestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = TestClock()
        let config = CleanerTestSupport.compactedConfig(segmentBytes: 100_000, deleteRetentionMs: Self.retention)
        let log = try CleanerTestSupport.open(directory + "/y-0", config: config, clock: clock)
        var sequence: Int32 = 0
        func markers() throws -> [RecordBatchHeader] { try CleanerTestSupport.storedRecords(log).headers.filter(\.isControl) }
        try transaction(log, producerId: 9, sequence: &sequence, records: [("a", "1")], commit: true, clock: clock)
        try transaction(log, producerId: 9, sequence: &sequence, records: [("b", "2")], commit: false, clock: clock)
        // "a" is overwritten: the committed transaction's data goes.
        try log.appendAsLeader(try CleanerTestSupport.batch([("a", "3")], timestamp: clock.now))
        try log.appendAsLeader(try CleanerTestSupport.batch([("c", "4")], timestamp: clock.now))
        try log.roll()
        // 1: the aborted data goes, but its batch is producer 9's last and stays empty (it
        // carries the producer's last sequence); both markers stay (their data was seen).
        try LogCleaner.clean(log, checkpoint: nil)
        #expect(try CleanerTestSupport.storedRecords(log).records.map(\.key) == ["a", "c"])
        #expect(try markers().count == 2 && markers().allSatisfy { $0.deleteHorizonMs == nil })
        let emptyBatches = try CleanerTestSupport.storedRecords(log).headers.filter { $0.recordsCount == 0 && !$0.isControl }
        #expect(emptyBatches.count == 1 && emptyBatches[0].producerId == 9 && emptyBatches[0].isTransactional)
        // The producer commits again: its empty batch is no longer its last.
        try transaction(log, producerId: 9, sequence: &sequence, records: [("d", "5")], commit: true, clock: clock)
        try log.roll()
        // 2: the COMMIT of "a" has no data left: it gets a delete horizon but stays; the ABORT
        // still saw its (empty) batch; the empty batch goes.
        try LogCleaner.clean(log, checkpoint: nil)
        #expect(try markers().map { $0.deleteHorizonMs != nil } == [true, false, false])
        // 3: now the ABORT's data is gone too.
        clock.advance(by: 10)
        try LogCleaner.clean(log, checkpoint: nil)
        #expect(try markers().map(\.deleteHorizonMs) == [clock.now - 10 + Self.retention, clock.now + Self.retention, nil])
        // Past both horizons: both go; the COMMIT of "d" stays with its data.
        clock.advance(by: Self.retention)
        try LogCleaner.clean(log, checkpoint: nil)
        let left = try markers()
        #expect(left.count == 1 && left[0].deleteHorizonMs == nil)
        #expect(try committedValues(log) == ["a": "3", "c": "4", "d": "5"])
        try log.close()
    }
}
