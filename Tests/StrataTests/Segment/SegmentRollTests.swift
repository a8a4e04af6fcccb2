import Foundation
import NIOCore
import Testing
@testable import Strata

/// Time-based rolling measures from the max timestamp of a segment's **first** batch (spec
/// 3.10), also after the segment was closed and opened again: Kafka sets the timestamp when a
/// batch is written at position 0 and, when a reopened segment has none, loads it from the first
/// batch in the `.log` (`LogSegment.loadFirstBatchTimestamp`). Found by
/// `tools/crosscheck --segments` after the writer's clean restart.
@Suite struct SegmentRollTests {
    static func config() -> LogConfig {
        var config = LogConfig()
        config.segmentMs = 1_000
        return config
    }

    static func entry(timestamp: Int64, offset: Int64) throws -> LogEntry {
        var configuration = RecordBatchBuilder.Configuration(baseOffset: offset)
        configuration.partitionLeaderEpoch = 0
        var builder = RecordBatchBuilder(configuration)
        try builder.append(timestamp: timestamp, key: nil, value: ByteBuffer(string: "v\(offset)"))
        return .batch(try RecordBatch(bytes: try builder.build()))
    }

    @Test func reopenedSegmentRollsByTheAgeOfItsFirstBatch() throws {
        let directory = try makeTemporaryDirectory()
        let fs = PosixFileSystem()
        let created = try LogSegment.create(directory: directory, baseOffset: 0, config: Self.config(), fileSystem: fs, now: 0)
        try created.append(try Self.entry(timestamp: 10_000, offset: 0))
        try created.append(try Self.entry(timestamp: 10_500, offset: 1))
        try created.close(trimming: true)

        let segment = try LogSegment.open(directory: directory, baseOffset: 0, config: Self.config(), fileSystem: fs, now: 50_000)
        try segment.resizeIndexes(to: Self.config().segmentIndexBytes)  // as PartitionLog.open does for the active segment
        // 11_001 − 10_000 > segment.ms: the first batch in the file decides, not the open time.
        #expect(try segment.shouldRoll(appendSize: 100, appendMaxTimestamp: 11_001, appendLastOffset: 2, config: Self.config(), now: 50_000))
        #expect(try !segment.shouldRoll(appendSize: 100, appendMaxTimestamp: 11_000, appendLastOffset: 2, config: Self.config(), now: 50_000))
        // A batch appended after the reopen does not become the segment's first batch.
        try segment.append(try Self.entry(timestamp: 10_900, offset: 2))
        #expect(segment.rollingBasedTimestamp == 10_000)
        #expect(try segment.shouldRoll(appendSize: 100, appendMaxTimestamp: 11_001, appendLastOffset: 3, config: Self.config(), now: 50_000))
        try segment.close(trimming: true)
    }

    @Test func partitionLogRollsByTimeAfterACleanRestart() throws {
        let directory = try makeTemporaryDirectory() + "/restart-0"
        var options = PartitionOpenOptions()
        options.clock = { 1_700_000_000_000 }
        let log = try PartitionLog.open(directory: directory, config: Self.config(), options: options)
        try log.appendAsLeader(try LogTestSupport.batch(["a"], timestamp: 10_000))
        try log.appendAsLeader(try LogTestSupport.batch(["b"], timestamp: 10_600))
        try log.close()

        options.cleanShutdown = true
        let reopened = try PartitionLog.open(directory: directory, config: Self.config(), options: options)
        try reopened.appendAsLeader(try LogTestSupport.batch(["c"], timestamp: 10_900))
        #expect(reopened.segmentBaseOffsets == [0])
        // 11_200 − 10_000 > 1_000: Kafka rolls here (before the fix Strata measured from 10_900).
        try reopened.appendAsLeader(try LogTestSupport.batch(["d"], timestamp: 11_200))
        #expect(reopened.segmentBaseOffsets == [0, 3])
        try reopened.close()
    }
}
