import Foundation
import NIOCore
import Synchronization
import Testing
@testable import Strata

/// A clock tests move by hand.
final class ManualClock: Sendable {
    let now: Mutex<Int64>
    init(_ start: Int64 = 1_700_000_000_000) { now = Mutex(start) }
    func advance(_ milliseconds: Int64) { now.withLock { $0 += milliseconds } }
    var read: @Sendable () -> Int64 { { [self] in now.withLock { $0 } } }
}

@Suite struct RetentionAndRollTests {
    static func open(_ directory: String, _ config: LogConfig, clock: ManualClock) throws -> PartitionLog {
        var options = PartitionOpenOptions()
        options.clock = clock.read
        return try PartitionLog.open(directory: directory, config: config, options: options)
    }

    @Test func timeRetentionDeletesByLargestTimestampAndKeepsOneSegment() throws {
        let clock = ManualClock()
        var config = LogTestSupport.smallConfig(segmentBytes: 1_000)
        config.retentionMs = 60_000
        let log = try Self.open(try makeTemporaryDirectory() + "/ret-0", config, clock: clock)
        for i in 0..<30 { try log.appendAsLeader(try LogTestSupport.batch(["v\(i)" + String(repeating: "x", count: 100)], timestamp: clock.read() - 120_000 + Int64(i) * 1_000)) }
        let before = log.segmentBaseOffsets
        #expect(before.count > 3)
        // Records are 120 s to 91 s old: everything is past retention, so Kafka rolls first and
        // deletes every old segment, keeping an empty one at the log end.
        let result = try log.applyRetention()
        #expect(result.deletedSegments == before)
        #expect(log.segmentBaseOffsets == [30] && log.logStartOffset == 30 && log.logEndOffset == 30)
        #expect(throws: OffsetOutOfRangeError.self) { try log.read(from: 0, maxBytes: 100) }
        try log.close()
    }

    @Test func timeRetentionStopsAtTheFirstSegmentThatIsNotOldEnough() throws {
        let clock = ManualClock()
        var config = LogTestSupport.smallConfig(segmentBytes: 1_000)
        config.retentionMs = 60_000
        let log = try Self.open(try makeTemporaryDirectory() + "/ret-1", config, clock: clock)
        for i in 0..<30 {
            let age: Int64 = i < 15 ? 100_000 : 1_000
            try log.appendAsLeader(try LogTestSupport.batch(["v\(i)" + String(repeating: "x", count: 100)], timestamp: clock.read() - age))
        }
        let result = try log.applyRetention()
        #expect(!result.deletedSegments.isEmpty)
        #expect(log.logStartOffset <= 15 && log.logStartOffset > 0)
        #expect(try LogTestSupport.allRecords(log).first?.offset == log.logStartOffset)
        try log.close()
    }

    @Test func sizeRetentionAndTheDeleteDelay() throws {
        let clock = ManualClock()
        var config = LogTestSupport.smallConfig(segmentBytes: 1_000)
        config.retentionBytes = 3_000
        config.fileDeleteDelayMs = 60_000
        let directory = try makeTemporaryDirectory() + "/size-0"
        let log = try Self.open(directory, config, clock: clock)
        for i in 0..<60 { try log.appendAsLeader(try LogTestSupport.batch(["v\(i)" + String(repeating: "y", count: 100)], timestamp: clock.read())) }
        let result = try log.applyRetention()
        #expect(!result.deletedSegments.isEmpty)
        #expect(log.sizeInBytes <= 3_000 + config.segmentBytes)
        // Deleted files wait as .deleted until file.delete.delay.ms has passed.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).contains { $0.hasSuffix(".log.deleted") })
        clock.advance(60_001)
        try log.removeDueFiles()
        #expect(try !FileManager.default.contentsOfDirectory(atPath: directory).contains { $0.hasSuffix(".deleted") })
        try log.close()
    }

    @Test func futureTimestampsAreFlagged() throws {
        let clock = ManualClock()
        var config = LogTestSupport.smallConfig(segmentBytes: 800)
        config.retentionMs = 1_000
        let log = try Self.open(try makeTemporaryDirectory() + "/future-0", config, clock: clock)
        for i in 0..<10 { try log.appendAsLeader(try LogTestSupport.batch(["f\(i)" + String(repeating: "z", count: 100)], timestamp: clock.read() + 86_400_000)) }
        let result = try log.applyRetention()
        #expect(result.deletedSegments.isEmpty)
        #expect(!result.futureTimestampSegments.isEmpty)
        try log.close()
    }

    @Test func deleteRecordsMovesTheStartAndRetentionRemovesWholeSegmentsBelowIt() throws {
        var config = LogTestSupport.smallConfig(segmentBytes: 1_000)
        config.cleanupPolicy = .compact
        let log = try PartitionLog.open(directory: try makeTemporaryDirectory() + "/start-0", config: config)
        for i in 0..<40 { try log.appendAsLeader(try LogTestSupport.batch(["s\(i)" + String(repeating: "w", count: 100)])) }
        try log.deleteRecords(before: 25)
        #expect(log.logStartOffset == 25)
        #expect(throws: OffsetOutOfRangeError.self) { try log.read(from: 10, maxBytes: 100) }
        let result = try log.applyRetention()
        #expect(!result.deletedSegments.isEmpty)
        #expect(log.segmentBaseOffsets.first! <= 25)
        #expect(throws: AppendError.self) { try log.deleteRecords(before: 1_000) }
        try log.close()
    }

    @Test func segmentMsRollsOnRecordTime() throws {
        var config = LogTestSupport.smallConfig(segmentBytes: 1_000_000)
        config.segmentMs = 10_000
        let log = try PartitionLog.open(directory: try makeTemporaryDirectory() + "/roll-0", config: config)
        try log.appendAsLeader(try LogTestSupport.batch(["a"], timestamp: 1_000_000))
        try log.appendAsLeader(try LogTestSupport.batch(["b"], timestamp: 1_009_000))
        #expect(log.segmentBaseOffsets == [0])
        try log.appendAsLeader(try LogTestSupport.batch(["c"], timestamp: 1_010_001))
        #expect(log.segmentBaseOffsets == [0, 2])
        try log.close()
    }

    @Test func relativeOffsetOverflowRollsANewSegment() throws {
        let log = try PartitionLog.open(directory: try makeTemporaryDirectory() + "/overflow-0", config: LogTestSupport.smallConfig(segmentBytes: 1_000_000))
        var first = try LogTestSupport.batch(["a"])
        first.setInteger(Int64(0), at: 0)
        try log.appendAsFollower(first)
        var far = try LogTestSupport.batch(["b"])
        far.setInteger(Int64(Int32.max) + 10, at: 0)
        try log.appendAsFollower(far)
        #expect(log.segmentBaseOffsets == [0, Int64(Int32.max) + 10])
        try log.close()
    }

    @Test func flushMessagesAdvancesTheRecoveryPoint() throws {
        var config = LogTestSupport.smallConfig()
        config.flushMessages = 5
        let log = try PartitionLog.open(directory: try makeTemporaryDirectory() + "/flush-0", config: config)
        for i in 0..<4 { try log.appendAsLeader(try LogTestSupport.batch(["m\(i)"])) }
        #expect(log.recoveryPoint == 0)
        try log.appendAsLeader(try LogTestSupport.batch(["m4"]))
        #expect(log.recoveryPoint == 5)
        try log.appendAsLeader(try LogTestSupport.batch(["m5"]), durability: .fsynced)
        #expect(log.recoveryPoint == 6)
        try log.close()
    }

    @Test func leaderEpochsAreCachedAndTruncated() throws {
        let log = try PartitionLog.open(directory: try makeTemporaryDirectory() + "/epoch-0", config: LogTestSupport.smallConfig())
        try log.appendAsLeader(try LogTestSupport.batch(["a", "b"]), leaderEpoch: 1)
        try log.appendAsLeader(try LogTestSupport.batch(["c"]), leaderEpoch: 1)
        try log.appendAsLeader(try LogTestSupport.batch(["d", "e"]), leaderEpoch: 3)
        #expect(log.leaderEpochs == [EpochEntry(epoch: 1, startOffset: 0), EpochEntry(epoch: 3, startOffset: 3)])
        try log.truncate(to: 3)
        #expect(log.leaderEpochs == [EpochEntry(epoch: 1, startOffset: 0)])
        let checkpoint = try String(contentsOfFile: log.directory + "/leader-epoch-checkpoint", encoding: .utf8)
        #expect(checkpoint == "0\n1\n1 0\n")
        try log.close()
    }

    @Test func readCommittedStopsAtOpenTransactionsAndListsAborted() throws {
        let log = try PartitionLog.open(directory: try makeTemporaryDirectory() + "/txn-0", config: LogTestSupport.smallConfig())
        try log.appendAsLeader(try LogTestSupport.batch(["plain"]))
        try log.appendAsLeader(try LogTestSupport.batch(["t1", "t2"], producerId: 5, epoch: 0, sequence: 0, transactional: true))
        #expect(log.lastStableOffset == 1)
        #expect(try log.read(from: 0, maxBytes: 10_000, isolation: .committed).entries.count == 1)
        try log.appendAsFollower(try RecordBatchBuilder.endTransactionMarker(.abort, offset: 3, timestamp: 1, producerId: 5, producerEpoch: 0, coordinatorEpoch: 2))
        #expect(log.lastStableOffset == 4)
        let fetch = try log.read(from: 0, maxBytes: 10_000, isolation: .committed)
        #expect(fetch.entries.count == 3)
        #expect(fetch.abortedTransactions == [AbortedTransaction(producerId: 5, firstOffset: 1, lastOffset: 3, lastStableOffset: 4)])
        try log.close()
        // The aborted transaction survives in the .txnindex and after recovery.
        let reopened = try PartitionLog.open(directory: log.directory, config: LogTestSupport.smallConfig())
        #expect(try reopened.read(from: 0, maxBytes: 10_000, isolation: .committed).abortedTransactions.count == 1)
        try reopened.close()
    }
}

@Suite struct LogManagerTests {
    @Test func aDataDirectoryIsLockedCheckpointedAndShutDownCleanly() throws {
        let directory = try makeTemporaryDirectory() + "/data"
        let manager = try LogManager.open(directory: directory)
        #expect(throws: DataDirectoryLockedError.self) { try LogManager.open(directory: directory) }
        try manager.setConfigOverrides(["segment.bytes": "2000", "cleanup.policy": "compact"], forTopic: "orders")
        let partition = try manager.createPartition(TopicPartition(topic: "orders", partition: 1))
        #expect(partition.config.segmentBytes == 2_000)
        for i in 0..<50 { try partition.appendAsLeader(try LogTestSupport.batch(["o\(i)" + String(repeating: "q", count: 80)])) }
        try manager.close()
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(names.contains(".kafka_cleanshutdown") && names.contains("recovery-point-offset-checkpoint"))
        #expect(names.contains("strata-topic-orders.properties") && names.contains("orders-1"))
        let recovery = try String(contentsOfFile: directory + "/recovery-point-offset-checkpoint", encoding: .utf8)
        #expect(recovery == "0\n1\norders 1 50\n")
        let metadata = try String(contentsOfFile: directory + "/orders-1/partition.metadata", encoding: .utf8)
        #expect(metadata.hasPrefix("version: 0\ntopic_id: ") && metadata.count == "version: 0\ntopic_id: ".count + 22)

        let reopened = try LogManager.open(directory: directory)
        #expect(reopened.hadCleanShutdown)
        #expect(!FileManager.default.fileExists(atPath: directory + "/.kafka_cleanshutdown"))
        let log = try #require(reopened.partition(TopicPartition(topic: "orders", partition: 1)))
        let second = try reopened.createPartition(TopicPartition(topic: "orders", partition: 2))
        #expect(try PartitionMetadataFile(partitionDirectory: second.directory).read().topicID == reopened.topicID(of: "orders"))
        #expect(log.logEndOffset == 50 && log.config.cleanupPolicy == .compact)
        #expect(reopened.loadReports.values.allSatisfy { $0.rebuiltSegments.isEmpty })
        try reopened.deletePartition(TopicPartition(topic: "orders", partition: 1))
        #expect(!FileManager.default.fileExists(atPath: directory + "/orders-1"))
        try reopened.close()
    }

    @Test func invalidTopicConfigIsRefused() throws {
        let manager = try LogManager.open(directory: try makeTemporaryDirectory() + "/data")
        #expect(throws: LogConfig.InvalidValue.self) { try manager.setConfigOverrides(["segment.bytes": "tiny"], forTopic: "t") }
        #expect(throws: LogConfig.InvalidValue.self) { try manager.setConfigOverrides(["no.such.config": "1"], forTopic: "t") }
        try manager.close()
    }
}
